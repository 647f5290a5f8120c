"""Members and invitations: people join a tenant by accepting a single-use, expiring invitation.

The invitation token is returned once to the inviter (who sends it; FluxForge sends no mail)
and stored only as a hash. Accepting needs a signed-in user whose email matches the invitation.
"""

from __future__ import annotations

from fluxforge.credentials import new_secret
from fluxforge.errors import Forbidden
from fluxforge.tenancy.models import Invitation

INVITATION_TOKEN_PREFIX = "ffinv_"  # noqa: S105 - a prefix, not a secret


def new_invitation_token() -> str:
    return INVITATION_TOKEN_PREFIX + new_secret()


def invitee_email(email: str) -> str:
    """Invitations are matched to accounts by email, compared case-insensitively."""
    return email.strip().lower()


def check_invitee(user_email: str | None, invitation: Invitation) -> None:
    """Only the person the invitation was sent to may accept it, whoever holds the token."""
    if user_email is None or user_email.lower() != invitation.email:
        raise Forbidden("this invitation was sent to another email address")
