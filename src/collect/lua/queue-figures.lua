-- The watchdog's collection script: every figure the checks need for a chunk of queues in one
-- server-side call: O(1)/O(log n) commands per queue, a bounded look at the head of `active`, and
-- the events stream only for paused queues. It only reads. Garbage (a `meta` that is a string, ...)
-- is caught per queue with pcall and diagnosed with TYPE, so one broken queue never fails the chunk.
--
-- Incremental reads: nearly every BullMQ state change (add, promote, move to active, complete,
-- fail, pause, resume, stall, remove) appends to the queue's `events` stream. When the caller
-- passes the id just after the stream's last id at an earlier full read, and no entry has come
-- since, and the same lists and sets exist as then (a `drain()` empties them without an event, an
-- `obliterate()` deletes the stream), and meta still holds a version, only what changes with time
-- alone is read again: meta, the count of delayed jobs now due (once the earliest is due), and the
-- locks and the stall checker's key (once the first of them may have expired, or when one was
-- missing): a 'same' row the caller merges with its memory. Anything else is a full read.
--
-- ARGV and the rows it returns are defined in src/collect/queue-row.ts (the per-queue arguments are
-- built by queueArgs in queue-memo.ts). test/unit/queue-row.test.ts reads this file and fails when
-- the two disagree: the header's locals, HEADER_ARGS and ARGS_PER_QUEUE, the per-queue locals, the
-- bit constants, and the values returned in the 'ok' and 'same' rows, which are locals named
-- exactly like the fields there (keep them plain names).
-- Delayed scores are dueMs * 0x1000 + n (BullMQ getDelayedScore.lua).

local HEADER_ARGS, ARGS_PER_QUEUE = 3, 4
-- A queue's `bits` argument (QUEUE_BITS): flags, plus PRESENT × how many collections existed.
local DUE, RECHECK, HAD_ACTIVE, PRESENT = 1, 2, 4, 8
local activeSample = tonumber(ARGV[1])
local maxEvents = tonumber(ARGV[2])
-- Whether the caller keeps memos (the daemon): only then is the events stream's last id worth reading.
local remember = ARGV[3] == '1'
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dueBound = '(' .. string.format('%.0f', (nowMs + 1) * 4096)

-- Whether a flag of a queue's bits is set (Redis's Lua 5.1 has no bitwise operators).
local function has(bits, flag)
  return math.floor(bits / flag) % 2 == 1
end

-- When a job entered its list, near enough: created + delay, or its last processing start
-- (a promoted delayed job or a retried one is not "old" the moment it becomes waiting).
local function createdAt(base, id)
  if not id then return false end
  local ok, f = pcall(redis.call, 'HMGET', base .. id, 'timestamp', 'delay', 'processedOn')
  if not ok then return false end
  local ts = tonumber(f[1])
  if not ts or ts ~= ts or ts == math.huge or ts == -math.huge then return false end
  local since = ts + (tonumber(f[2]) or 0)
  local processed = tonumber(f[3])
  if processed and processed == processed and processed > since and processed ~= math.huge then since = processed end
  return math.floor(since)
end

-- The locks of the sampled active jobs: how many are gone, and when the first present one expires.
local function locks(base)
  local ids = redis.call('LRANGE', base .. 'active', 0, activeSample - 1)
  local noLock, untilMs = 0, false
  for _, id in ipairs(ids) do
    local ttl = redis.call('PTTL', base .. id .. ':lock')
    if ttl == -2 then noLock = noLock + 1
    elseif ttl >= 0 and (not untilMs or nowMs + ttl < untilMs) then untilMs = nowMs + ttl end
  end
  return #ids, noLock, untilMs
end

-- When the locks and the stall checker's key must be read again: when the first of them may have
-- expired; at once when one is missing or never expires (it may appear or vanish unannounced).
local function nextRecheck(sampled, noLock, lockUntil, stalledTtl)
  if noLock > 0 or stalledTtl < 0 or (sampled > 0 and not lockUntil) then return nowMs end
  local at = nowMs + stalledTtl
  if lockUntil and lockUntil < at then at = lockUntil end
  return at
end

local function read(base, last)
  -- Only O(1)/O(log n) calls, and the head lookups only where the collection is not empty.
  local meta = redis.call('HMGET', base .. 'meta', 'paused', 'version', 'opts.maxLenEvents')
  local exists = (meta[1] or meta[2] or meta[3]) and 1 or redis.call('EXISTS', base .. 'meta')
  local paused = meta[1] and 1 or 0
  local version = meta[2] or false
  local waiting = redis.call('LLEN', base .. 'wait')
  local oldestWaitingAt = false
  if waiting > 0 then oldestWaitingAt = createdAt(base, redis.call('LINDEX', base .. 'wait', -1)) end
  local prioritized = redis.call('ZCARD', base .. 'prioritized')
  local nextPrioritizedAt = false
  if prioritized > 0 then nextPrioritizedAt = createdAt(base, redis.call('ZRANGE', base .. 'prioritized', 0, 0)[1]) end
  local legacyPaused = redis.call('LLEN', base .. 'paused')
  local oldestLegacyPausedAt = false
  if legacyPaused > 0 then oldestLegacyPausedAt = createdAt(base, redis.call('LINDEX', base .. 'paused', -1)) end
  local active = redis.call('LLEN', base .. 'active')
  local activeSampled, activeWithoutLock, lockUntil = 0, 0, false
  if active > 0 and activeSample > 0 then activeSampled, activeWithoutLock, lockUntil = locks(base) end
  local delayed = redis.call('ZCARD', base .. 'delayed')
  local delayedDue, earliestDelayedDueAt = 0, false
  if delayed > 0 then
    delayedDue = redis.call('ZCOUNT', base .. 'delayed', '-inf', dueBound)
    local head = redis.call('ZRANGE', base .. 'delayed', 0, 0, 'WITHSCORES')
    if head[2] then earliestDelayedDueAt = math.floor(tonumber(head[2]) / 4096) end
  end
  local completed = redis.call('ZCARD', base .. 'completed')
  local failed = redis.call('ZCARD', base .. 'failed')
  local stalledCheckTtl = redis.call('PTTL', base .. 'stalled-check')
  -- Whether an events stream exists matters only for an empty queue (the stray signature).
  local lastEventId = last[1] and last[1][1] or false
  local hasEvents = 1
  if not lastEventId and waiting + prioritized + legacyPaused + active + delayed + completed + failed == 0 then hasEvents = redis.call('EXISTS', base .. 'events') end
  local pausedEventAt = false
  if paused == 1 and maxEvents > 0 then
    local entries = redis.call('XREVRANGE', base .. 'events', '+', '-', 'COUNT', maxEvents)
    for _, entry in ipairs(entries) do
      local fields = entry[2]
      for i = 1, #fields, 2 do
        if fields[i] == 'event' and fields[i + 1] == 'paused' then
          pausedEventAt = tonumber(string.match(entry[1], '^(%d+)'))
          break
        end
      end
      if pausedEventAt then break end
    end
  end
  local recheckAt = nextRecheck(activeSampled, activeWithoutLock, lockUntil, stalledCheckTtl)
  return {'ok', exists, paused, version, waiting, oldestWaitingAt, prioritized, nextPrioritizedAt, legacyPaused,
    oldestLegacyPausedAt, active, activeSampled, activeWithoutLock, delayed, delayedDue, earliestDelayedDueAt,
    completed, failed, stalledCheckTtl, pausedEventAt, hasEvents, lastEventId, recheckAt}
end

-- Nothing was added, moved or paused since the caller's full read: read only what time changes.
-- nil when the queue must be read in full: an event came, a collection was emptied or the stream
-- deleted without one (drain, obliterate), or meta lost its version.
local function same(base, after, bits)
  if #redis.call('XRANGE', base .. 'events', after, '+', 'COUNT', 1) > 0 then return nil end
  local present = redis.call('EXISTS', base .. 'wait', base .. 'paused', base .. 'prioritized', base .. 'delayed', base .. 'events')
  if present ~= math.floor(bits / PRESENT) then return nil end
  local meta = redis.call('HMGET', base .. 'meta', 'paused', 'version')
  local version = meta[2]
  if not version then return nil end
  local paused = meta[1] and 1 or 0
  local delayedDue = 0
  if has(bits, DUE) then delayedDue = redis.call('ZCOUNT', base .. 'delayed', '-inf', dueBound) end
  local rechecked = has(bits, RECHECK) and 1 or 0
  if rechecked == 0 then return {'same', paused, version, delayedDue, rechecked} end
  local activeSampled, activeWithoutLock, lockUntil = 0, 0, false
  if has(bits, HAD_ACTIVE) and activeSample > 0 then activeSampled, activeWithoutLock, lockUntil = locks(base) end
  local stalledCheckTtl = redis.call('PTTL', base .. 'stalled-check')
  local recheckAt = nextRecheck(activeSampled, activeWithoutLock, lockUntil, stalledCheckTtl)
  return {'same', paused, version, delayedDue, rechecked, activeSampled, activeWithoutLock, stalledCheckTtl, recheckAt}
end

local function figures(base, after, bits)
  if after ~= '' then
    local row = same(base, after, bits)
    if row then return row end
  end
  return read(base, remember and redis.call('XREVRANGE', base .. 'events', '+', '-', 'COUNT', 1) or {})
end

local expected = {meta = 'hash', wait = 'list', paused = 'list', prioritized = 'zset', active = 'list',
  delayed = 'zset', completed = 'zset', failed = 'zset', events = 'stream', ['stalled-check'] = 'string'}
local order = {'meta', 'wait', 'paused', 'prioritized', 'active', 'delayed', 'completed', 'failed', 'events', 'stalled-check'}

local function diagnose(base, err)
  local wrong = {}
  for _, suffix in ipairs(order) do
    local actual = redis.call('TYPE', base .. suffix)['ok']
    if actual ~= 'none' and actual ~= expected[suffix] then
      wrong[#wrong + 1] = suffix .. ' is a ' .. actual .. ' (expected a ' .. expected[suffix] .. ')'
    end
  end
  if #wrong > 0 then return table.concat(wrong, ', ') end
  if type(err) == 'table' then err = err.err end
  return tostring(err)
end

local out = {}
for i = HEADER_ARGS + 1, #ARGV, ARGS_PER_QUEUE do
  local prefix, name, after, bits = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local base = prefix .. ':' .. name .. ':'
  local ok, res = pcall(figures, base, after, bits)
  if ok then out[#out + 1] = res else out[#out + 1] = {'error', diagnose(base, res)} end
end
return out
