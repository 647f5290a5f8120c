"""Reading a tenant's audit trail: a page at a time, or the whole of it streamed as an export.

Audit rows are written by the other domains' units of work, in their own transactions
(`audit.repository.record`); here they are only read, each read in a short transaction of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

from fluxforge.audit import logic, repository
from fluxforge.audit.models import AuditEvent, AuditFilter, AuditPosition, ExportFormat
from fluxforge.db import Database

EXPORT_BATCH = 1_000
"""Rows per query while exporting: a large export streams through memory one batch at a time."""


async def list_events(
    db: Database, tenant_id: uuid.UUID, filters: AuditFilter, *, after: AuditPosition | None, limit: int
) -> list[AuditEvent]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_page(conn, tenant_id, filters, after=after, limit=limit)


async def export_chunks(
    db: Database,
    tenant_id: uuid.UUID,
    filters: AuditFilter,
    export_format: ExportFormat,
    batch_size: int = EXPORT_BATCH,
) -> AsyncIterator[bytes]:
    """The export, one chunk per batch read by keyset pagination, newest first like the list.

    Each batch is its own short unit of work, and none is open while a chunk waits for the
    client: a slow download must not hold one of the pool's few connections for its duration.
    """
    render: Callable[[list[AuditEvent]], bytes] = logic.csv_rows if export_format == "csv" else logic.jsonl_rows
    if export_format == "csv":
        yield logic.csv_header()
    after: AuditPosition | None = None
    while True:
        rows = await list_events(db, tenant_id, filters, after=after, limit=batch_size)
        batch = rows[:batch_size]
        if batch:
            yield render(batch)
        if len(rows) <= batch_size:
            return
        after = logic.position_of(batch[-1])
