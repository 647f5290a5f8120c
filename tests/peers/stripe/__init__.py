"""A real local Stripe for the tests: localstripe (PyPI) behind a small front that adds what it lacks.

`running_peer` (used by the tests' `stripe_peer` fixtures) starts two processes on free loopback ports:
`localstripe_server.py` (localstripe, in memory) and `front.py` (Idempotency-Key replay, one-off
invoices with finalize, failure injection; everything else proxied to localstripe, see its
docstring). The app reaches it through the stripe SDK with `FLUXFORGE_STRIPE_API_BASE` set to the
front's URL. `sign_webhook` signs a payload exactly as Stripe signs webhook deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PEER_DIR = Path(__file__).resolve().parent
API_KEY = "sk_test_fluxforge_local_peer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class StripePeer:
    base_url: str
    api_key: str
    log_path: Path

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(
            self.base_url + path, params=params, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    def inject_fault(self, path_prefix: str, times: int) -> None:
        """The next `times` POSTs to paths starting with `path_prefix` do their work, then lose the answer."""
        httpx.post(self.base_url + "/_peer/faults", json={"path_prefix": path_prefix, "times": times}, timeout=10)

    def clear_faults(self) -> None:
        httpx.delete(self.base_url + "/_peer/faults", timeout=10)

    def posts(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = httpx.get(self.base_url + "/_peer/requests", timeout=10).json()
        return requests

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"{url} exited:\n{log_path.read_text(errors='replace')}"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} not up within 30 s:\n{log_path.read_text(errors='replace')}"
        time.sleep(0.1)


@contextmanager
def running_peer(log_dir: Path) -> Iterator[StripePeer]:
    """Start localstripe and the front on free loopback ports; stop both afterwards."""
    log_path = log_dir / "stripe-peer.log"
    local_port, front_port = _free_port(), _free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with log_path.open("ab") as log:
            for command, probe in (
                (
                    [sys.executable, str(PEER_DIR / "localstripe_server.py"), str(local_port)],
                    f"http://127.0.0.1:{local_port}/v1/customers",
                ),
                (
                    [sys.executable, str(PEER_DIR / "front.py"), str(front_port), f"http://127.0.0.1:{local_port}"],
                    f"http://127.0.0.1:{front_port}/_peer/health",
                ),
            ):
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                processes.append(process)
                _wait_until_up(probe, process, log_path)
        yield StripePeer(base_url=f"http://127.0.0.1:{front_port}", api_key=API_KEY, log_path=log_path)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
