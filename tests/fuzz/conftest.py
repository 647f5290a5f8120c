"""The live service and a prepared world that tests/fuzz/test_schemathesis.py fuzzes.

`fluxforge serve` runs as a real process on loopback against its own scratch database (the fuzzer
closes billing periods and creates tenants, which other tests must never see) and its own Redis key
prefix. Before fuzzing, a world is built through the API: tenant A, whose owner the fuzzer acts as,
with one of everything a path can name (namespace, workflow, finished runs, API key, invitation,
member, role, role binding, meter, plan, subscription, invoice), and tenant B, the bystander whose
rows must not change. The fuzzer then fills path parameters with these real ids, so requests get
past 404 and reach the handlers.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import msgspec
import pytest

from fluxforge.config import Settings, load_settings
from fluxforge.conventions import new_id
from fluxforge.db import Database, create_pool
from fluxforge.identity.tokens import TokenService
from fluxforge.migrations import migrate
from tests.conftest import create_database, drop_database
from tests.e2e.conftest import Service, clean_env, free_port
from tests.peers.oidc import PROVIDER, OidcPeer, providers_setting
from tests.peers.stripe import running_peer, sign_webhook
from tests.support import unique_slug

WEBHOOK_SECRET = "whsec_fuzz_" + secrets.token_hex(12)
WORKFLOW_YAML = """
apiVersion: fluxforge.dev/v1
kind: Workflow
metadata: {name: greet}
spec:
  inputs:
    - {name: who, required: true}
  steps:
    - id: hello
      uses: echo
      with: {greeting: "hello ${{ inputs.who }}"}
    - id: after
      uses: echo
      needs: [hello]
      with: {said: "${{ steps.hello.outputs.greeting }}"}
"""
PERIOD_START = datetime(2021, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2021, 1, 31, tzinfo=UTC)

T = TypeVar("T")


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from a synchronous test, on a loop of its own thread.

    Hypothesis tests are synchronous; the session's event loop belongs to pytest-asyncio.
    """
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


async def tenant_fingerprint(database_url: str, tenant_slug: str) -> str:
    """A digest of every row of every table with a tenant_id that belongs to the tenant."""
    conn = await asyncpg.connect(database_url)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant_slug)
        assert tenant_id is not None
        tables = await conn.fetch(
            """
            SELECT c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
            ORDER BY 1
            """
        )
        digest = hashlib.sha256()
        for table in ["tenants", *(r["relname"] for r in tables)]:
            column = "id" if table == "tenants" else "tenant_id"
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE {column} = $1", tenant_id)
            digest.update(table.encode())
            digest.update(repr(sorted(repr(tuple(r.values())) for r in rows)).encode())
        return digest.hexdigest()
    finally:
        await conn.close()


@dataclass
class World:
    """The live service and the ids the fuzzer puts into paths."""

    base_url: str
    database_url: str
    admin: dict[str, str]
    member: dict[str, str]
    webhook_secret: str
    bystander: str
    tenant: dict[str, str] = field(default_factory=dict)  # path values for /v1/tenants/... and /v1/auth/...
    platform: dict[str, str] = field(default_factory=dict)  # path values for /v1/admin/...

    def path_values(self, path: str) -> dict[str, str]:
        return self.platform if path.startswith("/v1/admin/") else self.tenant

    def headers_for(self, path: str) -> dict[str, str]:
        return self.admin if path.startswith("/v1/admin/") else self.member

    def sign(self, payload: bytes) -> str:
        return sign_webhook(payload, self.webhook_secret)


@pytest.fixture(scope="session")
async def fuzz_database(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "fluxforge_fuzz")
    try:
        await migrate(url, Settings().migrations_dir)
        yield url
    finally:
        await drop_database(server_url, url)


@pytest.fixture(scope="session")
def fuzz_service(
    fuzz_database: str, redis_url: str, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`fluxforge serve` (gunicorn, one uvicorn worker) with a real OIDC provider and a local Stripe."""
    folder = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_id, client_secret = oidc_peer.register_client([f"{base}/v1/auth/callback/{PROVIDER}"])
    env = clean_env(
        FLUXFORGE_DATABASE_URL=fuzz_database,
        FLUXFORGE_REDIS_URL=redis_url,
        FLUXFORGE_REDIS_KEY_PREFIX=f"fffuzz{secrets.token_hex(4)}:",
        FLUXFORGE_ADMIN_TOKEN="ffadm_fuzz_" + secrets.token_urlsafe(24),
        FLUXFORGE_PORT=str(port),
        FLUXFORGE_WEB_WORKERS="1",
        FLUXFORGE_DATA_DIR=str(folder / "data"),
        FLUXFORGE_PUBLIC_URL=base,
        FLUXFORGE_OIDC_PROVIDERS=providers_setting(
            oidc_peer.provider(PROVIDER, client_id=client_id, client_secret=client_secret)
        ),
        FLUXFORGE_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        # The fuzzer is one busy client: limits that it would hit hide the handlers behind 429.
        FLUXFORGE_RATE_LIMIT_TENANT_PER_SECOND="100000",
        FLUXFORGE_RATE_LIMIT_TENANT_BURST="100000",
        FLUXFORGE_RATE_LIMIT_API_KEY_PER_SECOND="100000",
        FLUXFORGE_RATE_LIMIT_API_KEY_BURST="100000",
        FLUXFORGE_WORKER_POLL_INTERVAL="0.1",
    )
    with running_peer(folder) as stripe:
        env["FLUXFORGE_STRIPE_API_KEY"] = stripe.api_key
        env["FLUXFORGE_STRIPE_API_BASE"] = stripe.base_url
        yield from _serve(base, env, folder)


def _serve(base: str, env: dict[str, str], folder: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    api = Service("serve", env, folder / "api.log")
    try:
        api.wait_ready(base)
        yield base, env, folder
    finally:
        api.stop()
        output = api.output()
        # Unhandled errors are logged; a 500 the fuzzer saw is reported by its check, this shows why.
        errors = [line[:3000] for line in output.splitlines() if '"level":"error"' in line]
        if errors:
            print("--- fuzz service errors ---", *errors[-10:], sep="\n")


class _Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, headers: dict[str, str], expect: int = 201, **kw: Any) -> Any:
        response = await self.client.request(method, path, headers=headers, **kw)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


async def _build_tenant(api: _Api, owner: dict[str, str], slug: str) -> dict[str, Any]:
    """A tenant with a namespace, a workflow and two runs, an API key and a meter with usage."""
    await api.call("POST", "/v1/tenants", owner, json={"slug": slug, "display_name": f"Fuzz {slug}"})
    base = f"/v1/tenants/{slug}"
    await api.call("POST", f"{base}/namespaces", owner, json={"name": "fuzz", "labels": {"tier": "1"}})
    await api.call(
        "POST",
        f"{base}/namespaces/fuzz/workflows",
        {**owner, "Content-Type": "application/yaml"},
        content=WORKFLOW_YAML.encode(),
    )
    runs = [
        await api.call("POST", f"{base}/namespaces/fuzz/runs", owner, json={"workflow": "greet", "inputs": {"who": w}})
        for w in ("a", "b")
    ]
    key = await api.call("POST", f"{base}/api-keys", owner, json={"name": "ci", "role": "viewer"})
    await api.call(
        "POST", f"{base}/meters", owner, json={"key": "fuzz.calls", "event_type": "fuzz.call", "aggregation": "count"}
    )
    now = datetime.now(UTC).isoformat()
    await api.call(
        "POST",
        f"{base}/usage",
        owner,
        expect=200,
        json={
            "events": [{"id": f"ev-{slug}", "type": "fuzz.call", "timestamp": now, "subject": "s", "properties": {}}]
        },
    )
    return {"runs": [r["id"] for r in runs], "key": key["id"]}


async def _wait_runs_finished(api: _Api, owner: dict[str, str], slug: str, run_ids: list[str]) -> None:
    deadline = time.monotonic() + 60
    for run_id in run_ids:
        while True:
            run = await api.call("GET", f"/v1/tenants/{slug}/namespaces/fuzz/runs/{run_id}", owner, expect=200)
            if run["state"] in ("succeeded", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, f"run {run_id} stuck in {run['state']}"
            await asyncio.sleep(0.1)


async def _settled_fingerprint(database_url: str, slug: str) -> str:
    """Self-metering writes a tenant's request counts a moment later: wait until the rows stop changing."""
    previous = await tenant_fingerprint(database_url, slug)
    for _ in range(60):
        await asyncio.sleep(1.0)
        current = await tenant_fingerprint(database_url, slug)
        if current == previous:
            return current
        previous = current
    raise AssertionError(f"tenant {slug}'s rows never settled")


@pytest.fixture(scope="session")
async def fuzz_world(fuzz_service: tuple[str, dict[str, str], Path], fuzz_database: str) -> AsyncIterator[World]:
    base, env, folder = fuzz_service
    admin = {"Authorization": f"Bearer {env['FLUXFORGE_ADMIN_TOKEN']}"}
    settings = msgspec.structs.replace(load_settings({}), database_url=fuzz_database)
    pool = await create_pool(settings.resolved_app_database_url(), min_size=1, max_size=2)
    owner_conn = await asyncpg.connect(fuzz_database)
    try:
        tokens = TokenService(
            Database(pool), base, settings.access_token_ttl_seconds, timedelta(days=settings.signing_key_rotation_days)
        )
        await tokens.start()

        async def user(name: str) -> tuple[uuid.UUID, str, dict[str, str]]:
            user_id, email = uuid.uuid4(), f"{name}-{secrets.token_hex(4)}@example.test"
            await owner_conn.execute(
                "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)", user_id, email, name
            )
            token, _ = await tokens.issue(user_id)
            return user_id, email, {"Authorization": f"Bearer {token}"}

        _, _, owner_a = await user("alice")
        _, _, owner_b = await user("bob")
        member_id, member_email, member = await user("mallory")
        slug_a, slug_b = unique_slug("fza"), unique_slug("fzb")

        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            api = _Api(client)
            built_a = await _build_tenant(api, owner_a, slug_a)
            built_b = await _build_tenant(api, owner_b, slug_b)
            worker = Service("worker", env, folder / "worker.log")
            try:
                await _wait_runs_finished(api, owner_a, slug_a, built_a["runs"])
                await _wait_runs_finished(api, owner_b, slug_b, built_b["runs"])
            finally:
                worker.stop()  # runs the fuzzer submits stay pending: no executor runs fuzzed manifests

            a = f"/v1/tenants/{slug_a}"
            accepted = await api.call(
                "POST", f"{a}/invitations", owner_a, json={"email": member_email, "role": "viewer"}
            )
            await api.call("POST", "/v1/invitations/accept", member, expect=200, json={"token": accepted["token"]})
            pending = await api.call(
                "POST", f"{a}/invitations", owner_a, json={"email": "later@example.test", "role": "viewer"}
            )
            await api.call("POST", f"{a}/roles", owner_a, json={"name": "auditor", "permissions": ["audit:read"]})
            binding = await api.call(
                "POST",
                f"{a}/role-bindings",
                owner_a,
                json={"role": "auditor", "subject_type": "user", "subject_id": str(member_id)},
            )

            await api.call(
                "POST",
                "/v1/admin/meters",
                admin,
                json={"key": "fuzz.platform", "event_type": "fuzz.platform", "aggregation": "count"},
            )
            plan = await api.call(
                "POST",
                "/v1/admin/plans",
                admin,
                json={
                    "key": "fuzz-pro",
                    "name": "Pro",
                    "currency": "USD",
                    "fixed_fee": 1000,
                    "prices": [{"meter_key": "fuzz.platform", "model": "per_unit", "unit_price": "0.5"}],
                },
            )
            # Both tenants have been subscribed since before the closed period, so closing it bills them.
            tenant_ids = {}
            for slug in (slug_a, slug_b):
                tenant_ids[slug] = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
                await owner_conn.execute(
                    "INSERT INTO billing_subscriptions (tenant_id, currency) VALUES ($1, 'USD')", tenant_ids[slug]
                )
                await owner_conn.execute(
                    """INSERT INTO billing_subscription_changes (tenant_id, id, effective_at, plan_id, created_by)
                       VALUES ($1, $2, $3, $4, 'fuzz')""",
                    tenant_ids[slug],
                    new_id(),
                    PERIOD_START - timedelta(days=365),
                    uuid.UUID(plan["id"]),
                )
            await owner_conn.execute(
                "UPDATE billing_plan_versions SET effective_from = $2 WHERE plan_id = $1",
                uuid.UUID(plan["id"]),
                PERIOD_START - timedelta(days=400),
            )
            closed = await api.call(
                "POST",
                "/v1/admin/billing/periods/close",
                admin,
                expect=200,
                json={"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()},
            )
            (invoice,) = [i for i in closed["invoices"] if i["tenant_id"] == str(tenant_ids[slug_a])]
            platform_tenant = unique_slug("fzc")
            await api.call("POST", "/v1/admin/tenants", admin, json={"slug": platform_tenant, "display_name": "C"})

        world = World(
            base_url=base,
            database_url=fuzz_database,
            admin=admin,
            member=owner_a,
            webhook_secret=WEBHOOK_SECRET,
            bystander=slug_b,
        )
        world.tenant = {
            "tenant": slug_a,
            "namespace": "fuzz",
            "run_id": built_a["runs"][0],
            "name": "greet",
            "key_id": built_a["key"],
            "invitation_id": pending["id"],
            "user_id": str(member_id),
            "meter": "fuzz.calls",
            "plan": "fuzz-pro",
            "role": "auditor",
            "binding_id": binding["id"],
            "invoice_id": invoice["id"],
            "provider": PROVIDER,
        }
        world.platform = {
            "tenant": platform_tenant,
            "meter": "fuzz.platform",
            "plan": "fuzz-pro",
            "version": "1",
            "invoice_id": invoice["id"],
        }
        world.tenant["other_run"] = built_a["runs"][1]
        await _settled_fingerprint(fuzz_database, slug_b)
        yield world
    finally:
        await owner_conn.close()
        await pool.close()


def _fuzz_order(item: pytest.Item) -> tuple[int, int, str]:
    """Reading and creating first; deleting last, deepest paths first, tenants at the very end."""
    name = item.name
    if "[" not in name:
        return (3, 0, name)  # the summary tests run after every operation
    method, _, path = name[name.index("[") + 1 : -1].partition(" ")
    if method != "DELETE":
        return (0, 0, "")
    if path.endswith("/tenants/{tenant}"):
        return (2, 0, path)
    # A removed member takes their role bindings along: bindings go first.
    return (1, -path.count("/"), "~" + path if "/members/" in path else path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    fuzz = [i for i, item in enumerate(items) if item.nodeid.startswith("tests/fuzz/")]
    ordered = sorted((items[i] for i in fuzz), key=_fuzz_order)  # stable: schema order otherwise
    for i, item in zip(fuzz, ordered, strict=True):
        items[i] = item
