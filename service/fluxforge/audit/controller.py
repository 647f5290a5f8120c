"""A tenant's audit trail: /v1/tenants/{tenant}/audit-events, listed page by page or exported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.openapi.spec import OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.params import QueryParameter
from litestar.response import Stream

from fluxforge.audit import logic, service
from fluxforge.audit.models import AuditEventPage, ExportFormat
from fluxforge.conventions import DEFAULT_LIMIT
from fluxforge.web.access import access_of, require
from fluxforge.web.contract import TENANT_SECURITY, ContractOperation
from fluxforge.web.params import Cursor, Limit, TenantPath
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

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
        services: Services,
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
        rows = await service.list_events(services.db, access.tenant_id, filters, after=after, limit=limit)
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
        services: Services,
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
            service.export_chunks(services.db, access.tenant_id, filters, export_format),
            media_type=logic.MEDIA_TYPES[export_format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
