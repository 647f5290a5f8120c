"""Units of work on meters and usage: each opens its transaction, writes the audit row of a
change in it, and returns what changed. They take the database and an audit context, never a
request; the controllers turn HTTP into these calls and back.

Ingest is the hot path (loadtests/ingest.py measures it): one transaction opened together
with the tenant's turn (`repository.ingest_turn`), one statement for the whole batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from fluxforge.audit import repository as audit
from fluxforge.audit.models import PLATFORM_AUDIT_TENANT, AuditContext
from fluxforge.conventions import check_version, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import Conflict, Forbidden, NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.metering import repository
from fluxforge.metering.definitions import apply_definition, check_definition, definition_of, patched_definition
from fluxforge.metering.ingest import columns_of, ingest_result, parse_ingest
from fluxforge.metering.models import IngestResult, Meter, MeterCreate, MeterPatch, UsageReport, Window
from fluxforge.metering.periods import ingest_bounds
from fluxforge.metering.reports import usage_buckets, usage_query


async def _change_meter(
    conn: Connection, context: AuditContext, audit_tenant: uuid.UUID, current: Meter, expected: int, data: MeterPatch
) -> Meter:
    """Write a changed definition and its audit event; an unchanged one is neither written nor audited."""
    check_version(expected, current.version)
    changed = apply_definition(current, patched_definition(current, data), datetime.now(UTC))
    if changed is current:
        return current
    saved = await repository.update_meter(conn, changed, current.version)
    await audit.record_change(conn, context, audit_tenant, "meter.update", str(saved.id), current, saved)
    return saved


async def _delete_meter(
    conn: Connection, context: AuditContext, audit_tenant: uuid.UUID, current: Meter, expected: int | None
) -> None:
    check_version(expected, current.version)
    await repository.delete_meter(conn, current)
    await audit.record_change(conn, context, audit_tenant, "meter.delete", str(current.id), current, None)


# --- the platform's meters ---------------------------------------------------------------------


async def _platform_meter_or_404(conn: Connection, key: str, *, for_update: bool = False) -> Meter:
    found = await repository.platform_meter(conn, key, for_update=for_update)
    if found is None:
        raise NotFound(f"no platform meter {key!r}")
    return found


async def create_platform_meter(
    db: Database, context: AuditContext, data: MeterCreate, once: Once[Meter] | None
) -> Meter | StoredResponse:
    """A meter every tenant is billed by, or the first response to this key; a key a tenant
    already uses is refused, so a platform meter and a tenant's never share one."""
    check_definition(definition_of(data))
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        await repository.lock_meter_key(conn, data.key)
        if tenants := await repository.tenants_using_key(conn, data.key):
            raise Conflict(f"{tenants} tenant(s) have a meter with key {data.key!r}; choose another key")
        meter = await repository.insert_platform_meter(conn, new_id(), data)
        await audit.record_change(conn, context, PLATFORM_AUDIT_TENANT, "meter.create", str(meter.id), None, meter)
        await remember(conn, once, meter)
    return meter


async def list_platform_meters(db: Database, *, after: uuid.UUID | None, limit: int) -> list[Meter]:
    async with db.platform() as conn:
        return await repository.list_platform_meters(conn, after=after, limit=limit)


async def get_platform_meter(db: Database, key: str) -> Meter:
    async with db.platform() as conn:
        return await _platform_meter_or_404(conn, key)


async def change_platform_meter(
    db: Database, context: AuditContext, key: str, data: MeterPatch, expected_version: int
) -> Meter:
    async with db.platform() as conn:
        current = await _platform_meter_or_404(conn, key, for_update=True)
        return await _change_meter(conn, context, PLATFORM_AUDIT_TENANT, current, expected_version, data)


async def delete_platform_meter(db: Database, context: AuditContext, key: str, expected_version: int | None) -> None:
    async with db.platform() as conn:
        current = await _platform_meter_or_404(conn, key, for_update=True)
        await _delete_meter(conn, context, PLATFORM_AUDIT_TENANT, current, expected_version)


# --- a tenant's meters -------------------------------------------------------------------------


async def _own_meter(conn: Connection, tenant_id: uuid.UUID, key: str) -> Meter:
    """The tenant's meter, locked for a change; the platform's meters are read-only to tenants."""
    found = await repository.tenant_meter(conn, tenant_id, key, for_update=True)
    if found is not None:
        return found
    if await repository.platform_key_taken(conn, key):
        raise Forbidden(f"{key!r} is a platform meter; only the platform operator changes it")
    raise NotFound(f"no meter {key!r} in this tenant")


async def create_meter(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, data: MeterCreate, once: Once[Meter] | None
) -> Meter | StoredResponse:
    """A meter over the tenant's own events, or the first response to this key; a platform
    meter's key is refused."""
    check_definition(definition_of(data))
    async with db.tenant(tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        await repository.lock_meter_key(conn, data.key)
        if await repository.platform_key_taken(conn, data.key):
            raise Conflict(f"{data.key!r} is the key of a platform meter; choose another key")
        meter = await repository.insert_meter(conn, tenant_id, new_id(), data)
        await audit.record_change(conn, context, tenant_id, "meter.create", str(meter.id), None, meter)
        await remember(conn, once, meter)
    return meter


async def list_meters(db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Meter]:
    """The meters that apply to the tenant, the platform's and its own (up to limit+1, for paging)."""
    async with db.tenant(tenant_id) as conn:
        return await repository.list_meters(conn, tenant_id, after=after, limit=limit)


async def get_meter(db: Database, tenant_id: uuid.UUID, key: str) -> Meter:
    async with db.tenant(tenant_id) as conn:
        found = await repository.meter_for_tenant(conn, tenant_id, key)
    if found is None:
        raise NotFound(f"no meter {key!r}")
    return found


async def change_meter(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, key: str, data: MeterPatch, expected_version: int
) -> Meter:
    async with db.tenant(tenant_id) as conn:
        current = await _own_meter(conn, tenant_id, key)
        return await _change_meter(conn, context, tenant_id, current, expected_version, data)


async def delete_meter(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, key: str, expected_version: int | None
) -> None:
    async with db.tenant(tenant_id) as conn:
        current = await _own_meter(conn, tenant_id, key)
        await _delete_meter(conn, context, tenant_id, current, expected_version)


# --- usage -------------------------------------------------------------------------------------


async def ingest_usage(
    db: Database, tenant_id: uuid.UUID, body: bytes, *, max_batch: int, future_tolerance_seconds: int
) -> IngestResult:
    """Store a batch's acceptable events and judge each of the others on its own.

    A batch with nothing to store opens no transaction; one with events opens it together with
    the tenant's turn and stores them in one statement.
    """
    parsed = parse_ingest(body, max_batch)
    earliest, latest = ingest_bounds(datetime.now(UTC), future_tolerance_seconds)
    refused: list[tuple[int, str]] = []
    if parsed.events:
        turn = repository.ingest_turn(tenant_id)
        async with db.tenant(tenant_id, then=turn) as conn:
            refused = await repository.ingest(
                conn,
                tenant_id,
                columns_of(parsed),
                earliest=earliest,
                latest=latest,
                reserve_platform_types=True,
                turn_taken=True,
            )
    return ingest_result(parsed, refused, earliest=earliest, tolerance_seconds=future_tolerance_seconds)


async def usage_report(
    db: Database,
    tenant_id: uuid.UUID,
    meter: str,
    *,
    window: Window | None,
    start: datetime | None,
    end: datetime | None,
    group_by: Sequence[str],
) -> UsageReport:
    """A meter's quantity over a range, by window and dimensions, aggregated from the raw events."""
    async with db.tenant(tenant_id) as conn:
        found = await repository.meter_for_tenant(conn, tenant_id, meter)
        if found is None:
            raise NotFound(f"no meter {meter!r}")
        query = usage_query(found, start=start, end=end, window=window, group_by=group_by, now=datetime.now(UTC))
        rows = await repository.usage_rows(conn, tenant_id, query)
    return UsageReport(
        meter=found.key,
        aggregation=found.aggregation,
        unit=found.unit,
        window=window,
        start=query.start,
        end=query.end,
        group_by=list(query.group_by),
        items=usage_buckets(query, rows),
    )
