"""Tenant lifecycle rules, free of I/O."""

from __future__ import annotations

from datetime import datetime

import msgspec

from fluxforge.errors import Conflict
from fluxforge.tenancy.models import Tenant, TenantPatch


def apply_patch(tenant: Tenant, patch: TenantPatch, now: datetime) -> Tenant:
    """The tenant after the patch, or the same object when the patch changes nothing."""
    if tenant.status == "deleted":
        raise Conflict(f"tenant {tenant.slug} is deleted and can no longer be changed")
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET and getattr(tenant, name) != value
    }
    if not changes:
        return tenant
    return msgspec.structs.replace(tenant, **changes, version=tenant.version + 1, updated_at=now)


def soft_delete(tenant: Tenant, now: datetime) -> Tenant:
    """Deleting twice is not an error: the second time changes nothing."""
    if tenant.status == "deleted":
        return tenant
    return msgspec.structs.replace(tenant, status="deleted", deleted_at=now, updated_at=now, version=tenant.version + 1)
