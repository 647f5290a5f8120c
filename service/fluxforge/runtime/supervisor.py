"""`fluxforge run`: one command that brings up a whole FluxForge on one machine.

It starts embedded PostgreSQL and Redis when no address is configured, migrates, then runs
the API (gunicorn) and one scheduler worker as child processes, and takes everything down
in reverse order on Ctrl-C or SIGTERM. If a child dies, the rest is stopped too, so a
half-running system never looks healthy.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from fluxforge.config import Settings, env_name, load_settings
from fluxforge.identity.admin_token import resolve_admin_token
from fluxforge.migrations import migrate
from fluxforge.runtime.embedded import EmbeddedPostgres, EmbeddedRedis, die_with_parent

READY_TIMEOUT_SECONDS = 60.0


def say(message: str) -> None:
    print(f"fluxforge: {message}", flush=True)


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_requested = False

    def run(self) -> int:
        started = time.monotonic()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._request_stop)
        try:
            env = self._start_dependencies()
            settings = load_settings(env)
            assert settings.database_url is not None
            asyncio.run(migrate(settings.database_url, settings.migrations_dir))
            env[env_name("admin_token")] = resolve_admin_token(settings)
            self._spawn("api", "serve", env)
            self._spawn("worker", "worker", env)
            url = f"http://{settings.host}:{settings.port}"
            if not self._wait_ready(url):
                return 1
            say(f"ready in {time.monotonic() - started:.1f}s at {url}  (docs: {url}/openapi)")
            say(f"admin token: {env[env_name('admin_token')]}")
            say("press Ctrl-C to stop")
            return self._watch()
        finally:
            self._shutdown()

    def _request_stop(self, signum: int, frame: Any) -> None:
        self.stop_requested = True

    def _start_dependencies(self) -> dict[str, str]:
        env = dict(os.environ)
        data = self.settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        if self.settings.database_url is None:
            self.postgres = EmbeddedPostgres(data)
            env[env_name("database_url")] = self.postgres.start()
            say(f"embedded PostgreSQL running (data in {self.postgres.pgdata})")
        if self.settings.redis_url is None:
            self.redis = EmbeddedRedis(data)
            env[env_name("redis_url")] = self.redis.start()
            say("embedded Redis running")
        return env

    def _spawn(self, name: str, command: str, env: dict[str, str]) -> None:
        # A session of its own: Ctrl-C reaches only this supervisor, which then stops the
        # children gracefully and in order.
        self.children[name] = subprocess.Popen(
            [sys.executable, "-m", "fluxforge.runtime.cli", command],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only
        )

    def _wait_ready(self, url: str) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stop_requested:
            if self._dead_child() is not None:
                return False
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=1) as response:  # noqa: S310 - http URL we built
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        if not self.stop_requested:
            say(f"not ready after {READY_TIMEOUT_SECONDS:.0f}s; stopping")
        return False

    def _dead_child(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                say(f"{name} exited with status {child.returncode}; stopping everything")
                return name
        return None

    def _watch(self) -> int:
        while not self.stop_requested:
            if self._dead_child() is not None:
                return 1
            time.sleep(0.2)
        say("stopping")
        return 0

    def _shutdown(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.graceful_timeout + 5
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self.children or self.redis or self.postgres:
            say("stopped")
