"""Units of work on a namespace's workflows: each opens its tenant transaction, changes what it
must, writes the audit row in that same transaction, and returns what it found or changed. They
take the database, the tenant and namespace the route's guard resolved and an audit context,
never a request; the controller turns HTTP into these calls and back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext
from fluxforge.conventions import check_version, etag, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import Conflict, FieldError, InvalidRequest, NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.workflows import graph, manifest, repository
from fluxforge.workflows.models import (
    ValidationResult,
    Workflow,
    WorkflowCreation,
    WorkflowManifest,
    WorkflowSummary,
    WorkflowVersion,
)


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


async def _live_or_404(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, name: str, *, for_update: bool = False
) -> Workflow:
    found = await repository.get(conn, tenant_id, namespace_id, name, for_update=for_update)
    if found is None:
        raise NotFound(f"no workflow {name!r} in this namespace")
    return found


def check(found: WorkflowManifest) -> ValidationResult:
    """A manifest that passed every check, as `workflows:validate` answers: normalised, with its plan order."""
    return ValidationResult(
        valid=True, digest=manifest.digest(found), order=graph.topological_order(found.spec), manifest=found
    )


async def _same_as_existing(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, found: WorkflowManifest, digest: str
) -> Workflow:
    """The live workflow of the manifest's name, when its manifest is this one (a repeated create)."""
    existing = await _live_or_404(conn, tenant_id, namespace_id, found.metadata.name, for_update=True)
    if existing.digest != digest:
        raise Conflict(
            f"workflow {existing.name!r} exists with another manifest (version {existing.version}); "
            "change it with PUT and If-Match",
            headers={"ETag": etag(existing.version)},
        )
    return existing


async def create_workflow(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    found: WorkflowManifest,
    digest: str,
    once: Once[WorkflowCreation] | None,
) -> WorkflowCreation | StoredResponse:
    """A new workflow at version 1; the same manifest again finds the live one and changes nothing.
    `digest` is the manifest's (`manifest.digest`), which the caller already has for its key."""
    async with db.tenant(tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        created = await repository.create(
            conn,
            tenant_id=tenant_id,
            namespace_id=namespace_id,
            workflow_id=new_id(),
            manifest=found,
            digest=digest,
            actor=context.actor,
        )
        if created is not None:
            await audit.record_change(
                conn, context, tenant_id, "workflow.create", str(created.id), None, summary_of(created)
            )
            result = WorkflowCreation(created, new=True)
        else:
            result = WorkflowCreation(await _same_as_existing(conn, tenant_id, namespace_id, found, digest), new=False)
        await remember(conn, once, result)
    return result


async def workflow_or_404(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, name: str, version: int | None
) -> Workflow:
    """The live workflow at its latest version, or at `version`; a missing workflow is named
    before a missing version (reading a workflow and submitting a run of it answer alike)."""
    found = await repository.get(conn, tenant_id, namespace_id, name, version=version)
    if found is None and version is not None:
        await _live_or_404(conn, tenant_id, namespace_id, name)
        raise NotFound(f"workflow {name!r} has no version {version}")
    if found is None:
        raise NotFound(f"no workflow {name!r} in this namespace")
    return found


async def get_workflow(
    db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, name: str, version: int | None
) -> Workflow:
    async with db.tenant(tenant_id) as conn:
        return await workflow_or_404(conn, tenant_id, namespace_id, name, version)


def _check_name_kept(found: WorkflowManifest, name: str) -> None:
    if found.metadata.name != name:
        message = f"must be {name!r}, the name in the path (a workflow cannot be renamed)"
        raise InvalidRequest(f"metadata.name: {message}", errors=[FieldError(field="metadata.name", message=message)])


async def update_workflow(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    name: str,
    found: WorkflowManifest,
    expected_version: int,
) -> Workflow:
    """A changed manifest becomes the workflow's next version under If-Match; the same one changes nothing."""
    _check_name_kept(found, name)
    digest = manifest.digest(found)
    async with db.tenant(tenant_id) as conn:
        current = await _live_or_404(conn, tenant_id, namespace_id, name, for_update=True)
        check_version(expected_version, current.latest_version)
        if current.digest == digest:
            return current
        saved = await repository.add_version(conn, current, tenant_id, found, digest, context.actor, datetime.now(UTC))
        await audit.record_change(
            conn, context, tenant_id, "workflow.update", str(saved.id), summary_of(current), summary_of(saved)
        )
    return saved


async def delete_workflow(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    name: str,
    expected_version: int | None,
) -> Workflow:
    """Soft-delete: the versions stay, for the runs that pinned them."""
    async with db.tenant(tenant_id) as conn:
        current = await _live_or_404(conn, tenant_id, namespace_id, name, for_update=True)
        check_version(expected_version, current.latest_version)
        deleted = await repository.soft_delete(conn, current, tenant_id, datetime.now(UTC))
        await audit.record_change(
            conn, context, tenant_id, "workflow.delete", str(deleted.id), summary_of(current), summary_of(deleted)
        )
    return deleted


async def list_workflows(
    db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[WorkflowSummary]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_page(conn, tenant_id, namespace_id, after=after, limit=limit)


async def list_workflow_versions(
    db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, name: str, *, before: int | None, limit: int
) -> list[WorkflowVersion]:
    async with db.tenant(tenant_id) as conn:
        workflow = await _live_or_404(conn, tenant_id, namespace_id, name)
        return await repository.list_versions(conn, tenant_id, workflow.id, before=before, limit=limit)
