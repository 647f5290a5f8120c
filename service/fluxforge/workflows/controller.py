"""Workflows of a namespace: create, update (new immutable versions), read, list, delete, validate.

Manifests arrive as `application/json` or `application/yaml`, so the routes read the raw
body and parse it by content type (Litestar's own body parsing knows JSON only and stops at
the first bad field; `workflows.manifest` reports them all).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Reference, RequestBody, Schema
from litestar.params import PathParameter, QueryParameter

from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, page_of, required_version
from fluxforge.errors import BadRequest
from fluxforge.rbac.models import TenantAccess
from fluxforge.web.access import access_of, audit_context, require
from fluxforge.web.contract import TENANT_SECURITY, ContractOperation
from fluxforge.web.idempotency import answer, once
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
from fluxforge.web.services import Services
from fluxforge.workflows import manifest, service
from fluxforge.workflows.models import (
    MAX_MANIFEST_BYTES,
    ValidationResult,
    Workflow,
    WorkflowCreation,
    WorkflowManifest,
    WorkflowPage,
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


def creation_response(tenant: str, creation: WorkflowCreation) -> Response[Workflow]:
    """201 with its Location for a new workflow, 200 for a live one that already had this manifest."""
    if creation.new:
        return workflow_response(creation.workflow, 201, tenant)
    return workflow_response(creation.workflow)


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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Workflow]:
        access = access_of(request)
        found = await _read_manifest(request)
        digest = manifest.digest(found)
        namespace_id = _namespace_id(access)
        respond = partial(creation_response, access.tenant.slug)
        key = once(request, idempotency_key, "createWorkflow", [str(namespace_id), digest], respond)
        created = await service.create_workflow(
            services.db, audit_context(request), access.tenant_id, namespace_id, found, digest, key
        )
        return answer(created, Workflow, respond)

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
        return service.check(await _read_manifest(request))

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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> WorkflowPage:
        access = access_of(request)
        rows = await service.list_workflows(
            services.db, access.tenant_id, _namespace_id(access), after=decode_cursor(cursor), limit=limit
        )
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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        version: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_VERSION, description="A version (default: the latest).")
        ] = None,
    ) -> Response[Workflow]:
        access = access_of(request)
        found = await service.get_workflow(services.db, access.tenant_id, _namespace_id(access), name, version)
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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        if_match: IfMatchRequired = None,
    ) -> Response[Workflow]:
        expected = required_version(if_match)
        access = access_of(request)
        found = await _read_manifest(request)
        saved = await service.update_workflow(
            services.db, audit_context(request), access.tenant_id, _namespace_id(access), name, found, expected
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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        name: WorkflowRef,
        if_match: IfMatchOptional = None,
    ) -> Response[Workflow]:
        expected = optional_version(if_match)
        access = access_of(request)
        deleted = await service.delete_workflow(
            services.db, audit_context(request), access.tenant_id, _namespace_id(access), name, expected
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
        services: Services,
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
        rows = await service.list_workflow_versions(
            services.db, access.tenant_id, _namespace_id(access), name, before=before, limit=limit
        )
        items, next_cursor = page_of(rows, limit, key=lambda v: uuid.UUID(int=v.version))
        return WorkflowVersionPage(items=items, next_cursor=next_cursor)
