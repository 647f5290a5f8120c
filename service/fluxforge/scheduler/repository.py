"""The scheduler's SQL: the queue, claims that take fencing tokens, and fenced batch writes.

All of it runs in platform units of work (the scheduler serves every tenant). Two rules hold
everywhere:
- A claim takes the run's next fencing token (`fence = fence + 1`) and marks it running in one
  statement, after the worker won the run's Redis lease. Tokens therefore only grow, whatever
  happens to Redis, and no run is ever "claimed" without being marked.
- Every write of a run's or its steps' state names the writer's token and matches no row when
  a newer token was taken since: the run row's UPDATE ... WHERE fence = $token decides, and the
  step rows and events of that run are written only when it matched, all in one statement.
  Many runs' writes share that statement (and its commit): one commit per step would cap a worker
  near 1,300 steps/s on our 2-core machines.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from fluxforge.db import Connection
from fluxforge.runs.progress import Advance, StepView
from fluxforge.scheduler.fairness import Candidate

ACTIVE_STATES = ["running", "cancelling"]
CLAIM_LOCK = 0x6666_7363_6865_64  # serialises claims of queued runs, so concurrency limits are exact


def ms_of(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def moment_of(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


async def lock_claims(conn: Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", CLAIM_LOCK)


async def admission_mode(conn: Connection) -> str:
    mode: str = await conn.fetchval("SELECT mode FROM scheduler_admission")
    return mode


async def pending_candidates(conn: Connection, per_tenant: int) -> list[Candidate]:
    """The head of every tenant's queue (up to `per_tenant` runs each).

    Tenants with queued runs are found by a loose index scan over runs_pending (one index
    probe per tenant, however many runs each has queued), then each tenant's head is read
    from the same index.
    """
    rows = await conn.fetch(
        """
        WITH RECURSIVE tenants(tenant_id) AS (
            (SELECT tenant_id FROM runs WHERE state = 'pending' ORDER BY tenant_id LIMIT 1)
            UNION ALL
            SELECT (SELECT r.tenant_id FROM runs r
                    WHERE r.state = 'pending' AND r.tenant_id > t.tenant_id ORDER BY r.tenant_id LIMIT 1)
            FROM tenants t WHERE t.tenant_id IS NOT NULL
        )
        SELECT c.tenant_id, c.id, c.namespace_id, c.queue_at
        FROM tenants t CROSS JOIN LATERAL (
            SELECT r.tenant_id, r.id, r.namespace_id, r.queue_at FROM runs r
            WHERE r.tenant_id = t.tenant_id AND r.state = 'pending'
            ORDER BY r.queue_at, r.id LIMIT $1
        ) c
        WHERE t.tenant_id IS NOT NULL
        """,
        per_tenant,
    )
    return [Candidate(r["tenant_id"], r["id"], r["namespace_id"], r["queue_at"]) for r in rows]


async def active_counts(
    conn: Connection, tenant_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, int], dict[tuple[uuid.UUID, uuid.UUID], int]]:
    rows = await conn.fetch(
        """
        SELECT tenant_id, namespace_id, count(*) AS n FROM runs
        WHERE tenant_id = ANY($1::uuid[]) AND state IN ('running', 'cancelling')
        GROUP BY tenant_id, namespace_id
        """,
        list(tenant_ids),
    )
    by_tenant: dict[uuid.UUID, int] = {}
    by_namespace: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for row in rows:
        by_tenant[row["tenant_id"]] = by_tenant.get(row["tenant_id"], 0) + row["n"]
        by_namespace[(row["tenant_id"], row["namespace_id"])] = row["n"]
    return by_tenant, by_namespace


async def active_runs(conn: Connection, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Runs some worker owns (or owned): where the sweep looks for owners that are gone."""
    rows = await conn.fetch(
        "SELECT tenant_id, id FROM runs WHERE state IN ('running', 'cancelling') LIMIT $1",
        limit,
    )
    return [(r["tenant_id"], r["id"]) for r in rows]


async def cancelling(conn: Connection, runs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[uuid.UUID]:
    """Which of these runs were asked to stop (a missed notification is caught here)."""
    if not runs:
        return []
    rows = await conn.fetch(
        """
        SELECT r.id FROM runs r JOIN unnest($1::uuid[], $2::uuid[]) AS c(tenant_id, id)
            ON r.tenant_id = c.tenant_id AND r.id = c.id
        WHERE r.state = 'cancelling'
        """,
        [t for t, _ in runs],
        [r for _, r in runs],
    )
    return [r["id"] for r in rows]


async def claim(
    conn: Connection,
    runs: Sequence[tuple[uuid.UUID, uuid.UUID]],
    worker_id: str,
    *,
    takeover: bool,
) -> list[asyncpg.Record]:
    """Take the next fencing token of each run and mark it running (or keep it running or
    cancelling, for a takeover), with its `run.started` / `run.resumed` event, in one statement.

    Only runs still in the expected states match: a run cancelled or finished meanwhile is
    not returned, and its lease should be released.
    """
    if not runs:
        return []
    states = ACTIVE_STATES if takeover else ["pending"]
    return await conn.fetch(
        """
        WITH c AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS c(tenant_id, id)),
        claimed AS (
            UPDATE runs r SET fence = r.fence + 1, owner = $3,
                state = CASE WHEN r.state = 'pending' THEN 'running' ELSE r.state END,
                started_at = coalesce(r.started_at, now()), event_seq = r.event_seq + 1, updated_at = now()
            FROM c WHERE r.tenant_id = c.tenant_id AND r.id = c.id AND r.state = ANY($4::text[])
            RETURNING r.tenant_id, r.id, r.fence, r.state, r.event_seq
        ), events AS (
            INSERT INTO run_events (tenant_id, run_id, seq, type, fence, data)
            SELECT tenant_id, id, event_seq, $5, fence, jsonb_build_object('worker', $3::text, 'fence', fence)
            FROM claimed
        )
        SELECT tenant_id, id, fence, state, event_seq FROM claimed
        """,
        [t for t, _ in runs],
        [r for _, r in runs],
        worker_id,
        states,
        "run.resumed" if takeover else "run.started",
    )


class LoadedRun(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    fence: int
    state: str
    inputs: dict[str, Any]
    workflow_id: uuid.UUID
    workflow_version: int
    workflow_name: str
    manifest: dict[str, Any]
    steps: list[StepView]


async def load(conn: Connection, claimed: Sequence[asyncpg.Record]) -> list[LoadedRun]:
    """The claimed runs with their pinned manifests and steps as they were recorded."""
    if not claimed:
        return []
    tenants, ids = [c["tenant_id"] for c in claimed], [c["id"] for c in claimed]
    rows = await conn.fetch(
        """
        SELECT r.tenant_id, r.id, r.inputs, r.workflow_id, r.workflow_version, r.workflow_name, v.manifest
        FROM unnest($1::uuid[], $2::uuid[]) AS c(tenant_id, id)
        JOIN runs r ON r.tenant_id = c.tenant_id AND r.id = c.id
        JOIN workflow_versions v
          ON v.tenant_id = r.tenant_id AND v.workflow_id = r.workflow_id AND v.version = r.workflow_version
        """,
        tenants,
        ids,
    )
    step_rows = await conn.fetch(
        """
        SELECT s.run_id, s.step_id, s.position, s.uses, s.state, s.attempts, s.lost_attempts, s.input, s.outputs,
               s.error, s.next_attempt_at, s.started_seq, s.started_at, s.finished_at
        FROM unnest($1::uuid[], $2::uuid[]) AS c(tenant_id, id)
        JOIN run_steps s ON s.tenant_id = c.tenant_id AND s.run_id = c.id
        ORDER BY s.run_id, s.position
        """,
        tenants,
        ids,
    )
    steps: dict[uuid.UUID, list[StepView]] = {}
    for s in step_rows:
        steps.setdefault(s["run_id"], []).append(
            StepView(
                id=s["step_id"],
                uses=s["uses"],
                position=s["position"],
                state=s["state"],
                attempts=s["attempts"],
                lost_attempts=s["lost_attempts"],
                input=s["input"],
                outputs=s["outputs"],
                error=s["error"],
                next_attempt_ms=ms_of(s["next_attempt_at"]),
                started_seq=s["started_seq"],
                started_ms=ms_of(s["started_at"]),
                finished_ms=ms_of(s["finished_at"]),
            )
        )
    by_id = {c["id"]: c for c in claimed}
    return [
        LoadedRun(
            tenant_id=r["tenant_id"],
            run_id=r["id"],
            fence=by_id[r["id"]]["fence"],
            state=by_id[r["id"]]["state"],
            inputs=r["inputs"],
            workflow_id=r["workflow_id"],
            workflow_version=r["workflow_version"],
            workflow_name=r["workflow_name"],
            manifest=r["manifest"],
            steps=steps.get(r["id"], []),
        )
        for r in rows
    ]


class RunWrite(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    fence: int
    advance: Advance


class WriteOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """An accepted write: the seq its events start after, and the run's state after it."""

    base_seq: int
    state: str


_WRITE = """
WITH w AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[])
        AS w(tenant_id, run_id, fence, state, error, result_digest, events)
), ok AS (
    UPDATE runs r SET
        state = coalesce(w.state, r.state),
        error = coalesce(w.error, r.error),
        result_digest = coalesce(w.result_digest, r.result_digest),
        finished_at = CASE WHEN w.state IS NULL THEN r.finished_at ELSE now() END,
        owner = CASE WHEN w.state IS NULL THEN r.owner END,
        event_seq = r.event_seq + w.events,
        updated_at = now()
    FROM w
    WHERE r.tenant_id = w.tenant_id AND r.id = w.run_id AND r.fence = w.fence
    RETURNING r.tenant_id, r.id, r.fence, r.event_seq - w.events AS base, r.state
), steps AS (
    UPDATE run_steps t SET
        state = u.state, attempts = u.attempts, lost_attempts = u.lost, input = u.input, outputs = u.outputs,
        error = u.error, next_attempt_at = u.next_attempt_at, started_at = u.started_at,
        finished_at = u.finished_at,
        started_seq = CASE WHEN u.started_n IS NULL THEN t.started_seq ELSE ok.base + 1 + u.started_n END
    FROM unnest($8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::int[], $13::int[], $14::jsonb[],
                $15::jsonb[], $16::jsonb[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::int[])
        AS u(tenant_id, run_id, step_id, state, attempts, lost, input, outputs, error, next_attempt_at, started_at,
             finished_at, started_n)
    JOIN ok ON ok.tenant_id = u.tenant_id AND ok.id = u.run_id
    WHERE t.tenant_id = u.tenant_id AND t.run_id = u.run_id AND t.step_id = u.step_id
), events AS (
    INSERT INTO run_events (tenant_id, run_id, seq, type, step_id, attempt, fence, data)
    SELECT e.tenant_id, e.run_id, ok.base + e.n, e.type, e.step_id, e.attempt, ok.fence, e.data
    FROM unnest($21::uuid[], $22::uuid[], $23::int[], $24::text[], $25::text[], $26::int[], $27::jsonb[])
        AS e(tenant_id, run_id, n, type, step_id, attempt, data)
    JOIN ok ON ok.tenant_id = e.tenant_id AND ok.id = e.run_id
)
SELECT id, base, state FROM ok
"""


def _append(columns: list[list[Any]], values: tuple[Any, ...]) -> None:
    for column, value in zip(columns, values, strict=True):
        column.append(value)


async def write(conn: Connection, writes: Sequence[RunWrite]) -> dict[uuid.UUID, WriteOutcome]:
    """Apply many runs' writes in one statement; the result holds the runs whose token still
    held. Writes are sorted by run, so concurrent batches lock rows in one order."""
    ordered = sorted(writes, key=lambda w: (w.tenant_id, w.run_id))
    runs: list[list[Any]] = [[] for _ in range(7)]  # column-wise, as unnest() takes them
    steps: list[list[Any]] = [[] for _ in range(13)]
    events: list[list[Any]] = [[] for _ in range(7)]
    for item in ordered:
        advance = item.advance
        _append(
            runs,
            (
                item.tenant_id,
                item.run_id,
                item.fence,
                advance.run_state,
                advance.run_error,
                advance.result_digest,
                len(advance.events),
            ),
        )
        for view in advance.steps.values():
            _append(
                steps,
                (
                    item.tenant_id,
                    item.run_id,
                    view.id,
                    view.state,
                    view.attempts,
                    view.lost_attempts,
                    view.input,
                    view.outputs,
                    view.error,
                    moment_of(view.next_attempt_ms),
                    moment_of(view.started_ms),
                    moment_of(view.finished_ms),
                    view.started_n if view.id in advance.started else None,
                ),
            )
        for n, event in enumerate(advance.events, start=1):
            _append(
                events,
                (item.tenant_id, item.run_id, n, event.type, event.step, event.attempt, event.data),
            )
    rows = await conn.fetch(_WRITE, *runs, *steps, *events)
    return {row["id"]: WriteOutcome(base_seq=row["base"], state=row["state"]) for row in rows}
