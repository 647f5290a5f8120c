"""Meters (/v1/admin/meters for the platform's, /v1/tenants/{tenant}/meters for a tenant's) and
usage (/v1/tenants/{tenant}/usage): report events in batches, read them back aggregated."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.openapi.spec import Reference, Schema
from litestar.params import Body, JSONBody, PathParameter, QueryParameter
from litestar.typing import FieldDefinition

from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, page_of, required_version
from fluxforge.metering import service
from fluxforge.metering.models import (
    METER_KEY_PATTERN,
    IngestResult,
    Meter,
    MeterCreate,
    MeterPage,
    MeterPatch,
    PropertyName,
    UsageBatch,
    UsageEvent,
    UsageReport,
    Window,
)
from fluxforge.web.access import access_of, audit_context, require, require_admin
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.web.services import Services

MeterRef = Annotated[
    str, PathParameter(description="The meter's key.", min_length=2, max_length=64, pattern=METER_KEY_PATTERN)
]
METER_ETAG = [ResponseHeader(name="ETag", description="The meter's version.", documentation_only=True)]


def meter_response(meter: Meter, status_code: int = 200, location: str | None = None) -> Response[Meter]:
    headers = {"ETag": etag(meter.version)}
    if location is not None:
        headers["Location"] = location
    return Response(meter, status_code=status_code, headers=headers)


def created_meter_response(meter: Meter, *, meters_url: str) -> Response[Meter]:
    return meter_response(meter, 201, f"{meters_url}/{meter.key}")


class MeterAdminController(Controller):
    """The platform's meters: what FluxForge bills every tenant for (e.g. `api.requests`)."""

    path = "/v1/admin/meters"
    tags = ["AdminMeters"]
    guards = [require_admin]
    security = ADMIN_SECURITY

    @post(
        operation_id="CreatePlatformMeter",
        summary="Define a meter that applies to every tenant",
        status_code=201,
        responses=problem_responses(400, 401, 409, 413, kinds=AS_PUBLISHED_409),
        response_headers=METER_ETAG,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: JSONBody[MeterCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Meter]:
        respond = partial(created_meter_response, meters_url="/v1/admin/meters")
        key = once(request, idempotency_key, "createPlatformMeter", data, respond)
        created = await service.create_platform_meter(services.db, audit_context(request), data, key)
        return answer(created, Meter, respond)

    @get(operation_id="ListPlatformMeters", summary="List the platform's meters", responses=problem_responses(400, 401))
    async def list_all(self, services: Services, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> MeterPage:
        rows = await service.list_platform_meters(services.db, after=decode_cursor(cursor), limit=limit)
        items, next_cursor = page_of(rows, limit)
        return MeterPage(items=items, next_cursor=next_cursor)

    @get(
        "/{meter:str}",
        operation_id="GetPlatformMeter",
        summary="Get one of the platform's meters",
        responses=problem_responses(400, 401, 404),
        response_headers=METER_ETAG,
    )
    async def get_one(self, services: Services, meter: MeterRef) -> Response[Meter]:
        return meter_response(await service.get_platform_meter(services.db, meter))

    @patch(
        "/{meter:str}",
        operation_id="UpdatePlatformMeter",
        summary="Change a platform meter's definition (JSON merge patch; needs If-Match)",
        responses=problem_responses(400, 401, 404, 409, 412, 413, 428, kinds=AS_PUBLISHED_409),
        response_headers=METER_ETAG,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        meter: MeterRef,
        data: JSONBody[MeterPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Meter]:
        expected = required_version(if_match)
        saved = await service.change_platform_meter(services.db, audit_context(request), meter, data, expected)
        return meter_response(saved)

    @delete(
        "/{meter:str}",
        operation_id="DeletePlatformMeter",
        summary="Delete a platform meter; its events stay (If-Match optional)",
        status_code=204,
        responses=problem_responses(400, 401, 404, 412),
    )
    async def delete_one(
        self, request: Request[Any, Any, Any], services: Services, meter: MeterRef, if_match: IfMatchOptional = None
    ) -> None:
        expected = optional_version(if_match)
        await service.delete_platform_meter(services.db, audit_context(request), meter, expected)


class MeterController(Controller):
    """A tenant's meters over the usage it reports, beside the platform's (read-only here)."""

    path = "/v1/tenants/{tenant:str}/meters"
    tags = ["Meters"]
    security = TENANT_SECURITY

    @post(
        operation_id="CreateMeter",
        summary="Define a meter over the tenant's usage events",
        status_code=201,
        guards=[require("usage:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429, kinds=AS_PUBLISHED_409),
        response_headers=METER_ETAG,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        data: JSONBody[MeterCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Meter]:
        access = access_of(request)
        respond = partial(created_meter_response, meters_url=f"/v1/tenants/{access.tenant.slug}/meters")
        key = once(request, idempotency_key, "createMeter", data, respond)
        created = await service.create_meter(services.db, audit_context(request), access.tenant_id, data, key)
        return answer(created, Meter, respond)

    @get(
        operation_id="ListMeters",
        summary="The meters that apply to the tenant: the platform's and its own",
        guards=[require("usage:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> MeterPage:
        tenant_id = access_of(request).tenant_id
        rows = await service.list_meters(services.db, tenant_id, after=decode_cursor(cursor), limit=limit)
        items, next_cursor = page_of(rows, limit)
        return MeterPage(items=items, next_cursor=next_cursor)

    @get(
        "/{meter:str}",
        operation_id="GetMeter",
        summary="Get a meter that applies to the tenant (its own or the platform's)",
        guards=[require("usage:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=METER_ETAG,
    )
    async def get_one(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, meter: MeterRef
    ) -> Response[Meter]:
        return meter_response(await service.get_meter(services.db, access_of(request).tenant_id, meter))

    @patch(
        "/{meter:str}",
        operation_id="UpdateMeter",
        summary="Change one of the tenant's meters (JSON merge patch; needs If-Match)",
        guards=[require("usage:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 428, 429, kinds=AS_PUBLISHED_409),
        response_headers=METER_ETAG,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        meter: MeterRef,
        data: JSONBody[MeterPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Meter]:
        expected = required_version(if_match)
        tenant_id = access_of(request).tenant_id
        saved = await service.change_meter(services.db, audit_context(request), tenant_id, meter, data, expected)
        return meter_response(saved)

    @delete(
        "/{meter:str}",
        operation_id="DeleteMeter",
        summary="Delete one of the tenant's meters; its events stay (If-Match optional)",
        status_code=204,
        guards=[require("usage:write")],
        responses=problem_responses(400, 401, 403, 404, 412, 429),
    )
    async def delete_one(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        meter: MeterRef,
        if_match: IfMatchOptional = None,
    ) -> None:
        expected = optional_version(if_match)
        tenant_id = access_of(request).tenant_id
        await service.delete_meter(services.db, audit_context(request), tenant_id, meter, expected)


# --- usage ------------------------------------------------------------------------------------


class RawIngestBody(AbstractDTO[Any]):
    """Hands the ingest route its body untouched, and documents it as a batch or one event.

    Litestar would decode the body into Python objects and then into Structs, and refuse the
    whole batch at the first bad event; ingest decodes it straight into Structs itself and
    judges each event on its own (`ingest.parse_ingest`).
    """

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def is_supported_model_type_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        schema: Reference | Schema = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(UsageBatch | UsageEvent)
        )
        return schema

    def decode_bytes(self, value: bytes) -> Any:
        return value


IngestBody = Annotated[bytes, Body(description='A batch `{"events": [...]}`, or one event object.')]
WindowParam = Annotated[
    Window | None,
    QueryParameter(description="Split the range into UTC calendar hours, days or months; omit for one total."),
]
StartParam = Annotated[
    datetime | None,
    QueryParameter(description="Start of the range, inclusive (RFC 3339 with offset); default: this month's start."),
]
EndParam = Annotated[
    datetime | None, QueryParameter(description="End of the range, exclusive (RFC 3339 with offset); default: now.")
]
GroupByParam = Annotated[
    list[PropertyName] | None,
    QueryParameter(
        description="Dimensions to split by (repeat the parameter): the meter's group_by, or `subject`.",
        max_items=5,
    ),
]


class UsageController(Controller):
    path = "/v1/tenants/{tenant:str}/usage"
    tags = ["Usage"]
    security = TENANT_SECURITY

    @post(
        operation_id="IngestUsage",
        summary='Report usage events: a batch `{"events": [...]}` or a single event object',
        description=(
            "Each event is judged on its own (partial success): the answer, 200 once the accepted "
            "events are committed, says how many were accepted, which (by index) were duplicates of "
            "ids accepted before (counted once; retrying a batch is always safe), and which were "
            "rejected, with a stable `code` and a reason. Rejected: malformed events (`invalid`), "
            "types FluxForge meters itself (`reserved_type`), timestamps before the open usage period "
            "(`before_open_period`: the current UTC month and, until it is closed, the previous one), "
            "in a closed period (`period_closed`) or too far in the future (`in_future`). A body that "
            "is not an object, or with more events than allowed, is refused whole (400)."
        ),
        status_code=200,
        dto=RawIngestBody,
        return_dto=None,
        guards=[require("usage:write")],
        responses=problem_responses(400, 401, 403, 404, 413, 429),
    )
    async def ingest(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, data: IngestBody
    ) -> IngestResult:
        settings = services.settings
        return await service.ingest_usage(
            services.db,
            access_of(request).tenant_id,
            data,
            max_batch=settings.usage_max_batch,
            future_tolerance_seconds=settings.usage_future_tolerance_seconds,
        )

    @get(
        operation_id="GetUsage",
        summary="A meter's quantity over a time range, by window and dimensions, from the raw events",
        guards=[require("usage:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        meter: Annotated[
            str,
            QueryParameter(
                description="The meter's key (the tenant's or the platform's).",
                min_length=2,
                max_length=64,
                pattern=METER_KEY_PATTERN,
            ),
        ],
        window: WindowParam = None,
        start: StartParam = None,
        end: EndParam = None,
        group_by: GroupByParam = None,
    ) -> UsageReport:
        return await service.usage_report(
            services.db,
            access_of(request).tenant_id,
            meter,
            window=window,
            start=start,
            end=end,
            group_by=group_by or [],
        )
