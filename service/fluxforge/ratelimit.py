"""Rate limits per tenant and per API key, kept in Redis so that every process shares them.

GCRA (the generic cell rate algorithm) stores one number per key, the theoretical arrival
time (TAT), instead of a counter per window: limits are smooth (no double burst at a window
edge), and the whole decision is one Lua script, so it is atomic across processes and costs
one round trip (~0.2 ms on our 2-core machines). The script reads the clock with `TIME`, so processes on
hosts with skewed clocks still agree. Keys expire when the bucket is full again, so idle
keys vanish on their own.

Rate limiting is protection, not correctness: when Redis cannot answer within a short
time-box, calls are allowed (fail open) and a warning is logged, rather than the API going
down with its limiter.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time

import msgspec
from redis.asyncio import Redis
from redis.exceptions import MaxConnectionsError, NoScriptError, RedisError

from fluxforge.errors import ProblemError

log = logging.getLogger("fluxforge.ratelimit")

DEFAULT_TIMEOUT_SECONDS = 0.25
"""How long a decision may wait for Redis before failing open; well below the client's socket_timeout."""
FAILURE_BACKOFF_SECONDS = 1.0
"""After Redis failed, calls skip it for this long, so an outage costs one time-box per second, not one per call."""
POOL_WAIT_SECONDS = 0.001
"""Pause before asking a full connection pool again; a script holds a connection for ~0.2 ms."""
MICROS = 1_000_000

# KEYS[i]: a TAT, integer microseconds since the epoch (Redis server clock).
# ARGV: cost, then per key its emission interval (integer microseconds per unit) and burst.
# All limits are checked first and written only if every one allows the call, so a call one
# limit refuses spends nothing from the others. Returns {allowed (0/1), retry_after_us,
# remaining} (remaining: the least of the limits). Arithmetic stays on integers below 2^53,
# which Lua's doubles hold exactly, so no rounding creeps in between calls.
_GCRA_LUA = """
if redis.replicate_commands ~= nil then
  -- Redis < 5 replicates scripts verbatim and refuses writes after TIME unless scripts
  -- replicate their effects; from 5 on that is the default and from 7 on the only mode.
  pcall(redis.replicate_commands)
end
local cost = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local allowed, retry_after, remaining = 1, 0, math.huge
local new_tats, ttls = {}, {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key))
  if tat == nil or tat < now then
    tat = now
  end
  local tolerance = interval * burst
  local new_tat = tat + interval * cost
  local allow_at = new_tat - tolerance
  if allow_at > now then
    allowed = 0
    retry_after = math.max(retry_after, allow_at - now)
    remaining = math.min(remaining, math.floor((tolerance - (tat - now)) / interval))
  else
    remaining = math.min(remaining, math.floor((tolerance - (new_tat - now)) / interval))
  end
  new_tats[i] = new_tat
  ttls[i] = math.max(1, math.ceil((new_tat - now) / 1000))
end
if allowed == 1 then
  for i, key in ipairs(KEYS) do
    redis.call('SET', key, string.format('%.0f', new_tats[i]), 'PX', ttls[i])
  end
end
return {allowed, retry_after, remaining}
"""
_GCRA_SHA = hashlib.sha1(_GCRA_LUA.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


class RateDecision(msgspec.Struct, frozen=True):
    """The answer for one call: whether it may proceed, and when to retry if not."""

    allowed: bool
    retry_after_seconds: float
    remaining: int


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds: round up (never invite a retry that is still too early), at least 1."""
    return str(max(1, math.ceil(seconds)))


def emission_interval_us(rate_per_second: float) -> int:
    """Microseconds between units at this rate, as an integer so the script's arithmetic is exact."""
    return max(1, round(MICROS / rate_per_second))


def check_limits(rate_per_second: float, burst: int, cost: int) -> None:
    """Refuse parameters under which the limiter cannot decide sensibly (a programming error)."""
    if not (math.isfinite(rate_per_second) and rate_per_second > 0):
        raise ValueError("rate_per_second must be a positive finite number")
    if burst < 1:
        raise ValueError("burst must be at least 1")
    if not 1 <= cost <= burst:
        raise ValueError("cost must be between 1 and burst (a larger cost could never be allowed)")


class RateLimited(ProblemError):
    """429 with Retry-After, so well-behaved clients wait exactly as long as needed."""

    kind = "rate-limited"

    def __init__(self, retry_after_seconds: float, detail: str | None = None) -> None:
        retry_after = retry_after_header(retry_after_seconds)
        super().__init__(
            detail or f"rate limit exceeded; retry after {retry_after} s",
            headers={"Retry-After": retry_after},
        )
        self.retry_after_seconds = retry_after_seconds


class Limit(msgspec.Struct, frozen=True):
    """One budget a call spends from: `burst` units at once, refilled at `rate_per_second`."""

    key: str
    rate_per_second: float
    burst: int


class RateLimiter:
    """GCRA limits in Redis: `hit` answers whether a call under a key may proceed now."""

    def __init__(self, redis: Redis, key_prefix: str, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._timeout = timeout_seconds
        self._skip_redis_until = 0.0

    def key(self, key: str) -> str:
        """The Redis key. Its hash tag is the key's first `:`-separated part (the tenant), so the
        budgets one call spends (the tenant's and its API key's) share a Redis Cluster slot."""
        head, sep, rest = key.partition(":")
        return f"{self._prefix}{{rl:{head}}}{sep}{rest}"

    async def hit(self, key: str, rate_per_second: float, burst: int, cost: int = 1) -> RateDecision:
        """Spend `cost` units of `key`'s budget: up to `burst` at once, refilled at `rate_per_second`."""
        return await self.hit_all([Limit(key, rate_per_second, burst)], cost)

    async def hit_all(self, limits: list[Limit], cost: int = 1) -> RateDecision:
        """Spend `cost` from every budget at once (one round trip), or from none if any refuses."""
        for limit in limits:
            check_limits(limit.rate_per_second, limit.burst, cost)
        smallest_burst = min(limit.burst for limit in limits)
        if time.monotonic() < self._skip_redis_until:
            return self._fail_open(smallest_burst, cost)
        keys = [self.key(limit.key) for limit in limits]
        args = [cost]
        for limit in limits:
            args += [emission_interval_us(limit.rate_per_second), limit.burst]
        try:
            async with asyncio.timeout(self._timeout):
                allowed, retry_after_us, remaining = await self._run(keys, args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._skip_redis_until = time.monotonic() + FAILURE_BACKOFF_SECONDS
            log.warning(
                "rate limiter cannot use Redis; allowing calls for %.0f s",
                FAILURE_BACKOFF_SECONDS,
                extra={"error": f"{type(exc).__name__}: {exc}"},
            )
            return self._fail_open(smallest_burst, cost)
        return RateDecision(
            allowed=bool(allowed), retry_after_seconds=int(retry_after_us) / MICROS, remaining=int(remaining)
        )

    async def _run(self, keys: list[str], args: list[int]) -> list[int]:
        """Run the script, waiting (within the caller's time-box) while the connection pool is full.

        redis-py's default pool refuses at once when all its connections are in use. That is
        this process being busy, not Redis being down: failing open there would switch limits
        off exactly under load, so the call waits for a connection to come free instead.
        """
        while True:
            try:
                return await self._eval(keys, args)
            except MaxConnectionsError:
                await asyncio.sleep(POOL_WAIT_SECONDS)

    async def _eval(self, keys: list[str], args: list[int]) -> list[int]:
        """EVALSHA, and EVAL on NOSCRIPT (a fresh or restarted Redis), which also caches the script."""
        try:
            result = await self._redis.evalsha(_GCRA_SHA, len(keys), *keys, *args)
        except NoScriptError:
            result = await self._redis.eval(_GCRA_LUA, len(keys), *keys, *args)
        return list(result)

    @staticmethod
    def _fail_open(burst: int, cost: int) -> RateDecision:
        return RateDecision(allowed=True, retry_after_seconds=0.0, remaining=burst - cost)
