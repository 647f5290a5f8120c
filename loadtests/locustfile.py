"""A realistic tenant mix for locust: what tenants' clients do all day, in proportion.

Run by loadtests/mix.py (which starts the service, seeds the tenants and passes their sessions
in MIX_CONFIG), headless and time-bounded:

    MIX_CONFIG=mix.json locust -f loadtests/locustfile.py --headless -u 24 -r 24 -t 60s --host http://...

Each simulated client is one signed-in user of one tenant, with its own refresh-token session:
- reads (most of the traffic): its namespace, its runs, its usage report, itself;
- run submission of a small workflow (the scheduler workers execute it meanwhile);
- usage batches of 100 events, as a metering client sends them;
- invoice downloads as PDF;
- sign-in refresh: the refresh token is spent for a new pair, as a client does when its access
  token nears expiry (rotation: the old one is dead afterwards, so each user keeps its own).
Requests are named by route template so the figures group per kind of request, not per URL.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

CONFIG: dict[str, Any] = json.loads(Path(os.environ["MIX_CONFIG"]).read_text()) if "MIX_CONFIG" in os.environ else {}
_SESSIONS = itertools.count()


class TenantClient(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        sessions = CONFIG["sessions"]
        session = sessions[next(_SESSIONS) % len(sessions)]
        self.slug: str = session["tenant"]
        self.refresh_token: str = session["refresh_token"]
        self.access_token: str = session["access_token"]
        self.invoice_id: str = session["invoice_id"]
        self.workflow: str = session["workflow"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @task(4)
    def read_namespace(self) -> None:
        self.client.get(f"/v1/tenants/{self.slug}/namespaces/default", headers=self.auth, name="GET namespace")

    @task(3)
    def list_runs(self) -> None:
        self.client.get(
            f"/v1/tenants/{self.slug}/namespaces/default/runs?limit=20", headers=self.auth, name="GET runs (list)"
        )

    @task(1)
    def usage_report(self) -> None:
        self.client.get(
            f"/v1/tenants/{self.slug}/usage?meter=app.tokens&window=hour", headers=self.auth, name="GET usage report"
        )

    @task(1)
    def me(self) -> None:
        self.client.get("/v1/me", headers=self.auth, name="GET /v1/me")

    @task(2)
    def submit_run(self) -> None:
        self.client.post(
            f"/v1/tenants/{self.slug}/namespaces/default/runs",
            json={"workflow": self.workflow, "inputs": {"who": "bench"}},
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
            name="POST run",
        )

    @task(2)
    def usage_batch(self) -> None:
        now = datetime.now(UTC)
        batch = [
            {
                "id": str(uuid.uuid4()),
                "type": "app.call",
                "timestamp": (now - timedelta(seconds=n)).isoformat(),
                "subject": f"customer-{n % 7}",
                "properties": {"tokens": n},
            }
            for n in range(100)
        ]
        with self.client.post(
            f"/v1/tenants/{self.slug}/usage",
            json={"events": batch},
            headers=self.auth,
            name="POST usage (100 events)",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or (response.json() or {}).get("rejected"):
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(1)
    def invoice_pdf(self) -> None:
        with self.client.get(
            f"/v1/tenants/{self.slug}/invoices/{self.invoice_id}",
            headers={**self.auth, "Accept": "application/pdf"},
            name="GET invoice PDF",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not (response.content or b"").startswith(b"%PDF-"):
                response.failure(f"{response.status_code}: not a PDF")

    @task(1)
    def refresh(self) -> None:
        with self.client.post(
            "/v1/auth/token",
            json={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
            name="POST auth/token (refresh)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            pair = response.json()
            self.access_token, self.refresh_token = pair["access_token"], pair["refresh_token"]
