"""The permission vocabulary, the built-in roles, and what a set of role bindings grants.

Pure: no I/O, so every decision rule is reachable by unit and property tests. A decision on
the request path is a dict lookup in a precomputed `Grants` (~2 us, against ~400 us
for a policy engine).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Literal, get_args

import msgspec

# Permissions that make sense inside one namespace. A binding at namespace scope grants only
# these, and only there (plus tenant:read, so the holder can see which tenant it is in).
NAMESPACED_PERMISSIONS: frozenset[str] = frozenset(
    {
        "namespace:read",
        "namespace:update",
        "namespace:delete",
        "workflow:read",
        "workflow:write",
        "run:read",
        "run:create",
        "run:cancel",
        "agent:read",
        "agent:write",
    }
)
TENANT_PERMISSIONS: frozenset[str] = frozenset(
    {
        "tenant:read",
        "tenant:update",
        "tenant:delete",
        "namespace:create",
        "member:read",
        "member:invite",
        "member:remove",
        "role:read",
        "role:write",
        "rolebinding:read",
        "rolebinding:write",
        "apikey:read",
        "apikey:create",
        "apikey:revoke",
        "audit:read",
        "billing:read",
        "billing:write",
        "usage:read",
        "usage:write",
    }
)
ALL_PERMISSIONS: frozenset[str] = NAMESPACED_PERMISSIONS | TENANT_PERMISSIONS
Permission = Literal[
    "agent:read",
    "agent:write",
    "apikey:create",
    "apikey:read",
    "apikey:revoke",
    "audit:read",
    "billing:read",
    "billing:write",
    "member:invite",
    "member:read",
    "member:remove",
    "namespace:create",
    "namespace:delete",
    "namespace:read",
    "namespace:update",
    "role:read",
    "role:write",
    "rolebinding:read",
    "rolebinding:write",
    "run:cancel",
    "run:create",
    "run:read",
    "tenant:delete",
    "tenant:read",
    "tenant:update",
    "usage:read",
    "usage:write",
    "workflow:read",
    "workflow:write",
]
"""The vocabulary as a type, so requests that name permissions are validated (and documented as
an enum) before any code runs."""
if frozenset(get_args(Permission)) != ALL_PERMISSIONS:  # pragma: no cover - a typo here breaks startup
    raise RuntimeError("Permission must list exactly ALL_PERMISSIONS")


def _reads(perms: Iterable[str]) -> frozenset[str]:
    return frozenset(p for p in perms if p.endswith(":read"))


BUILTIN_ROLES: Mapping[str, frozenset[str]] = {
    "owner": ALL_PERMISSIONS,
    "admin": ALL_PERMISSIONS - {"tenant:delete", "billing:write"},
    "billing": frozenset({"tenant:read", "billing:read", "billing:write", "usage:read"}),
    "operator": frozenset(
        {"tenant:read", "usage:read", *NAMESPACED_PERMISSIONS} - {"namespace:update", "namespace:delete"}
    ),
    "viewer": _reads(ALL_PERMISSIONS) - {"audit:read", "billing:read", "apikey:read"},
}


class Binding(msgspec.Struct, frozen=True):
    """What the grant computation needs of a role binding."""

    role: str
    namespace_id: uuid.UUID | None


class Grants(msgspec.Struct, frozen=True):
    """Everything one subject may do in one tenant: tenant-wide, and per namespace."""

    tenant: frozenset[str]
    namespaces: dict[uuid.UUID, frozenset[str]]

    @property
    def empty(self) -> bool:
        """No binding at all: the tenant must look nonexistent to this subject."""
        return not self.tenant and not self.namespaces

    def allows(self, permission: str, namespace_id: uuid.UUID | None = None) -> bool:
        if permission in self.tenant:
            return True
        if namespace_id is None:
            return False
        return permission in self.namespaces.get(namespace_id, frozenset())

    def sees_namespace(self, namespace_id: uuid.UUID) -> bool:
        return "namespace:read" in self.tenant or namespace_id in self.namespaces

    def namespaces_with(self, permission: str) -> frozenset[uuid.UUID] | None:
        """Namespaces where the permission holds; None means all of them (tenant-wide grant)."""
        if permission in self.tenant:
            return None
        return frozenset(ns for ns, perms in self.namespaces.items() if permission in perms)

    def covers(self, permissions: Iterable[str], namespace_id: uuid.UUID | None) -> bool:
        """Whether these grants include all the given permissions at that scope (no escalation)."""
        return all(self.allows(p, namespace_id) for p in permissions)


NO_GRANTS = Grants(tenant=frozenset(), namespaces={})


def role_permissions(role: str, custom_roles: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """A built-in role's permissions, else a custom role's; an unknown role grants nothing."""
    return BUILTIN_ROLES.get(role) or custom_roles.get(role, frozenset())


def compute_grants(bindings: Iterable[Binding], custom_roles: Mapping[str, frozenset[str]]) -> Grants:
    tenant: set[str] = set()
    namespaces: dict[uuid.UUID, set[str]] = {}
    for binding in bindings:
        permissions = role_permissions(binding.role, custom_roles)
        if binding.namespace_id is None:
            tenant |= permissions
        else:
            scoped = permissions & NAMESPACED_PERMISSIONS
            if scoped:
                namespaces.setdefault(binding.namespace_id, set()).update(scoped)
                tenant.add("tenant:read")
    return Grants(
        tenant=frozenset(tenant),
        namespaces={ns: frozenset(perms) for ns, perms in namespaces.items()},
    )


def effective_role_permissions(
    role: str, namespace_id: uuid.UUID | None, custom_roles: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """What a binding of this role at this scope would actually grant."""
    permissions = role_permissions(role, custom_roles)
    return permissions if namespace_id is None else permissions & NAMESPACED_PERMISSIONS
