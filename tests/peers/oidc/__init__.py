"""A real OpenID Connect provider for the tests: npm's oidc-provider, run by server.mjs on loopback.

The `oidc_peer` fixture (session-scoped, imported by tests/conftest.py) installs the locked npm
packages once (`npm ci`, when node_modules is missing or older than package-lock.json), starts
the provider on a free port, waits for its discovery document and stops it at the end.

Its static client is registered for the integration tests' app (`TEST_PUBLIC_URL`, the base URL
of litestar's test client); tests whose redirect URI is known only later (a `fluxforge serve` on a
fresh port) register a client of their own with `OidcPeer.register_client`.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import msgspec
import pytest

PEER_DIR = Path(__file__).resolve().parent
TEST_PUBLIC_URL = "http://testserver.local"
"""The public URL of apps under litestar's AsyncTestClient (its default base URL)."""
PROVIDER = "local"
STATIC_CLIENT_ID = "fluxforge-test"


def ensure_node_modules() -> None:
    """`npm ci` when the locked packages are not installed yet (or the lock file changed)."""
    installed = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed; the OIDC test provider needs Node.js 20+ and npm")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER_DIR, check=True, timeout=600)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class OidcPeer:
    issuer: str
    client_id: str
    client_secret: str
    log_path: Path

    def provider(
        self, name: str = PROVIDER, *, client_id: str | None = None, client_secret: str | None = None
    ) -> dict[str, Any]:
        """One entry of FLUXFORGE_OIDC_PROVIDERS for this provider (the static client by default)."""
        return {
            "name": name,
            "issuer": self.issuer,
            "client_id": client_id or self.client_id,
            "client_secret": client_secret or self.client_secret,
            "scopes": "openid email profile",
        }

    def register_client(self, redirect_uris: list[str]) -> tuple[str, str]:
        """A new confidential client (RFC 7591 dynamic registration): its id and secret."""
        discovery = httpx.get(self.issuer + "/.well-known/openid-configuration", timeout=10).json()
        response = httpx.post(
            discovery["registration_endpoint"],
            json={
                "redirect_uris": redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        registered = response.json()
        return registered["client_id"], registered["client_secret"]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def oidc_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcPeer]:
    ensure_node_modules()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; the OIDC test provider needs Node.js 20+")
    port = _free_port()
    peer = OidcPeer(
        issuer=f"http://127.0.0.1:{port}",
        client_id=STATIC_CLIENT_ID,
        client_secret=secrets.token_urlsafe(24),
        log_path=tmp_path_factory.mktemp("oidc-peer") / "oidc-provider.log",
    )
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_ISSUER": peer.issuer,
        "OIDC_CLIENT_ID": peer.client_id,
        "OIDC_CLIENT_SECRET": peer.client_secret,
        "OIDC_REDIRECT_URIS": f"{TEST_PUBLIC_URL}/v1/auth/callback/{PROVIDER}",
    }
    with peer.log_path.open("ab") as log:
        process = subprocess.Popen(
            [node, str(PEER_DIR / "server.mjs")],
            cwd=PEER_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"oidc-provider exited:\n{peer.output()}"
            try:
                if httpx.get(peer.issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"oidc-provider not up within 30 s:\n{peer.output()}"
            time.sleep(0.1)
        yield peer
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_FORM_ACTION = re.compile(r'<form[^>]*\saction="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="([a-z]+)"')
_CANCEL = re.compile(r'<a href="([^"]+)">\[ Cancel \]</a>')


async def browse_provider(authorize_url: str, *, login: str, until: str, cancel: bool = False) -> str:
    """Do at the provider what a person does in a browser: sign in as `login` (any password) and
    consent, or cancel. Follows the provider's redirects and forms until a redirect leads to a URL
    starting with `until` (the client's callback), and returns that URL without requesting it."""
    url = authorize_url
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        for _ in range(20):
            if url.startswith(until):
                return url
            response = await browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:2000]}"
            page = response.text
            if cancel:
                cancel_link = _CANCEL.search(page)
                assert cancel_link, page[:2000]
                url = urljoin(url, html.unescape(cancel_link.group(1)))
                continue
            action, prompt = _FORM_ACTION.search(page), _PROMPT.search(page)
            assert action, f"no sign-in or consent form at {url}:\n{page[:2000]}"
            assert prompt, f"no prompt in the form at {url}:\n{page[:2000]}"
            form = {"prompt": prompt.group(1)}
            if form["prompt"] == "login":
                form.update(login=login, password="any password")
            response = await browser.post(urljoin(url, html.unescape(action.group(1))), data=form)
            assert response.is_redirect, f"POST {action.group(1)}: {response.status_code} {response.text[:2000]}"
            url = urljoin(url, response.headers["location"])
    raise AssertionError(f"the provider never redirected to {until}")


def providers_setting(*providers: dict[str, Any]) -> str:
    """FLUXFORGE_OIDC_PROVIDERS for the given entries."""
    return msgspec.json.encode(list(providers)).decode()
