"""Helpers for tests that run FluxForge as real processes, the way a user does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fluxforge.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without any FLUXFORGE_ setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUXFORGE_")}
    env.update(settings)
    return env


class Service:
    """A `fluxforge` command in its own session, with its output in a file."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fluxforge.runtime.cli", command],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if text in self.output():
                return time.monotonic() - started
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not seen within {timeout}s; output:\n{self.output()[-4000:]}")

    def wait_ready(self, base_url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()[-4000:]
            try:
                if httpx.get(base_url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not ready within {timeout}s:\n{self.output()[-4000:]}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 45) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            self.kill_group()

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


def serve_env(settings: Settings, data_dir: Path, token: str, **extra: str) -> tuple[str, dict[str, str]]:
    """Base URL and environment for `fluxforge serve` against this test run's database and Redis."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    port = free_port()
    env = clean_env(
        FLUXFORGE_DATABASE_URL=settings.database_url,
        FLUXFORGE_REDIS_URL=settings.redis_url,
        FLUXFORGE_REDIS_KEY_PREFIX=settings.redis_key_prefix,
        FLUXFORGE_ADMIN_TOKEN=token,
        FLUXFORGE_PORT=str(port),
        FLUXFORGE_WEB_WORKERS="1",
        FLUXFORGE_DATA_DIR=str(data_dir),
        **extra,
    )
    return f"http://127.0.0.1:{port}", env


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """Started services; whatever a test leaves running is killed."""
    started: list[Service] = []
    yield started
    for service in started:
        if service.process.poll() is None:
            service.kill_group()
