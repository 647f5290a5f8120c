"""Meters (/v1/admin/meters for the platform's, /v1/tenants/{tenant}/meters for a tenant's) and
usage (/v1/tenants/{tenant}/usage): report events in batches, read them back aggregated."""

from __future__ import annotations

import uuid
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader, State
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.openapi.spec import Reference, Schema
from litestar.params import Body, JSONBody, PathParameter, QueryParameter
from litestar.typing import FieldDefinition

from fluxforge.audit import repository as audit
from fluxforge.conventions import (
    DEFAULT_LIMIT,
    check_version,
    decode_cursor,
    etag,
    new_id,
    optional_version,
    page_of,
    required_version,
)
from fluxforge.db import Connection
from fluxforge.errors import Conflict, Forbidden, NotFound
from fluxforge.metering import logic, repository
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
from fluxforge.web.idempotency import remember, replay_or_claim
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses

PLATFORM_AUDIT_TENANT = uuid.UUID(int=0)
"""Audit rows of platform-wide changes (the platform's meters) carry the nil tenant id."""

MeterRef = Annotated[
    str, PathParameter(description="The meter's key.", min_length=2, max_length=64, pattern=METER_KEY_PATTERN)
]
METER_ETAG = [ResponseHeader(name="ETag", description="The meter's version.", documentation_only=True)]


def meter_response(meter: Meter, status_code: int = 200, location: str | None = None) -> Response[Meter]:
    headers = {"ETag": etag(meter.version)}
    if location is not None:
        headers["Location"] = location
    return Response(meter, status_code=status_code, headers=headers)


async def _change_meter(
    conn: Connection,
    request: Request[Any, Any, Any],
    audit_tenant: uuid.UUID,
    current: Meter,
    expected: int,
    data: MeterPatch,
) -> Meter:
    check_version(expected, current.version)
    changed = logic.apply_definition(current, logic.patched_definition(current, data), datetime.now(UTC))
    if changed is current:
        return current
    saved = await repository.update_meter(conn, changed, current.version)
    await audit.record_change(conn, audit_context(request), audit_tenant, "meter.update", str(saved.id), current, saved)
    return saved


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
        state: State,
        data: JSONBody[MeterCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Meter]:
        logic.check_definition(logic.definition_of(data))
        async with state.db.platform() as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createPlatformMeter", data, Meter)
            if replay is not None:
                return replay
            await repository.lock_meter_key(conn, data.key)
            if tenants := await repository.tenants_using_key(conn, data.key):
                raise Conflict(f"{tenants} tenant(s) have a meter with key {data.key!r}; choose another key")
            meter = await repository.insert_platform_meter(conn, new_id(), data)
            await audit.record_change(
                conn, audit_context(request), PLATFORM_AUDIT_TENANT, "meter.create", str(meter.id), None, meter
            )
            response = meter_response(meter, 201, f"/v1/admin/meters/{meter.key}")
            await remember(conn, request, idempotency_key, response)
        return response

    @get(operation_id="ListPlatformMeters", summary="List the platform's meters", responses=problem_responses(400, 401))
    async def list_all(self, state: State, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> MeterPage:
        after = decode_cursor(cursor)
        async with state.db.platform() as conn:
            rows = await repository.list_platform_meters(conn, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return MeterPage(items=items, next_cursor=next_cursor)

    @get(
        "/{meter:str}",
        operation_id="GetPlatformMeter",
        summary="Get one of the platform's meters",
        responses=problem_responses(400, 401, 404),
        response_headers=METER_ETAG,
    )
    async def get_one(self, state: State, meter: MeterRef) -> Response[Meter]:
        async with state.db.platform() as conn:
            found = await repository.platform_meter(conn, meter)
        if found is None:
            raise NotFound(f"no platform meter {meter!r}")
        return meter_response(found)

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
        state: State,
        meter: MeterRef,
        data: JSONBody[MeterPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Meter]:
        expected = required_version(if_match)
        async with state.db.platform() as conn:
            current = await repository.platform_meter(conn, meter, for_update=True)
            if current is None:
                raise NotFound(f"no platform meter {meter!r}")
            saved = await _change_meter(conn, request, PLATFORM_AUDIT_TENANT, current, expected, data)
        return meter_response(saved)

    @delete(
        "/{meter:str}",
        operation_id="DeletePlatformMeter",
        summary="Delete a platform meter; its events stay (If-Match optional)",
        status_code=204,
        responses=problem_responses(400, 401, 404, 412),
    )
    async def delete_one(
        self, request: Request[Any, Any, Any], state: State, meter: MeterRef, if_match: IfMatchOptional = None
    ) -> None:
        expected = optional_version(if_match)
        async with state.db.platform() as conn:
            current = await repository.platform_meter(conn, meter, for_update=True)
            if current is None:
                raise NotFound(f"no platform meter {meter!r}")
            check_version(expected, current.version)
            await repository.delete_meter(conn, current)
            await audit.record_change(
                conn, audit_context(request), PLATFORM_AUDIT_TENANT, "meter.delete", str(current.id), current, None
            )


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
        state: State,
        tenant: TenantPath,
        data: JSONBody[MeterCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Meter]:
        logic.check_definition(logic.definition_of(data))
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createMeter", data, Meter)
            if replay is not None:
                return replay
            await repository.lock_meter_key(conn, data.key)
            if await repository.platform_key_taken(conn, data.key):
                raise Conflict(f"{data.key!r} is the key of a platform meter; choose another key")
            meter = await repository.insert_meter(conn, access.tenant_id, new_id(), data)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "meter.create", str(meter.id), None, meter
            )
            response = meter_response(meter, 201, f"/v1/tenants/{access.tenant.slug}/meters/{meter.key}")
            await remember(conn, request, idempotency_key, response)
        return response

    @get(
        operation_id="ListMeters",
        summary="The meters that apply to the tenant: the platform's and its own",
        guards=[require("usage:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> MeterPage:
        access = access_of(request)
        after = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_meters(conn, access.tenant_id, after=after, limit=limit)
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
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, meter: MeterRef
    ) -> Response[Meter]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await repository.meter_for_tenant(conn, access.tenant_id, meter)
        if found is None:
            raise NotFound(f"no meter {meter!r}")
        return meter_response(found)

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
        state: State,
        tenant: TenantPath,
        meter: MeterRef,
        data: JSONBody[MeterPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Meter]:
        expected = required_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _own_meter(conn, access.tenant_id, meter)
            saved = await _change_meter(conn, request, access.tenant_id, current, expected, data)
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
        state: State,
        tenant: TenantPath,
        meter: MeterRef,
        if_match: IfMatchOptional = None,
    ) -> None:
        expected = optional_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _own_meter(conn, access.tenant_id, meter)
            check_version(expected, current.version)
            await repository.delete_meter(conn, current)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "meter.delete", str(current.id), current, None
            )


async def _own_meter(conn: Connection, tenant_id: uuid.UUID, key: str) -> Meter:
    found = await repository.tenant_meter(conn, tenant_id, key, for_update=True)
    if found is not None:
        return found
    if await repository.platform_key_taken(conn, key):
        raise Forbidden(f"{key!r} is a platform meter; only the platform operator changes it")
    raise NotFound(f"no meter {key!r} in this tenant")


# --- usage ------------------------------------------------------------------------------------


class RawIngestBody(AbstractDTO[Any]):
    """Hands the ingest route its body untouched, and documents it as a batch or one event.

    Litestar would decode the body into Python objects and then into Structs, and refuse the
    whole batch at the first bad event; ingest decodes it straight into Structs itself and
    judges each event on its own (`logic.parse_ingest`).
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
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, data: IngestBody
    ) -> IngestResult:
        access = access_of(request)
        settings = state.settings
        parsed = logic.parse_ingest(data, settings.usage_max_batch)
        earliest, latest = logic.ingest_bounds(datetime.now(UTC), settings.usage_future_tolerance_seconds)
        refused: list[tuple[int, str]] = []
        if parsed.events:
            turn = repository.ingest_turn(access.tenant_id)
            async with state.db.tenant(access.tenant_id, then=turn) as conn:
                refused = await repository.ingest(
                    conn,
                    access.tenant_id,
                    logic.columns_of(parsed),
                    earliest=earliest,
                    latest=latest,
                    reserve_platform_types=True,
                    turn_taken=True,
                )
        return logic.ingest_result(
            parsed, refused, earliest=earliest, tolerance_seconds=settings.usage_future_tolerance_seconds
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
        state: State,
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
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await repository.meter_for_tenant(conn, access.tenant_id, meter)
            if found is None:
                raise NotFound(f"no meter {meter!r}")
            query = logic.usage_query(
                found, start=start, end=end, window=window, group_by=group_by or [], now=datetime.now(UTC)
            )
            rows = await repository.usage_rows(conn, access.tenant_id, query)
        return UsageReport(
            meter=found.key,
            aggregation=found.aggregation,
            unit=found.unit,
            window=window,
            start=query.start,
            end=query.end,
            group_by=list(query.group_by),
            items=logic.usage_buckets(query, rows),
        )
