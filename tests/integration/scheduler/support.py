"""What the scheduler's integration tests (and tests/e2e/test_scheduler_faults.py) share: a
loopback HTTP peer to call, and submitting and waiting for runs through the API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from fluxforge.scheduler.engine import Engine
from tests.integration.test_runs_api import runs_url
from tests.support import Client

EngineFactory = Callable[..., Awaitable[Engine]]
"""The `engines` fixture: starts an engine in this process with settings overridden by keyword."""


class CountingPeer:
    """A tiny HTTP/1.1 server on 127.0.0.1. `/ok/<key>` answers 200 with the call count;
    `/fail/<n>/<key>` answers 500 to the first n calls of that key, then 200; `/status/<code>/<key>`
    always answers that code; `/slow/<seconds>/<key>` answers after a while. Every call is counted
    per key."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                path = request_line.split()[1].decode()
                status, payload = await self._answer(path, body)
                data = json.dumps(payload).encode()
                head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                writer.write(head.encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _answer(self, path: str, body: bytes) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        key = parts[-1]
        self.calls[key] = self.calls.get(key, 0) + 1
        count = self.calls[key]
        received = json.loads(body) if body else None
        if parts[0] == "fail" and count <= int(parts[1]):
            return 500, {"count": count}
        if parts[0] == "status":
            return int(parts[1]), {"count": count}
        if parts[0] == "slow":
            await asyncio.sleep(float(parts[1]))
        return 200, {"count": count, "key": key, "received": received}


async def wait_for_state(
    client: Client,
    url: str,
    headers: dict[str, str],
    states: set[str],
    timeout: float = 20,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if run["state"] in states:
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.05)


async def workflow(
    client: Client,
    slug: str,
    headers: dict[str, str],
    manifest: dict[str, Any],
) -> None:
    response = await client.post(
        f"/v1/tenants/{slug}/namespaces/default/workflows",
        content=msgspec.json.encode({"apiVersion": "fluxforge.dev/v1", "kind": "Workflow", **manifest}),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 201), response.text


async def start_run(
    client: Client,
    slug: str,
    headers: dict[str, str],
    name: str,
    inputs: dict[str, Any] | None = None,
) -> str:
    response = await client.post(runs_url(slug), json={"workflow": name, "inputs": inputs or {}}, headers=headers)
    assert response.status_code == 201, response.text
    return f"{runs_url(slug)}/{response.json()['id']}"


DIAMOND = {
    "metadata": {"name": "diamond"},
    "spec": {
        "inputs": [{"name": "who", "required": True}],
        "steps": [
            {"id": "start", "uses": "echo", "with": {"name": "${{ inputs.who }}", "n": 2}},
            {"id": "left", "uses": "echo", "needs": ["start"], "with": {"x": "${{ steps.start.outputs.n }}"}},
            {"id": "right", "uses": "sleep", "needs": ["start"], "with": {"seconds": 0.05}},
            {
                "id": "join",
                "uses": "echo",
                "needs": ["left", "right"],
                "with": {"text": "${{ steps.start.outputs.name }}:${{ steps.left.outputs.x }}"},
            },
        ],
    },
}
