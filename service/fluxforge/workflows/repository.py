"""SQL for workflows and their versions. Callers pass a tenant-scoped connection.

The tenant is named in every query although row-level security confines it anyway: the
policy's `OR app_is_platform()` keeps the planner from using the (tenant_id, ...) indexes
without it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from fluxforge.db import Connection
from fluxforge.workflows.models import Workflow, WorkflowManifest, WorkflowSpec, WorkflowSummary, WorkflowVersion

_SELECT = """
    SELECT w.id, n.name AS namespace, w.name, w.latest_version, w.status, w.created_at, w.updated_at,
           w.deleted_at, v.version, v.digest, v.manifest, v.created_at AS version_created_at,
           v.created_by AS version_created_by
    FROM workflows w
    JOIN namespaces n ON n.tenant_id = w.tenant_id AND n.id = w.namespace_id
    JOIN workflow_versions v ON v.tenant_id = w.tenant_id AND v.workflow_id = w.id
"""


def _workflow(row: asyncpg.Record) -> Workflow:
    manifest: dict[str, Any] = row["manifest"]
    return Workflow(
        id=row["id"],
        namespace=row["namespace"],
        name=row["name"],
        labels=manifest["metadata"].get("labels", {}),
        version=row["version"],
        latest_version=row["latest_version"],
        digest=row["digest"],
        spec=msgspec.convert(manifest["spec"], WorkflowSpec),
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version_created_at=row["version_created_at"],
        version_created_by=row["version_created_by"],
        deleted_at=row["deleted_at"],
    )


async def create(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    workflow_id: uuid.UUID,
    manifest: WorkflowManifest,
    digest: str,
    actor: str,
) -> Workflow | None:
    """A new workflow at version 1, or None when a live one already has the name."""
    created = await conn.fetchval(
        """
        INSERT INTO workflows (tenant_id, id, namespace_id, name) VALUES ($1, $2, $3, $4)
        ON CONFLICT (tenant_id, namespace_id, name) WHERE status <> 'deleted' DO NOTHING
        RETURNING id
        """,
        tenant_id,
        workflow_id,
        namespace_id,
        manifest.metadata.name,
    )
    if created is None:
        return None
    await _insert_version(conn, tenant_id, workflow_id, 1, manifest, digest, actor)
    found = await get(conn, tenant_id, namespace_id, manifest.metadata.name)
    assert found is not None
    return found


async def _insert_version(
    conn: Connection,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    version: int,
    manifest: WorkflowManifest,
    digest: str,
    actor: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO workflow_versions (tenant_id, workflow_id, version, digest, manifest, steps, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        tenant_id,
        workflow_id,
        version,
        digest,
        manifest,
        len(manifest.spec.steps),
        actor,
    )


async def get(
    conn: Connection,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    name: str,
    *,
    version: int | None = None,
    for_update: bool = False,
) -> Workflow | None:
    """A live workflow at `version` (default: its latest), or None.

    With `for_update` the workflow's row is locked first, on its own, and only then read with
    its version: a locking SELECT over a join would, after waiting for a concurrent update,
    re-check the join against the version row it saw before the wait and find nothing.
    """
    if for_update:
        locked = await conn.fetchval(
            """
            SELECT id FROM workflows
            WHERE tenant_id = $1 AND namespace_id = $2 AND name = $3 AND status <> 'deleted'
            FOR UPDATE
            """,
            tenant_id,
            namespace_id,
            name,
        )
        if locked is None:
            return None
    row = await conn.fetchrow(
        _SELECT
        + """
            AND v.version = coalesce($4, w.latest_version)
        WHERE w.tenant_id = $1 AND w.namespace_id = $2 AND w.name = $3 AND w.status <> 'deleted'
        """,
        tenant_id,
        namespace_id,
        name,
        version,
    )
    return _workflow(row) if row is not None else None


async def add_version(
    conn: Connection,
    current: Workflow,
    tenant_id: uuid.UUID,
    manifest: WorkflowManifest,
    digest: str,
    actor: str,
    now: datetime,
) -> Workflow:
    """The next version of `current` (read FOR UPDATE in this transaction), as the latest."""
    version = current.latest_version + 1
    await _insert_version(conn, tenant_id, current.id, version, manifest, digest, actor)
    await conn.execute(
        "UPDATE workflows SET latest_version = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        current.id,
        version,
        now,
    )
    row = await conn.fetchrow(
        _SELECT + " AND v.version = w.latest_version WHERE w.tenant_id = $1 AND w.id = $2", tenant_id, current.id
    )
    assert row is not None
    return _workflow(row)


async def soft_delete(conn: Connection, current: Workflow, tenant_id: uuid.UUID, now: datetime) -> Workflow:
    """Mark the workflow deleted; its versions stay, for the runs that pinned them."""
    await conn.execute(
        """
        UPDATE workflows SET status = 'deleted', deleted_at = $3, updated_at = $3
        WHERE tenant_id = $1 AND id = $2
        """,
        tenant_id,
        current.id,
        now,
    )
    return msgspec.structs.replace(current, status="deleted", deleted_at=now, updated_at=now)


async def list_page(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[WorkflowSummary]:
    """Up to limit+1 live workflows of the namespace in id (creation) order, at their latest version."""
    rows = await conn.fetch(
        """
        SELECT w.id, n.name AS namespace, w.name, v.manifest -> 'metadata' -> 'labels' AS labels,
               w.latest_version AS version, v.digest, v.steps, w.status, w.created_at, w.updated_at, w.deleted_at
        FROM workflows w
        JOIN namespaces n ON n.tenant_id = w.tenant_id AND n.id = w.namespace_id
        JOIN workflow_versions v ON v.tenant_id = w.tenant_id AND v.workflow_id = w.id AND v.version = w.latest_version
        WHERE w.tenant_id = $1 AND w.namespace_id = $2 AND w.status <> 'deleted'
          AND ($3::uuid IS NULL OR w.id > $3)
        ORDER BY w.id LIMIT $4
        """,
        tenant_id,
        namespace_id,
        after,
        limit + 1,
    )
    return [msgspec.convert({**dict(row), "labels": row["labels"] or {}}, WorkflowSummary) for row in rows]


async def list_versions(
    conn: Connection, tenant_id: uuid.UUID, workflow_id: uuid.UUID, *, before: int | None, limit: int
) -> list[WorkflowVersion]:
    """Up to limit+1 versions, newest first, older than `before` when given."""
    rows = await conn.fetch(
        """
        SELECT version, digest, steps, created_at, created_by FROM workflow_versions
        WHERE tenant_id = $1 AND workflow_id = $2 AND ($3::int IS NULL OR version < $3)
        ORDER BY version DESC LIMIT $4
        """,
        tenant_id,
        workflow_id,
        before,
        limit + 1,
    )
    return [WorkflowVersion(**dict(row)) for row in rows]


async def pinned_manifest(
    conn: Connection, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int
) -> WorkflowManifest | None:
    """The manifest of one version, also of a deleted workflow: what a run pinned is what it runs."""
    manifest = await conn.fetchval(
        "SELECT manifest FROM workflow_versions WHERE tenant_id = $1 AND workflow_id = $2 AND version = $3",
        tenant_id,
        workflow_id,
        version,
    )
    return msgspec.convert(manifest, WorkflowManifest) if manifest is not None else None
