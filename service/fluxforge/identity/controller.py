"""Signing in with OpenID Connect, and FluxForge's own tokens: /v1/auth, /v1/me, the JWKS.

The browser flow:
1. GET /v1/auth/login/{provider} keeps a fresh `state`, `nonce` and PKCE verifier in Redis and
   redirects to the provider.
2. The provider redirects back to GET /v1/auth/callback/{provider}; the state is taken (single
   use), the code exchanged, the ID token and userinfo checked, the user found or created.
3. The callback redirects to /auth/complete?code=<one-time login code>; that page trades the
   code at POST /v1/auth/token (grant_type login_code) for an access and a refresh token.

Why a one-time code instead of tokens in the redirect: a URL ends up in browser history, server
and proxy logs and Referer headers, so what travels in one must be worthless once used. The code
is single use, lives 60 s and is stored only hashed; the tokens themselves only ever travel in
response bodies. And since FluxForge sets no cookies (API calls carry `Authorization: Bearer`),
a cross-site page cannot ride on a signed-in browser: there is no CSRF surface to defend.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from importlib.resources import files
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Redirect

from fluxforge.credentials import new_secret
from fluxforge.errors import BadRequest, NotFound
from fluxforge.identity import service
from fluxforge.identity.errors import InvalidLoginState, SignInRefused
from fluxforge.identity.models import Jwks, LoginCodeGrant, LoginState, LogoutRequest, TokenRequest, TokenResponse, User
from fluxforge.identity.oidc import OidcClient, safe_error_code
from fluxforge.identity.sessions import Sessions, SignInStore, invalid_grant, safe_return_to
from fluxforge.web.access import require_user, user_of
from fluxforge.web.contract import USER_SECURITY
from fluxforge.web.problems import AS_PUBLISHED_502, problem_responses
from fluxforge.web.services import Services

ProviderName = Annotated[
    str, PathParameter(description="The provider's name in FLUXFORGE_OIDC_PROVIDERS.", max_length=64)
]
CallbackParam = Annotated[str | None, QueryParameter(max_length=2048)]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _complete_page() -> tuple[str, str]:
    """The hand-off page and a Content-Security-Policy that admits exactly its inline script and style."""
    html = (files("fluxforge.identity") / "complete.html").read_text(encoding="utf-8")

    def digest(tag: str) -> str:
        match = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
        assert match is not None, f"complete.html has no <{tag}>"
        return "'sha256-" + base64.b64encode(hashlib.sha256(match.group(1).encode()).digest()).decode() + "'"

    policy = (
        f"default-src 'none'; script-src {digest('script')}; style-src {digest('style')}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return html, policy


COMPLETE_HTML, COMPLETE_CSP = _complete_page()


def _provider(services: Services, name: str) -> OidcClient:
    client = services.oidc.get(name)
    if client is None:
        known = ", ".join(services.oidc.names) or "none configured"
        raise NotFound(f"no sign-in provider {name!r} (known: {known})")
    return client


def _redirect_uri(services: Services, provider: str) -> str:
    return f"{services.settings.base_url}/v1/auth/callback/{provider}"


def _sessions(services: Services) -> Sessions:
    return Sessions(services.db, services.tokens, timedelta(days=services.settings.refresh_token_ttl_days))


def _store(services: Services) -> SignInStore:
    return SignInStore(services.redis, services.settings.redis_key_prefix)


def _tokens_response(tokens: TokenResponse) -> Response[TokenResponse]:
    return Response(tokens, headers=NO_STORE)


class AuthController(Controller):
    path = "/"
    tags = ["Auth"]

    @get(
        "/v1/auth/login/{provider:str}",
        operation_id="StartSignIn",
        summary="Start signing in with a provider (redirects to it)",
        description="Redirects the browser to the provider's authorization endpoint (authorization code "
        "flow with PKCE S256, state and nonce). After the provider's callback the browser lands on "
        "/auth/complete with a one-time login code.",
        status_code=302,
        responses=problem_responses(400, 404, 502, kinds=AS_PUBLISHED_502),
    )
    async def start_sign_in(
        self,
        services: Services,
        provider: ProviderName,
        return_to: Annotated[
            str | None,
            QueryParameter(description="Where to go after signing in: a path on this site, e.g. /dashboard."),
        ] = None,
    ) -> Redirect:
        client = _provider(services, provider)
        pending = LoginState(
            provider=provider, nonce=new_secret(), code_verifier=new_secret(48), return_to=safe_return_to(return_to)
        )
        login_state = new_secret()
        url = await client.authorization_url(
            _redirect_uri(services, provider),
            state=login_state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
        await _store(services).save_login(login_state, pending, services.settings.login_ttl_seconds)
        return Redirect(url, status_code=302, headers=NO_STORE)

    @get(
        "/v1/auth/callback/{provider:str}",
        operation_id="FinishSignIn",
        summary="The provider's redirect back (redirects to /auth/complete with a one-time login code)",
        status_code=302,
        responses=problem_responses(400, 403, 404, 502, kinds=AS_PUBLISHED_502),
    )
    async def finish_sign_in(
        self,
        services: Services,
        provider: ProviderName,
        code: CallbackParam = None,
        login_state: Annotated[str | None, QueryParameter(name="state", max_length=2048)] = None,
        error: CallbackParam = None,
        iss: CallbackParam = None,
    ) -> Redirect:
        client = _provider(services, provider)
        store = _store(services)
        pending = await store.take_login(login_state) if login_state else None  # spent whatever happens next
        if error is not None:
            raise SignInRefused(f"provider {provider!r} answered {safe_error_code(error)}; start the sign-in again")
        if pending is None or pending.provider != provider:
            raise InvalidLoginState(
                "the sign-in state is missing, expired, already used or altered; start the sign-in again"
            )
        if iss is not None and iss != client.config.issuer:  # RFC 9207: the answer comes from our provider
            raise SignInRefused("the authorization response names another issuer; start the sign-in again")
        if code is None:
            raise BadRequest("the provider's redirect carries no authorization code")
        who = await client.finish(
            _redirect_uri(services, provider), code=code, code_verifier=pending.code_verifier, nonce=pending.nonce
        )
        user_id = await _sessions(services).sign_in(provider, who)
        query: dict[str, str] = {"code": await store.issue_code(user_id)}
        if pending.return_to is not None:
            query["return_to"] = pending.return_to
        return Redirect("/auth/complete", query_params=query, status_code=302, headers=NO_STORE)

    @post(
        "/v1/auth/token",
        operation_id="CreateTokens",
        summary="Trade a login code or a refresh token for an access token and a new refresh token",
        description="A refresh token is single use: each use returns its successor. Presenting a used one "
        "again revokes every token of its session (401).",
        status_code=200,
        responses=problem_responses(400, 401, 413),
    )
    async def create_tokens(self, services: Services, data: JSONBody[TokenRequest]) -> Response[TokenResponse]:
        sessions = _sessions(services)
        if isinstance(data, LoginCodeGrant):
            user_id = await _store(services).redeem_code(data.code)
            if user_id is None:
                raise invalid_grant("the login code is unknown, expired or already used; sign in again")
            return _tokens_response(await sessions.start(user_id))
        return _tokens_response(await sessions.refresh(data.refresh_token))

    @post(
        "/v1/auth/logout",
        operation_id="Logout",
        summary="End a session: revoke every refresh token of the one presented",
        description="Answers 204 whether or not the token was still live, so logging out twice is harmless. "
        "Access tokens already issued stay valid until they expire (minutes).",
        status_code=204,
        responses=problem_responses(400, 413),
    )
    async def logout(self, services: Services, data: JSONBody[LogoutRequest]) -> None:
        await _sessions(services).logout(data.refresh_token)

    @get(
        "/v1/me",
        operation_id="GetCurrentUser",
        summary="The signed-in user, with the provider accounts they sign in with",
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(401, 403),
    )
    async def get_current_user(self, request: Request[Any, Any, Any], services: Services) -> User:
        return await service.current_user(services.db, user_of(request).id)

    @get(
        "/.well-known/jwks.json",
        operation_id="GetJwks",
        summary="Public keys that verify FluxForge access tokens (JWKS)",
    )
    async def jwks(self, services: Services) -> Jwks:
        return msgspec.convert(services.tokens.jwks(), Jwks)

    @get("/auth/complete", include_in_schema=False, media_type=MediaType.HTML)
    async def complete(self) -> Response[str]:
        return Response(
            COMPLETE_HTML,
            media_type=MediaType.HTML,
            headers={**NO_STORE, "Content-Security-Policy": COMPLETE_CSP, "Referrer-Policy": "no-referrer"},
        )
