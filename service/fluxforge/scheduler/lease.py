"""Run leases in Redis: who may work on a run right now.

One key per run, `{prefix}{run:<id>}:lease` (the hash tag keeps every key of a run on one
Cluster slot), holding the owner's token (worker id plus a nonce per acquisition) with an
expiry. Acquire is SET NX PX; renew and release compare the token first, so a worker can
never extend or drop a lease another worker took after its own expired. Each is one Lua
script sent by EVALSHA, falling back to EVAL (which also caches it) when the server answers
NOSCRIPT, as a fresh or restarted Redis does. Only commands of Redis 6.2.

Redis decides who may work; PostgreSQL decides whose writes count: the fencing token is
taken in PostgreSQL right after the lease is won (see scheduler.repository.claim).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, ResponseError

ACQUIRE = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 else return 0 end"
RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"


class Script:
    """A Lua script run by EVALSHA, with EVAL when the server does not know it (NOSCRIPT)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1

    async def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)

    async def many(self, redis: Redis, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> list[Any]:
        """Several calls in one round trip (a pipeline, not a transaction: each call touches
        one key, so this works on Redis Cluster too). Calls the server answered NOSCRIPT are
        sent again with EVAL."""
        if not calls:
            return []
        pipe = redis.pipeline(transaction=False)
        for keys, args in calls:
            pipe.evalsha(self.sha, len(keys), *keys, *args)
        results: list[Any] = await pipe.execute(raise_on_error=False)
        missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if missing:
            retry = redis.pipeline(transaction=False)
            for i in missing:
                keys, args = calls[i]
                retry.eval(self.source, len(keys), *keys, *args)
            for i, result in zip(missing, await retry.execute(raise_on_error=False), strict=True):
                results[i] = result
        for result in results:
            if isinstance(result, ResponseError | ConnectionError | OSError):
                raise result
        return results


_ACQUIRE, _RENEW, _RELEASE = Script(ACQUIRE), Script(RENEW), Script(RELEASE)


def lease_key(prefix: str, run_id: uuid.UUID) -> str:
    return f"{prefix}{{run:{run_id}}}:lease"


def new_token(worker_id: str) -> str:
    """A lease's value: the worker and a nonce, so that each acquisition is told apart."""
    return f"{worker_id}:{secrets.token_hex(6)}"


class Leases:
    def __init__(self, redis: Redis, prefix: str, ttl_ms: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_ms = ttl_ms

    async def acquire(self, run_id: uuid.UUID, token: str) -> bool:
        return bool(await _ACQUIRE(self.redis, [lease_key(self.prefix, run_id)], [token, self.ttl_ms]))

    async def acquire_many(self, wanted: Sequence[tuple[uuid.UUID, str]]) -> list[bool]:
        calls = [([lease_key(self.prefix, run_id)], [token, self.ttl_ms]) for run_id, token in wanted]
        return [bool(r) for r in await _ACQUIRE.many(self.redis, calls)]

    async def renew_many(self, held: Sequence[tuple[uuid.UUID, str]]) -> list[bool]:
        """Extend each lease still holding its token; False for each that was lost."""
        calls = [([lease_key(self.prefix, run_id)], [token, self.ttl_ms]) for run_id, token in held]
        return [bool(r) for r in await _RENEW.many(self.redis, calls)]

    async def release(self, run_id: uuid.UUID, token: str) -> bool:
        return bool(await _RELEASE(self.redis, [lease_key(self.prefix, run_id)], [token]))

    async def release_many(self, held: Sequence[tuple[uuid.UUID, str]]) -> None:
        await _RELEASE.many(self.redis, [([lease_key(self.prefix, run_id)], [token]) for run_id, token in held])

    async def held(self, run_ids: Sequence[uuid.UUID]) -> list[bool]:
        """Whether each run's lease is held by anyone (one round trip)."""
        if not run_ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for run_id in run_ids:
            pipe.exists(lease_key(self.prefix, run_id))
        return [bool(r) for r in await pipe.execute()]
