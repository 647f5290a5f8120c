"""A person signs in with a real browser: headless Chromium starts at `fluxforge serve`'s login URL,
goes through the OIDC provider's sign-in and consent pages (oidc-provider on loopback), and ends on
/auth/complete, which trades the one-time code for tokens and says who is signed in."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
from pathlib import Path

import asyncpg
import msgspec

from fluxforge.config import Settings
from tests.e2e.conftest import Service, serve_env
from tests.peers.oidc import PEER_DIR, PROVIDER, OidcPeer, providers_setting

CHROMIUM = Path("/usr/bin/chromium")


async def test_browser_signs_in_through_the_provider(
    settings: Settings,
    oidc_peer: OidcPeer,
    owner_conn: asyncpg.Connection,
    tmp_path: Path,
    services: list[Service],
) -> None:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: this test needs Debian's headless Chromium; run tests/peers/install-browser.sh"
    )
    node = shutil.which("node")
    assert node is not None, "node is missing: this test drives Chromium with playwright-core (Node.js 20+)"

    base, env = serve_env(settings, tmp_path, "ffadm_browser_login_" + secrets.token_hex(8))
    client_id, client_secret = oidc_peer.register_client([f"{base}/v1/auth/callback/{PROVIDER}"])
    env["FLUXFORGE_PUBLIC_URL"] = base
    env["FLUXFORGE_OIDC_PROVIDERS"] = providers_setting(
        oidc_peer.provider(PROVIDER, client_id=client_id, client_secret=client_secret)
    )
    api = Service("serve", env, tmp_path / "api.log")
    services.append(api)
    await asyncio.to_thread(api.wait_ready, base)

    login = f"browser-{secrets.token_hex(4)}"
    run = await asyncio.to_thread(
        subprocess.run,
        [
            node,
            str(PEER_DIR / "browser_login.mjs"),
            f"{base}/v1/auth/login/{PROVIDER}",
            login,
            "any password",
            str(tmp_path / "complete.png"),
        ],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    diagnostics = (
        f"browser exit {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr[-4000:]}\n"
        f"api:\n{api.output()[-3000:]}\nprovider:\n{oidc_peer.output()[-2000:]}"
    )
    assert run.returncode == 0, diagnostics
    page = msgspec.json.decode(run.stdout.strip().splitlines()[-1])
    assert page["status"] == f"Signed in as {login}@example.test", diagnostics
    assert page["url"] == f"{base}/auth/complete", diagnostics  # the one-time code left the address bar

    row = await owner_conn.fetchrow(
        """
        SELECT u.email, u.display_name, i.provider FROM users u JOIN user_identities i ON i.user_id = u.id
        WHERE i.issuer = $1 AND i.subject = $2
        """,
        oidc_peer.issuer,
        login,
    )
    assert row is not None, diagnostics
    assert row["email"] == f"{login}@example.test"
    assert row["display_name"] == f"Test user {login}"
    assert row["provider"] == PROVIDER
