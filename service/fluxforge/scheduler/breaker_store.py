"""Circuit breakers shared by every worker: the pure `scheduler.breaker` with its state in Redis.

One key per executor target (`{prefix}breaker:{<target>}`) holds the encoded BreakerState.
A move reads the state and Redis's clock in one round trip (so workers on several hosts share
one clock), computes the next state with the pure functions, and writes it back only if the
key still holds exactly what was read (a compare-and-set script); when another worker moved
first, it reads again. Unchanged states are not written. When Redis cannot be reached the
breaker fails open: calls go ahead, as they would without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fluxforge.scheduler import breaker
from fluxforge.scheduler.breaker import Admission, BreakerConfig, BreakerState
from fluxforge.scheduler.lease import Script

log = logging.getLogger("fluxforge.scheduler")
COMPARE_AND_SET = """
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
_CAS = Script(COMPARE_AND_SET)
ATTEMPTS = 8
KEEP_MS = 24 * 3600 * 1000  # a breaker nobody touched for a day is forgotten (closed)
_decoder = msgspec.json.Decoder(BreakerState)


def breaker_key(prefix: str, target: str) -> str:
    return f"{prefix}breaker:{{{target}}}"


class SharedBreakers:
    def __init__(self, redis: Redis, prefix: str, config: BreakerConfig) -> None:
        self.redis = redis
        self.prefix = prefix
        self.config = config

    async def _read(self, key: str) -> tuple[bytes, BreakerState, int]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.time()
        raw, (seconds, micros) = await pipe.execute()
        raw = raw or b""
        state = _decoder.decode(raw) if raw else breaker.CLOSED
        return raw, state, seconds * 1000 + micros // 1000

    async def _move(
        self, target: str, step: Callable[[BreakerState, int], tuple[BreakerState, Admission | None]]
    ) -> Admission | None:
        key = breaker_key(self.prefix, target)
        for _ in range(ATTEMPTS):
            raw, state, now_ms = await self._read(key)
            following, answer = step(state, now_ms)
            if following is state:
                return answer
            encoded = msgspec.json.encode(following)
            if await _CAS(self.redis, [key], [raw, encoded, KEEP_MS]):
                return answer
        log.warning("breaker contended; giving up this update", extra={"target": target})
        return None

    async def admit(self, target: str) -> Admission:
        try:
            answer = await self._move(target, lambda s, now: breaker.admit(self.config, s, now))
        except (RedisError, OSError):
            log.warning("breaker state unreachable; admitting", extra={"target": target})
            return Admission(allowed=True, generation=-1)
        return answer or Admission(allowed=True, generation=-1)

    async def record(self, target: str, admission: Admission, *, success: bool) -> None:
        if admission.generation < 0:
            return  # admitted without the shared state: nothing to report to
        move = breaker.record_success if success else breaker.record_failure
        try:
            await self._move(target, lambda s, now: (move(self.config, s, admission.generation, now), None))
        except (RedisError, OSError):
            log.warning("breaker state unreachable; outcome not recorded", extra={"target": target})

    async def state(self, target: str) -> BreakerState:
        _, state, now_ms = await self._read(breaker_key(self.prefix, target))
        return breaker.settle(self.config, state, now_ms)
