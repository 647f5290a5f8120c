"""The rules for changing who may do what: nobody hands out more than they hold, custom roles use
the vocabulary, and a tenant never loses its last owner.

Pure, like `permissions`: the services load what these rules need (custom roles, the locked
list of owners) and apply them inside their transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence

from fluxforge.errors import Conflict, Forbidden, InvalidRequest
from fluxforge.rbac.permissions import ALL_PERMISSIONS, BUILTIN_ROLES, Grants, effective_role_permissions

OWNER_ROLE = "owner"


def grantable(
    grants: Grants, role: str, namespace_id: uuid.UUID | None, custom_roles: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """What binding `role` at this scope would grant, refused if it exceeds the caller's own grants.

    Nobody hands out more than they hold: that is what keeps an admin from minting an owner key.
    """
    if role not in BUILTIN_ROLES and role not in custom_roles:
        raise InvalidRequest(f"no role {role!r}; use a built-in role or create a custom role first")
    permissions = effective_role_permissions(role, namespace_id, custom_roles)
    if not grants.covers(permissions, namespace_id):
        raise Forbidden(f"role {role!r} grants permissions you do not hold at that scope")
    return permissions


def check_custom_role_permissions(grants: Grants, permissions: Sequence[str]) -> None:
    """A custom role names permissions of the vocabulary, all held tenant-wide by whoever writes it."""
    unknown = sorted(set(permissions) - ALL_PERMISSIONS)
    if unknown:
        raise InvalidRequest(
            f"unknown permission(s): {', '.join(unknown)}; the vocabulary is: {', '.join(sorted(ALL_PERMISSIONS))}"
        )
    if not grants.covers(permissions, None):
        raise Forbidden("a custom role may only hold permissions you hold tenant-wide")


def check_custom_role_name(name: str) -> None:
    if name in BUILTIN_ROLES:
        raise Conflict(f"{name!r} is a built-in role")


def is_owner_binding(role: str, namespace_id: uuid.UUID | None) -> bool:
    """An owner is a user bound to the owner role tenant-wide (`repository.owners` lists them)."""
    return role == OWNER_ROLE and namespace_id is None


def check_an_owner_remains(owners: Collection[uuid.UUID], leaving: uuid.UUID) -> None:
    """The last-owner invariant: someone must always be able to manage and delete the tenant.

    Taking the ownership of `leaving` (one of `owners`) away is refused when no other owner
    would be left.
    """
    if all(owner == leaving for owner in owners):
        raise Conflict("this is the tenant's last owner; make someone else owner first")
