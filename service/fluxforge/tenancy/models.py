"""Tenants as the platform admin API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from fluxforge.conventions import NamespaceName

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"

Slug = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=40,
        pattern=SLUG_PATTERN,
        description="3-40 characters: lowercase letters, digits and hyphens; starts with a "
        "letter, ends with a letter or digit. Unique forever, also after deletion.",
        examples=["acme-corp"],
    ),
]
DisplayName = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=200, pattern=r"\S", description="Human-readable name."),
]
TenantStatus = Literal["active", "suspended", "deleted"]
SettableStatus = Literal["active", "suspended"]


class Tenant(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    slug: str
    display_name: str
    status: TenantStatus
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class TenantPage(msgspec.Struct, kw_only=True):
    """One page of tenants; pass `next_cursor` back as `cursor` for the next (null at the end)."""

    items: list[Tenant]
    next_cursor: str | None


class TenantCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    slug: Slug
    display_name: DisplayName


class TenantPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """JSON merge patch: fields left out stay as they are. Deletion goes through DELETE."""

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    status: SettableStatus | msgspec.UnsetType = msgspec.UNSET


class TenantUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a tenant's own admins may change (status belongs to the platform operator)."""

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET


Labels = Annotated[dict[str, Annotated[str, msgspec.Meta(max_length=63)]], msgspec.Meta(max_length=64)]


class Namespace(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    display_name: str | None
    labels: dict[str, str]
    status: Literal["active", "deleted"]
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class NamespacePage(msgspec.Struct, kw_only=True):
    items: list[Namespace]
    next_cursor: str | None


class NamespaceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: NamespaceName
    display_name: DisplayName | None = None
    labels: Labels = msgspec.field(default_factory=dict)


class NamespacePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    display_name: DisplayName | msgspec.UnsetType | None = msgspec.UNSET
    labels: Labels | msgspec.UnsetType = msgspec.UNSET


class MemberBinding(msgspec.Struct, kw_only=True):
    binding_id: uuid.UUID
    role: str
    namespace: str | None


class Member(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    email: str | None
    display_name: str | None
    joined_at: datetime
    roles: list[MemberBinding]


class MemberPage(msgspec.Struct, kw_only=True):
    items: list[Member]
    next_cursor: str | None


Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class InvitationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")] = "viewer"
    namespace: NamespaceName | None = None
    expires_in_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 168


class Invitation(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant: str
    email: str
    role: str
    namespace: str | None
    status: Literal["pending", "accepted", "revoked", "expired"]
    expires_at: datetime
    created_at: datetime
    accepted_at: datetime | None = None


class InvitationCreated(Invitation, kw_only=True):
    """The token is shown once; send it to the invitee (it is stored only as a hash)."""

    token: str


class InvitationPage(msgspec.Struct, kw_only=True):
    items: list[Invitation]
    next_cursor: str | None


class InvitationAccept(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
