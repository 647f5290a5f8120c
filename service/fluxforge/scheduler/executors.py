"""The built-in executors: `http`, `sleep`, `echo`, `emit`.

An executor takes a step's resolved inputs and returns its outputs (a JSON object), or raises
StepFailure with an error kind the retry policy understands. `execute` runs one attempt under
the step's timeout and turns anything else an executor raises into an `executor_error`: a
broken step fails with its reason, it never takes the worker down.

- http: calls `url` with `method`, optional `headers` and `body` (JSON unless a string).
  Outputs `status`, `headers` and `body` (parsed when JSON, else text; at most
  MAX_BODY_BYTES, with `truncated: true` beyond). 5xx, 429 and other 4xx answers fail the
  attempt as http_5xx, http_429, http_4xx; unreachable targets as `connection`. Each target
  (scheme, host and port) has a circuit breaker shared by all workers.
- sleep: waits `seconds`; outputs `slept_seconds`.
- echo: outputs its inputs unchanged.
- emit: appends the event (`type`, `data`, plus tenant, run, step and attempt) to the Redis
  stream `{prefix}events` (capped near EVENTS_MAXLEN entries); outputs its stream id.
  Consumers read the stream with XREAD/XREADGROUP. A retried or taken-over step may emit
  again: consumers deduplicate on (run, step, attempt) when they must.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fluxforge.runs.progress import AttemptResult
from fluxforge.scheduler.breaker_store import SharedBreakers
from fluxforge.workflows.models import HTTP_METHODS, MAX_TIMEOUT_SECONDS, ErrorKind

MAX_BODY_BYTES = 256 * 1024
EVENTS_MAXLEN = 100_000
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.-]{0,127}$")


class StepFailure(Exception):
    """An attempt failed in a way the retry policy can judge."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message


class StepContext(msgspec.Struct, kw_only=True, frozen=True):
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    step_id: str
    attempt: int
    deadline: float  # time.monotonic() by which the attempt must end


class Executors:
    """The executors of one worker process, with the clients they share."""

    def __init__(self, redis: Redis, prefix: str, breakers: SharedBreakers) -> None:
        self.redis = redis
        self.prefix = prefix
        self.breakers = breakers
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a log line per step call costs throughput
        self.http = httpx.AsyncClient(follow_redirects=False, limits=httpx.Limits(max_connections=200))
        self.registry: Mapping[str, Callable[[StepContext, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            "http": self.run_http,
            "sleep": self.run_sleep,
            "echo": self.run_echo,
            "emit": self.run_emit,
        }

    async def aclose(self) -> None:
        await self.http.aclose()

    async def execute(
        self, ctx: StepContext, uses: str, inputs: dict[str, Any], timeout_seconds: float
    ) -> AttemptResult:
        """One attempt: its outputs, or its failure with kind and reason. Never raises, except
        CancelledError when the worker stops working on the run."""
        started = time.monotonic()
        try:
            executor = self.registry.get(uses)
            if executor is None:
                kind: ErrorKind = "agent_unavailable" if uses.startswith("agent:") else "executor_error"
                raise StepFailure(kind, f"no executor {uses!r} in this worker")
            async with asyncio.timeout(timeout_seconds):
                output = await executor(ctx, inputs)
            if not isinstance(output, dict):
                raise StepFailure("executor_error", "the executor returned no JSON object")
            return AttemptResult(
                step=ctx.step_id, attempt=ctx.attempt, outcome="succeeded", output=output, duration_ms=_ms(started)
            )
        except StepFailure as failure:
            return _failed(ctx, failure.kind, failure.message, started)
        except TimeoutError:
            return _failed(ctx, "timeout", f"the attempt took longer than {timeout_seconds:g}s", started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return _failed(ctx, "executor_error", f"{type(exc).__name__}: {exc}"[:1000], started)

    # --- executors ----------------------------------------------------------------------------

    async def run_echo(self, ctx: StepContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return dict(inputs)

    async def run_sleep(self, ctx: StepContext, inputs: dict[str, Any]) -> dict[str, Any]:
        seconds = inputs.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_TIMEOUT_SECONDS:
            raise StepFailure("invalid_input", f"seconds must be a number from 0 to {MAX_TIMEOUT_SECONDS:g}")
        await asyncio.sleep(seconds)
        return {"slept_seconds": seconds}

    async def run_emit(self, ctx: StepContext, inputs: dict[str, Any]) -> dict[str, Any]:
        event_type = inputs.get("type")
        if not isinstance(event_type, str) or not _EVENT_TYPE.match(event_type):
            raise StepFailure("invalid_input", "type must match ^[a-z][a-z0-9_.-]{0,127}$")
        fields = {
            "type": event_type,
            "data": msgspec.json.encode(inputs.get("data")),
            "tenant": str(ctx.tenant_id),
            "run": str(ctx.run_id),
            "step": ctx.step_id,
            "attempt": str(ctx.attempt),
        }
        try:
            event_id = await self.redis.xadd(
                f"{self.prefix}events",
                fields,  # type: ignore[arg-type]
                maxlen=EVENTS_MAXLEN,
                approximate=True,
            )
        except (RedisError, OSError) as exc:
            raise StepFailure("connection", f"the event stream is unreachable: {exc}") from None
        return {"event_id": event_id.decode() if isinstance(event_id, bytes) else str(event_id)}

    async def run_http(self, ctx: StepContext, inputs: dict[str, Any]) -> dict[str, Any]:
        url, method = inputs.get("url"), inputs.get("method")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise StepFailure("invalid_input", "url must be an http:// or https:// URL")
        if method not in HTTP_METHODS:
            raise StepFailure("invalid_input", "method must be one of " + ", ".join(HTTP_METHODS))
        headers = inputs.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise StepFailure("invalid_input", "headers must be an object of strings")
        parts = urlsplit(url)
        target = f"{parts.scheme}://{parts.netloc}"
        admission = await self.breakers.admit(target)
        if not admission.allowed:
            raise StepFailure(
                "circuit_open", f"the circuit breaker of {target} is open; retry in {admission.retry_after_ms} ms"
            )
        body = inputs.get("body")
        content: Any = None
        if isinstance(body, str):
            content = body.encode()
        elif body is not None or "body" in inputs:
            content = msgspec.json.encode(body)
            headers = {"content-type": "application/json", **headers}
        remaining = max(0.001, ctx.deadline - time.monotonic())
        try:
            response = await self.http.request(method, url, headers=headers, content=content, timeout=remaining)
        except httpx.TimeoutException as exc:
            await self.breakers.record(target, admission, success=False)
            raise StepFailure("timeout", f"{method} {url} timed out: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            await self.breakers.record(target, admission, success=False)
            raise StepFailure("connection", f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
        healthy = response.status_code < 500 and response.status_code != 429
        await self.breakers.record(target, admission, success=healthy)
        if response.status_code >= 500:
            raise StepFailure("http_5xx", f"{method} {url} answered {response.status_code}")
        if response.status_code == 429:
            raise StepFailure("http_429", f"{method} {url} answered 429")
        if response.status_code >= 400:
            raise StepFailure("http_4xx", f"{method} {url} answered {response.status_code}")
        return {"status": response.status_code, "headers": dict(response.headers), **_body_of(response)}


def _body_of(response: httpx.Response) -> dict[str, Any]:
    raw = response.content
    if len(raw) > MAX_BODY_BYTES:
        return {"body": raw[:MAX_BODY_BYTES].decode(errors="replace"), "truncated": True}
    if "json" in response.headers.get("content-type", ""):
        try:
            return {"body": msgspec.json.decode(raw)}
        except msgspec.DecodeError:
            pass
    return {"body": raw.decode(errors="replace")}


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _failed(ctx: StepContext, kind: ErrorKind, message: str, started: float) -> AttemptResult:
    return AttemptResult(
        step=ctx.step_id,
        attempt=ctx.attempt,
        outcome="failed",
        error_kind=kind,
        error_message=message,
        duration_ms=_ms(started),
    )
