"""Settings: one msgspec Struct read from FLUXFORGE_* environment variables.

Validated once at start-up so that a typo fails loudly, naming the variable, instead of
surfacing later as a confusing connection error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

import msgspec

ENV_PREFIX = "FLUXFORGE_"
REPO_ROOT = Path(__file__).resolve().parents[2]
APP_DB_ROLE = "fluxforge_app"
"""The application role request paths use; migrations grant it table privileges."""

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class OidcProvider(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One OpenID Connect provider users may sign in with (FLUXFORGE_OIDC_PROVIDERS is a JSON list)."""

    name: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")]
    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: str = "openid email profile"


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Every setting, its default and meaning, is listed in the README's configuration table."""

    host: str = "127.0.0.1"
    port: Port = 8000
    data_dir: str = ".fluxforge"
    database_url: str | None = None
    app_database_url: str | None = None
    redis_url: str | None = None
    redis_key_prefix: str = "ff:"
    admin_token: str | None = None
    web_workers: Positive = 2
    db_pool_min: Annotated[int, msgspec.Meta(ge=0)] = 2
    db_pool_max: Positive = 10
    max_body_bytes: Positive = 1_048_576
    access_log: bool = False
    log_level: LogLevel = "INFO"
    otlp_endpoint: str | None = None
    graceful_timeout: Positive = 30
    readiness_interval: PositiveFloat = 2.0
    worker_poll_interval: PositiveFloat = 1.0
    idempotency_ttl_hours: Positive = 24
    migrations_dir: str = str(REPO_ROOT / "migrations")
    public_url: str | None = None
    oidc_providers: str | None = None
    access_token_ttl_seconds: Positive = 900
    refresh_token_ttl_days: Positive = 30
    signing_key_rotation_days: Positive = 30
    login_ttl_seconds: Positive = 600
    rate_limit_tenant_per_second: Positive = 200
    rate_limit_tenant_burst: Positive = 400
    rate_limit_api_key_per_second: Positive = 50
    rate_limit_api_key_burst: Positive = 100
    usage_max_batch: Positive = 10_000
    usage_future_tolerance_seconds: Positive = 300
    self_metering: bool = True
    invoice_issuer_name: str = "FluxForge"
    invoice_issuer_address: str = ""
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    scheduler_lease_ms: Annotated[int, msgspec.Meta(ge=500)] = 10_000
    scheduler_concurrency: Positive = 64
    scheduler_tenant_concurrency: Positive = 100
    scheduler_namespace_concurrency: Positive = 100
    scheduler_sweep_interval: PositiveFloat = 0.5
    scheduler_priority_aging_seconds: PositiveFloat = 60.0
    scheduler_breaker_failures: Positive = 5
    scheduler_breaker_reset_ms: Positive = 30_000
    scheduler_breaker_probe_timeout_ms: Positive = 10_000

    def __post_init__(self) -> None:
        for name in ("database_url", "app_database_url"):
            url = getattr(self, name)
            if url is not None and urlsplit(url).scheme not in ("postgres", "postgresql"):
                raise SettingsError(f"{env_name(name)} must be a postgresql:// URL")
        if self.redis_url is not None and urlsplit(self.redis_url).scheme not in ("redis", "rediss"):
            raise SettingsError(f"{env_name('redis_url')} must be a redis:// or rediss:// URL")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise SettingsError(f"{env_name('admin_token')} must be at least 16 characters")
        if self.oidc_providers is not None:
            self.providers()  # validates
        if self.db_pool_min > self.db_pool_max:
            raise SettingsError(f"{env_name('db_pool_min')} must not exceed {env_name('db_pool_max')}")

    def providers(self) -> list[OidcProvider]:
        if self.oidc_providers is None:
            return []
        try:
            providers = msgspec.json.decode(self.oidc_providers, type=list[OidcProvider])
        except msgspec.DecodeError as exc:
            raise SettingsError(f"{env_name('oidc_providers')} is invalid: {exc}") from None
        if len({p.name for p in providers}) != len(providers):
            raise SettingsError(f"{env_name('oidc_providers')} names a provider twice")
        return providers

    @property
    def base_url(self) -> str:
        """Where users and providers reach this service (OIDC redirects, token issuer)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def embedded_services(self) -> bool:
        return self.database_url is None or self.redis_url is None

    def resolved_app_database_url(self) -> str:
        """The request-path URL: explicit, or the owner URL with the application role as user."""
        if self.app_database_url is not None:
            return self.app_database_url
        if self.database_url is None:
            raise SettingsError(f"{env_name('database_url')} is not set")
        return with_user(self.database_url, APP_DB_ROLE)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def with_user(url: str, user: str, password: str | None = None) -> str:
    """Replace the credentials of a database URL, keeping host, port, database and query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = user + (f":{password}" if password else "") + "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


_FIELD_IN_ERROR = re.compile(r"at `\$\.(\w+)`")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate settings; unknown FLUXFORGE_* variables are refused to catch typos."""
    source = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    known = set(Settings.__struct_fields__)
    for key, value in source.items():
        if not key.startswith(ENV_PREFIX) or key.startswith("FLUXFORGE_TEST_"):
            continue
        field = key[len(ENV_PREFIX) :].lower()
        if field not in known:
            raise SettingsError(f"unknown setting {key}; see the configuration table in README.md")
        if value != "":
            raw[field] = value
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        match = _FIELD_IN_ERROR.search(str(exc))
        if match is None:  # raised by __post_init__, which already names the variable
            raise SettingsError(str(exc)) from None
        message = _FIELD_IN_ERROR.sub("", str(exc)).rstrip(" -")
        raise SettingsError(f"{env_name(match.group(1))} is invalid: {message}") from None
