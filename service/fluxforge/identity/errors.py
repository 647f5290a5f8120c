"""Problem kinds of signing in, beyond the general ones in fluxforge.errors.

Each has its own stable `type` so that a client can tell "start the sign-in again" (the login
state or the provider's answer was bad) from "sign in again" (our own session is gone) and from
"try later" (the provider is down).
"""

from __future__ import annotations

from fluxforge.errors import ProblemError


class InvalidLoginState(ProblemError):
    """The callback's `state` is missing, unknown, expired, already used or for another provider."""

    kind, title, status = "invalid-login-state", "Sign-in state is invalid, expired or already used", 400


class SignInRefused(ProblemError):
    """The provider answered with an error, or refused to exchange the authorization code."""

    kind, title, status = "sign-in-refused", "The identity provider refused the sign-in", 400


class InvalidIdToken(ProblemError):
    """The provider's ID token failed a check (signature, issuer, audience, expiry or nonce)."""

    kind, title, status = "invalid-id-token", "The identity provider's ID token is not valid", 400


class InvalidGrant(ProblemError):
    """A refresh token or login code that is unknown, expired, revoked or already used."""

    kind, title, status = "invalid-grant", "The refresh token or login code is invalid, expired or already used", 401


class ProviderUnavailable(ProblemError):
    """The provider could not be reached or answered with something that is not OIDC."""

    kind, title, status = "identity-provider-unavailable", "The identity provider is unavailable", 502
