"""The bootstrap admin token: the platform operator's credential until OAuth identity exists.

Given by FLUXFORGE_ADMIN_TOKEN, or generated once and kept (mode 0600) with the data so that
restarts keep working with the token printed at first start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fluxforge.config import Settings

TOKEN_PREFIX = "ffadm_"  # noqa: S105 - a prefix, not a secret
ADMIN_PRINCIPAL = "admin:bootstrap"
TOKEN_FILE = "admin-token"  # noqa: S105 - a file name


def resolve_admin_token(settings: Settings) -> str:
    if settings.admin_token is not None:
        return settings.admin_token
    path = settings.data_path / TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_token(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(candidate + "\n")
    return candidate


def _read_token(path: Path) -> str:
    token = path.read_text().strip()
    if len(token) < 16:
        raise RuntimeError(f"{path} does not hold a valid admin token; delete it to generate a new one")
    return token
