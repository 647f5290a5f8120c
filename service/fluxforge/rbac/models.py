"""Principals, roles, role bindings and API keys as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from fluxforge.conventions import NamespaceName
from fluxforge.rbac.permissions import Grants, Permission

RoleName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
        description="A built-in role (owner, admin, billing, operator, viewer) or a custom role's name.",
    ),
]
SubjectType = Literal["user", "api_key"]


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: a signed-in user, or an API key (which belongs to one tenant)."""

    kind: SubjectType
    id: uuid.UUID
    tenant_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


class TenantInfo(msgspec.Struct, frozen=True):
    id: uuid.UUID
    slug: str
    status: str


class TenantAccess(msgspec.Struct, frozen=True):
    """What a guarded route knows about the call: set by `web.access.require`."""

    principal: Principal
    tenant: TenantInfo
    grants: Grants
    namespace_id: uuid.UUID | None = None

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id


class ApiKeyRecord(msgspec.Struct, frozen=True):
    tenant_id: uuid.UUID
    id: uuid.UUID
    secret_hash: bytes
    expires_at: datetime | None
    revoked: bool


class Role(msgspec.Struct, kw_only=True):
    name: str
    builtin: bool
    description: str
    permissions: list[str]
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RolePage(msgspec.Struct):
    items: list[Role]
    next_cursor: str | None = None


class RoleCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: RoleName
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    permissions: Annotated[list[Permission], msgspec.Meta(min_length=1, max_length=100)]


class RolePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    description: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET
    permissions: Annotated[list[Permission], msgspec.Meta(min_length=1, max_length=100)] | msgspec.UnsetType = (
        msgspec.UNSET
    )


class RoleBinding(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    role: str
    subject_type: SubjectType
    subject_id: uuid.UUID
    namespace: str | None
    created_at: datetime


class RoleBindingPage(msgspec.Struct):
    items: list[RoleBinding]
    next_cursor: str | None


class RoleBindingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: RoleName
    subject_type: SubjectType
    subject_id: uuid.UUID
    namespace: NamespaceName | None = None


class ApiKey(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    role: str
    namespace: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey, kw_only=True):
    """Returned once, at creation: the only time the secret is shown."""

    secret: str


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKey]
    next_cursor: str | None


class ApiKeyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
    role: RoleName
    namespace: NamespaceName | None = None
    expires_at: datetime | None = None
