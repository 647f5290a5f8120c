"""Signing in: what the auth routes accept and answer, and what sign-in keeps between requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class RefreshTokenGrant(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="grant_type", tag="refresh_token"
):
    """Trade a refresh token for new tokens; the presented one is spent (rotation)."""

    refresh_token: Secret


class LoginCodeGrant(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="grant_type", tag="login_code"
):
    """Trade the one-time login code of a finished browser sign-in for the first tokens."""

    code: Secret


TokenRequest = RefreshTokenGrant | LoginCodeGrant
"""The body of POST /v1/auth/token, told apart by `grant_type` as in OAuth 2."""


class TokenResponse(msgspec.Struct, kw_only=True):
    """FluxForge's own tokens: a short-lived access token and a single-use refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


class LogoutRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Secret


class Identity(msgspec.Struct, kw_only=True):
    """One provider account a user signs in with, named there by (issuer, subject)."""

    provider: str
    issuer: str
    subject: str
    email: str | None
    created_at: datetime
    last_login_at: datetime


class User(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str | None
    display_name: str | None
    created_at: datetime
    identities: list[Identity]


class Jwk(msgspec.Struct, omit_defaults=True):
    """One public signing key (RFC 8037 OKP): FluxForge signs access tokens with Ed25519."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: Annotated[str, msgspec.Meta(description="The public key, base64url.")]
    kid: Annotated[str, msgspec.Meta(description="Matches the `kid` in an access token's header.")]
    use: Literal["sig"] | None = None
    alg: Literal["Ed25519", "EdDSA"] | None = None


class Jwks(msgspec.Struct):
    """A JSON Web Key Set (RFC 7517): the public keys that verify FluxForge access tokens."""

    keys: list[Jwk]


class LoginState(msgspec.Struct, frozen=True, kw_only=True):
    """What a started sign-in keeps in Redis, under the hash of its `state`, until the callback."""

    provider: str
    nonce: str
    code_verifier: str
    return_to: str | None = None


class ExternalIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """Who the provider says signed in, after the ID token and userinfo were checked."""

    issuer: str
    subject: str
    email: str | None
    name: str | None


class RefreshTokenRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A stored refresh token, looked up by hash to say why it cannot be spent."""

    family_id: uuid.UUID
    user_id: uuid.UUID
    used: bool
    revoked: bool
    expired: bool
