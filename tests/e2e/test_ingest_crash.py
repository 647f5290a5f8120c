"""Usage ingest survives `fluxforge serve` being killed at any point of a batch: whatever the
client retries against the restarted server, every event is counted exactly once, as the
database shows."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import msgspec

from fluxforge.config import APP_DB_ROLE
from fluxforge.config import Settings as FluxSettings
from fluxforge.db import Database, create_pool
from fluxforge.identity.tokens import TokenService
from tests.e2e.conftest import Service, serve_env

ADMIN_TOKEN = "ffadm_ingest_crash_token_0123456789"


class Api:
    """`fluxforge serve` that can be killed and started again on the same address."""

    def __init__(self, settings: FluxSettings, tmp_path: Path, services: list[Service]) -> None:
        self.base, self.env = serve_env(settings, tmp_path, ADMIN_TOKEN)
        self.tmp_path = tmp_path
        self.services = services
        self.starts = 0
        self.service: Service | None = None

    def start(self) -> None:
        self.starts += 1
        self.service = Service("serve", self.env, self.tmp_path / f"api-{self.starts}.log")
        self.services.append(self.service)
        self.service.wait_ready(self.base)

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn and its workers): no cleanup runs."""
        assert self.service is not None
        os.killpg(self.service.process.pid, signal.SIGKILL)
        self.service.process.wait(10)


async def owner_of_new_tenant(settings: FluxSettings, api: Api, owner_conn: asyncpg.Connection) -> tuple[str, str]:
    """A user (token minted for the served issuer) who creates a tenant: (slug, bearer token)."""
    user_id = uuid.uuid4()
    await owner_conn.execute("INSERT INTO users (id, email) VALUES ($1, $2)", user_id, f"{user_id.hex[:8]}@x.test")
    pool = await create_pool(settings.resolved_app_database_url(), min_size=1, max_size=2)
    try:
        tokens = TokenService(Database(pool), api.base, 3600, timedelta(days=30))
        await tokens.start()
        token, _ = await tokens.issue(user_id)
    finally:
        await pool.close()
    slug = f"crash-{user_id.hex[:8]}"
    async with httpx.AsyncClient(base_url=api.base, headers={"Authorization": f"Bearer {token}"}) as http:
        created = await http.post("/v1/tenants", json={"slug": slug, "display_name": "Crash"})
        assert created.status_code == 201, created.text
    return slug, token


def batch_body(ids: list[str], at: datetime) -> bytes:
    events = [
        {"id": i, "type": "crash.unit", "timestamp": at.isoformat(), "subject": "s", "properties": {"n": 1}}
        for i in ids
    ]
    return msgspec.json.encode({"events": events})


async def stored(owner_conn: asyncpg.Connection, slug: str) -> tuple[int, int]:
    """(rows, distinct ids) of the tenant's `crash.unit` events (FluxForge's own `api.request`
    events for the same tenant are another type)."""
    row = await owner_conn.fetchrow(
        """
        SELECT count(*), count(DISTINCT event_id) FROM usage_events e JOIN tenants t ON t.id = e.tenant_id
        WHERE t.slug = $1 AND e.type = 'crash.unit'
        """,
        slug,
    )
    assert row is not None  # an aggregate without GROUP BY always answers one row
    return row[0], row[1]


async def wait_for_idle_app_connections(owner_conn: asyncpg.Connection) -> None:
    """After a kill, PostgreSQL notices the dead connections and rolls back their work."""
    deadline = time.monotonic() + 20
    while await owner_conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state LIKE '%transaction%'", APP_DB_ROLE
    ):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


def post_in_background(url: str, token: str, body: bytes) -> threading.Thread:
    def send() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it: no answer
            httpx.post(
                url,
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=30,
            )

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


async def test_killed_while_the_batch_is_half_written_then_retried(
    settings: FluxSettings, owner_conn: asyncpg.Connection, tmp_path: Path, services: list[Service]
) -> None:
    api = Api(settings, tmp_path, services)
    api.start()
    slug, token = await owner_of_new_tenant(settings, api, owner_conn)
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    ids = [f"half-{i:04d}" for i in range(1000)]
    at = datetime.now(UTC).replace(microsecond=0)
    body = batch_body(ids, at)

    assert settings.database_url is not None
    blocker = await asyncpg.connect(settings.database_url)
    try:
        # An uncommitted copy of one event in the middle of the batch (written around ingest's
        # turn-taking, which only ingest observes): events are stored in id order, so the batch
        # writes the ones before it, then waits on its key here, uncommitted.
        await blocker.execute("BEGIN")
        await blocker.execute(
            "INSERT INTO usage_events (tenant_id, occurred_at, event_id, type, subject) "
            "VALUES ($1, $2, 'half-0500', 'crash.unit', 's')",
            tenant_id,
            at,
        )
        post_in_background(f"{api.base}/v1/tenants/{slug}/usage", token, body)
        deadline = time.monotonic() + 20
        while not await owner_conn.fetchval(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE usename = $1 AND wait_event_type = 'Lock' AND query LIKE '%fluxforge: usage ingest%'
            """,
            APP_DB_ROLE,
        ):
            assert time.monotonic() < deadline, api.service.output()[-3000:] if api.service else ""
            await asyncio.sleep(0.05)
        api.kill()
        await blocker.execute("ROLLBACK")
    finally:
        await blocker.close()
    await wait_for_idle_app_connections(owner_conn)
    assert await stored(owner_conn, slug) == (0, 0)  # nothing of the batch survived

    api.start()
    async with httpx.AsyncClient(base_url=api.base, headers={"Authorization": f"Bearer {token}"}) as http:
        retried = await http.post(
            f"/v1/tenants/{slug}/usage", content=body, headers={"Content-Type": "application/json"}
        )
        assert retried.status_code == 200, retried.text
        assert retried.json() == {"accepted": 1000, "duplicates": [], "rejected": []}
        again = await http.post(f"/v1/tenants/{slug}/usage", content=body, headers={"Content-Type": "application/json"})
        assert again.json()["accepted"] == 0
    assert await stored(owner_conn, slug) == (1000, 1000)


async def test_killed_after_commit_before_the_answer_is_read_then_retried(
    settings: FluxSettings, owner_conn: asyncpg.Connection, tmp_path: Path, services: list[Service]
) -> None:
    api = Api(settings, tmp_path, services)
    api.start()
    slug, token = await owner_of_new_tenant(settings, api, owner_conn)
    ids = [f"acked-{i:04d}" for i in range(1000)]
    body = batch_body(ids, datetime.now(UTC))

    post_in_background(f"{api.base}/v1/tenants/{slug}/usage", token, body)
    deadline = time.monotonic() + 20
    while (await stored(owner_conn, slug))[0] < 1000:  # committed: all visible at once
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    api.kill()  # the client may never read the answer: to it, the batch's fate is unknown

    api.start()
    async with httpx.AsyncClient(base_url=api.base, headers={"Authorization": f"Bearer {token}"}) as http:
        retried = await http.post(
            f"/v1/tenants/{slug}/usage", content=body, headers={"Content-Type": "application/json"}
        )
    assert retried.status_code == 200, retried.text
    assert retried.json()["accepted"] == 0
    assert retried.json()["duplicates"] == list(range(1000))
    assert await stored(owner_conn, slug) == (1000, 1000)


async def test_killed_at_random_moments_under_load_every_event_counts_once(
    settings: FluxSettings, owner_conn: asyncpg.Connection, tmp_path: Path, services: list[Service]
) -> None:
    """Concurrent clients stream overlapping batches; the server is killed twice mid-stream; the
    clients retry every batch they got no answer for until each is answered."""
    api = Api(settings, tmp_path, services)
    api.start()
    slug, token = await owner_of_new_tenant(settings, api, owner_conn)
    rng = random.Random(20261123)
    now = datetime.now(UTC)
    universe = [f"r-{i:05d}" for i in range(30_000)]
    chosen = [rng.sample(universe, 400) for _ in range(150)]
    # A retry may carry another timestamp: it is still the same event.
    batches = [batch_body(ids, now - timedelta(seconds=rng.randint(0, 3600))) for ids in chosen]
    expected = len({i for ids in chosen for i in ids})
    answered: set[int] = set()

    async def send_all(http: httpx.AsyncClient) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(len(batches)):
            if n not in answered:
                queue.put_nowait(n)

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.post(f"/v1/tenants/{slug}/usage", content=batches[n])
                    if response.status_code == 200:
                        answered.add(n)

        await asyncio.gather(*(worker() for _ in range(4)))

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for kill in (True, True, False):
        async with httpx.AsyncClient(base_url=api.base, headers=headers, timeout=30) as http:
            sending = asyncio.create_task(send_all(http))
            if kill:
                target = len(answered) + 10
                while len(answered) < target:
                    assert not sending.done()
                    await asyncio.sleep(0.005)
                api.kill()
            await sending
        if kill:
            assert len(answered) < len(batches)  # the kill cut the stream short
            await wait_for_idle_app_connections(owner_conn)
            api.start()
    assert answered == set(range(len(batches)))
    assert await stored(owner_conn, slug) == (expected, expected)
