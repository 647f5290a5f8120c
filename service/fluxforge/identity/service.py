"""Identity's reads for the API; signing in and sessions are fluxforge.identity.sessions."""

from __future__ import annotations

import uuid

from fluxforge.db import Database
from fluxforge.errors import Unauthorized
from fluxforge.identity import repository
from fluxforge.identity.models import User


async def current_user(db: Database, user_id: uuid.UUID) -> User:
    """The signed-in user with the provider accounts they sign in with; an access token whose user
    was disabled or removed since it was issued is refused (401)."""
    async with db.platform() as conn:
        user = await repository.get_active_user(conn, user_id)
    if user is None:
        raise Unauthorized("the user of this access token no longer exists or is disabled")
    return user
