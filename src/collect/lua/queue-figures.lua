-- The watchdog's collection script: every figure the checks need for a chunk of queues in one
-- server-side call: O(1)/O(log n) commands per queue, a bounded look at the head of `active`, a
-- bounded look at the oldest flow parent's children, and the events stream only for paused queues
-- and for pending work with no recent finish in the completed and failed sets. It only reads. Garbage (a `meta` that is a string, ...)
-- is caught per queue with pcall and diagnosed with TYPE, so one broken queue never fails the chunk.
--
-- Incremental reads: nearly every BullMQ state change (add, promote, move to active, complete,
-- fail, pause, resume, stall, remove) appends to the queue's `events` stream. When the caller
-- passes the id just after the stream's last id at an earlier full read, and no entry has come
-- since, and the same lists and sets exist as then (a `drain()` empties them without an event, an
-- `obliterate()` deletes the stream), and meta still holds a version, only what changes with time
-- alone is read again: meta (which must still say what the caller remembers of it: `meta`, the
-- metaSig of its full read; a version, a global concurrency or a rate limit set without an event
-- means a full read), and of the rest only what can have changed by now: the count of delayed jobs
-- due (once the first job that was not due at the last read is due: `dueAt`), the locks (once the
-- first of them may have expired, or when one was missing) and the stall checker's key (once it
-- may have expired, or while it is missing), each only when its own time came. The answer is as
-- small as it can be: UNCHANGED (one integer, not a row) when nothing was read again, else a
-- 'same' row whose parts not read again are false, which the caller merges with its memory.
-- What makes each of those skips safe (BullMQ 6.7's scripts): every write to `delayed` appends
-- to the queue's stream (addDelayedJob 'delayed', moveToDelayed 'delayed', changeDelay 'delayed',
-- promote and promoteDelayedJobs 'waiting', moveJobsToWait 'waiting', removeJob and the replace of
-- a deduplicated job 'removed', removeJobScheduler 'removed', cleanJobsInSet 'cleaned', a
-- scheduler's next job 'added' and 'delayed' where addJobScheduler removes the previous one),
-- except drain and obliterate, caught by the EXISTS, and a few that every other count of `delayed`
-- misses as well until the next full read (a drain that keeps a job scheduler's next job leaves
-- the set in place; removeJob of an id whose job hash is gone announces nothing); so between events the due count changes only when a job
-- falls due, and the first to fall due is the first not due at the last read. A lock is set
-- with its job's move to active (prepareJobForProcessing, 'active' event) and only renewed while
-- it exists (extendLock: GET == token); the stall checker's key is set only by
-- moveStalledJobsToWait, only when absent, with PX: present, it lasts exactly until its remembered
-- expiry; absent, it may appear at any time without an event, so it is read every poll then. The
-- locks and that key are independent: one being due never makes the other read. Anything else
-- is a full read. The rate
-- limiter's expiry is returned as a time, so its end needs no read; a new manual limit or a child
-- failing in another queue (which announces nothing in this queue's stream) shows at the next full
-- read, within FULL_READ_EVERY_MS (queue-memo.ts).
--
-- ARGV and the rows it returns are defined in src/collect/queue-row.ts (the per-queue arguments are
-- built by queueArgs in queue-memo.ts). ARGV is the header, then one string holding every queue's
-- arguments, each as `<length in bytes>:<bytes>` (a prefix and a name may hold any byte, so no
-- separator could be safe; one string per chunk, not one per argument, is what the caller
-- allocates): the queue's key base, its bits, and its memo's parts in one field, split by one
-- string.match (newlines: a stream id and a time hold none, and the signature, last, may hold any). test/unit/queue-row.test.ts reads this file and fails when the two disagree: the
-- header's locals and HEADER_ARGS, the per-queue fields in order, the bit constants, and the values
-- returned in the 'ok' and 'same' rows and the short answer, which are locals named exactly like
-- the fields there (keep them plain names).
-- Delayed scores are dueMs * 0x1000 + n (BullMQ getDelayedScore.lua); prioritized scores are
-- priority * 0x100000000 + counter (getPriorityScore.lua), so a band of one priority is a score range.
-- FIFO jobs are LPUSHed and LIFO jobs RPUSHed to `wait`; workers RPOPLPUSH from its tail (index -1)
-- into the head of `active`, so the longest-running active job is at the tail of `active` too.

local HEADER_ARGS = 3
-- A queue's `bits` argument (QUEUE_BITS): flags, plus PRESENT × how many collections existed.
local LOCKS, STALLED, PRESENT = 1, 2, 4
-- The answer for an unchanged queue when nothing was read again (SAME_UNCHANGED).
local UNCHANGED = 0
-- Children of the oldest flow parent looked at for a failure; events-stream entries searched for
-- the last finish (in pages); a finish in the sets this recent needs no look at the stream (ms).
local CHILD_SAMPLE, FINISH_EVENTS, RECENT_FINISH = 20, 200, 15000
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

-- What the checks see of meta, as one string: a 'same' answer needs the caller's copy to equal it.
-- Numbers to 17 significant digits (exact for any double), the version last (so any text fits);
-- false without a version (such a queue is always read in full). A version clipped inside a UTF-8
-- character does not come back from the caller byte for byte: that queue is read in full each poll.
local function num(n)
  if n then return string.format('%.17g', n) end
  return ''
end
local function signature(paused, version, globalConcurrency, rateLimitMax, rateLimitDuration)
  if not version then return false end
  return paused .. ',' .. num(globalConcurrency) .. ',' .. num(rateLimitMax) .. ',' .. num(rateLimitDuration) .. ',' .. version
end

-- Strings read from Redis are bounded: a 10 MB `meta.version` written by mistake (or on purpose)
-- must not travel to the watchdog, into /status and into every alert, every poll.
local MAX_TEXT = 200
local function clip(text)
  if type(text) == 'string' and #text > MAX_TEXT then return string.sub(text, 1, MAX_TEXT) .. '…' end
  return text
end

-- Three times of a job: when it entered its list, near enough (created + delay, or its last
-- processing start: a promoted delayed job or a retried one is not "old" the moment it becomes
-- waiting), when it was queued at all (created + delay: a job put back by every attempt, e.g. by
-- a rate limit, has waited since then however often it was started), and its last start.
local function jobTimes(base, id)
  if not id then return false, false, false end
  local ok, f = pcall(redis.call, 'HMGET', base .. id, 'timestamp', 'delay', 'processedOn')
  if not ok then return false, false, false end
  local ts = tonumber(f[1])
  if not ts or ts ~= ts or ts == math.huge or ts == -math.huge then return false, false, false end
  local queued = ts + (tonumber(f[2]) or 0)
  local since = queued
  local processed = tonumber(f[3])
  if processed and (processed ~= processed or processed == math.huge) then processed = nil end
  if processed and processed > since then since = processed end
  return math.floor(since), math.floor(queued), processed and math.floor(processed) or false
end

local function createdAt(base, id)
  return (jobTimes(base, id))
end

-- The earlier of two optional times.
local function earliest(a, b)
  if not a then return b end
  if not b then return a end
  return math.min(a, b)
end

-- The later of two optional times.
local function latest(a, b)
  if not a then return b end
  if not b then return a end
  return math.max(a, b)
end

-- The locks of the sampled active jobs (the newest, at the head): how many are gone, when the first
-- present one expires, and whether the longest-running job (the tail, read apart when the sample
-- does not reach it) still holds its lock; and that job's id.
local function locks(base)
  local ids = redis.call('LRANGE', base .. 'active', 0, activeSample - 1)
  local noLock, untilMs, tailTtl, tail = 0, false, -2, ids[#ids] or false
  local function lock(id)
    local ttl = redis.call('PTTL', base .. id .. ':lock')
    if ttl >= 0 and (not untilMs or nowMs + ttl < untilMs) then untilMs = nowMs + ttl end
    return ttl
  end
  for _, id in ipairs(ids) do
    tailTtl = lock(id)
    if tailTtl == -2 then noLock = noLock + 1 end
  end
  if #ids == activeSample then
    tail = redis.call('LINDEX', base .. 'active', -1)
    if tail and tail ~= ids[#ids] then tailTtl = lock(tail) end
  end
  return #ids, noLock, untilMs, tailTtl ~= -2 and #ids > 0 and 1 or 0, tail
end

-- The newest 'completed' or 'failed' entry of the events stream (its time), searched back from
-- the newest entry in pages, FINISH_EVENTS entries at most: with removeOnComplete / removeOnFail
-- the sets keep nothing, and the stream is where a finish is still written.
local function finishEvent(base)
  local from, seen, page = '+', 0, 25
  while seen < FINISH_EVENTS do
    local entries = redis.call('XREVRANGE', base .. 'events', from, '-', 'COUNT', page)
    for _, entry in ipairs(entries) do
      local fields = entry[2]
      if fields[1] == 'event' and (fields[2] == 'completed' or fields[2] == 'failed') then
        return tonumber(string.match(entry[1], '^(%d+)'))
      end
    end
    seen = seen + #entries
    if #entries < page then return false end
    -- The id just before the last one seen (XREVRANGE's end is inclusive; '(' needs Redis 6.2).
    local ms, seq = string.match(entries[#entries][1], '^(%d+)-(%d+)$')
    if not ms then return false end
    if seq ~= '0' then from = ms .. '-' .. string.format('%.0f', tonumber(seq) - 1)
    elseif ms ~= '0' then from = string.format('%.0f', tonumber(ms) - 1) .. '-18446744073709551615'
    else return false end
    page = page * 2
  end
  return false
end

-- The oldest flow parent in `waiting-children` and the first of (at most CHILD_SAMPLE of) its
-- children found in its queue's `failed` set: without failParentOnFailure (BullMQ's default) a
-- failed child stays a dependency, and the parent waits for it forever.
local function blockedParent(base)
  local head = redis.call('ZRANGE', base .. 'waiting-children', 0, 0, 'WITHSCORES')
  if not head[1] then return false, false, false, false end
  local id, at = head[1], math.floor(tonumber(head[2]) or 0)
  local ok, page = pcall(redis.call, 'SSCAN', base .. id .. ':dependencies', 0, 'COUNT', CHILD_SAMPLE)
  if not ok then return id, at, false, false end
  for i, child in ipairs(page[2]) do
    if i > CHILD_SAMPLE then break end
    -- A job key is <prefix>:<queue>:<id>, and a job id has no ':'.
    local queue, childId = string.match(child, '^(.*):([^:]+)$')
    if queue then
      local found, score = pcall(redis.call, 'ZSCORE', queue .. ':failed', childId)
      if found and score then return id, at, child, math.floor(tonumber(score) or 0) end
    end
  end
  return id, at, false, false
end

-- When the locks must be read again: when the first of them may have expired; at once when one is
-- missing or never expires. false: not by time (no active job sampled; a job becomes active with
-- an 'active' event).
local function locksRecheck(sampled, noLock, lockUntil)
  if sampled == 0 then return false end
  if noLock > 0 or not lockUntil then return nowMs end
  return lockUntil
end

-- When the stall checker's key must be read again: when it may have expired; at once when it is
-- missing or never expires (it may appear, or vanish, unannounced).
local function stalledRecheck(stalledTtl)
  if stalledTtl < 0 then return nowMs end
  return nowMs + stalledTtl
end

-- The count of delayed jobs due now, and when the first job not yet due falls due (false: none).
local function dueNow(base)
  local due = redis.call('ZCOUNT', base .. 'delayed', '-inf', dueBound)
  local nextJob = redis.call('ZRANGE', base .. 'delayed', due, due, 'WITHSCORES')
  return due, nextJob[2] and math.floor(tonumber(nextJob[2]) / 4096) or false
end

local function read(base, last)
  -- Only O(1)/O(log n) calls, and the head lookups only where the collection is not empty.
  local meta = redis.call('HMGET', base .. 'meta', 'paused', 'version', 'opts.maxLenEvents', 'concurrency', 'max', 'duration')
  local exists = (meta[1] or meta[2] or meta[3]) and 1 or redis.call('EXISTS', base .. 'meta')
  local paused = meta[1] and 1 or 0
  local version = clip(meta[2] or false)
  local globalConcurrency, rateLimitMax, rateLimitDuration = tonumber(meta[4]) or false, tonumber(meta[5]) or false, tonumber(meta[6]) or false
  local waiting = redis.call('LLEN', base .. 'wait')
  local oldestWaitingAt, nextWaitingAt, queuedSince, nextStartedAt = false, false, false, false
  if waiting > 0 then
    nextWaitingAt, queuedSince, nextStartedAt = jobTimes(base, redis.call('LINDEX', base .. 'wait', -1))
    oldestWaitingAt = nextWaitingAt
    -- The other end: the oldest FIFO job is at the tail, the oldest LIFO job at the head.
    if waiting > 1 then
      local farAt, farQueued = jobTimes(base, redis.call('LINDEX', base .. 'wait', 0))
      oldestWaitingAt, queuedSince = earliest(oldestWaitingAt, farAt), earliest(queuedSince, farQueued)
    end
  end
  local prioritized = redis.call('ZCARD', base .. 'prioritized')
  local nextPrioritizedAt, oldestPrioritizedAt, lowestPriority = false, false, false
  if prioritized > 0 then
    local head = redis.call('ZRANGE', base .. 'prioritized', 0, 0, 'WITHSCORES')
    local headQueued, headStarted
    nextPrioritizedAt, headQueued, headStarted = jobTimes(base, head[1])
    oldestPrioritizedAt, queuedSince = nextPrioritizedAt, earliest(queuedSince, headQueued)
    -- Workers take from wait first: the prioritized head is next only when wait is empty.
    if waiting == 0 then nextStartedAt = headStarted end
    -- The first job of the lowest-priority band: the one a stream of higher priorities starves.
    if prioritized > 1 then
      local tail = redis.call('ZRANGE', base .. 'prioritized', -1, -1, 'WITHSCORES')
      local band = math.floor((tonumber(tail[2]) or 0) / 0x100000000)
      if band > math.floor((tonumber(head[2]) or 0) / 0x100000000) then
        lowestPriority = band
        local first = redis.call('ZRANGEBYSCORE', base .. 'prioritized', string.format('%.0f', band * 0x100000000), '+inf', 'LIMIT', 0, 1)
        local bandAt, bandQueued = jobTimes(base, first[1])
        oldestPrioritizedAt, queuedSince = earliest(oldestPrioritizedAt, bandAt), earliest(queuedSince, bandQueued)
      end
    end
  end
  local legacyPaused = redis.call('LLEN', base .. 'paused')
  local oldestLegacyPausedAt = false
  if legacyPaused > 0 then oldestLegacyPausedAt = createdAt(base, redis.call('LINDEX', base .. 'paused', -1)) end
  local active = redis.call('LLEN', base .. 'active')
  local activeSampled, activeWithoutLock, lockUntil, longestActiveLocked, longestActiveId = 0, 0, false, 0, false
  if active > 0 and activeSample > 0 then
    activeSampled, activeWithoutLock, lockUntil, longestActiveLocked, longestActiveId = locks(base)
  end
  local longestActiveSince = false
  if active > 0 then
    if activeSample == 0 then longestActiveId = redis.call('LINDEX', base .. 'active', -1) end
    if longestActiveId then
      local okStart, started = pcall(redis.call, 'HGET', base .. longestActiveId, 'processedOn')
      longestActiveSince = okStart and tonumber(started) and math.floor(tonumber(started)) or false
    end
  end
  local delayed = redis.call('ZCARD', base .. 'delayed')
  local delayedDue, earliestDelayedDueAt, nextDueAt = 0, false, false
  if delayed > 0 then
    local head = redis.call('ZRANGE', base .. 'delayed', 0, 0, 'WITHSCORES')
    if head[2] then earliestDelayedDueAt = math.floor(tonumber(head[2]) / 4096) end
    -- Nothing due while the earliest is not (then it is the next to fall due); else count them.
    if earliestDelayedDueAt and earliestDelayedDueAt > nowMs then nextDueAt = earliestDelayedDueAt
    else delayedDue, nextDueAt = dueNow(base) end
  end
  local completed = redis.call('ZCARD', base .. 'completed')
  local failed = redis.call('ZCARD', base .. 'failed')
  -- A finished job's score in completed/failed is its finish time. A recent completion is enough
  -- (for worker evidence and for progress): then failed is not looked at.
  local lastFinishedAt = false
  local function recent() return lastFinishedAt and lastFinishedAt >= nowMs - RECENT_FINISH end
  if completed > 0 then lastFinishedAt = tonumber(redis.call('ZRANGE', base .. 'completed', -1, -1, 'WITHSCORES')[2]) or false end
  if failed > 0 and not recent() then lastFinishedAt = latest(lastFinishedAt, tonumber(redis.call('ZRANGE', base .. 'failed', -1, -1, 'WITHSCORES')[2]) or false) end
  local pending = waiting + prioritized + delayedDue
  if pending > 0 and not recent() then lastFinishedAt = latest(lastFinishedAt, finishEvent(base)) end
  if lastFinishedAt then lastFinishedAt = math.floor(lastFinishedAt) end
  -- The rate limiter matters only to work that waits: its end as a time, and its count (a manual
  -- limit, queue.rateLimit(), sets it to Number.MAX_SAFE_INTEGER).
  local limiterUntil, limiterCount = false, false
  if pending > 0 then
    local ttl = redis.call('PTTL', base .. 'limiter')
    if ttl > 0 then
      limiterUntil = nowMs + ttl
      local okCount, count = pcall(redis.call, 'GET', base .. 'limiter')
      limiterCount = okCount and tonumber(count) or false
    end
  end
  local waitingChildren = redis.call('ZCARD', base .. 'waiting-children')
  local oldestParentId, oldestParentAt, failedChild, childFailedAt = false, false, false, false
  if waitingChildren > 0 then oldestParentId, oldestParentAt, failedChild, childFailedAt = blockedParent(base) end
  oldestParentId, failedChild = clip(oldestParentId), clip(failedChild)
  local stalledCheckTtl = redis.call('PTTL', base .. 'stalled-check')
  local stalledCheckUntil = false
  if stalledCheckTtl ~= -2 then stalledCheckUntil = nowMs + math.max(stalledCheckTtl, 0) end
  -- Whether an events stream exists matters only for an empty queue (the stray signature).
  local lastEventId = last[1] and last[1][1] or false
  local hasEvents = 1
  if not lastEventId and waiting + prioritized + legacyPaused + active + delayed + completed + failed + waitingChildren == 0 then hasEvents = redis.call('EXISTS', base .. 'events') end
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
  local locksRecheckAt = locksRecheck(activeSampled, activeWithoutLock, lockUntil)
  local stalledRecheckAt = stalledRecheck(stalledCheckTtl)
  longestActiveId = clip(longestActiveId)
  local metaSig = signature(paused, version, globalConcurrency, rateLimitMax, rateLimitDuration)
  return {'ok', exists, paused, version, globalConcurrency, rateLimitMax, rateLimitDuration, waiting, oldestWaitingAt,
    nextWaitingAt, nextStartedAt, prioritized, nextPrioritizedAt, oldestPrioritizedAt, lowestPriority, queuedSince, legacyPaused,
    oldestLegacyPausedAt, active, activeSampled, activeWithoutLock, longestActiveId, longestActiveSince,
    longestActiveLocked, delayed, delayedDue, earliestDelayedDueAt, completed, failed, lastFinishedAt, limiterUntil,
    limiterCount, waitingChildren, oldestParentId, oldestParentAt, failedChild, childFailedAt, stalledCheckTtl,
    stalledCheckUntil, pausedEventAt, hasEvents, lastEventId, nextDueAt, locksRecheckAt, stalledRecheckAt, metaSig}
end

-- Nothing was added, moved or paused since the caller's full read: read only what time changes.
-- nil when the queue must be read in full: an event came, a collection was emptied or the stream
-- deleted without one (drain, obliterate), or meta is not what the caller remembers (`known`, the
-- metaSig of its full read: lost its version, or changed without an event). `dueAt`: when the
-- first delayed job not due at the last read falls due ('' = none), on this script's clock.
local function same(base, after, bits, known, dueAt)
  if #redis.call('XRANGE', base .. 'events', after, '+', 'COUNT', 1) > 0 then return nil end
  local present = redis.call('EXISTS', base .. 'wait', base .. 'paused', base .. 'prioritized', base .. 'delayed', base .. 'events')
  if present ~= math.floor(bits / PRESENT) then return nil end
  local meta = redis.call('HMGET', base .. 'meta', 'paused', 'version', 'concurrency', 'max', 'duration')
  local version = clip(meta[2])
  if not version then return nil end
  local paused = meta[1] and 1 or 0
  local globalConcurrency, rateLimitMax, rateLimitDuration = tonumber(meta[3]) or false, tonumber(meta[4]) or false, tonumber(meta[5]) or false
  if signature(paused, version, globalConcurrency, rateLimitMax, rateLimitDuration) ~= known then return nil end
  -- Each part only once its own time came (false: not read, the caller keeps what it remembers).
  local delayedDue, nextDueAt = false, false
  local dueBy = tonumber(dueAt)
  if dueBy and dueBy <= nowMs then delayedDue, nextDueAt = dueNow(base) end
  local activeSampled, activeWithoutLock, longestActiveLocked, locksRecheckAt = false, false, false, false
  if has(bits, LOCKS) and activeSample > 0 then
    local lockUntil
    activeSampled, activeWithoutLock, lockUntil, longestActiveLocked = locks(base)
    locksRecheckAt = locksRecheck(activeSampled, activeWithoutLock, lockUntil)
  end
  local stalledCheckTtl, stalledCheckUntil, stalledRecheckAt = false, false, false
  if has(bits, STALLED) then
    stalledCheckTtl = redis.call('PTTL', base .. 'stalled-check')
    if stalledCheckTtl ~= -2 then stalledCheckUntil = nowMs + math.max(stalledCheckTtl, 0) end
    stalledRecheckAt = stalledRecheck(stalledCheckTtl)
  end
  -- Nothing read again: one integer is the whole answer.
  if not (delayedDue or activeSampled or stalledCheckTtl) then return UNCHANGED end
  return {'same', delayedDue, nextDueAt, activeSampled, activeWithoutLock, longestActiveLocked, locksRecheckAt,
    stalledCheckTtl, stalledCheckUntil, stalledRecheckAt}
end

local function figures(base, bits, memo)
  if memo ~= '' then
    local after, dueAt, meta = string.match(memo, '^([^\n]*)\n([^\n]*)\n(.*)$')
    local row = after and same(base, after, bits, meta, dueAt)
    if row then return row end
  end
  return read(base, remember and redis.call('XREVRANGE', base .. 'events', '+', '-', 'COUNT', 1) or {})
end

local expected = {meta = 'hash', wait = 'list', paused = 'list', prioritized = 'zset', active = 'list',
  delayed = 'zset', completed = 'zset', failed = 'zset', events = 'stream', ['stalled-check'] = 'string',
  ['waiting-children'] = 'zset', limiter = 'string'}
local order = {'meta', 'wait', 'paused', 'prioritized', 'active', 'delayed', 'completed', 'failed', 'events',
  'stalled-check', 'waiting-children', 'limiter'}

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

-- One field of the packed queue arguments, starting at `at`: `<length in bytes>:<bytes>`. Returns
-- the field and where the next one starts.
local function field(packed, at)
  local colon = string.find(packed, ':', at, true)
  local length = tonumber(string.sub(packed, at, colon - 1))
  return string.sub(packed, colon + 1, colon + length), colon + length + 1
end

local out = {}
local packed, at = ARGV[HEADER_ARGS + 1] or '', 1
while at <= #packed do
  local base, bits, memo
  base, at = field(packed, at)
  bits, at = field(packed, at)
  memo, at = field(packed, at)
  local ok, res = pcall(figures, base, tonumber(bits), memo)
  if ok then out[#out + 1] = res else out[#out + 1] = {'error', diagnose(base, res)} end
end
return out
