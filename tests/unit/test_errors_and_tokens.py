from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec

from fluxforge.config import load_settings
from fluxforge.idempotency import request_fingerprint
from fluxforge.identity.admin_token import TOKEN_PREFIX, resolve_admin_token
from fluxforge.tenancy.models import TenantCreate
from fluxforge.web.problems import _field_errors


def test_field_errors_name_the_field() -> None:
    extra = [
        {"message": "Expected `str`, got `int` - at `$.spec.name`", "key": "data", "source": "body"},
        {"message": "Object missing required field `display_name`", "key": "data", "source": "body"},
        {"message": "Object contains unknown field `plan`", "key": "data"},
        {"message": "Object missing required field `x` - at `$.spec`", "key": "data"},
        {"message": "Expected `int` >= 1", "key": "limit", "source": "query"},
        {"message": "Expected `int`"},
        {"message": "Object missing required field `up_to`", "key": "prices[0].tiers[0]", "source": "body"},
        {"message": "Expected `int`, got `str`", "key": "prices[0].tiers[0].up_to", "source": "body"},
    ]
    assert [(e.field, e.message) for e in _field_errors(extra)] == [
        ("spec.name", "Expected `str`, got `int`"),
        ("display_name", "Object missing required field `display_name`"),
        ("plan", "Object contains unknown field `plan`"),
        ("spec.x", "Object missing required field `x`"),
        ("limit", "Expected `int` >= 1"),
        ("body", "Expected `int`"),
        ("prices[0].tiers[0].up_to", "Object missing required field `up_to`"),
        ("prices[0].tiers[0].up_to", "Expected `int`, got `str`"),
    ]


def test_admin_token_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = load_settings({"FLUXFORGE_DATA_DIR": str(tmp_path / "data")})
    first = resolve_admin_token(settings)
    assert first.startswith(TOKEN_PREFIX)
    assert len(first) > 40
    assert resolve_admin_token(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "admin-token").st_mode)
    assert mode == 0o600


def test_configured_admin_token_wins(tmp_path: Path) -> None:
    settings = load_settings({"FLUXFORGE_DATA_DIR": str(tmp_path), "FLUXFORGE_ADMIN_TOKEN": "t" * 20})
    assert resolve_admin_token(settings) == "t" * 20
    assert not (tmp_path / "admin-token").exists()


def test_fingerprint_ignores_json_key_order_but_not_values() -> None:
    a = msgspec.json.decode(b'{"slug": "acme", "display_name": "A"}', type=TenantCreate)
    b = msgspec.json.decode(b'{"display_name":"A","slug":"acme"}', type=TenantCreate)
    c = msgspec.json.decode(b'{"display_name":"B","slug":"acme"}', type=TenantCreate)
    assert request_fingerprint("createTenant", a) == request_fingerprint("createTenant", b)
    assert request_fingerprint("createTenant", a) != request_fingerprint("createTenant", c)
    assert request_fingerprint("createTenant", a) != request_fingerprint("otherOperation", a)
