"""Audit events: who did what to which resource, with its state before and after."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request

from fluxforge.telemetry import request_id_var


class AuditContext(msgspec.Struct, frozen=True):
    """Who is acting and through which request; taken from the request by the controller."""

    actor: str
    request_id: str | None
    client_ip: str | None


def audit_context(request: Request[Any, Any, Any]) -> AuditContext:
    """The acting principal (set by the route's guard) and the request it acted through."""
    return AuditContext(
        actor=request.state.principal,
        request_id=request_id_var.get(),
        client_ip=request.client.host if request.client else None,
    )


class AuditEntry(msgspec.Struct, frozen=True):
    tenant_id: uuid.UUID
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    result: str = "success"
