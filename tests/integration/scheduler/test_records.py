"""What a run leaves behind, read back: replay names the first divergence from the record, traces
diff, and a follower sees every event live and in order."""

from __future__ import annotations

import time
import uuid

import asyncpg

from fluxforge.config import Settings
from fluxforge.db import Database
from fluxforge.runs.events import follow
from tests.integration.scheduler.support import DIAMOND, EngineFactory, start_run, wait_for_state, workflow
from tests.support import Client, SignedInUser, make_tenant


async def test_replay_names_the_first_divergence_and_traces_diff(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, DIAMOND)
    await engines()
    first = await start_run(client, slug, user.headers, "diamond", {"who": "ada"})
    second = await start_run(client, slug, user.headers, "diamond", {"who": "bob"})
    for url in (first, second):
        await wait_for_state(client, url, user.headers, {"succeeded"})
    diff = (
        await client.get(f"{first}/trace/diff", params={"other": second.rsplit("/", 1)[1]}, headers=user.headers)
    ).json()
    assert diff["identical"] is False
    fields = {(d["step"], d["field"]) for d in diff["differences"]}
    assert (None, "inputs_digest") in fields
    assert ("start", "output_digest") in fields
    assert ("right", "output_digest") not in fields  # sleep's output does not depend on the input
    same = (
        await client.get(f"{first}/trace/diff", params={"other": first.rsplit("/", 1)[1]}, headers=user.headers)
    ).json()
    assert same["identical"] is True
    # Tamper with the record: the output of `start` as recorded no longer matches its digest.
    run_id = uuid.UUID(first.rsplit("/", 1)[1])
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(data, '{output,n}', '3')
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'start'""",
        run_id,
    )
    replay = (await client.post(f"{first}/replay", headers=user.headers)).json()
    assert replay["verified"] is False
    assert replay["divergence"]["step"] == "start"
    assert replay["divergence"]["field"] == "output_digest"
    # A consistent but different history: `left` recorded another output, so `join`'s input diverges.
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(data, '{output,n}', '2')
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'start'""",
        run_id,
    )
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(jsonb_set(data, '{output,x}', '7'), '{output_digest}',
                                                  to_jsonb($2::text))
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'left'""",
        run_id,
        __import__("fluxforge.runs.logic", fromlist=["digest"]).digest({"x": 7}),
    )
    replay = (await client.post(f"{first}/replay", headers=user.headers)).json()
    assert replay["verified"] is False
    divergence = replay["divergence"]
    assert (divergence["step"], divergence["field"]) == ("join", "input")
    assert divergence["expected"] == {"text": "ada:7"}
    assert divergence["got"] == {"text": "ada:2"}
    other = await client.get(f"{first}/trace/diff", params={"other": str(uuid.uuid4())}, headers=user.headers)
    assert other.status_code == 404


async def test_following_a_run_live_sees_every_event_in_order(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
    app_db: Database,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "steps"},
        "spec": {
            "steps": [
                {"id": "one", "uses": "sleep", "with": {"seconds": 0.2}},
                {"id": "two", "uses": "sleep", "needs": ["one"], "with": {"seconds": 0.2}},
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    url = await start_run(client, slug, user.headers, "steps")
    run_id = uuid.UUID(url.rsplit("/", 1)[1])
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    namespace_id = await owner_conn.fetchval("SELECT namespace_id FROM runs WHERE id = $1", run_id)
    # The follower runs in this event loop beside the engine (the HTTP route streams the same
    # generator; the test client would block this loop until the stream ends).
    follower = follow(app_db, settings.redis_url or "", settings.redis_key_prefix, tenant_id, namespace_id, run_id, 0)
    first = await anext(follower)
    assert (first.id, first.event) == (1, "run.created")
    await engines()
    seen: list[tuple[int, str]] = [(1, "run.created")]
    arrived: list[float] = []
    async for message in follower:
        if message.id is not None:
            seen.append((int(message.id), str(message.event)))
            arrived.append(time.monotonic())
    assert [seq for seq, _ in seen] == list(range(1, len(seen) + 1))
    assert [t for _, t in seen] == [
        "run.created",
        "run.started",
        "step.started",
        "step.succeeded",
        "step.started",
        "step.succeeded",
        "run.succeeded",
    ]
    # Live: the second step's start reached the follower while the run was still going (the
    # first step sleeps 0.2 s, so events arrive spread out rather than all at the end).
    assert arrived[-1] - arrived[1] >= 0.3
