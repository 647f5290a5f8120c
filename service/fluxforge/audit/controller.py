"""A tenant's audit trail: /v1/tenants/{tenant}/audit-events, listed page by page or exported."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.params import QueryParameter
from litestar.response import Stream

from fluxforge.audit import logic, repository
from fluxforge.audit.models import AuditEvent, AuditEventPage, AuditFilter, AuditPosition, ExportFormat
from fluxforge.conventions import DEFAULT_LIMIT
from fluxforge.db import Database
from fluxforge.web.access import access_of, require
from fluxforge.web.contract import TENANT_SECURITY, ContractOperation
from fluxforge.web.params import Cursor, Limit, TenantPath
from fluxforge.web.problems import problem_responses

EXPORT_BATCH = 1_000
"""Rows per query while exporting: a large export streams through memory one batch at a time."""

ActorFilter = Annotated[
    str | None,
    QueryParameter(max_length=200, description="Only events by this actor, e.g. `user:<id>` or `api_key:<id>`."),
]
ActionFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        description="Only events with this action (`tenant.update`), or, ending in `*`, with this prefix (`tenant.*`).",
    ),
]
Since = Annotated[
    datetime | None,
    QueryParameter(description="Only events at or after this RFC 3339 date-time (with offset, e.g. `Z`)."),
]
Until = Annotated[
    datetime | None,
    QueryParameter(description="Only events before this RFC 3339 date-time (exclusive, so windows do not overlap)."),
]
Format = Annotated[
    ExportFormat,
    QueryParameter(name="format", description="`csv` (RFC 4180, formula-safe) or `jsonl` (one event per line)."),
]


@dataclass
class ExportOperation(ContractOperation):
    """The export's 200 in OpenAPI: Litestar cannot tell what a Stream carries, so it is spelled out."""

    def __post_init__(self) -> None:
        text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
        self.responses = self.responses or {}
        self.responses["200"] = OpenAPIResponse(
            description="The matching events, newest first, as an attachment.",
            headers={
                "Content-Disposition": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description='attachment; filename="audit-events-<tenant>.<format>"',
                )
            },
            content=dict.fromkeys(logic.MEDIA_TYPES.values(), text),
        )
        super().__post_init__()


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
        async with db.tenant(tenant_id) as conn:
            rows = await repository.list_page(conn, tenant_id, filters, after=after, limit=batch_size)
        batch = rows[:batch_size]
        if batch:
            yield render(batch)
        if len(rows) <= batch_size:
            return
        after = logic.position_of(batch[-1])


class AuditEventController(Controller):
    path = "/v1/tenants/{tenant:str}/audit-events"
    tags = ["Audit"]
    security = TENANT_SECURITY

    @get(
        operation_id="ListAuditEvents",
        summary="Audit events of the tenant, newest first, filtered by actor, action and time",
        guards=[require("audit:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        actor: ActorFilter = None,
        action: ActionFilter = None,
        since: Since = None,
        until: Until = None,
    ) -> AuditEventPage:
        access = access_of(request)
        filters = logic.audit_filter(actor=actor, action=action, since=since, until=until)
        after = logic.decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_page(conn, access.tenant_id, filters, after=after, limit=limit)
        items, next_cursor = logic.page_of(rows, limit)
        return AuditEventPage(items=items, next_cursor=next_cursor)

    @get(
        "/export",
        operation_id="ExportAuditEvents",
        summary="Download the tenant's audit events (same filters as the list) as CSV or JSON lines, streamed",
        guards=[require("audit:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        operation_class=ExportOperation,
    )
    async def export_events(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        export_format: Format = "csv",
        actor: ActorFilter = None,
        action: ActionFilter = None,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        access = access_of(request)
        filters = logic.audit_filter(actor=actor, action=action, since=since, until=until)
        filename = logic.export_filename(access.tenant.slug, export_format)
        return Stream(
            export_chunks(state.db, access.tenant_id, filters, export_format),
            media_type=logic.MEDIA_TYPES[export_format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
