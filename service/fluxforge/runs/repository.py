"""SQL for runs as the API reads and changes them. Callers pass a tenant-scoped connection.

The tenant is named in every query although row-level security confines it anyway: the
policy's `OR app_is_platform()` keeps the planner from using the (tenant_id, ...) indexes
without it. The scheduler's own SQL (claims, fenced writes) is in `scheduler.repository`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from fluxforge.db import Connection
from fluxforge.runs.models import Run, RunEvent, RunSummary, SchedulerStatus
from fluxforge.runs.progress import StepView

NOTIFY_CHANNEL = "fluxforge_scheduler"
"""Workers LISTEN here: `run` (a run was queued), `cancel:<run id>`, `admission`."""

_RUN_COLUMNS = """
    r.id, n.name AS namespace, r.workflow_name AS workflow, r.workflow_id, r.workflow_version, r.state,
    r.priority, r.event_seq AS version, r.created_at, r.started_at, r.finished_at, r.error
"""


async def insert_run(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    namespace_id: uuid.UUID,
    workflow_id: uuid.UUID,
    workflow_version: int,
    workflow_name: str,
    inputs: dict[str, Any],
    priority: int,
    queue_at: datetime,
    created_by: str,
    steps: list[StepView],
    needs: dict[str, tuple[str, ...]],
    created_event: dict[str, Any],
) -> None:
    """The run (pending), its steps (pending) and its first event, and a wake-up for workers,
    all in the caller's transaction: a worker can see the run only once all of it is there."""
    await conn.execute(
        """
        INSERT INTO runs (tenant_id, id, namespace_id, workflow_id, workflow_version, workflow_name, inputs,
                          priority, queue_at, created_by, event_seq)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
        """,
        tenant_id,
        run_id,
        namespace_id,
        workflow_id,
        workflow_version,
        workflow_name,
        inputs,
        priority,
        queue_at,
        created_by,
    )
    await conn.execute(
        """
        INSERT INTO run_steps (tenant_id, run_id, step_id, position, uses, needs)
        SELECT $1, $2, s.step_id, s.position, s.uses, x.needs
        FROM unnest($3::text[], $4::int[], $5::text[]) AS s(step_id, position, uses)
        CROSS JOIN LATERAL (SELECT coalesce(array_agg(n), '{}') AS needs
                            FROM jsonb_array_elements_text(($6::jsonb) -> s.step_id) n) x
        """,
        tenant_id,
        run_id,
        [s.id for s in steps],
        [s.position for s in steps],
        [s.uses for s in steps],
        {k: list(v) for k, v in needs.items()},
    )
    await conn.execute(
        """
        INSERT INTO run_events (tenant_id, run_id, seq, type, data) VALUES ($1, $2, 1, 'run.created', $3);
        """,
        tenant_id,
        run_id,
        created_event,
    )
    await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}, 'run'")


async def get(conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> Run | None:
    row = await conn.fetchrow(
        f"""
        SELECT {_RUN_COLUMNS}, r.inputs, r.created_by, r.result_digest
        FROM runs r JOIN namespaces n ON n.tenant_id = r.tenant_id AND n.id = r.namespace_id
        WHERE r.tenant_id = $1 AND r.namespace_id = $2 AND r.id = $3
        """,
        tenant_id,
        namespace_id,
        run_id,
    )
    if row is None:
        return None
    steps = await conn.fetch(
        """
        SELECT step_id AS id, uses, state, needs, attempts, lost_attempts, input, outputs, error,
               next_attempt_at, started_at, finished_at
        FROM run_steps WHERE tenant_id = $1 AND run_id = $2 ORDER BY position
        """,
        tenant_id,
        run_id,
    )
    return msgspec.convert({**dict(row), "steps": [dict(s) for s in steps]}, Run)


async def lock(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID
) -> asyncpg.Record | None:
    """The run's row, locked: the state, version and creation time a change is based on."""
    return await conn.fetchrow(
        """
        SELECT id, state, event_seq, created_at FROM runs
        WHERE tenant_id = $1 AND namespace_id = $2 AND id = $3 FOR UPDATE
        """,
        tenant_id,
        namespace_id,
        run_id,
    )


async def cancel_pending(conn: Connection, tenant_id: uuid.UUID, run_id: uuid.UUID, actor: str) -> None:
    """A run no worker took yet (its row locked by the caller): cancelled, with all its steps."""
    await conn.execute(
        """
        WITH steps AS (
            UPDATE run_steps SET state = 'cancelled', finished_at = now()
            WHERE tenant_id = $1 AND run_id = $2 AND state = 'pending'
            RETURNING step_id, position
        ), run AS (
            UPDATE runs SET state = 'cancelled', finished_at = now(), updated_at = now(),
                            event_seq = event_seq + 2 + (SELECT count(*) FROM steps)
            WHERE tenant_id = $1 AND id = $2
            RETURNING event_seq - 1 - (SELECT count(*) FROM steps) AS base
        )
        INSERT INTO run_events (tenant_id, run_id, seq, type, step_id, data)
        SELECT $1, $2, run.base, 'run.cancel_requested', NULL, jsonb_build_object('by', $3::text) FROM run
        UNION ALL
        SELECT $1, $2, run.base + row_number() OVER (ORDER BY s.position), 'step.cancelled', s.step_id, '{}'
        FROM steps s, run
        UNION ALL
        SELECT $1, $2, run.base + 1 + (SELECT count(*) FROM steps), 'run.cancelled', NULL, '{}' FROM run
        """,
        tenant_id,
        run_id,
        actor,
    )


async def request_cancel(conn: Connection, tenant_id: uuid.UUID, run_id: uuid.UUID, actor: str) -> None:
    """A running run: `cancelling`, for its owner to stop its steps (workers hear it at once)."""
    await conn.execute(
        """
        WITH run AS (
            UPDATE runs SET state = 'cancelling', event_seq = event_seq + 1, updated_at = now()
            WHERE tenant_id = $1 AND id = $2 RETURNING event_seq
        )
        INSERT INTO run_events (tenant_id, run_id, seq, type, data)
        SELECT $1, $2, event_seq, 'run.cancel_requested', jsonb_build_object('by', $3::text) FROM run
        """,
        tenant_id,
        run_id,
        actor,
    )
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, f"cancel:{run_id}")


async def list_page(
    conn: Connection,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    *,
    state: str | None,
    workflow: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[RunSummary]:
    """Up to limit+1 runs, newest first, older than `before` when given."""
    args: list[Any] = [tenant_id, namespace_id]

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    conditions = ["r.tenant_id = $1", "r.namespace_id = $2"]
    if state is not None:
        conditions.append(f"r.state = {bind(state)}")
    if workflow is not None:
        conditions.append(f"r.workflow_name = {bind(workflow)}")
    if before is not None:
        conditions.append(f"r.id < {bind(before)}")
    rows = await conn.fetch(
        f"""
        SELECT {_RUN_COLUMNS}
        FROM runs r JOIN namespaces n ON n.tenant_id = r.tenant_id AND n.id = r.namespace_id
        WHERE {" AND ".join(conditions)}
        ORDER BY r.id DESC LIMIT {bind(limit + 1)}
        """,
        *args,
    )
    return [msgspec.convert(dict(row), RunSummary) for row in rows]


async def run_header(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID
) -> asyncpg.Record | None:
    """What following and tracing a run need: its state, version, pinned workflow, inputs."""
    return await conn.fetchrow(
        """
        SELECT id, state, event_seq, created_at, workflow_id, workflow_version, workflow_name, inputs, result_digest
        FROM runs WHERE tenant_id = $1 AND namespace_id = $2 AND id = $3
        """,
        tenant_id,
        namespace_id,
        run_id,
    )


async def events_after(
    conn: Connection, tenant_id: uuid.UUID, run_id: uuid.UUID, created_at: datetime, after: int, limit: int
) -> list[RunEvent]:
    """Events with seq > after, in order. The bound on occurred_at (a run's events are never
    older than the run) lets PostgreSQL skip the partitions of earlier months."""
    rows = await conn.fetch(
        """
        SELECT seq, occurred_at, type, step_id AS step, attempt, data FROM run_events
        WHERE tenant_id = $1 AND run_id = $2 AND seq > $3 AND occurred_at >= $4
        ORDER BY seq LIMIT $5
        """,
        tenant_id,
        run_id,
        after,
        created_at,
        limit,
    )
    return [msgspec.convert(dict(row), RunEvent) for row in rows]


async def step_states(conn: Connection, tenant_id: uuid.UUID, run_id: uuid.UUID) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT step_id, state FROM run_steps WHERE tenant_id = $1 AND run_id = $2 ORDER BY position",
        tenant_id,
        run_id,
    )
    return {row["step_id"]: row["state"] for row in rows}


# --- the operators' admission switch (platform scope to change; anyone may read) -------------


async def admission(conn: Connection, *, for_update: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT mode, reason, version, updated_at, updated_by FROM scheduler_admission"
        + (" FOR UPDATE" if for_update else "")
    )
    assert row is not None  # seeded by the migration
    return row


async def set_admission(conn: Connection, mode: str, reason: str, actor: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        """
        UPDATE scheduler_admission SET mode = $1, reason = $2, updated_by = $3, updated_at = now(),
                                       version = version + 1
        RETURNING mode, reason, version, updated_at, updated_by
        """,
        mode,
        reason,
        actor,
    )
    assert row is not None
    await conn.execute("SELECT pg_notify($1, 'admission')", NOTIFY_CHANNEL)
    return row


async def scheduler_status(conn: Connection, workers: list[str]) -> SchedulerStatus:
    row = await admission(conn)
    counts = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM runs WHERE state = 'pending') AS pending,
               (SELECT count(*) FROM runs WHERE state IN ('running', 'cancelling')) AS active
        """
    )
    assert counts is not None
    return SchedulerStatus(
        **dict(row), pending_runs=counts["pending"], active_runs=counts["active"], workers=sorted(workers)
    )
