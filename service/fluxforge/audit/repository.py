"""SQL for audit events: written in the transaction of the change they describe, read newest first."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from fluxforge.audit.models import AuditContext, AuditEntry, AuditEvent, AuditFilter, AuditPosition
from fluxforge.conventions import new_id
from fluxforge.db import Connection
from fluxforge.telemetry import redact


def snapshot(resource: msgspec.Struct | dict[str, Any] | None) -> dict[str, Any] | None:
    """A resource as its audit event records it."""
    if resource is None or isinstance(resource, dict):
        return resource
    built: dict[str, Any] = msgspec.to_builtins(resource)
    return built


async def record_change(
    conn: Connection,
    context: AuditContext,
    tenant_id: uuid.UUID,
    action: str,
    target_id: str,
    before: msgspec.Struct | dict[str, Any] | None,
    after: msgspec.Struct | dict[str, Any] | None,
) -> None:
    """Audit a change made by `context`'s actor, in the change's own transaction.

    The target type is the action's noun: `namespace.update` changes a `namespace`.
    """
    entry = AuditEntry(tenant_id, action, action.split(".", 1)[0], target_id, snapshot(before), snapshot(after))
    await record(conn, context, entry)


async def record(conn: Connection, context: AuditContext, entry: AuditEntry) -> None:
    await conn.execute(
        """
        INSERT INTO audit_events (tenant_id, id, actor, action, target_type, target_id,
                                  before, after, request_id, client_ip, result)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """,
        entry.tenant_id,
        new_id(),
        context.actor,
        entry.action,
        entry.target_type,
        entry.target_id,
        redact(entry.before),
        redact(entry.after),
        context.request_id,
        context.client_ip,
        entry.result,
    )


_COLUMNS = "occurred_at, id, actor, action, target_type, target_id, request_id, client_ip, result, before, after"


async def list_page(
    conn: Connection, tenant_id: uuid.UUID, filters: AuditFilter, *, after: AuditPosition | None, limit: int
) -> list[AuditEvent]:
    """Up to limit+1 events, newest first, strictly after `after` in (occurred_at, id) order.

    The tenant is named in the query although row-level security confines it anyway: the
    policy's `OR app_is_platform()` keeps the planner from using the (tenant_id, occurred_at,
    id) index without it. Only the conditions in use are added, each with its value bound,
    so every combination of filters gets a plan of its own instead of one generic plan full
    of `$n IS NULL OR ...` branches.
    """
    args: list[Any] = [tenant_id]

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    conditions = ["tenant_id = $1"]
    if filters.actor is not None:
        conditions.append(f"actor = {bind(filters.actor)}")
    if filters.action is not None:
        conditions.append(f"action = {bind(filters.action)}")
    if filters.action_prefix is not None:
        conditions.append(f"starts_with(action, {bind(filters.action_prefix)})")
    if filters.since is not None:
        conditions.append(f"occurred_at >= {bind(filters.since)}")
    if filters.until is not None:
        conditions.append(f"occurred_at < {bind(filters.until)}")
    if after is not None:
        # The plain bound on occurred_at is implied by the row comparison, but only it lets
        # PostgreSQL skip the partitions of months newer than the page (partition pruning).
        at = bind(after.occurred_at)
        conditions.append(f"(occurred_at, id) < ({at}, {bind(after.id)}) AND occurred_at <= {at}")
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM audit_events
        WHERE {" AND ".join(conditions)}
        ORDER BY occurred_at DESC, id DESC
        LIMIT {bind(limit + 1)}
        """,
        *args,
    )
    return [AuditEvent(**dict(row)) for row in rows]
