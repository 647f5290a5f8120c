"""Workflows of a namespace: create, update (new immutable versions), read, list, delete, validate.

Manifests arrive as `application/json` or `application/yaml`, so the routes read the raw
body and parse it by content type (Litestar's own body parsing knows JSON only and stops at
the first bad field; `workflows.manifest` reports them all).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader, State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Reference, RequestBody, Schema
from litestar.params import PathParameter, QueryParameter

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
from fluxforge.errors import BadRequest, Conflict, FieldError, InvalidRequest, NotFound
from fluxforge.rbac.models import TenantAccess
from fluxforge.web.access import access_of, audit_context, require
from fluxforge.web.contract import TENANT_SECURITY, ContractOperation
from fluxforge.web.idempotency import remember, replay_or_claim
from fluxforge.web.params import (
    Cursor,
    IdempotencyKeyHeader,
    IfMatchOptional,
    IfMatchRequired,
    Limit,
    NamespacePath,
    TenantPath,
)
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.workflows import graph, manifest, repository
from fluxforge.workflows.models import (
    MAX_MANIFEST_BYTES,
    ValidationResult,
    Workflow,
    WorkflowManifest,
    WorkflowPage,
    WorkflowSummary,
    WorkflowVersionPage,
)

WorkflowRef = Annotated[str, PathParameter(description="The workflow's name.", max_length=63)]
ETAG_HEADER = [
    ResponseHeader(
        name="ETag", description="The workflow's version; send it back in If-Match.", documentation_only=True
    )
]
MAX_VERSION = 2**31 - 1
INLINE_PARSE_BYTES = 16 * 1024


@dataclass
class ManifestBody(ContractOperation):
    """Documents the request body these routes read themselves: a WorkflowManifest as JSON or YAML.

    The YAML form is described as a binary string, not as the WorkflowManifest schema: a YAML
    document is text to be parsed, and this is the form code generators (the SDK's
    openapi-python-client) turn into a raw-bytes body instead of serialising a model as JSON
    under a YAML content type."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=f"A workflow manifest (at most {MAX_MANIFEST_BYTES} bytes) as JSON, or the same as YAML.",
            content={
                "application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/WorkflowManifest")),
                "application/yaml": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.STRING,
                        format=OpenAPIFormat.BINARY,
                        description="A WorkflowManifest written as YAML.",
                    )
                ),
            },
        )
        super().__post_init__()


def workflow_response(workflow: Workflow, status_code: int = 200, tenant: str | None = None) -> Response[Workflow]:
    headers = {"ETag": etag(workflow.version)}
    if tenant is not None:
        headers["Location"] = f"/v1/tenants/{tenant}/namespaces/{workflow.namespace}/workflows/{workflow.name}"
    return Response(workflow, status_code=status_code, headers=headers)


def summary_of(workflow: Workflow) -> WorkflowSummary:
    """What an audit event records of a workflow: its identity and version, not its whole spec."""
    return WorkflowSummary(
        id=workflow.id,
        namespace=workflow.namespace,
        name=workflow.name,
        labels=workflow.labels,
        version=workflow.latest_version,
        digest=workflow.digest,
        steps=len(workflow.spec.steps),
        status=workflow.status,
        created_at=workflow.created_at,
        updated_at=workflow.updated_at,
        deleted_at=workflow.deleted_at,
    )


async def _read_manifest(request: Request[Any, Any, Any]) -> WorkflowManifest:
    """The checked manifest of the request body. Large bodies are parsed in a worker thread:
    a 256 KiB YAML document of tiny nodes takes about half a second to parse, which must not
    stall every other request this process serves."""
    body = await request.body()
    content_type = request.headers.get("content-type")
    if len(body) <= INLINE_PARSE_BYTES:
        return manifest.load(body, content_type)
    return await anyio.to_thread.run_sync(manifest.load, body, content_type)


def _namespace_id(access: TenantAccess) -> uuid.UUID:
    assert access.namespace_id is not None  # the guard resolved the path's namespace
    return access.namespace_id


async def _live_or_404(conn: Connection, access: TenantAccess, name: str, *, for_update: bool = False) -> Workflow:
    found = await repository.get(conn, access.tenant_id, _namespace_id(access), name, for_update=for_update)
    if found is None:
        raise NotFound(f"no workflow {name!r} in this namespace")
    return found


class WorkflowController(Controller):
    path = "/v1/tenants/{tenant:str}/namespaces/{namespace:str}"
    tags = ["Workflows"]
    security = TENANT_SECURITY

    @post(
        "/workflows",
        operation_id="CreateWorkflow",
        summary="Create a workflow from a manifest (JSON or YAML); the same manifest again changes nothing",
        status_code=201,
        guards=[require("workflow:write")],
        request_max_body_size=MAX_MANIFEST_BYTES,
        operation_class=ManifestBody,
        responses={
            200: ResponseSpec(
                data_container=Workflow,
                description="A live workflow of that name already has exactly this manifest; nothing changed.",
                generate_examples=False,
            ),
            **problem_responses(400, 401, 403, 404, 409, 413, 415, 429, kinds=AS_PUBLISHED_409),
        },
        response_headers=[
            *ETAG_HEADER,
            ResponseHeader(name="Location", description="URL of the new workflow.", documentation_only=True),
        ],
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Workflow]:
        access = access_of(request)
        found = await _read_manifest(request)
        digest = manifest.digest(found)
        namespace_id = _namespace_id(access)
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(
                conn, request, idempotency_key, "createWorkflow", [str(namespace_id), digest], Workflow
            )
            if replay is not None:
                return replay
            created = await repository.create(
                conn,
                tenant_id=access.tenant_id,
                namespace_id=namespace_id,
                workflow_id=new_id(),
                manifest=found,
                digest=digest,
                actor=access.principal.actor,
            )
            if created is not None:
                await audit.record_change(
                    conn,
                    audit_context(request),
                    access.tenant_id,
                    "workflow.create",
                    str(created.id),
                    None,
                    summary_of(created),
                )
                result, status_code = created, 201
            else:
                existing = await _live_or_404(conn, access, found.metadata.name, for_update=True)
                if existing.digest != digest:
                    raise Conflict(
                        f"workflow {existing.name!r} exists with another manifest (version {existing.version}); "
                        "change it with PUT and If-Match",
                        headers={"ETag": etag(existing.version)},
                    )
                result, status_code = existing, 200
            response = workflow_response(result, status_code, access.tenant.slug if status_code == 201 else None)
            await remember(conn, request, idempotency_key, response)
        return response

    @post(
        "/workflows:validate",
        operation_id="ValidateWorkflow",
        summary="Check a manifest without storing it: every error at once, or its normalised form and plan order",
        status_code=200,
        guards=[require("workflow:read")],
        request_max_body_size=MAX_MANIFEST_BYTES,
        operation_class=ManifestBody,
        responses=problem_responses(400, 401, 403, 404, 413, 415, 429),
    )
    async def validate(
        self, request: Request[Any, Any, Any], tenant: TenantPath, namespace: NamespacePath
    ) -> ValidationResult:
        found = await _read_manifest(request)
        return ValidationResult(
            valid=True, digest=manifest.digest(found), order=graph.topological_order(found.spec), manifest=found
        )

    @get(
        "/workflows",
        operation_id="ListWorkflows",
        summary="List the namespace's workflows at their latest versions",
        guards=[require("workflow:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> WorkflowPage:
        access = access_of(request)
        after = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_page(conn, access.tenant_id, _namespace_id(access), after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return WorkflowPage(items=items, next_cursor=next_cursor)

    @get(
        "/workflows/{name:str}",
        operation_id="GetWorkflow",
        summary="Get a workflow at its latest version, or at ?version=n",
        guards=[require("workflow:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=ETAG_HEADER,
    )
    async def get_one(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        version: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_VERSION, description="A version (default: the latest).")
        ] = None,
    ) -> Response[Workflow]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await repository.get(conn, access.tenant_id, _namespace_id(access), name, version=version)
            if found is None and version is not None:
                await _live_or_404(conn, access, name)  # 404 for the workflow itself first
                raise NotFound(f"workflow {name!r} has no version {version}")
        if found is None:
            raise NotFound(f"no workflow {name!r} in this namespace")
        return workflow_response(found)

    @put(
        "/workflows/{name:str}",
        operation_id="UpdateWorkflow",
        summary="Replace a workflow's manifest: a changed one becomes a new version (needs If-Match)",
        guards=[require("workflow:write")],
        request_max_body_size=MAX_MANIFEST_BYTES,
        operation_class=ManifestBody,
        responses=problem_responses(400, 401, 403, 404, 412, 413, 415, 428, 429),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        if_match: IfMatchRequired = None,
    ) -> Response[Workflow]:
        expected = required_version(if_match)
        access = access_of(request)
        found = await _read_manifest(request)
        if found.metadata.name != name:
            message = f"must be {name!r}, the name in the path (a workflow cannot be renamed)"
            raise InvalidRequest(
                f"metadata.name: {message}", errors=[FieldError(field="metadata.name", message=message)]
            )
        digest = manifest.digest(found)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _live_or_404(conn, access, name, for_update=True)
            check_version(expected, current.latest_version)
            if current.digest == digest:
                return workflow_response(current)
            saved = await repository.add_version(
                conn, current, access.tenant_id, found, digest, access.principal.actor, datetime.now(UTC)
            )
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "workflow.update",
                str(saved.id),
                summary_of(current),
                summary_of(saved),
            )
        return workflow_response(saved)

    @delete(
        "/workflows/{name:str}",
        operation_id="DeleteWorkflow",
        summary="Soft-delete a workflow; runs keep the versions they pinned (If-Match optional)",
        status_code=200,
        guards=[require("workflow:write")],
        responses=problem_responses(400, 401, 403, 404, 412, 429),
        response_headers=ETAG_HEADER,
    )
    async def delete_one(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        if_match: IfMatchOptional = None,
    ) -> Response[Workflow]:
        expected = optional_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _live_or_404(conn, access, name, for_update=True)
            check_version(expected, current.latest_version)
            deleted = await repository.soft_delete(conn, current, access.tenant_id, datetime.now(UTC))
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "workflow.delete",
                str(deleted.id),
                summary_of(current),
                summary_of(deleted),
            )
        return workflow_response(deleted)

    @get(
        "/workflows/{name:str}/versions",
        operation_id="ListWorkflowVersions",
        summary="List a workflow's versions, newest first",
        guards=[require("workflow:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_versions(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> WorkflowVersionPage:
        access = access_of(request)
        # Versions are numbered, not identified by UUIDs; the cursor carries the last version
        # shown in a UUID's 128 bits so that it looks and decodes like every other cursor.
        position = decode_cursor(cursor)
        before = position.int if position is not None else None
        if before is not None and not 1 <= before <= MAX_VERSION:
            raise BadRequest("cursor is malformed; pass back the next_cursor of the previous page")
        async with state.db.tenant(access.tenant_id) as conn:
            workflow = await _live_or_404(conn, access, name)
            rows = await repository.list_versions(conn, access.tenant_id, workflow.id, before=before, limit=limit)
        items, next_cursor = page_of(rows, limit, key=lambda v: uuid.UUID(int=v.version))
        return WorkflowVersionPage(items=items, next_cursor=next_cursor)
