"""Killing the API mid-request leaves no half-written tenant or audit row."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import asyncpg
import httpx

from fluxforge.config import APP_DB_ROLE
from fluxforge.config import Settings as FluxSettings
from tests.e2e.conftest import Service, serve_env


async def test_kill_between_tenant_insert_and_audit_insert(
    settings: FluxSettings, owner_conn: asyncpg.Connection, tmp_path: Path, services: list[Service]
) -> None:
    token = "ffadm_crash_test_token_0123456789"
    base, env = serve_env(settings, tmp_path, token)
    api = Service("serve", env, tmp_path / "api.log")
    services.append(api)
    api.wait_ready(base)

    assert settings.database_url is not None
    blocker = await asyncpg.connect(settings.database_url)
    try:
        # Hold the audit table so the request stops after its tenant INSERT, inside its transaction.
        await blocker.execute("BEGIN; LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")

        def create() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.post(
                    base + "/v1/admin/tenants",
                    json={"slug": "half-written", "display_name": "Half"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )

        request = threading.Thread(target=create, daemon=True)
        request.start()
        deadline = time.monotonic() + 20
        while True:
            waiting = await owner_conn.fetchval(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE usename = $1 AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO audit_events%'
                """,
                APP_DB_ROLE,
            )
            if waiting:
                break
            assert time.monotonic() < deadline, api.output()[-3000:]
            time.sleep(0.05)

        os.killpg(api.process.pid, signal.SIGKILL)
        api.process.wait(10)
        await blocker.execute("ROLLBACK")
    finally:
        await blocker.close()

    deadline = time.monotonic() + 20
    while await owner_conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state LIKE '%transaction%'", APP_DB_ROLE
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert await owner_conn.fetchval("SELECT count(*) FROM tenants WHERE slug = 'half-written'") == 0
    assert await owner_conn.fetchval("SELECT count(*) FROM audit_events WHERE after->>'slug' = 'half-written'") == 0
