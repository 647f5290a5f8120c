"""The OpenID Connect relying party: FluxForge signing users in through configured providers.

Each provider (FLUXFORGE_OIDC_PROVIDERS) is known by its issuer URL; its discovery document and
signing keys (JWKS) are fetched on first use and cached in process. The cache is only a copy of
what the provider publishes, so processes need not agree on it: keys are fetched again when an
ID token names a key id the cache lacks (the provider rotated), at most every few seconds so a
stream of forged key ids cannot turn into a stream of requests to the provider.

The flow is authorization code with PKCE (S256), `state` and `nonce` (authlib's protocol helpers
build the requests, one shared httpx client sends them); the ID token is checked with joserfc
against the provider's JWKS:
signature, `iss`, `aud` (and `azp` when several audiences), `exp`/`iat`, and `nonce`. The user's
email and name come from userinfo when the provider has it, since providers often keep those
out of the ID token.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from fluxforge import __version__
from fluxforge.config import OidcProvider
from fluxforge.identity.errors import InvalidIdToken, ProviderUnavailable, SignInRefused
from fluxforge.identity.models import ExternalIdentity
from fluxforge.identity.tokens import kid_of

log = logging.getLogger("fluxforge.identity.oidc")

METADATA_TTL_SECONDS = 3600.0
JWKS_TTL_SECONDS = 3600.0
JWKS_REFETCH_AT_MOST_EVERY_SECONDS = 10.0
CLOCK_SKEW_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0
_USER_AGENT = f"fluxforge/{__version__}"

# Only public-key algorithms: an HMAC ID token would be "signed" with our own client secret.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ProviderMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of an OpenID Provider's discovery document that signing in uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    id_token_signing_alg_values_supported: list[str] = msgspec.field(default_factory=lambda: ["RS256"])
    token_endpoint_auth_methods_supported: list[str] = msgspec.field(default_factory=lambda: ["client_secret_basic"])


class UserInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Claims about the user, from the ID token or the userinfo endpoint."""

    sub: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None


def user_info(claims: Any) -> UserInfo:
    """Lenient about types (some providers send email_verified as "true"), strict about `sub`."""
    return msgspec.convert(claims, UserInfo, strict=False)


def safe_error_code(value: str | None) -> str:
    """A provider's `error` parameter, fit to repeat in a problem (anything odd becomes a placeholder)."""
    return value if value is not None and _ERROR_CODE.match(value) else "unknown_error"


def validate_id_token(
    id_token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: list[str],
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims after every check OIDC Core 3.1.3.7 asks of a code-flow client."""
    try:
        token = jwt.decode(id_token, keys, algorithms=algorithms)
        claims = token.claims
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(f"the ID token failed validation ({type(exc).__name__}: {exc})") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise InvalidIdToken("the ID token names several audiences but is not authorized for this client (azp)")
    return claims


def token_endpoint_auth_method(provider: OidcProvider, metadata: ProviderMetadata) -> str:
    """How to authenticate at the token endpoint: Basic when the provider takes it, else POST body."""
    if provider.client_secret is None:
        return "none"
    supported = metadata.token_endpoint_auth_methods_supported
    if "client_secret_basic" in supported or "client_secret_post" not in supported:
        return "client_secret_basic"
    return "client_secret_post"


class OidcClient:
    """One configured provider: its cached metadata and keys, and the steps of a sign-in."""

    def __init__(self, config: OidcProvider, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._metadata_lock = asyncio.Lock()
        self._keys_lock = asyncio.Lock()  # separate: fetching keys reads the metadata

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def discovery_url(self) -> str:
        return self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched at most once an hour (a stale copy beats none)."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        async with self._metadata_lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
                return self._metadata
            try:
                metadata = msgspec.json.decode(await self._get(self.discovery_url), type=ProviderMetadata)
            except (ProviderUnavailable, msgspec.DecodeError) as exc:
                if self._metadata is not None:
                    log.warning("provider discovery failed; using cached copy", extra={"provider": self.name})
                    return self._metadata
                raise ProviderUnavailable(f"provider {self.name!r}: discovery document unusable ({exc})") from None
            if metadata.issuer != self.config.issuer:  # OIDC Discovery 4.3: must match exactly
                raise ProviderUnavailable(
                    f"provider {self.name!r}: discovery names issuer {metadata.issuer!r}, "
                    f"configured {self.config.issuer!r}"
                )
            self._metadata, self._metadata_at = metadata, time.monotonic()
            return metadata

    async def key_set(self, kid: str | None) -> KeySet:
        """The provider's JWKS; fetched again when it lacks `kid` or is older than an hour."""
        keys = self._keys
        age = time.monotonic() - self._keys_at
        known = keys is not None and (kid is None or any(k.kid == kid for k in keys.keys))
        if keys is not None and known and age < JWKS_TTL_SECONDS:
            return keys
        if keys is not None and age < JWKS_REFETCH_AT_MOST_EVERY_SECONDS:
            return keys
        async with self._keys_lock:
            if self._keys is not None and time.monotonic() - self._keys_at < JWKS_REFETCH_AT_MOST_EVERY_SECONDS:
                return self._keys
            metadata = await self.metadata()
            try:
                fetched = KeySet.import_key_set(msgspec.json.decode(await self._get(metadata.jwks_uri)))
            except (ProviderUnavailable, msgspec.DecodeError, JoseError, KeyError, TypeError, ValueError) as exc:
                if self._keys is not None:
                    log.warning("provider JWKS fetch failed; using cached keys", extra={"provider": self.name})
                    return self._keys
                raise ProviderUnavailable(f"provider {self.name!r}: JWKS unusable ({exc})") from None
            self._keys, self._keys_at = fetched, time.monotonic()
            return fetched

    async def authorization_url(self, redirect_uri: str, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser: the provider's authorization endpoint with PKCE, state and nonce."""
        metadata = await self.metadata()
        url: str = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.config.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def finish(self, redirect_uri: str, *, code: str, code_verifier: str, nonce: str) -> ExternalIdentity:
        """Exchange the code, check the ID token and read userinfo: who signed in."""
        metadata = await self.metadata()
        tokens = await self._exchange(metadata, redirect_uri, code, code_verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise InvalidIdToken(f"provider {self.name!r} returned no ID token; is the `openid` scope configured?")
        claims = validate_id_token(
            id_token,
            await self.key_set(kid_of(id_token)),
            issuer=metadata.issuer,
            client_id=self.config.client_id,
            nonce=nonce,
            algorithms=[a for a in metadata.id_token_signing_alg_values_supported if a in ASYMMETRIC_ALGORITHMS],
        )
        try:
            info = user_info(claims)
        except msgspec.ValidationError as exc:
            raise InvalidIdToken(f"the ID token's claims are malformed ({exc})") from None
        access_token = tokens.get("access_token")
        if metadata.userinfo_endpoint is not None and isinstance(access_token, str):
            info = await self._userinfo(metadata.userinfo_endpoint, access_token, info)
        return ExternalIdentity(
            issuer=metadata.issuer,
            subject=info.sub,
            # Only a verified address is kept: invitations and people trust users.email.
            email=info.email if info.email and info.email_verified is True else None,
            name=info.name,
        )

    async def _exchange(
        self, metadata: ProviderMetadata, redirect_uri: str, code: str, code_verifier: str
    ) -> dict[str, Any]:
        """The token endpoint's answer to the authorization code (RFC 6749 4.1.3, RFC 7636 4.5)."""
        body: dict[str, str] = {"code_verifier": code_verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        method = token_endpoint_auth_method(self.config, metadata)
        secret = self.config.client_secret or ""
        if method == "client_secret_basic":  # RFC 6749 2.3.1: both parts form-encoded first
            credentials = f"{quote(self.config.client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        elif method == "client_secret_post":
            body["client_secret"] = secret
        if method != "client_secret_basic":
            body["client_id"] = self.config.client_id
        form = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri, **body)
        try:
            response = await self._http.post(metadata.token_endpoint, content=form, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"provider {self.name!r}: token endpoint unreachable ({exc})") from None
        try:
            answer = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            answer = None
        if not isinstance(answer, dict) or response.status_code >= 500:
            raise ProviderUnavailable(f"provider {self.name!r}: token endpoint answered HTTP {response.status_code}")
        if response.status_code != 200 or "error" in answer:
            raise SignInRefused(
                f"provider {self.name!r} refused the authorization code "
                f"({safe_error_code(answer.get('error'))}); start the sign-in again"
            )
        return answer

    async def _userinfo(self, endpoint: str, access_token: str, from_id_token: UserInfo) -> UserInfo:
        try:
            response = await self._http.get(endpoint, headers={"Authorization": f"Bearer {access_token}"})
            response.raise_for_status()
            info = user_info(msgspec.json.decode(response.content))
        except (httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ProviderUnavailable(f"provider {self.name!r}: userinfo failed ({exc})") from None
        if info.sub != from_id_token.sub:  # OIDC Core 5.3.4: otherwise the response must not be used
            raise InvalidIdToken("userinfo describes another subject than the ID token")
        return UserInfo(
            sub=info.sub,
            email=info.email if info.email is not None else from_id_token.email,
            email_verified=info.email_verified if info.email is not None else from_id_token.email_verified,
            name=info.name if info.name is not None else from_id_token.name,
        )

    async def _get(self, url: str) -> bytes:
        try:
            response = await self._http.get(url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"provider {self.name!r}: GET {url} failed ({exc})") from None
        return response.content


class OidcProviders:
    """The configured providers by name; created in the app's lifespan, which closes it."""

    def __init__(self, providers: list[OidcProvider]) -> None:
        self._http = httpx.AsyncClient(
            timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False, headers={"User-Agent": _USER_AGENT}
        )
        self._clients = {p.name: OidcClient(p, self._http) for p in providers}

    def get(self, name: str) -> OidcClient | None:
        return self._clients.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._clients)

    async def aclose(self) -> None:
        await self._http.aclose()
