"""Self-service tenants, namespaces and role-based access, through the HTTP API."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from fluxforge.app import create_app
from fluxforge.config import Settings
from fluxforge.web.services import services_of
from tests.conftest import make_user
from tests.support import Client, SignedInUser, make_tenant


async def test_signed_in_user_creates_and_lists_tenants(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    mine = (await client.get("/v1/tenants", headers=user.headers)).json()
    assert [t["slug"] for t in mine["items"]] == [slug]
    tenant = (await client.get(f"/v1/tenants/{slug}", headers=user.headers)).json()
    assert tenant["status"] == "active"
    namespaces = (await client.get(f"/v1/tenants/{slug}/namespaces", headers=user.headers)).json()
    assert [n["name"] for n in namespaces["items"]] == ["default"]
    owner_role = await owner_conn.fetchval(
        "SELECT role FROM role_bindings WHERE subject_id = $1 AND namespace_id IS NULL", user.id
    )
    assert owner_role == "owner"


async def test_without_a_token_or_with_a_bad_one(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    assert (await client.get(f"/v1/tenants/{slug}")).status_code == 401
    bad = await client.get(f"/v1/tenants/{slug}", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"


async def test_other_tenants_are_invisible(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    alice = await make_user(client, owner_conn)
    bob = await make_user(client, owner_conn)
    alices = await make_tenant(client, alice)
    for path in (
        f"/v1/tenants/{alices}",
        f"/v1/tenants/{alices}/namespaces",
        f"/v1/tenants/{alices}/namespaces/default",
    ):
        response = await client.get(path, headers=bob.headers)
        assert response.status_code == 404, path
        assert response.json()["type"].endswith("/not-found")
    assert (await client.get("/v1/tenants", headers=bob.headers)).json()["items"] == []


async def test_namespace_crud_with_versions(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    base = f"/v1/tenants/{slug}/namespaces"
    created = await client.post(base, json={"name": "prod", "labels": {"tier": "1"}}, headers=user.headers)
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    dup = await client.post(base, json={"name": "prod"}, headers=user.headers)
    assert dup.status_code == 409
    for bad in ({"name": "Prod"}, {"name": "-x"}, {"name": "a" * 64}, {"name": "ok", "extra": 1}):
        assert (await client.post(base, json=bad, headers=user.headers)).status_code == 400, bad
    patched = await client.patch(
        f"{base}/prod", json={"display_name": "Production"}, headers={**user.headers, "If-Match": '"1"'}
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    stale = await client.patch(f"{base}/prod", json={"display_name": "X"}, headers={**user.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    deleted = await client.delete(f"{base}/prod", headers=user.headers)
    assert deleted.json()["status"] == "deleted"
    assert (await client.get(f"{base}/prod", headers=user.headers)).status_code == 404
    again = await client.post(base, json={"name": "prod"}, headers=user.headers)
    assert again.status_code == 201


async def invite_and_accept(
    client: Client,
    owner: SignedInUser,
    slug: str,
    invitee: SignedInUser,
    role: str,
    namespace: str | None = None,
) -> None:
    body: dict[str, Any] = {"email": invitee.email, "role": role}
    if namespace:
        body["namespace"] = namespace
    created = await client.post(f"/v1/tenants/{slug}/invitations", json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    accepted = await client.post(
        "/v1/invitations/accept", json={"token": created.json()["token"]}, headers=invitee.headers
    )
    assert accepted.status_code == 200, accepted.text


async def test_invitation_is_single_use_and_bound_to_its_email(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    owner = await make_user(client, owner_conn)
    invitee = await make_user(client, owner_conn)
    stranger = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    created = (
        await client.post(
            f"/v1/tenants/{slug}/invitations", json={"email": invitee.email, "role": "viewer"}, headers=owner.headers
        )
    ).json()
    assert created["status"] == "pending"
    assert created["token"].startswith("ffinv_")
    wrong = await client.post("/v1/invitations/accept", json={"token": created["token"]}, headers=stranger.headers)
    assert wrong.status_code == 403
    ok = await client.post("/v1/invitations/accept", json={"token": created["token"]}, headers=invitee.headers)
    assert ok.status_code == 200
    replay = await client.post("/v1/invitations/accept", json={"token": created["token"]}, headers=invitee.headers)
    assert replay.status_code == 404
    members = (await client.get(f"/v1/tenants/{slug}/members", headers=owner.headers)).json()["items"]
    roles = {m["user_id"]: [r["role"] for r in m["roles"]] for m in members}
    assert roles == {str(owner.id): ["owner"], str(invitee.id): ["viewer"]}
    listed = (await client.get(f"/v1/tenants/{slug}/invitations", headers=owner.headers)).json()["items"]
    assert [i["status"] for i in listed] == ["accepted"]
    assert "token" not in listed[0]


async def test_viewer_reads_but_cannot_write(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    owner = await make_user(client, owner_conn)
    viewer = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    await invite_and_accept(client, owner, slug, viewer, "viewer")
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/default", headers=viewer.headers)).status_code == 200
    denied = await client.post(f"/v1/tenants/{slug}/namespaces", json={"name": "x"}, headers=viewer.headers)
    assert denied.status_code == 403
    assert denied.json()["type"].endswith("/forbidden")
    assert (await client.get(f"/v1/tenants/{slug}/api-keys", headers=viewer.headers)).status_code == 403


async def test_namespace_binding_never_reaches_another_namespace(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    owner = await make_user(client, owner_conn)
    operator = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    for name in ("team-a", "team-b"):
        assert (
            await client.post(f"/v1/tenants/{slug}/namespaces", json={"name": name}, headers=owner.headers)
        ).status_code == 201
    await invite_and_accept(client, owner, slug, operator, "admin", namespace="team-a")
    visible = (await client.get(f"/v1/tenants/{slug}/namespaces", headers=operator.headers)).json()["items"]
    assert [n["name"] for n in visible] == ["team-a"]
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/team-a", headers=operator.headers)).status_code == 200
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/team-b", headers=operator.headers)).status_code == 404
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/default", headers=operator.headers)).status_code == 404
    # Namespace-scoped admin is still no tenant admin.
    assert (await client.get(f"/v1/tenants/{slug}/members", headers=operator.headers)).status_code == 403
    patched = await client.patch(
        f"/v1/tenants/{slug}/namespaces/team-a",
        json={"labels": {"owner": "ops"}},
        headers={**operator.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200


async def test_api_keys_show_secret_once_work_and_revoke_at_once(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    created = await client.post(
        f"/v1/tenants/{slug}/api-keys", json={"name": "ci", "role": "viewer"}, headers=user.headers
    )
    assert created.status_code == 201
    key = created.json()
    assert key["secret"].startswith(f"ffk_{key['prefix']}_")
    stored = await owner_conn.fetchrow("SELECT secret_hash, prefix FROM api_keys WHERE prefix = $1", key["prefix"])
    assert stored is not None
    assert key["secret"].encode() not in bytes(stored["secret_hash"])
    machine = {"Authorization": f"Bearer {key['secret']}"}
    assert (await client.get(f"/v1/tenants/{slug}/namespaces", headers=machine)).status_code == 200
    deadline = time.monotonic() + 5
    while await owner_conn.fetchval("SELECT last_used_at FROM api_keys WHERE prefix = $1", key["prefix"]) is None:
        assert time.monotonic() < deadline, "last use of the key was not recorded"
        await asyncio.sleep(0.05)
    listed = (await client.get(f"/v1/tenants/{slug}/api-keys", headers=user.headers)).json()["items"]
    assert listed[0]["prefix"] == key["prefix"]
    assert "secret" not in listed[0]
    assert listed[0]["role"] == "viewer"
    assert listed[0]["last_used_at"] is not None
    # A key cannot create tenants (people do) and cannot act outside its tenant.
    assert (
        await client.post("/v1/tenants", json={"slug": "by-key", "display_name": "x"}, headers=machine)
    ).status_code == 403
    other = await make_tenant(client, user)
    assert (await client.get(f"/v1/tenants/{other}", headers=machine)).status_code == 404
    tampered = {"Authorization": f"Bearer {key['secret'][:-2]}xx"}
    assert (await client.get(f"/v1/tenants/{slug}", headers=tampered)).status_code == 401

    revoked = await client.delete(f"/v1/tenants/{slug}/api-keys/{key['id']}", headers=user.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get(f"/v1/tenants/{slug}/namespaces", headers=machine)).status_code == 401


async def test_nobody_grants_more_than_they_hold(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    owner = await make_user(client, owner_conn)
    admin = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    await invite_and_accept(client, owner, slug, admin, "admin")
    for role in ("owner", "billing"):
        response = await client.post(
            f"/v1/tenants/{slug}/api-keys", json={"name": "k", "role": role}, headers=admin.headers
        )
        assert response.status_code == 403, role
    ok = await client.post(
        f"/v1/tenants/{slug}/api-keys", json={"name": "k", "role": "operator"}, headers=admin.headers
    )
    assert ok.status_code == 201
    custom = await client.post(
        f"/v1/tenants/{slug}/roles",
        json={"name": "auditor", "permissions": ["audit:read", "tenant:read"]},
        headers=admin.headers,
    )
    assert custom.status_code == 201
    too_much = await client.post(
        f"/v1/tenants/{slug}/roles", json={"name": "boss", "permissions": ["tenant:delete"]}, headers=admin.headers
    )
    assert too_much.status_code == 403
    unknown = await client.post(
        f"/v1/tenants/{slug}/roles", json={"name": "odd", "permissions": ["tenant:fly"]}, headers=owner.headers
    )
    assert unknown.status_code == 400


async def test_custom_role_and_binding_lifecycle(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    owner = await make_user(client, owner_conn)
    member = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    await invite_and_accept(client, owner, slug, member, "viewer")
    assert (await client.get(f"/v1/tenants/{slug}/api-keys", headers=member.headers)).status_code == 403
    role = await client.post(
        f"/v1/tenants/{slug}/roles", json={"name": "auditor", "permissions": ["audit:read"]}, headers=owner.headers
    )
    assert role.status_code == 201
    binding = await client.post(
        f"/v1/tenants/{slug}/role-bindings",
        json={"role": "auditor", "subject_type": "user", "subject_id": str(member.id)},
        headers=owner.headers,
    )
    assert binding.status_code == 201, binding.text
    roles = (await client.get(f"/v1/tenants/{slug}/roles", headers=owner.headers)).json()["items"]
    assert {r["name"] for r in roles} >= {"owner", "admin", "billing", "operator", "viewer", "auditor"}
    in_use = await client.delete(f"/v1/tenants/{slug}/roles/auditor", headers=owner.headers)
    assert in_use.status_code == 409
    updated = await client.patch(
        f"/v1/tenants/{slug}/roles/auditor",
        json={"permissions": ["audit:read", "apikey:read"]},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert updated.status_code == 200
    assert (await client.get(f"/v1/tenants/{slug}/api-keys", headers=member.headers)).status_code == 200
    assert (
        await client.delete(f"/v1/tenants/{slug}/role-bindings/{binding.json()['id']}", headers=owner.headers)
    ).status_code == 204
    assert (await client.get(f"/v1/tenants/{slug}/api-keys", headers=member.headers)).status_code == 403
    assert (await client.delete(f"/v1/tenants/{slug}/roles/auditor", headers=owner.headers)).status_code == 204
    stranger = await client.post(
        f"/v1/tenants/{slug}/role-bindings",
        json={"role": "viewer", "subject_type": "user", "subject_id": str(uuid.uuid4())},
        headers=owner.headers,
    )
    assert stranger.status_code == 404


async def test_last_owner_stays(client: Client, owner_conn: asyncpg.Connection) -> None:
    owner = await make_user(client, owner_conn)
    second = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    alone = await client.delete(f"/v1/tenants/{slug}/members/{owner.id}", headers=owner.headers)
    assert alone.status_code == 409
    bindings = (await client.get(f"/v1/tenants/{slug}/role-bindings", headers=owner.headers)).json()["items"]
    owner_binding = next(b for b in bindings if b["subject_id"] == str(owner.id))
    assert (
        await client.delete(f"/v1/tenants/{slug}/role-bindings/{owner_binding['id']}", headers=owner.headers)
    ).status_code == 409
    await invite_and_accept(client, owner, slug, second, "owner")
    assert (await client.delete(f"/v1/tenants/{slug}/members/{owner.id}", headers=second.headers)).status_code == 204
    assert (await client.get(f"/v1/tenants/{slug}", headers=owner.headers)).status_code == 404


async def test_revocation_reaches_other_processes_within_a_second(
    client: Client,
    settings: Settings,
    owner_conn: asyncpg.Connection,
) -> None:
    """Two app instances (as two API processes would be), each with its own cache of grants."""
    owner = await make_user(client, owner_conn)
    member = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    await invite_and_accept(client, owner, slug, member, "viewer")
    async with AsyncTestClient(create_app(settings), timeout=10) as other:
        url = f"/v1/tenants/{slug}/namespaces"
        assert (await other.get(url, headers=member.headers)).status_code == 200  # cached there now
        assert services_of(other.app).access.cache.active
        bindings = (await client.get(f"/v1/tenants/{slug}/role-bindings", headers=owner.headers)).json()["items"]
        viewer_binding = next(b for b in bindings if b["subject_id"] == str(member.id))
        revoked_at = time.monotonic()
        response = await client.delete(
            f"/v1/tenants/{slug}/role-bindings/{viewer_binding['id']}", headers=owner.headers
        )
        assert response.status_code == 204
        while (await other.get(url, headers=member.headers)).status_code == 200:
            assert time.monotonic() - revoked_at < 1.0, "revocation did not reach the other process within 1 s"
            await asyncio.sleep(0.02)
        assert (await other.get(url, headers=member.headers)).status_code == 404


async def test_denied_changes_are_audited_and_suspension_bites_at_once(
    client: Client,
    owner_conn: asyncpg.Connection,
    admin: dict[str, str],
) -> None:
    owner = await make_user(client, owner_conn)
    viewer = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    await invite_and_accept(client, owner, slug, viewer, "viewer")
    denied = await client.post(f"/v1/tenants/{slug}/namespaces", json={"name": "nope"}, headers=viewer.headers)
    assert denied.status_code == 403
    row = await owner_conn.fetchrow(
        "SELECT actor, target_id, result, request_id FROM audit_events WHERE action = 'access.denied' AND actor = $1",
        f"user:{viewer.id}",
    )
    assert row is not None
    assert row["result"] == "denied"
    assert row["target_id"] == f"POST /v1/tenants/{slug}/namespaces"
    assert row["request_id"] == denied.headers["x-request-id"]

    url = f"/v1/tenants/{slug}/namespaces"
    assert (await client.get(url, headers=owner.headers)).status_code == 200
    suspended = await client.patch(
        f"/v1/admin/tenants/{slug}", json={"status": "suspended"}, headers={**admin, "If-Match": '"1"'}
    )
    assert suspended.status_code == 200
    blocked = await client.get(url, headers=owner.headers)
    assert blocked.status_code == 403
    assert "suspended" in blocked.json()["detail"]


async def test_rate_limits_answer_429_with_retry_after(
    settings: Settings,
    owner_conn: asyncpg.Connection,
) -> None:
    tight = msgspec.structs.replace(
        settings,
        rate_limit_tenant_per_second=1,
        rate_limit_tenant_burst=3,
        rate_limit_api_key_per_second=1,
        rate_limit_api_key_burst=2,
    )
    async with AsyncTestClient(create_app(tight), timeout=10) as limited:
        owner = await make_user(limited, owner_conn)
        slug = await make_tenant(limited, owner)
        url = f"/v1/tenants/{slug}/namespaces"
        statuses = [(await limited.get(url, headers=owner.headers)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await limited.get(url, headers=owner.headers)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/rate-limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        # Outsiders do not spend the tenant's budget: they are turned away before counting.
        stranger = await make_user(limited, owner_conn)
        assert (await limited.get(url, headers=stranger.headers)).status_code == 404


async def test_api_key_expires_on_time(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    past = await client.post(
        f"/v1/tenants/{slug}/api-keys",
        json={"name": "old", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"},
        headers=user.headers,
    )
    assert past.status_code == 400
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    created = await client.post(
        f"/v1/tenants/{slug}/api-keys",
        json={"name": "short", "role": "viewer", "expires_at": soon.isoformat()},
        headers=user.headers,
    )
    assert created.status_code == 201
    machine = {"Authorization": f"Bearer {created.json()['secret']}"}
    assert (await client.get(f"/v1/tenants/{slug}", headers=machine)).status_code == 200
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    assert (await client.get(f"/v1/tenants/{slug}", headers=machine)).status_code == 401
