"""Tenants as the platform admin API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

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
