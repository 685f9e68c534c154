import type { QueueFigures, QueueReading, QueueRef } from './snapshot.ts';

/**
 * Reads every figure the checks need for a chunk of queues in one server-side
 * call: O(1)/O(log n) commands per queue, a bounded look at the head of
 * `active`, and the events stream only for paused queues. It only reads.
 * Garbage (a `meta` that is a string, ...) is caught per queue with pcall and
 * diagnosed with TYPE, so one broken queue never fails the chunk.
 *
 * ARGV: activeSample, maxEvents, then prefix, name pairs.
 * Delayed scores are dueMs * 0x1000 + n (BullMQ getDelayedScore.lua).
 */
export const QUEUE_FIGURES_LUA = `
local sample = tonumber(ARGV[1])
local maxEvents = tonumber(ARGV[2])
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dueBound = '(' .. string.format('%.0f', (nowMs + 1) * 4096)

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

local function read(base)
  -- Only O(1)/O(log n) calls, and the head lookups only where the collection is not empty.
  local meta = redis.call('HMGET', base .. 'meta', 'paused', 'version', 'opts.maxLenEvents')
  local exists = (meta[1] or meta[2] or meta[3]) and 1 or redis.call('EXISTS', base .. 'meta')
  local paused = meta[1] and 1 or 0
  local waitLen = redis.call('LLEN', base .. 'wait')
  local waitTs = false
  if waitLen > 0 then waitTs = createdAt(base, redis.call('LINDEX', base .. 'wait', -1)) end
  local prioLen = redis.call('ZCARD', base .. 'prioritized')
  local prioTs = false
  if prioLen > 0 then prioTs = createdAt(base, redis.call('ZRANGE', base .. 'prioritized', 0, 0)[1]) end
  local legacyLen = redis.call('LLEN', base .. 'paused')
  local legacyTs = false
  if legacyLen > 0 then legacyTs = createdAt(base, redis.call('LINDEX', base .. 'paused', -1)) end
  local activeLen = redis.call('LLEN', base .. 'active')
  local sampled, noLock = 0, 0
  if activeLen > 0 and sample > 0 then
    local ids = redis.call('LRANGE', base .. 'active', 0, sample - 1)
    sampled = #ids
    for _, id in ipairs(ids) do
      if redis.call('EXISTS', base .. id .. ':lock') == 0 then noLock = noLock + 1 end
    end
  end
  local delayedLen = redis.call('ZCARD', base .. 'delayed')
  local delayedDue, earliestDue = 0, false
  if delayedLen > 0 then
    delayedDue = redis.call('ZCOUNT', base .. 'delayed', '-inf', dueBound)
    local head = redis.call('ZRANGE', base .. 'delayed', 0, 0, 'WITHSCORES')
    if head[2] then earliestDue = math.floor(tonumber(head[2]) / 4096) end
  end
  local completed = redis.call('ZCARD', base .. 'completed')
  local failed = redis.call('ZCARD', base .. 'failed')
  local stalledTtl = redis.call('PTTL', base .. 'stalled-check')
  -- Whether an events stream exists matters only for an empty queue (the stray signature).
  local hasEvents = 1
  if waitLen + prioLen + legacyLen + activeLen + delayedLen + completed + failed == 0 then hasEvents = redis.call('EXISTS', base .. 'events') end
  local pausedAt = false
  if paused == 1 and maxEvents > 0 then
    local entries = redis.call('XREVRANGE', base .. 'events', '+', '-', 'COUNT', maxEvents)
    for _, entry in ipairs(entries) do
      local fields = entry[2]
      for i = 1, #fields, 2 do
        if fields[i] == 'event' and fields[i + 1] == 'paused' then
          pausedAt = tonumber(string.match(entry[1], '^(%d+)'))
          break
        end
      end
      if pausedAt then break end
    end
  end
  return {'ok', exists, paused, meta[2] or false, waitLen, waitTs, prioLen, prioTs, legacyLen, legacyTs,
    activeLen, sampled, noLock, delayedLen, delayedDue, earliestDue, completed, failed, stalledTtl, pausedAt,
    hasEvents}
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
for i = 3, #ARGV, 2 do
  local base = ARGV[i] .. ':' .. ARGV[i + 1] .. ':'
  local ok, res = pcall(read, base)
  if ok then out[#out + 1] = res else out[#out + 1] = {'error', diagnose(base, res)} end
end
return out
`;

/** Figures in the order the script returns them, after the leading 'ok'. */
const FIELDS = [
  'exists', 'paused', 'version', 'waiting', 'oldestWaitingAt', 'prioritized', 'nextPrioritizedAt',
  'legacyPaused', 'oldestLegacyPausedAt', 'active', 'activeSampled', 'activeWithoutLock', 'delayed',
  'delayedDue', 'earliestDelayedDueAt', 'completed', 'failed', 'stalledCheckTtl', 'pausedEventAt', 'hasEvents',
] as const;

/** Turns one script row into a reading; anything malformed becomes a problem, never a throw. */
export function parseQueueRow(ref: QueueRef, row: unknown, workers: number | null): QueueReading {
  if (!Array.isArray(row) || row.length === 0) return { ref, ok: false, problem: 'unexpected reply from the collection script' };
  if (row[0] === 'error') return { ref, ok: false, problem: String(row[1]) };
  const value = (name: (typeof FIELDS)[number]): unknown => row[FIELDS.indexOf(name) + 1];
  const count = (name: (typeof FIELDS)[number]): number => Number(value(name) ?? 0);
  const time = (name: (typeof FIELDS)[number]): number | null => {
    const raw = value(name);
    return raw === null || raw === undefined ? null : Number(raw);
  };
  const ttl = count('stalledCheckTtl');
  const figures: QueueFigures = {
    metaType: count('exists') === 1 ? 'hash' : 'none',
    paused: count('paused') === 1,
    version: typeof value('version') === 'string' ? (value('version') as string) : null,
    waiting: count('waiting'),
    oldestWaitingAt: time('oldestWaitingAt'),
    prioritized: count('prioritized'),
    nextPrioritizedAt: time('nextPrioritizedAt'),
    legacyPaused: count('legacyPaused'),
    oldestLegacyPausedAt: time('oldestLegacyPausedAt'),
    active: count('active'),
    activeSampled: count('activeSampled'),
    activeWithoutLock: count('activeWithoutLock'),
    delayed: count('delayed'),
    delayedDue: count('delayedDue'),
    earliestDelayedDueAt: time('earliestDelayedDueAt'),
    completed: count('completed'),
    failed: count('failed'),
    // PTTL: -2 = no key, -1 = key without expiry (treated as present).
    stalledCheckTtlMs: ttl === -2 ? null : Math.max(ttl, 0),
    pausedEventAt: time('pausedEventAt'),
    workers,
    hasEvents: count('hasEvents') === 1,
  };
  return { ref, ok: true, figures };
}
