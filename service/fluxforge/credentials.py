"""Secrets FluxForge hands out (API keys, refresh tokens, invitation and login codes).

They carry 256 bits of randomness, so a single SHA-256 is as strong as a slow password hash
here: what is stored can recognise a secret but is useless to present.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(nbytes: int = 32) -> str:
    """An unguessable URL-safe string (32 bytes: 43 characters)."""
    return secrets.token_urlsafe(nbytes)


def secret_hash(secret: str) -> bytes:
    """What is stored instead of a secret."""
    return hashlib.sha256(secret.encode()).digest()
