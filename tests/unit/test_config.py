from __future__ import annotations

import pytest

from fluxforge.config import APP_DB_ROLE, SettingsError, load_settings, with_user


def test_defaults_mean_embedded_services() -> None:
    settings = load_settings({})
    assert settings.embedded_services
    assert (settings.host, settings.port, settings.web_workers) == ("127.0.0.1", 8000, 2)


def test_values_are_converted_from_strings() -> None:
    settings = load_settings(
        {
            "FLUXFORGE_PORT": "9001",
            "FLUXFORGE_ACCESS_LOG": "true",
            "FLUXFORGE_READINESS_INTERVAL": "0.5",
            "FLUXFORGE_DATABASE_URL": "postgresql://owner:pw@db.internal:5433/ff?sslmode=require",
            "FLUXFORGE_REDIS_URL": "redis://cache:6379/2",
            "UNRELATED": "ignored",
        }
    )
    assert settings.port == 9001
    assert settings.access_log is True
    assert settings.readiness_interval == 0.5
    assert not settings.embedded_services
    assert settings.resolved_app_database_url() == f"postgresql://{APP_DB_ROLE}@db.internal:5433/ff?sslmode=require"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"FLUXFORGE_PORT": "eighty"}, "FLUXFORGE_PORT"),
        ({"FLUXFORGE_PORT": "70000"}, "FLUXFORGE_PORT"),
        ({"FLUXFORGE_WEB_WORKERS": "0"}, "FLUXFORGE_WEB_WORKERS"),
        ({"FLUXFORGE_LOG_LEVEL": "LOUD"}, "FLUXFORGE_LOG_LEVEL"),
        ({"FLUXFORGE_DATABASE_URL": "mysql://x"}, "FLUXFORGE_DATABASE_URL"),
        ({"FLUXFORGE_REDIS_URL": "http://x"}, "FLUXFORGE_REDIS_URL"),
        ({"FLUXFORGE_ADMIN_TOKEN": "short"}, "FLUXFORGE_ADMIN_TOKEN"),
        ({"FLUXFORGE_DB_POOL_MIN": "20", "FLUXFORGE_DB_POOL_MAX": "5"}, "FLUXFORGE_DB_POOL_MIN"),
        ({"FLUXFORGE_PROT": "8000"}, "FLUXFORGE_PROT"),
    ],
)
def test_a_bad_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


def test_bad_value_is_not_echoed_when_it_may_be_a_secret() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"FLUXFORGE_ADMIN_TOKEN": "tiny-secret"})
    assert "tiny-secret" not in str(caught.value)


def test_with_user_keeps_everything_but_credentials() -> None:
    assert with_user("postgresql://a:b@h:1/d?x=1", "u") == "postgresql://u@h:1/d?x=1"
    assert with_user("postgresql://a@[::1]/d", "u", "p") == "postgresql://u:p@[::1]/d"
