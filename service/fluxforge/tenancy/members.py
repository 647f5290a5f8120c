"""Members and invitations: people join a tenant by accepting a single-use, expiring invitation.

The invitation token is returned once to the inviter (who sends it; FluxForge sends no mail)
and stored only as a hash. Accepting needs a signed-in user whose email matches the invitation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter

from fluxforge.audit import repository as audit
from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, new_id, page_of
from fluxforge.credentials import new_secret, secret_hash
from fluxforge.errors import Conflict, Forbidden, NotFound
from fluxforge.rbac import repository as rbac_repository
from fluxforge.rbac.controller import grantable, namespace_id_of
from fluxforge.rbac.models import Principal
from fluxforge.tenancy import repository
from fluxforge.tenancy.models import (
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationPage,
    MemberPage,
)
from fluxforge.web.access import access_of, audit_context, invalidate, require, require_user
from fluxforge.web.contract import TENANT_SECURITY, USER_SECURITY
from fluxforge.web.params import Cursor, Limit, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses

INVITATION_TOKEN_PREFIX = "ffinv_"  # noqa: S105 - a prefix, not a secret
UserRef = Annotated[uuid.UUID, PathParameter(description="The member's user id.")]
InvitationRef = Annotated[uuid.UUID, PathParameter(description="The invitation's id.")]


class MemberController(Controller):
    path = "/v1/tenants/{tenant:str}/members"
    tags = ["Members"]

    @get(
        operation_id="ListMembers",
        summary="Members with their role bindings",
        guards=[require("member:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_members(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> MemberPage:
        after = decode_cursor(cursor)
        async with state.db.tenant(access_of(request).tenant_id) as conn:
            rows = await repository.list_members(conn, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit, key=lambda member: member.user_id)
        return MemberPage(items=items, next_cursor=next_cursor)

    @delete(
        "/{user_id:uuid}",
        operation_id="RemoveMember",
        summary="Remove a member and all their role bindings (never the last owner)",
        guards=[require("member:remove")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def remove_member(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, user_id: UserRef
    ) -> None:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            if not await repository.is_member(conn, user_id):
                raise NotFound("no such member")
            owners = await rbac_repository.owners(conn)
            if user_id in owners:
                if owners == [user_id]:
                    raise Conflict("this is the tenant's last owner; make someone else owner first")
                if "tenant:delete" not in access.grants.tenant:
                    raise Forbidden("only an owner may remove an owner")
            await repository.remove_member(conn, user_id)
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "member.remove",
                str(user_id),
                {"user_id": str(user_id)},
                None,
            )
        await invalidate(request, access.tenant_id)


class InvitationController(Controller):
    path = "/v1/tenants/{tenant:str}/invitations"
    tags = ["Invitations"]

    @post(
        operation_id="CreateInvitation",
        summary="Invite someone by email; the token in the response is shown only once",
        status_code=201,
        guards=[require("member:invite")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 413, 429),
    )
    async def invite(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, data: JSONBody[InvitationCreate]
    ) -> Response[InvitationCreated]:
        access = access_of(request)
        namespace_id = await namespace_id_of(request, access, data.namespace)
        token = INVITATION_TOKEN_PREFIX + new_secret()
        async with state.db.tenant(access.tenant_id) as conn:
            await grantable(conn, access, data.role, namespace_id)
            invitation = await repository.insert_invitation(
                conn,
                tenant_id=access.tenant_id,
                invitation_id=new_id(),
                email=data.email.strip().lower(),
                role=data.role,
                namespace_id=namespace_id,
                token_hash=secret_hash(token),
                invited_by=access.principal.id,
                expires_at=datetime.now(UTC) + timedelta(hours=data.expires_in_hours),
            )
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "invitation.create",
                str(invitation.id),
                None,
                invitation,
            )
        return Response(InvitationCreated(**msgspec.structs.asdict(invitation), token=token), status_code=201)

    @get(
        operation_id="ListInvitations",
        summary="Invitations and their status",
        guards=[require("member:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_invitations(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> InvitationPage:
        after = decode_cursor(cursor)
        async with state.db.tenant(access_of(request).tenant_id) as conn:
            rows = await repository.list_invitations(conn, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return InvitationPage(items=items, next_cursor=next_cursor)

    @delete(
        "/{invitation_id:uuid}",
        operation_id="RevokeInvitation",
        summary="Revoke a pending invitation",
        status_code=200,
        guards=[require("member:invite")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def revoke(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, invitation_id: InvitationRef
    ) -> Invitation:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            before = await repository.get_invitation(conn, invitation_id)
            if before is None:
                raise NotFound("no such invitation")
            await repository.revoke_invitation(conn, invitation_id)
            after = await repository.get_invitation(conn, invitation_id)
            assert after is not None
            if after.status != before.status:
                await audit.record_change(
                    conn,
                    audit_context(request),
                    access.tenant_id,
                    "invitation.revoke",
                    str(invitation_id),
                    before,
                    after,
                )
        return after


class InvitationAcceptController(Controller):
    path = "/v1/invitations/accept"
    tags = ["Invitations"]

    @post(
        operation_id="AcceptInvitation",
        summary="Accept an invitation as the signed-in user; joins the tenant with the invited role",
        status_code=200,
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 413),
    )
    async def accept(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[InvitationAccept]
    ) -> Invitation:
        user: Principal = request.state.user
        async with state.db.platform() as conn:
            email = await repository.user_email(conn, user.id)
            claimed = await repository.claim_invitation(conn, secret_hash(data.token), user.id)
            if claimed is None:
                raise NotFound("no pending invitation with this token (it may be used, revoked or expired)")
            invitation, tenant_id, namespace_id = claimed
            if email is None or email.lower() != invitation.email:
                raise Forbidden("this invitation was sent to another email address")
            await repository.add_member(conn, tenant_id, user.id)
            await rbac_repository.insert_binding(
                conn,
                tenant_id=tenant_id,
                binding_id=new_id(),
                role=invitation.role,
                subject_type="user",
                subject_id=user.id,
                namespace_id=namespace_id,
                created_by=user.id,
            )
            await audit.record_change(
                conn, audit_context(request), tenant_id, "invitation.accept", str(invitation.id), None, invitation
            )
        await invalidate(request, tenant_id)
        return invitation
