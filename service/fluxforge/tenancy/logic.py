"""Lifecycle rules for versioned, soft-deleted resources (tenants, namespaces), free of I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec

from fluxforge.errors import Conflict

R = TypeVar("R", bound=msgspec.Struct)


def apply_patch(resource: R, patch: msgspec.Struct, now: datetime) -> R:
    """The resource after a JSON merge patch, or the same object when the patch changes nothing.

    A real change bumps the version (what If-Match compares) and the update time.
    """
    current: Any = resource
    if current.status == "deleted":
        raise Conflict("the resource is deleted and can no longer be changed")
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET and getattr(resource, name) != value
    }
    if not changes:
        return resource
    return msgspec.structs.replace(resource, **changes, version=current.version + 1, updated_at=now)


def soft_delete(resource: R, now: datetime) -> R:
    """Deleting twice is not an error: the second time changes nothing."""
    current: Any = resource
    if current.status == "deleted":
        return resource
    return msgspec.structs.replace(
        resource, status="deleted", deleted_at=now, updated_at=now, version=current.version + 1
    )
