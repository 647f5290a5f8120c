"""A new tenant's first day, through the generated SDK only, against real `fluxforge serve` and
`fluxforge worker` processes.

The person signs in through the OIDC provider (the only part done as a browser would, at the
provider's pages), then everything FluxForge is asked goes through `fluxforge_client`: trade the
login code for tokens, create the tenant, make an API key and continue with it alone; create a
namespace, grant a role, submit a workflow run and follow it to the end, report usage, and
download the invoice PDF. The platform operator's part (a plan in the catalog, closing the
period, finalizing the invoice) also goes through the SDK, with the admin token.

The journey has a database of its own: closing a billing period that ends "now" closes usage
ingest into that window for every tenant, which must not reach other tests' tenants.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pypdf
import pytest
import yaml
from fluxforge_client import AuthenticatedClient, Client
from fluxforge_client.api.admin_billing import close_billing_period, finalize_invoice
from fluxforge_client.api.admin_plans import admin_create_plan
from fluxforge_client.api.api_keys import create_api_key
from fluxforge_client.api.auth import create_tokens, finish_sign_in, get_current_user, start_sign_in
from fluxforge_client.api.invoices import download_invoice_pdf, get_invoice, list_invoices
from fluxforge_client.api.meters import create_meter
from fluxforge_client.api.namespaces import create_namespace, list_namespaces
from fluxforge_client.api.role_bindings import create_role_binding
from fluxforge_client.api.runs import create_run, follow_run_events, get_run
from fluxforge_client.api.subscriptions import subscribe
from fluxforge_client.api.tenants import create_my_tenant, get_my_tenant
from fluxforge_client.api.usage import get_usage, ingest_usage
from fluxforge_client.api.workflows import create_workflow
from fluxforge_client.helpers import ApiError, apaginate, events, paginate, unwrap
from fluxforge_client.models import (
    ApiKeyCreate,
    LoginCodeGrant,
    MeterCreate,
    MeterCreateAggregation,
    NamespaceCreate,
    PeriodClose,
    PlanCreate,
    Price,
    PriceModel,
    RoleBindingCreate,
    RoleBindingCreateSubjectType,
    Run,
    RunCreate,
    RunCreateInputs,
    RunState,
    RunStepOutputsType0,
    SubscriptionRequest,
    TenantCreate,
    UsageBatch,
    UsageEvent,
)
from fluxforge_client.types import File

from fluxforge.config import Settings
from fluxforge.migrations import migrate
from tests.conftest import create_database, drop_database
from tests.e2e.conftest import Service, serve_env
from tests.peers.oidc import PROVIDER, OidcPeer, browse_provider, providers_setting

pytestmark = pytest.mark.e2e
ADMIN_TOKEN = "ffadm_sdk_journey_" + secrets.token_hex(8)
PIPELINE = {
    "apiVersion": "fluxforge.dev/v1",
    "kind": "Workflow",
    "metadata": {"name": "build"},
    "spec": {
        "inputs": [{"name": "commit", "required": True}],
        "steps": [
            {"id": "checkout", "uses": "echo", "with": {"commit": "${{ inputs.commit }}"}},
            {"id": "wait", "uses": "sleep", "needs": ["checkout"], "with": {"seconds": 0.05}},
            {
                "id": "report",
                "uses": "echo",
                "needs": ["wait"],
                "with": {"built": "${{ steps.checkout.outputs.commit }}"},
            },
        ],
    },
}


@pytest.fixture
async def journey_settings(settings: Settings, server_url: str) -> AsyncIterator[Settings]:
    """The session's settings with a migrated database and a Redis key prefix of the journey's own."""
    url = await create_database(server_url, prefix="fluxforge_sdk_journey")
    try:
        await migrate(url, settings.migrations_dir)
        yield msgspec.structs.replace(
            settings, database_url=url, redis_key_prefix=f"ffjourney{secrets.token_hex(4)}:", admin_token=ADMIN_TOKEN
        )
    finally:
        await drop_database(server_url, url)


async def sign_in(base: str, login: str) -> str:
    """The browser part: FluxForge redirects to the provider, the person signs in and consents,
    the provider redirects back; FluxForge's answer carries the one-time login code."""
    anonymous = Client(base_url=base, follow_redirects=False)
    started = await start_sign_in.asyncio_detailed(PROVIDER, client=anonymous)
    assert started.status_code == 302, started.content
    callback = await browse_provider(started.headers["location"], login=login, until=f"{base}/v1/auth/callback/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    finished = await finish_sign_in.asyncio_detailed(
        PROVIDER, client=anonymous, code=query.get("code"), state=query.get("state"), iss=query.get("iss")
    )
    assert finished.status_code == 302, finished.content
    location = urlsplit(finished.headers["location"])
    assert location.path == "/auth/complete"
    return parse_qs(location.query)["code"][0]


async def test_a_new_tenant_goes_from_sign_in_to_invoice_pdf_with_the_sdk_alone(
    journey_settings: Settings, oidc_peer: OidcPeer, tmp_path: Path, services: list[Service]
) -> None:
    base, env = serve_env(journey_settings, tmp_path, ADMIN_TOKEN, FLUXFORGE_SCHEDULER_SWEEP_INTERVAL="0.2")
    client_id, client_secret = oidc_peer.register_client([f"{base}/v1/auth/callback/{PROVIDER}"])
    env["FLUXFORGE_PUBLIC_URL"] = base
    env["FLUXFORGE_OIDC_PROVIDERS"] = providers_setting(
        oidc_peer.provider(PROVIDER, client_id=client_id, client_secret=client_secret)
    )
    api = Service("serve", env, tmp_path / "api.log")
    services.append(api)
    worker = Service("worker", env, tmp_path / "worker.log")
    services.append(worker)
    await asyncio.to_thread(api.wait_ready, base)
    await asyncio.to_thread(worker.wait_for_output, "worker started", 30)
    journey_start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    admin = AuthenticatedClient(base_url=base, token=ADMIN_TOKEN)

    # The operator's catalog: a plan with a monthly fee and a per-build price.
    plan_key = f"team-{secrets.token_hex(3)}"
    plan = unwrap(
        await admin_create_plan.asyncio_detailed(
            client=admin,
            body=PlanCreate(
                key=plan_key,
                name="Team",
                currency="USD",
                fixed_fee=0,
                prices=[Price(meter_key="builds", model=PriceModel.PER_UNIT, unit_price="25")],
                effective_from=journey_start - timedelta(days=1),
            ),
        )
    )
    assert plan.key == plan_key

    # Sign in, trade the login code for tokens, and create the tenant.
    login = f"founder-{secrets.token_hex(3)}"
    code = await sign_in(base, login)
    tokens = unwrap(
        await create_tokens.asyncio_detailed(
            client=Client(base_url=base), body=LoginCodeGrant(code=code, grant_type="login_code")
        )
    )
    person = AuthenticatedClient(base_url=base, token=tokens.access_token)
    me = unwrap(await get_current_user.asyncio_detailed(client=person))
    assert me.email == f"{login}@example.test"
    slug = f"acme-{secrets.token_hex(3)}"
    tenant = unwrap(
        await create_my_tenant.asyncio_detailed(client=person, body=TenantCreate(slug=slug, display_name="Acme"))
    )
    assert tenant.slug == slug

    # An API key for the automation; its secret is shown once. From here on, only API keys.
    owner_key = unwrap(
        await create_api_key.asyncio_detailed(slug, client=person, body=ApiKeyCreate(name="automation", role="owner"))
    )
    assert owner_key.secret.startswith("ffk_")
    owner = AuthenticatedClient(base_url=base, token=owner_key.secret, timeout=None)
    assert unwrap(await get_my_tenant.asyncio_detailed(slug, client=owner)).id == tenant.id

    # Namespaces; a second one of the same name is a conflict, reported as a typed problem.
    unwrap(await create_namespace.asyncio_detailed(slug, client=owner, body=NamespaceCreate(name="prod")))
    with pytest.raises(ApiError) as duplicate:
        unwrap(await create_namespace.asyncio_detailed(slug, client=owner, body=NamespaceCreate(name="prod")))
    assert duplicate.value.status == 409
    assert duplicate.value.type == "https://fluxforge.dev/problems/conflict"
    for name in ("staging", "dev"):
        unwrap(await create_namespace.asyncio_detailed(slug, client=owner, body=NamespaceCreate(name=name)))
    names = [ns.name for ns in paginate(list_namespaces.sync_detailed, slug, client=owner, limit=1)]
    assert sorted(names) == ["default", "dev", "prod", "staging"]  # a new tenant starts with "default"
    assert [ns.name async for ns in apaginate(list_namespaces.asyncio_detailed, slug, client=owner, limit=2)] == names

    # A CI key that may only read, until it is granted the operator role in prod.
    ci_key = unwrap(
        await create_api_key.asyncio_detailed(slug, client=owner, body=ApiKeyCreate(name="ci", role="viewer"))
    )
    ci = AuthenticatedClient(base_url=base, token=ci_key.secret, timeout=None)
    # The workflow goes in as YAML (a File body) and comes back as the typed manifest.
    yaml_body = File(payload=io.BytesIO(yaml.safe_dump(PIPELINE).encode()), mime_type="application/yaml")
    workflow = unwrap(await create_workflow.asyncio_detailed(slug, "prod", client=owner, body=yaml_body))
    assert [step.id for step in workflow.spec.steps] == ["checkout", "wait", "report"]
    submit = RunCreate(workflow="build", inputs=RunCreateInputs.from_dict({"commit": "abc123"}))
    with pytest.raises(ApiError) as refused:
        unwrap(await create_run.asyncio_detailed(slug, "prod", client=ci, body=submit))
    assert refused.value.status == 403
    binding = unwrap(
        await create_role_binding.asyncio_detailed(
            slug,
            client=owner,
            body=RoleBindingCreate(
                role="operator",
                subject_type=RoleBindingCreateSubjectType.API_KEY,
                subject_id=ci_key.id,
                namespace="prod",
            ),
        )
    )
    assert binding.role == "operator"

    # The CI key submits a run and follows its events until the stream ends with the run.
    # The submission carries an Idempotency-Key, so a retry (here: a deliberate replay) returns the
    # first run instead of starting a second one.
    key = str(uuid.uuid4())
    run = await submit_when_granted(slug, ci, submit, key)
    replayed = unwrap(await create_run.asyncio_detailed(slug, "prod", client=ci, body=submit, idempotency_key=key))
    assert replayed.id == run.id
    stream = unwrap(await follow_run_events.asyncio_detailed(slug, "prod", run.id, client=ci))
    messages = events(stream)
    assert [m.event for m in messages][0 :: len(messages) - 1] == ["run.created", "run.succeeded"], stream
    assert [int(m.id) for m in messages] == list(range(1, len(messages) + 1))
    assert json.loads(messages[-1].data)["type"] == "run.succeeded"
    finished = unwrap(await get_run.asyncio_detailed(slug, "prod", run.id, client=ci))
    assert finished.state == RunState.SUCCEEDED
    assert isinstance(finished.steps, list)  # a run read by id carries its steps
    outputs = {step.id: step.outputs for step in finished.steps}
    report = outputs["report"]
    assert isinstance(report, RunStepOutputsType0)  # set, and not null
    assert report.to_dict() == {"built": "abc123"}

    # Usage: the tenant's own meter, the plan, and events sent twice (counted once).
    unwrap(
        await create_meter.asyncio_detailed(
            slug,
            client=owner,
            body=MeterCreate(key="builds", event_type="build.finished", aggregation=MeterCreateAggregation.COUNT),
        )
    )
    unwrap(await subscribe.asyncio_detailed(slug, client=owner, body=SubscriptionRequest(plan=plan_key)))
    now = datetime.now(UTC)
    batch = UsageBatch(
        events=[UsageEvent(id=f"build-{i}", type_="build.finished", subject="ci", timestamp=now) for i in range(3)]
    )
    first = unwrap(await ingest_usage.asyncio_detailed(slug, client=owner, body=batch))
    assert first.accepted == 3
    retried = unwrap(await ingest_usage.asyncio_detailed(slug, client=owner, body=batch))
    assert retried.accepted == 0
    assert len(retried.duplicates) == 3
    usage = unwrap(await get_usage.asyncio_detailed(slug, client=owner, meter="builds"))
    assert sum(Decimal(bucket.quantity) for bucket in usage.items) == 3

    # The operator closes the period once it is over and finalizes the invoice.
    period_end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(UTC) <= period_end:
        await asyncio.sleep(0.1)
    closed = unwrap(
        await close_billing_period.asyncio_detailed(client=admin, body=PeriodClose(start=journey_start, end=period_end))
    )
    (draft,) = [i for i in closed.invoices if i.tenant_id == tenant.id]
    invoice = unwrap(await finalize_invoice.asyncio_detailed(draft.id, client=admin))
    assert isinstance(invoice.number, str)
    assert invoice.tenant_id == tenant.id

    # The tenant finds it and downloads the PDF.
    listed = [i async for i in apaginate(list_invoices.asyncio_detailed, slug, client=owner)]
    assert [i.id for i in listed] == [invoice.id]
    as_json = unwrap(await get_invoice.asyncio_detailed(slug, invoice.id, client=owner))
    (line,) = [line for line in as_json.lines if line.meter_key == "builds"]
    assert Decimal(line.quantity) == 3
    assert line.amount == 75
    pdf = unwrap(await download_invoice_pdf.asyncio_detailed(slug, invoice.id, client=owner))
    assert isinstance(pdf, File)
    document = pdf.payload.read()
    assert document.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages)
    assert invoice.number in text
    assert "Acme" in text
    await asyncio.gather(admin.get_async_httpx_client().aclose(), owner.get_async_httpx_client().aclose())


async def submit_when_granted(slug: str, ci: AuthenticatedClient, submit: RunCreate, key: str) -> Run:
    """Role bindings reach every API process's grant cache shortly after they are made; the first
    run is submitted as soon as the new grant is seen (a 403 until then)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return unwrap(await create_run.asyncio_detailed(slug, "prod", client=ci, body=submit, idempotency_key=key))
        except ApiError as error:
            if error.status != 403 or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
