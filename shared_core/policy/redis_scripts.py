"""The pacing arithmetic of ``limiter.py`` as Lua, one script per :class:`~.pacing_store.PacingStore`
operation, for the Redis store: each runs atomically in Redis (no other client's command runs
between its read and its write), so a fleet of processes shares one budget per deployment.

Line for line the functions of ``limiter.py`` (the same names, the same order of updates); the
constants come from there as arguments, and ``tests/test_redis_store.py`` runs random sequences of
operations through both and asserts the same states. Times are Redis's ``TIME`` (one clock for every
process), or ``ARGV[5]`` when the caller pins it (that comparison test).

A budget is a hash: its fields are :class:`~.limiter.Budget`'s, numbers written with 17
significant digits (a double survives the round trip), ``probe_sent`` empty for None. Each write
renews the key's expiry: ``ARGV[8]`` seconds past the later of now and the block.
"""

from __future__ import annotations

#: loads the budget and the shared arguments: 1 SAFETY, 2 BURST_SECONDS, 3 PROBE_SECONDS,
#: 4 PROBE_POLL, 5 now ('' = Redis TIME), 6 rpm, 7 tpm (declared; 0 = learned), 8 ttl; op's from 9
_PRELUDE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key = KEYS[1]
local SAFETY, BURST = tonumber(ARGV[1]), tonumber(ARGV[2])
local PROBE_SECONDS, PROBE_POLL = tonumber(ARGV[3]), tonumber(ARGV[4])
local now
if ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local lim_rpm, lim_tpm, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local raw = redis.call('HGETALL', key)
local stored = #raw > 0
local b = {blocked_until = 0, req_tat = 0, tok_tat = 0, rpm = 0, tpm = 0, usage_ratio = 1, answered = 0}
for i = 1, #raw, 2 do b[raw[i]] = tonumber(raw[i + 1]) end

local function fmt(x) return string.format('%.17g', x) end

local function save()
  local probe = ''
  if b.probe_sent ~= nil then probe = fmt(b.probe_sent) end
  redis.call('HSET', key, 'blocked_until', fmt(b.blocked_until), 'req_tat', fmt(b.req_tat),
    'tok_tat', fmt(b.tok_tat), 'rpm', fmt(b.rpm), 'tpm', fmt(b.tpm), 'usage_ratio', fmt(b.usage_ratio),
    'answered', b.answered, 'probe_sent', probe)
  redis.call('EXPIRE', key, math.ceil(ttl + math.max(0, b.blocked_until - now)))
end

local function rates()
  local rpm, tpm = lim_rpm, lim_tpm
  if rpm == 0 then rpm = b.rpm end
  if tpm == 0 then tpm = b.tpm end
  return rpm / 60.0 * SAFETY, tpm / 60.0 * SAFETY
end

local function earliest(tat, cost, rate)
  local capacity = math.max(1.0, rate * BURST)
  return math.max(tat, now) + (math.min(cost, capacity) - capacity) / rate
end

local function arg(i)
  if ARGV[i] == '' then return nil end
  return tonumber(ARGV[i])
end
"""

#: ARGV 9 tokens, 10 honour_block, 11 may_poll, 12 max_wait (-1: none), 13 may_leave,
#: 14 PROBE_EXPIRES, 15 LEAVE -> {wait, made}
RESERVE = (
    _PRELUDE
    + """
local tokens, honour, may_poll, max_wait = tonumber(ARGV[9]), ARGV[10] == '1', ARGV[11] == '1', tonumber(ARGV[12])
local may_leave, PROBE_EXPIRES = ARGV[13] == '1', tonumber(ARGV[14])
if b.answered == 0 and lim_rpm == 0 and lim_tpm == 0 then
  if b.probe_sent == nil then
    if may_poll then
      b.probe_sent = now
      save()
      return {'0', 1}
    end
  elseif may_poll and now - b.probe_sent < PROBE_SECONDS then
    return {fmt(PROBE_POLL), 0}
  elseif may_leave then
    if now - b.probe_sent < PROBE_EXPIRES then return {ARGV[15], 0} end
    b.probe_sent = now
    save()
    return {'0', 1}
  end
end
local r_rate, t_rate = rates()
local at = now
if honour then at = math.max(now, b.blocked_until) end
if r_rate > 0 then at = math.max(at, earliest(b.req_tat, 1.0, r_rate)) end
if t_rate > 0 and tokens > 0 then
  at = math.max(at, earliest(b.tok_tat, tokens * math.max(1.0, b.usage_ratio), t_rate))
end
if max_wait >= 0 and at - now > max_wait then return {'0', 0} end
if r_rate > 0 then b.req_tat = math.max(b.req_tat, at) + 1.0 / r_rate end
if t_rate > 0 and tokens > 0 then b.tok_tat = math.max(b.tok_tat, at) + tokens * b.usage_ratio / t_rate end
save()
return {fmt(math.max(0, at - now)), 1}
"""
)

#: ARGV 9 tokens
RELEASE = (
    _PRELUDE
    + """
if not stored then return 0 end
local tokens = tonumber(ARGV[9])
local probe = nil
if b.answered == 1 then probe = b.probe_sent end
local r_rate, t_rate = rates()
if t_rate > 0 then b.tok_tat = b.tok_tat - tokens * b.usage_ratio / t_rate end
if r_rate > 0 then b.req_tat = b.req_tat - 1.0 / r_rate end
b.probe_sent = probe
save()
return 1
"""
)

#: ARGV 9 estimated, 10 used
SETTLE = (
    _PRELUDE
    + """
if not stored then return 0 end
local estimated, used = tonumber(ARGV[9]), tonumber(ARGV[10])
local _, t_rate = rates()
if t_rate <= 0 or estimated <= 0 then return 0 end
local ratio = b.usage_ratio
b.tok_tat = b.tok_tat + (used - estimated * ratio) / t_rate
b.usage_ratio = math.min(4.0, math.max(0.05, 0.8 * ratio + 0.2 * used / estimated))
save()
return 1
"""
)

#: ARGV 9 seconds from now the block lasts (the caller's ``until - now``: its clock never meets ours)
BLOCK = (
    _PRELUDE
    + """
local till = now + tonumber(ARGV[9])
local r_rate, t_rate = rates()
if r_rate > 0 then b.req_tat = math.max(b.req_tat, till + math.max(1.0, r_rate * BURST) / r_rate) end
if t_rate > 0 then b.tok_tat = math.max(b.tok_tat, till + math.max(1.0, t_rate * BURST) / t_rate) end
b.blocked_until = math.max(b.blocked_until, till)
b.answered = 1
b.probe_sent = nil
save()
return 1
"""
)

#: ARGV 9..16 the Seen: limit_requests, limit_tokens, remaining_requests, remaining_tokens,
#: reset_requests, reset_tokens, period_requests, period_tokens ('' = not said)
OBSERVE = (
    _PRELUDE
    + """
local lr, lt, rr, rt = arg(9), arg(10), arg(11), arg(12)
local resr, rest, pr, pt = arg(13), arg(14), arg(15), arg(16)
if pr == nil or pr == 0 then pr = 60.0 end
if pt == nil or pt == 0 then pt = 60.0 end
if lr ~= nil and lr > 0 then b.rpm = lr * 60.0 / pr end
if lt ~= nil and lt > 0 then b.tpm = lt * 60.0 / pt end
b.answered = 1
b.probe_sent = nil
local empty = true
for i = 9, 16 do if ARGV[i] ~= '' then empty = false end end
if empty then save() return 1 end
local r_rate, t_rate = rates()
if rr ~= nil then
  if r_rate > 0 then
    local capacity = math.max(1.0, r_rate * BURST)
    local left = math.min(capacity, math.max(0.0, rr))
    b.req_tat = math.max(b.req_tat, now + (capacity - left) / r_rate)
  elseif rr <= 0 and resr ~= nil and resr ~= 0 then
    b.blocked_until = math.max(b.blocked_until, now + resr)
  end
end
if rt ~= nil then
  if t_rate > 0 then
    local capacity = math.max(1.0, t_rate * BURST)
    local left = math.min(capacity, math.max(0.0, rt))
    b.tok_tat = math.max(b.tok_tat, now + (capacity - left) / t_rate)
  elseif rt <= 0 and rest ~= nil and rest ~= 0 then
    b.blocked_until = math.max(b.blocked_until, now + rest)
  end
end
save()
return 1
"""
)

__all__ = ["BLOCK", "OBSERVE", "RELEASE", "RESERVE", "SETTLE"]
