"""`fluxforge run` on a machine with nothing configured: embedded PostgreSQL and Redis."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx

from tests.e2e.conftest import Service, clean_env, free_port


def _pid_alive(pid_file: Path) -> bool:
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    return Path(f"/proc/{pid}").exists()


def test_run_starts_everything_keeps_data_and_stops_cleanly(tmp_path: Path, services: list[Service]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(FLUXFORGE_PORT=str(port), FLUXFORGE_DATA_DIR=str(tmp_path / "data"), FLUXFORGE_WEB_WORKERS="1")

    first = Service("run", env, tmp_path / "first.log")
    services.append(first)
    first.wait_for_output("press Ctrl-C to stop", timeout=60)
    match = re.search(r"admin token: (\S+)", first.output())
    assert match, first.output()
    token = match.group(1)
    assert token == (tmp_path / "data" / "admin-token").read_text().strip()

    assert httpx.get(base + "/healthz").status_code == 200
    assert httpx.get(base + "/readyz").json()["ready"] is True
    admin = {"Authorization": f"Bearer {token}"}
    created = httpx.post(base + "/v1/admin/tenants", json={"slug": "kept", "display_name": "Kept"}, headers=admin)
    assert created.status_code == 201

    assert first.stop(signal.SIGTERM) == 0
    assert "fluxforge: stopped" in first.output()
    assert not _pid_alive(tmp_path / "data" / "postgres" / "postmaster.pid")
    assert not _pid_alive(tmp_path / "data" / "redis" / "redis.pid")

    second = Service("run", env, tmp_path / "second.log")
    services.append(second)
    second.wait_for_output("press Ctrl-C to stop", timeout=60)
    assert f"admin token: {token}" in second.output()
    fetched = httpx.get(base + "/v1/admin/tenants/kept", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json()["id"] == created.json()["id"]
    assert second.stop(signal.SIGINT) == 0
    assert not _pid_alive(tmp_path / "data" / "postgres" / "postmaster.pid")


def test_bad_setting_fails_fast_naming_it(tmp_path: Path, services: list[Service]) -> None:
    env = clean_env(FLUXFORGE_PORT="not-a-port", FLUXFORGE_DATA_DIR=str(tmp_path))
    service = Service("run", env, tmp_path / "bad.log")
    services.append(service)
    assert service.process.wait(30) == 2
    assert "FLUXFORGE_PORT" in service.output()
