from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.conventions import new_id
from fluxforge.errors import Conflict
from fluxforge.tenancy.logic import apply_patch, soft_delete
from fluxforge.tenancy.models import Tenant, TenantCreate, TenantPatch

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def tenant(**changes: object) -> Tenant:
    base = Tenant(
        id=new_id(), slug="acme", display_name="Acme", status="active", version=3, created_at=T0, updated_at=T0
    )
    return msgspec.structs.replace(base, **changes)


patches = st.builds(
    TenantPatch,
    display_name=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["Acme", "Other", "Third"])),
    status=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["active", "suspended"])),
)


@given(patches, st.sampled_from(["active", "suspended"]))
def test_patch_bumps_version_exactly_when_something_changes(patch: TenantPatch, status: str) -> None:
    before = tenant(status=status)
    after = apply_patch(before, patch, LATER)
    changed = any(
        value is not msgspec.UNSET and getattr(before, name) != value
        for name, value in msgspec.structs.asdict(patch).items()
    )
    if changed:
        assert after.version == before.version + 1
        assert after.updated_at == LATER
    else:
        assert after is before
    assert (after.id, after.slug, after.created_at) == (before.id, before.slug, before.created_at)


def test_deleted_tenants_cannot_change() -> None:
    with pytest.raises(Conflict):
        apply_patch(tenant(status="deleted", deleted_at=T0), TenantPatch(display_name="x"), LATER)


def test_soft_delete_once() -> None:
    deleted = soft_delete(tenant(), LATER)
    assert (deleted.status, deleted.deleted_at, deleted.version) == ("deleted", LATER, 4)
    assert soft_delete(deleted, LATER + timedelta(days=1)) is deleted


SLUG = st.from_regex(r"\A[a-z][a-z0-9-]{1,38}[a-z0-9]\Z")


@given(SLUG)
def test_valid_slugs_are_accepted(slug: str) -> None:
    assert msgspec.convert({"slug": slug, "display_name": "x"}, TenantCreate).slug == slug


@given(st.text(max_size=45).filter(lambda s: not (3 <= len(s) <= 40 and s[0].isalpha())))
def test_short_long_or_non_letter_leading_slugs_are_refused(slug: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"slug": slug, "display_name": "x"}, TenantCreate)
