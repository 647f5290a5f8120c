"""SQL for audit events; written in the transaction of the change they describe."""

from __future__ import annotations

from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.conventions import new_id
from fluxforge.db import Connection
from fluxforge.telemetry import redact


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
