"""A small HTTP/1.1 load generator for when wrk is not installed.

wrk is preferred (see baseline.py: a Python client on 2 cores saturates before the server does),
but `make bench` must still run without it. This one keeps its cost per request low the same way
ingest.py does: keep-alive connections over raw asyncio streams, the request bytes built once,
only status line and Content-Length parsed. The connections are split over several processes so
the generator is not held to one core; the figures it gives are a floor, and RESULTS.md says
which generator measured them.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadRun:
    """What one timed run saw: latencies in seconds, one per answered request."""

    seconds: float
    latencies: list[float]
    non_2xx_3xx: int
    socket_errors: int


async def _drive(port: int, request: bytes, connections: int, seconds: float) -> LoadRun:
    latencies: list[float] = []
    failed = 0
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal failed, errors
        while time.perf_counter() < deadline:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                errors += 1
                await asyncio.sleep(0.01)
                continue
            try:
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    writer.write(request)
                    status_line = await reader.readline()
                    if not status_line:
                        raise ConnectionError("closed by the server")
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        name, _, value = line.partition(b":")
                        if name.lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    latencies.append(time.perf_counter() - started)
                    if not 200 <= int(status_line.split()[1]) < 400:
                        failed += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
            finally:
                writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return LoadRun(time.perf_counter() - started, latencies, failed, errors)


def _drive_sync(port: int, request: bytes, connections: int, seconds: float) -> LoadRun:
    return asyncio.run(_drive(port, request, connections, seconds))


def build_request(host: str, path: str, headers: tuple[str, ...]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *headers, "", ""]
    return "\r\n".join(lines).encode()


def run(port: int, path: str, headers: tuple[str, ...], connections: int, seconds: float, processes: int) -> LoadRun:
    """Drive GET `path` with `connections` keep-alive connections split over `processes` processes."""
    request = build_request(f"127.0.0.1:{port}", path, headers)
    shares = [connections // processes + (1 if n < connections % processes else 0) for n in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        parts = list(pool.map(_drive_sync, *zip(*[(port, request, n, seconds) for n in shares if n], strict=True)))
    return LoadRun(
        seconds=max(p.seconds for p in parts),
        latencies=[latency for p in parts for latency in p.latencies],
        non_2xx_3xx=sum(p.non_2xx_3xx for p in parts),
        socket_errors=sum(p.socket_errors for p in parts),
    )
