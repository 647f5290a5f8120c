"""Audit events: who did what to which resource, with its state before and after."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

PLATFORM_AUDIT_TENANT = uuid.UUID(int=0)
"""The tenant id under which platform-wide changes (platform meters, plans, scheduler admission)
are audited: the nil UUID, which no real tenant has."""


class AuditContext(msgspec.Struct, frozen=True):
    """Who is acting and through which request; taken from the request by the controller."""

    actor: str
    request_id: str | None
    client_ip: str | None


class AuditEntry(msgspec.Struct, frozen=True):
    tenant_id: uuid.UUID
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    result: str = "success"


class AuditEvent(msgspec.Struct, kw_only=True):
    """One recorded event as the API shows it; fields in the order of the CSV export's columns."""

    occurred_at: datetime
    id: uuid.UUID
    actor: str
    action: str
    target_type: str
    target_id: str
    request_id: str | None
    client_ip: str | None
    result: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEventPage(msgspec.Struct, kw_only=True):
    """One page of events, newest first; pass `next_cursor` back as `cursor` for the next (null at the end)."""

    items: list[AuditEvent]
    next_cursor: str | None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which events a list or export covers: all conditions hold; `since` inclusive, `until` exclusive."""

    actor: str | None = None
    action: str | None = None
    action_prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditPosition(msgspec.Struct, frozen=True, array_like=True):
    """Where a page ended, in the list's order (occurred_at, id), which is total and never changes.

    Events recorded in one transaction share occurred_at (PostgreSQL's now()), so the time alone
    would skip or repeat them at a page boundary; the time-ordered id breaks the tie.
    """

    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    id: uuid.UUID


ExportFormat = Literal["csv", "jsonl"]
