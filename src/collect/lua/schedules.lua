-- The watchdog's read of BullMQ job schedulers (and legacy repeatable jobs) for a chunk of queues,
-- sent in the same pipeline as queue-figures.lua: no extra round trip. It only reads.
--
-- `<prefix>:<queue>:repeat` is a sorted set, scheduler id -> next run (ms); `repeat:<id>` is the
-- scheduler's hash (no hash: a raw-key legacy entry of bullmq < 5.10; a hash without `ic`: a
-- legacy entry of bullmq >= 5.10). The next run is the job `repeat:<id>:<score>`. Never
-- Queue.getJobSchedulers(): it deletes schedulers whose hash is missing.
--
-- Cost per queue: one ZRANGE of `repeat` (the earliest MAX_SCHEDULERS next runs; an empty queue
-- stops there, a full one adds a ZCARD). The caller passes the digest of what it read last time:
-- when the entries (ids, next runs, count) hash the same, the row says 'same' and the caller keeps
-- the schedulers it read then (BullMQ moves a scheduler's score whenever it creates a run; the
-- caller passes '' to read everything when a remembered next run has come due, and every minute
-- for what BullMQ changes without moving a score). Otherwise, per scheduler, one HMGET of
-- the hash and, for the pending job, one HMGET and up to four ZSCOREs. Only when the caller asks
-- for history (every few minutes), the newest HISTORY completed jobs (one ZREVRANGE, one HMGET per
-- scheduled job among them).
--
-- ARGV: maxSchedulers, then per queue: prefix, name, digest ('' = read everything), history
-- (completed jobs to look at, 0 = none: the daemon reads each queue's in its own slot). Row per queue:
--   0                           no scheduler (most queues: no table built)
--   1                           the entries hash to the digest given, no history asked for
--   {'same', history}           the same, with the history asked for
--   {'ok', total, version, schedulers, history, digest}
--   {'error', text}
-- history is {} when not asked for. Field order of a scheduler and of a history entry:
-- SCHEDULER_FIELDS and HISTORY_FIELDS in src/collect/schedule-row.ts.

local MAX_SCHEDULERS = tonumber(ARGV[1])
local HEADER_ARGS = 1
local QUEUE_ARGS = 4

local MAX_TEXT = 200
local function clip(text)
  if type(text) == 'string' and #text > MAX_TEXT then return string.sub(text, 1, MAX_TEXT) .. '…' end
  return text
end

-- Where the job of the next run is: ZSCOREs are O(log n); `wait` and `active` are lists, so a
-- started-unfinished job is called active and any other present job waiting (no LPOS scan).
local function jobState(base, jobId)
  local f = redis.call('HMGET', base .. jobId, 'timestamp', 'processedOn', 'finishedOn')
  if not f[1] and not f[2] and not f[3] then return 'missing' end
  if redis.call('ZSCORE', base .. 'delayed', jobId) then return 'delayed' end
  if redis.call('ZSCORE', base .. 'prioritized', jobId) then return 'prioritized' end
  if f[3] then
    if redis.call('ZSCORE', base .. 'failed', jobId) then return 'failed' end
    return 'completed'
  end
  if f[2] then return 'active' end
  return 'waiting'
end

local function scheduler(base, id, score)
  local h = redis.call('HMGET', base .. 'repeat:' .. id, 'name', 'pattern', 'every', 'tz', 'limit', 'startDate',
    'endDate', 'offset', 'data', 'opts', 'ic')
  local hasHash = 0
  for i = 1, 11 do if h[i] then hasHash = 1 end end
  local jobId = 'repeat:' .. id .. ':' .. score
  -- data and opts are compared by digest (two schedulers doing the same work), shown clipped.
  local dataDigest = h[9] and redis.sha1hex(h[9]) or false
  local optsDigest = h[10] and redis.sha1hex(h[10]) or false
  return {clip(id), score, hasHash, clip(h[1] or false), clip(h[2] or false), h[3] or false, clip(h[4] or false),
    h[5] or false, h[6] or false, h[7] or false, h[8] or false, clip(h[9] or false), dataDigest, optsDigest,
    h[11] or false, jobState(base, jobId)}
end

local function history(base, count)
  local out = {}
  local ids = redis.call('ZREVRANGE', base .. 'completed', 0, count - 1)
  for _, id in ipairs(ids) do
    if string.sub(id, 1, 7) == 'repeat:' then
      local f = redis.call('HMGET', base .. id, 'name', 'rjk', 'processedOn', 'finishedOn', 'stc', 'ats', 'atm', 'pb')
      out[#out + 1] = {clip(id), clip(f[1] or false), clip(f[2] or false), f[3] or false, f[4] or false,
        f[5] or false, f[6] or false, f[7] or false, clip(f[8] or false)}
    end
  end
  return out
end

local function read(base, known, historyCount)
  local entries = redis.call('ZRANGE', base .. 'repeat', 0, MAX_SCHEDULERS - 1, 'WITHSCORES')
  if #entries == 0 then return 0 end
  local total = #entries / 2
  if total == MAX_SCHEDULERS then total = redis.call('ZCARD', base .. 'repeat') end
  local past = {}
  if historyCount > 0 then past = history(base, historyCount) end
  -- ids, next runs and the count: what BullMQ changes whenever it creates, moves or removes a run.
  local digest = redis.sha1hex(total .. '\n' .. table.concat(entries, '\n'))
  if digest == known then
    if historyCount > 0 then return {'same', past} end
    return 1
  end
  local version = clip(redis.call('HGET', base .. 'meta', 'version') or false)
  local rows = {}
  for i = 1, #entries, 2 do rows[#rows + 1] = scheduler(base, entries[i], entries[i + 1]) end
  return {'ok', total, version, rows, past, digest}
end

local out = {}
for i = HEADER_ARGS + 1, #ARGV, QUEUE_ARGS do
  local base = ARGV[i] .. ':' .. ARGV[i + 1] .. ':'
  local ok, res = pcall(read, base, ARGV[i + 2], tonumber(ARGV[i + 3]))
  if ok then out[#out + 1] = res else
    if type(res) == 'table' then res = res.err end
    out[#out + 1] = {'error', tostring(res)}
  end
end
return out
