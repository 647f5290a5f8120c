"""Workflows through the HTTP API: YAML and JSON manifests, versions, validation, permissions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import msgspec
import pytest
import yaml

from fluxforge.db import Database
from fluxforge.workflows import manifest, repository
from fluxforge.workflows.models import MAX_MANIFEST_BYTES
from tests.support import Client, SignedInUser, make_tenant, unique_slug

YAML_HEADERS = {"Content-Type": "application/yaml"}
JSON_HEADERS = {"Content-Type": "application/json"}

MANIFEST = """
apiVersion: fluxforge.dev/v1
kind: Workflow
metadata:
  name: {name}
  labels: {{team: data}}
spec:
  inputs:
    - {{name: target, required: true}}
  steps:
    - id: fetch
      uses: http
      with: {{url: "http://127.0.0.1:9/${{{{ inputs.target }}}}", method: GET}}
      retry: {{max_attempts: 3}}
    - id: wait
      uses: sleep
      with: {{seconds: {seconds}}}
    - id: report
      uses: echo
      needs: [fetch, wait]
      with: {{status: "${{{{ steps.fetch.outputs.status }}}}"}}
"""


def manifest_yaml(name: str = "nightly", seconds: float = 1) -> bytes:
    return MANIFEST.format(name=name, seconds=seconds).encode()


def manifest_json(name: str = "nightly", seconds: float = 1) -> bytes:
    return msgspec.json.encode(yaml.safe_load(manifest_yaml(name, seconds)))


def base(slug: str, namespace: str = "default") -> str:
    return f"/v1/tenants/{slug}/namespaces/{namespace}/workflows"


async def create(
    client: Client,
    slug: str,
    headers: dict[str, str],
    body: bytes | None = None,
    **extra: str,
) -> Any:
    return await client.post(base(slug), content=body or manifest_yaml(), headers={**headers, **YAML_HEADERS, **extra})


async def test_create_from_yaml_and_read_it_back(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    created = await create(client, slug, user.headers)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/v1/tenants/{slug}/namespaces/default/workflows/nightly"
    body = created.json()
    assert (body["name"], body["namespace"], body["version"], body["latest_version"]) == ("nightly", "default", 1, 1)
    assert body["labels"] == {"team": "data"}
    assert body["status"] == "active"
    assert body["version_created_by"] == f"user:{user.id}"
    steps = body["spec"]["steps"]
    assert [s["id"] for s in steps] == ["fetch", "wait", "report"]
    assert steps[0]["retry"]["max_attempts"] == 3
    assert steps[1]["timeout_seconds"] == 300.0
    assert steps[2]["with"] == {"status": "${{ steps.fetch.outputs.status }}"}
    got = await client.get(f"{base(slug)}/nightly", headers=user.headers)
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'


async def test_the_same_manifest_again_makes_no_new_version(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    first = (await create(client, slug, user.headers)).json()
    again = await client.post(base(slug), content=manifest_json(), headers={**user.headers, **JSON_HEADERS})
    assert again.status_code == 200, again.text
    assert (again.json()["version"], again.json()["digest"]) == (1, first["digest"])
    other = await create(client, slug, user.headers, manifest_yaml(seconds=2))
    assert other.status_code == 409
    assert other.headers["etag"] == '"1"'
    assert "PUT and If-Match" in other.json()["detail"]


async def test_updates_make_immutable_versions_guarded_by_if_match(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    first = (await create(client, slug, user.headers)).json()
    url = f"{base(slug)}/nightly"
    changed = manifest_yaml(seconds=2)
    missing = await client.put(url, content=changed, headers={**user.headers, **YAML_HEADERS})
    assert missing.status_code == 428
    stale = await client.put(url, content=changed, headers={**user.headers, **YAML_HEADERS, "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"1"'
    same = await client.put(url, content=manifest_json(), headers={**user.headers, **JSON_HEADERS, "If-Match": '"1"'})
    assert same.status_code == 200
    assert same.json()["version"] == 1
    updated = await client.put(url, content=changed, headers={**user.headers, **YAML_HEADERS, "If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"2"'
    assert (updated.json()["version"], updated.json()["latest_version"]) == (2, 2)
    assert updated.json()["spec"]["steps"][1]["with"] == {"seconds": 2}
    assert updated.json()["created_at"] == first["created_at"]
    third = await client.put(
        url, content=manifest_yaml(seconds=3), headers={**user.headers, **YAML_HEADERS, "If-Match": '"2"'}
    )
    assert third.json()["version"] == 3
    old = await client.get(f"{url}?version=1", headers=user.headers)
    assert old.status_code == 200
    assert (old.json()["version"], old.json()["latest_version"]) == (1, 3)
    assert old.json()["spec"] == first["spec"]
    assert old.headers["etag"] == '"1"'
    assert (await client.get(f"{url}?version=4", headers=user.headers)).status_code == 404
    assert (await client.get(f"{url}?version=0", headers=user.headers)).status_code == 400
    # Versions, newest first, a page at a time.
    page = (await client.get(f"{url}/versions?limit=2", headers=user.headers)).json()
    assert [v["version"] for v in page["items"]] == [3, 2]
    assert page["items"][0]["steps"] == 3
    rest = (await client.get(f"{url}/versions?limit=2&cursor={page['next_cursor']}", headers=user.headers)).json()
    assert [v["version"] for v in rest["items"]] == [1]
    assert rest["next_cursor"] is None
    assert rest["items"][0]["digest"] == first["digest"]
    renamed = await client.put(
        url, content=manifest_yaml(name="other"), headers={**user.headers, **YAML_HEADERS, "If-Match": '"3"'}
    )
    assert renamed.status_code == 400
    assert renamed.json()["errors"][0]["field"] == "metadata.name"
    actions = await owner_conn.fetch(
        """
        SELECT action, before ->> 'version' AS before, after ->> 'version' AS after FROM audit_events
        WHERE target_id = $1 ORDER BY occurred_at, id
        """,
        first["id"],
    )
    assert [(a["action"], a["before"], a["after"]) for a in actions] == [
        ("workflow.create", None, "1"),
        ("workflow.update", "1", "2"),
        ("workflow.update", "2", "3"),
    ]


async def test_concurrent_updates_from_one_version_make_one_new_version(
    client: Client,
    user: SignedInUser,
) -> None:
    slug = await make_tenant(client, user)
    assert (await create(client, slug, user.headers)).status_code == 201
    url = f"{base(slug)}/nightly"
    responses = await asyncio.gather(
        *(
            client.put(
                url, content=manifest_yaml(seconds=10 + i), headers={**user.headers, **YAML_HEADERS, "If-Match": '"1"'}
            )
            for i in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412]
    versions = (await client.get(f"{url}/versions", headers=user.headers)).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]


async def test_concurrent_creates_of_one_manifest_make_one_workflow(
    client: Client,
    user: SignedInUser,
) -> None:
    slug = await make_tenant(client, user)
    responses = await asyncio.gather(*(create(client, slug, user.headers) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_a_large_manifest_is_parsed_off_the_event_loop(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    steps = "".join(
        f"    - {{id: s{i}, uses: echo, needs: [{f's{i - 1}' if i else ''}], with: {{pad: '{'x' * 900}'}}}}\n"
        for i in range(200)
    )
    body = f"apiVersion: fluxforge.dev/v1\nkind: Workflow\nmetadata: {{name: big}}\nspec:\n  steps:\n{steps}".encode()
    assert len(body) > 16 * 1024
    created = await create(client, slug, user.headers, body)
    assert created.status_code == 201, created.text
    assert len(created.json()["spec"]["steps"]) == 200
    validated = await client.post(f"{base(slug)}:validate", content=body, headers={**user.headers, **YAML_HEADERS})
    assert validated.json()["order"] == [f"s{i}" for i in range(200)]


async def test_invalid_manifests_report_every_error_and_store_nothing(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    bad = b"""
apiVersion: fluxforge.dev/v1
kind: Workflow
metadata: {name: broken}
spec:
  steps:
    - {id: a, uses: echo, needs: [c]}
    - {id: b, uses: echo, needs: [a]}
    - {id: c, uses: echo, needs: [b]}
    - {id: d, uses: http, with: {url: "https://x", method: GET}, timeout_seconds: 0}
    - {id: e, uses: teleport, needs: [nowhere], with: {x: "${{ steps.d.outputs.y }}"}}
"""
    response = await create(client, slug, user.headers, bad)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert {e["field"]: e["message"] for e in problem["errors"]} == {
        "spec.steps[3].timeout_seconds": "must be at least 0.001",
        "spec.steps[4].needs[0]": "needs unknown step 'nowhere'",
        "spec.steps[1].needs[0]": "needs form a cycle: a -> c -> b -> a",
        "spec.steps[4].uses": "unknown executor 'teleport'; known: http, sleep, echo, emit, agent:<name>",
        "spec.steps[4].with.x": "${{ steps.d.outputs.y }} names step 'd', which is not upstream of 'e'; "
        "add it to needs (directly or through a step that needs it)",
    }
    validated = await client.post(f"{base(slug)}:validate", content=bad, headers={**user.headers, **YAML_HEADERS})
    assert validated.status_code == 400
    assert validated.json()["errors"] == problem["errors"]
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    assert await owner_conn.fetchval("SELECT count(*) FROM workflows WHERE tenant_id = $1", tenant_id) == 0


async def test_validate_checks_without_storing(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    response = await client.post(
        f"{base(slug)}:validate", content=manifest_yaml(), headers={**user.headers, **YAML_HEADERS}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["valid"] is True
    assert result["order"] == ["fetch", "wait", "report"]
    assert result["manifest"]["apiVersion"] == "fluxforge.dev/v1"
    assert result["manifest"]["spec"]["steps"][0]["timeout_seconds"] == 300.0
    created = (await create(client, slug, user.headers)).json()
    assert created["digest"] == result["digest"]  # validation said what would be stored
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    assert await owner_conn.fetchval("SELECT count(*) FROM workflow_versions WHERE tenant_id = $1", tenant_id) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind"),
    [
        (b"{}", "text/plain", 415, "unsupported-media-type"),
        (b"{", "application/json", 400, "validation-error"),
        (b"a: [", "application/yaml", 400, "validation-error"),
        (b"- 1\n- 2\n", "application/yaml", 400, "validation-error"),
        (b"#" * (MAX_MANIFEST_BYTES + 1), "application/yaml", 413, "payload-too-large"),
    ],
)
async def test_bodies_that_are_not_manifests(
    client: Client,
    user: SignedInUser,
    body: bytes,
    content_type: str,
    status: int,
    kind: str,
) -> None:
    slug = await make_tenant(client, user)
    for path in (base(slug), f"{base(slug)}:validate"):
        response = await client.post(path, content=body, headers={**user.headers, "Content-Type": content_type})
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith(f"/{kind}")


async def test_idempotent_create(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    first = await create(client, slug, {**user.headers, "Idempotency-Key": "wf-1"})
    assert first.status_code == 201
    replay = await client.post(
        base(slug), content=manifest_json(), headers={**user.headers, **JSON_HEADERS, "Idempotency-Key": "wf-1"}
    )
    assert replay.status_code == 201
    assert replay.headers["idempotency-replayed"] == "true"
    assert replay.headers["location"] == first.headers["location"]
    assert replay.json() == first.json()
    reused = await create(client, slug, user.headers, manifest_yaml(seconds=5), **{"Idempotency-Key": "wf-1"})
    assert reused.status_code == 409
    assert reused.json()["type"].endswith("/idempotency-key-reused")


async def test_list_delete_and_recreate(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    names = [f"wf-{i}" for i in range(5)]
    for name in names:
        assert (await create(client, slug, user.headers, manifest_yaml(name=name))).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = (await client.get(base(slug) + query, headers=user.headers)).json()
        seen.extend(item["name"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    first_page = (await client.get(base(slug), headers=user.headers)).json()["items"]
    assert first_page[0]["steps"] == 3
    assert first_page[0]["labels"] == {"team": "data"}
    url = f"{base(slug)}/wf-0"
    old = (await client.get(url, headers=user.headers)).json()
    wrong = await client.delete(url, headers={**user.headers, "If-Match": '"2"'})
    assert wrong.status_code == 412
    deleted = await client.delete(url, headers=user.headers)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "deleted"
    assert deleted.json()["deleted_at"] is not None
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.get(f"{url}/versions", headers=user.headers)).status_code == 404
    assert (await client.delete(url, headers=user.headers)).status_code == 404
    listed = (await client.get(base(slug), headers=user.headers)).json()["items"]
    assert "wf-0" not in [item["name"] for item in listed]
    again = await create(client, slug, user.headers, manifest_yaml(name="wf-0", seconds=9))
    assert again.status_code == 201
    assert again.json()["id"] != old["id"]
    assert again.json()["version"] == 1
    # The deleted workflow's version is still there for the runs that pinned it.
    kept = await owner_conn.fetchval("SELECT count(*) FROM workflow_versions WHERE workflow_id = $1", old["id"])
    assert kept == 1
    actions = await owner_conn.fetch("SELECT action FROM audit_events WHERE target_id = $1", old["id"])
    assert sorted(a["action"] for a in actions) == ["workflow.create", "workflow.delete"]


async def test_namespaces_keep_their_workflows_apart(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    ns = unique_slug("ns")
    assert (
        await client.post(f"/v1/tenants/{slug}/namespaces", json={"name": ns}, headers=user.headers)
    ).status_code == 201
    assert (await create(client, slug, user.headers)).status_code == 201
    other = await client.post(
        base(slug, ns), content=manifest_yaml(seconds=4), headers={**user.headers, **YAML_HEADERS}
    )
    assert other.status_code == 201  # the same name in another namespace is another workflow
    assert (await client.get(f"{base(slug, ns)}/nightly", headers=user.headers)).json()["spec"]["steps"][1]["with"] == {
        "seconds": 4
    }
    assert (await client.get(f"{base(slug, 'nowhere')}/nightly", headers=user.headers)).status_code == 404


async def test_permissions(client: Client, user: SignedInUser) -> None:
    slug = await make_tenant(client, user)
    assert (await create(client, slug, user.headers)).status_code == 201
    keys = {}
    for role in ("viewer", "operator"):
        made = await client.post(
            f"/v1/tenants/{slug}/api-keys", json={"name": role, "role": role}, headers=user.headers
        )
        assert made.status_code == 201, made.text
        keys[role] = {"Authorization": f"Bearer {made.json()['secret']}"}
    viewer, operator = keys["viewer"], keys["operator"]
    assert (await client.get(f"{base(slug)}/nightly", headers=viewer)).status_code == 200
    assert (await client.get(base(slug), headers=viewer)).status_code == 200
    validate = await client.post(f"{base(slug)}:validate", content=manifest_yaml(), headers={**viewer, **YAML_HEADERS})
    assert validate.status_code == 200
    denied = await create(client, slug, viewer, manifest_yaml(name="by-viewer"))
    assert denied.status_code == 403
    assert (await client.delete(f"{base(slug)}/nightly", headers=viewer)).status_code == 403
    assert (await create(client, slug, operator, manifest_yaml(name="by-operator"))).status_code == 201
    assert (await client.get(base(slug))).status_code == 401


async def test_versions_are_immutable_and_rows_are_confined_to_their_tenant(
    client: Client,
    user: SignedInUser,
    app_db: Database,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    created = (await create(client, slug, user.headers)).json()
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    async with app_db.tenant(tenant_id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM workflow_versions WHERE workflow_id = $1", created["id"]) == 1
    for statement in (
        "UPDATE workflow_versions SET digest = repeat('0', 64)",
        "DELETE FROM workflow_versions",
        "DELETE FROM workflows",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with app_db.tenant(tenant_id) as conn:
                await conn.execute(statement)
    other = await make_tenant(client, user)
    other_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", other)
    async with app_db.tenant(other_id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM workflows WHERE id = $1", created["id"]) == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # RLS: WITH CHECK refuses another tenant's row
            await conn.execute(
                "INSERT INTO workflow_versions (tenant_id, workflow_id, version, digest, manifest, steps) "
                "VALUES ($1, $2, 2, repeat('0', 64), '{}', 1)",
                tenant_id,
                created["id"],
            )


async def test_a_pinned_version_reads_back_exactly_also_after_deletion(
    client: Client,
    user: SignedInUser,
    app_db: Database,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    body = manifest_yaml(seconds=0.25).replace(b"{team: data}", b"{team: data, tier: '1'}")
    created = (await create(client, slug, user.headers, body)).json()
    url = f"{base(slug)}/nightly"
    await client.put(url, content=manifest_yaml(seconds=7), headers={**user.headers, **YAML_HEADERS, "If-Match": '"1"'})
    assert (await client.delete(url, headers=user.headers)).status_code == 200
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    async with app_db.tenant(tenant_id) as conn:
        pinned = await repository.pinned_manifest(conn, tenant_id, uuid.UUID(created["id"]), 1)
        assert await repository.pinned_manifest(conn, tenant_id, uuid.UUID(created["id"]), 3) is None
    assert pinned == manifest.load(body, "application/yaml")
    assert manifest.digest(pinned) == created["digest"]  # stored JSON gives back the same digest
    assert pinned.metadata.labels == {"team": "data", "tier": "1"}
