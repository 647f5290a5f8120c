"""The scheduler engine runs workflows against real PostgreSQL and Redis, in this process: a DAG
to the end, retries and timeouts by their policies, failures that skip downstream steps, breakers
shared across runs, events emitted, and cancellation of a running run. Real worker processes
under faults are in tests/e2e/test_scheduler_faults.py."""

from __future__ import annotations

import json
import time
import uuid

from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.scheduler.breaker_store import breaker_key
from tests.integration.scheduler.support import (
    DIAMOND,
    CountingPeer,
    EngineFactory,
    start_run,
    wait_for_state,
    workflow,
)
from tests.support import Client, SignedInUser, make_tenant


async def test_a_dag_runs_to_the_end_and_its_trace_replays(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, DIAMOND)
    await engines()
    url = await start_run(client, slug, user.headers, "diamond", {"who": "ada"})
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["join"]["outputs"] == {"text": "ada:2"}
    assert steps["left"]["input"] == {"x": 2}  # a whole-value reference keeps its type
    assert steps["right"]["outputs"] == {"slept_seconds": 0.05}
    assert all(s["attempts"] == 1 and s["state"] == "succeeded" for s in run["steps"])
    trace = (await client.get(f"{url}/trace", headers=user.headers)).json()
    assert trace["attempts"][0]["step"] == "start"
    assert {a["step"] for a in trace["attempts"]} == {"start", "left", "right", "join"}
    assert trace["plan"] == ["start", "left", "right", "join"]
    assert all(len(a["input_digest"]) == 64 and len(a["output_digest"]) == 64 for a in trace["attempts"])
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay
    assert replay["complete"] is True
    assert replay["order"] == ["start", "left", "right", "join"]
    assert replay["result_digest"] == run["result_digest"] == trace["result_digest"]
    types = [line[7:] for line in (await client.get(f"{url}/events", headers=user.headers)).text.splitlines()
             if line.startswith("event: ")]  # fmt: skip
    assert types[:3] == ["run.created", "run.started", "step.started"]
    assert types[-1] == "run.succeeded"
    assert types.count("step.succeeded") == 4


async def test_retries_follow_the_policy_and_the_trace_records_every_attempt(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    key = uuid.uuid4().hex
    manifest = {
        "metadata": {"name": "flaky"},
        "spec": {
            "steps": [
                {
                    "id": "call",
                    "uses": "http",
                    "with": {"url": f"{peer.base}/fail/2/{key}", "method": "POST", "body": {"a": 1}},
                    "retry": {"max_attempts": 3, "initial_delay_seconds": 0.05, "backoff": "exponential"},
                },
                {
                    "id": "after",
                    "uses": "echo",
                    "needs": ["call"],
                    "with": {"n": "${{ steps.call.outputs.body.count }}"},
                },
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "flaky")
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    assert peer.calls[key] == 3
    call = run["steps"][0]
    assert call["attempts"] == 3
    assert call["outputs"]["body"]["received"] == {"a": 1}
    assert run["steps"][1]["outputs"] == {"n": 3}
    trace = (await client.get(f"{url}/trace", headers=user.headers)).json()
    attempts = [(a["step"], a["attempt"], a["outcome"]) for a in trace["attempts"]]
    assert attempts == [
        ("call", 1, "failed"),
        ("call", 2, "failed"),
        ("call", 3, "succeeded"),
        ("after", 1, "succeeded"),
    ]
    assert trace["attempts"][0]["error"]["kind"] == "http_5xx"
    assert 25 <= trace["attempts"][0]["retry_delay_ms"] <= 50  # 50 ms, shortened by up to 20 % jitter
    assert 50 <= trace["attempts"][1]["retry_delay_ms"] <= 100
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay


async def test_failures_fail_their_step_with_a_reason_skip_downstream_and_keep_the_worker(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "broken"},
        "spec": {
            "inputs": [{"name": "seconds", "type": "any"}],
            "steps": [
                {"id": "bad-input", "uses": "sleep", "with": {"seconds": "${{ inputs.seconds }}"}},
                {"id": "slow", "uses": "sleep", "with": {"seconds": 5}, "timeout_seconds": 0.2},
                {"id": "refused", "uses": "http", "with": {"url": f"{peer.base}/status/404/x", "method": "GET"}},
                {"id": "fine", "uses": "echo", "with": {"ok": True}},
                {"id": "downstream", "uses": "echo", "needs": ["slow", "fine"], "with": {}},
            ],
        },
    }
    await workflow(client, slug, user.headers, manifest)
    engine = await engines()
    url = await start_run(client, slug, user.headers, "broken", {"seconds": "soon"})
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "failed"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["bad-input"]["error"]["kind"] == "invalid_input"
    assert "seconds" in steps["bad-input"]["error"]["message"]
    assert steps["slow"]["error"]["kind"] == "timeout"
    assert steps["refused"]["error"]["kind"] == "http_4xx"
    assert steps["fine"]["state"] == "succeeded"
    assert steps["downstream"]["state"] == "skipped"
    assert run["error"].startswith("step 'bad-input' failed")
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay
    # The worker is still working.
    await workflow(client, slug, user.headers, DIAMOND)
    again = await start_run(client, slug, user.headers, "diamond", {"who": "x"})
    assert (await wait_for_state(client, again, user.headers, {"succeeded"}))["state"] == "succeeded"
    assert not engine.stopping


async def test_cancel_stops_a_running_run_at_once(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "long"},
        "spec": {
            "steps": [
                {"id": "wait", "uses": "sleep", "with": {"seconds": 30}},
                {"id": "never", "uses": "echo", "needs": ["wait"], "with": {}},
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "long")
    await wait_for_state(client, url, user.headers, {"running"})
    started = time.monotonic()
    response = await client.post(f"{url}/cancel", headers=user.headers)
    assert response.status_code in (200, 202), response.text
    run = await wait_for_state(client, url, user.headers, {"cancelled", "succeeded", "failed"}, timeout=5)
    assert run["state"] == "cancelled"
    assert time.monotonic() - started < 2
    assert [s["state"] for s in run["steps"]] == ["cancelled", "cancelled"]
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay


async def test_the_breaker_opens_for_a_failing_target_across_runs(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "down"},
        "spec": {
            "steps": [{"id": "call", "uses": "http", "with": {"url": f"{peer.base}/status/503/b", "method": "GET"}}]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines(scheduler_breaker_failures=2)
    kinds = []
    for _ in range(4):
        url = await start_run(client, slug, user.headers, "down")
        run = await wait_for_state(client, url, user.headers, {"failed", "succeeded"})
        kinds.append(run["steps"][0]["error"]["kind"])
    assert kinds == ["http_5xx", "http_5xx", "circuit_open", "circuit_open"]
    assert peer.calls["b"] == 2
    redis: Redis = Redis.from_url(settings.redis_url or "")
    try:
        raw = await redis.get(breaker_key(settings.redis_key_prefix, peer.base))
        assert raw is not None
        stored = json.loads(raw)
        assert stored["status"] == "open"
    finally:
        await redis.aclose()


async def test_emit_publishes_to_the_events_stream(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "announce"},
        "spec": {"steps": [{"id": "tell", "uses": "emit", "with": {"type": "deploy.done", "data": {"v": 3}}}]},
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "announce")
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    event_id = run["steps"][0]["outputs"]["event_id"]
    redis: Redis = Redis.from_url(settings.redis_url or "")
    try:
        entries = await redis.xrange(f"{settings.redis_key_prefix}events", event_id, event_id)
    finally:
        await redis.aclose()
    assert entries
    _, entry = entries[0]
    assert entry is not None
    fields = {_text(k): _text(v) for k, v in entry.items()}
    assert fields["type"] == "deploy.done"
    assert json.loads(fields["data"]) == {"v": 3}
    assert fields["run"] == url.rsplit("/", 1)[1]


def _text(value: bytes | str) -> str:
    """Redis answers bytes (this client does not decode responses)."""
    return value.decode() if isinstance(value, bytes) else value
