"""Audit events: who did what to which resource, with its state before and after."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec


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
