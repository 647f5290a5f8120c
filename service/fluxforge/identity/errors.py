"""Problem kinds of signing in, beyond the general ones in fluxforge.errors.

Each has its own stable `type` so that a client can tell "start the sign-in again" (the login
state or the provider's answer was bad) from "sign in again" (our own session is gone) and from
"try later" (the provider is down).
"""

from __future__ import annotations

from fluxforge.errors import ProblemError


class InvalidLoginState(ProblemError):
    """The callback's `state` is missing, unknown, expired, already used or for another provider."""

    kind = "invalid-login-state"


class SignInRefused(ProblemError):
    """The provider answered with an error, or refused to exchange the authorization code."""

    kind = "sign-in-refused"


class InvalidIdToken(ProblemError):
    """The provider's ID token failed a check (signature, issuer, audience, expiry or nonce)."""

    kind = "invalid-id-token"


class InvalidGrant(ProblemError):
    """A refresh token or login code that is unknown, expired, revoked or already used."""

    kind = "invalid-grant"


class ProviderUnavailable(ProblemError):
    """The provider could not be reached or answered with something that is not OIDC."""

    kind = "identity-provider-unavailable"
