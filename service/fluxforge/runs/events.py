"""Following a run live: its events from any point, then as they happen, as server-sent events.

Events live in PostgreSQL (run_events); the worker that owns a run publishes a bare wake-up on
the run's Redis channel after each accepted write, and a follower reads what is new from
PostgreSQL when woken. So a follower never misses an event (the channel carries no data that
could be lost) and is woken within milliseconds; when Redis is unreachable it falls back to
reading once a second. The stream ends after the run's final event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import msgspec
from litestar.response.sse import ServerSentEventMessage
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from fluxforge.db import Database
from fluxforge.runs import repository
from fluxforge.runs.models import RunEvent
from fluxforge.runs.states import TERMINAL_RUN_STATES

log = logging.getLogger("fluxforge.runs")
PAGE = 500
IDLE_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0


def events_channel(prefix: str, run_id: uuid.UUID) -> str:
    return f"{prefix}{{run:{run_id}}}:events"


def message_of(event: RunEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=msgspec.json.encode(event).decode(), event=event.type, id=event.seq)


async def follow(
    db: Database,
    redis_url: str,
    prefix: str,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    run_id: uuid.UUID,
    after: int,
) -> AsyncIterator[ServerSentEventMessage]:
    """Every event with seq > after, then new ones as they are recorded, until the run ends."""
    # Its own connection: a follower may stay for hours, and must not hold one of the shared pool's.
    redis: Redis = Redis.from_url(redis_url, socket_connect_timeout=2)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    subscribed = False
    try:
        with contextlib.suppress(RedisError, OSError):
            await pubsub.subscribe(events_channel(prefix, run_id))
            subscribed = True
        cursor = after
        idle = 0.0
        while True:
            async with db.tenant(tenant_id) as conn:
                header = await repository.run_header(conn, tenant_id, namespace_id, run_id)
                if header is None:
                    return
                events = await repository.events_after(conn, tenant_id, run_id, header["created_at"], cursor, PAGE)
            for event in events:
                cursor = event.seq
                yield message_of(event)
            if len(events) == PAGE:
                continue
            if header["state"] in TERMINAL_RUN_STATES and cursor >= header["event_seq"]:
                return
            if events:
                idle = 0.0
            woken = await _wait(pubsub if subscribed else None, IDLE_SECONDS)
            idle = 0.0 if woken else idle + IDLE_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ServerSentEventMessage(comment="keep-alive")
    finally:
        with contextlib.suppress(RedisError, OSError):
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(RedisError, OSError):
            await redis.aclose()


async def _wait(pubsub: PubSub | None, seconds: float) -> bool:
    """Until the run's channel says something changed, or `timeout` passed."""
    if pubsub is None:
        await asyncio.sleep(seconds)
        return False
    try:
        message = await pubsub.get_message(timeout=seconds)
    except (RedisError, OSError):
        await asyncio.sleep(seconds)
        return False
    if message is None:
        return False
    # Drain what else arrived: one read from PostgreSQL covers all of it.
    with contextlib.suppress(RedisError, OSError):
        while await pubsub.get_message(timeout=0) is not None:
            pass
    return True
