"""The rules for changing who may do what (rbac.granting), without a database."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.errors import Conflict, Forbidden, InvalidRequest
from fluxforge.rbac.granting import (
    check_an_owner_remains,
    check_custom_role_name,
    check_custom_role_permissions,
    grantable,
    is_owner_binding,
)
from fluxforge.rbac.permissions import BUILTIN_ROLES, NAMESPACED_PERMISSIONS, Binding, compute_grants

NAMESPACE = uuid.UUID(int=7)
NO_CUSTOM: dict[str, frozenset[str]] = {}


def test_an_owner_may_grant_every_role_anywhere() -> None:
    owner = compute_grants([Binding("owner", None)], NO_CUSTOM)
    for role in BUILTIN_ROLES:
        assert grantable(owner, role, None, NO_CUSTOM) == BUILTIN_ROLES[role]
        assert grantable(owner, role, NAMESPACE, NO_CUSTOM) == BUILTIN_ROLES[role] & NAMESPACED_PERMISSIONS


def test_nobody_hands_out_more_than_they_hold() -> None:
    admin = compute_grants([Binding("admin", None)], NO_CUSTOM)
    with pytest.raises(Forbidden, match="'owner' grants permissions you do not hold"):
        grantable(admin, "owner", None, NO_CUSTOM)
    namespace_operator = compute_grants([Binding("operator", NAMESPACE)], NO_CUSTOM)
    with pytest.raises(Forbidden):
        grantable(namespace_operator, "operator", None, NO_CUSTOM)  # tenant-wide is more than it holds
    assert grantable(namespace_operator, "viewer", NAMESPACE, NO_CUSTOM)


def test_an_unknown_role_is_refused_before_any_grant_check() -> None:
    viewer = compute_grants([Binding("viewer", None)], NO_CUSTOM)
    with pytest.raises(InvalidRequest, match="no role 'auditor'"):
        grantable(viewer, "auditor", None, NO_CUSTOM)
    assert grantable(viewer, "auditor", None, {"auditor": frozenset({"tenant:read"})}) == {"tenant:read"}


def test_custom_roles_use_the_vocabulary_and_the_writer_s_own_grants() -> None:
    admin = compute_grants([Binding("admin", None)], NO_CUSTOM)
    with pytest.raises(InvalidRequest, match="unknown permission"):
        check_custom_role_permissions(admin, ["tenant:read", "tenant:fly"])
    viewer = compute_grants([Binding("viewer", None)], NO_CUSTOM)
    with pytest.raises(Forbidden):
        check_custom_role_permissions(viewer, ["namespace:create"])
    check_custom_role_permissions(admin, ["tenant:read"])
    with pytest.raises(Conflict):
        check_custom_role_name("viewer")
    check_custom_role_name("auditor")


def test_only_a_tenant_wide_owner_binding_makes_an_owner() -> None:
    assert is_owner_binding("owner", None)
    assert not is_owner_binding("owner", NAMESPACE)
    assert not is_owner_binding("admin", None)


@given(st.lists(st.uuids(), min_size=1, max_size=6, unique=True), st.data())
def test_a_tenant_never_loses_its_last_owner(owners: list[uuid.UUID], data: st.DataObject) -> None:
    leaving = data.draw(st.sampled_from(owners))
    if len(owners) == 1:
        with pytest.raises(Conflict, match="last owner"):
            check_an_owner_remains(owners, leaving)
    else:
        check_an_owner_remains(owners, leaving)  # another owner stays
