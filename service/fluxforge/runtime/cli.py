"""The `fluxforge` command: run, serve, worker, migrate, openapi, errors, version."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fluxforge import __version__
from fluxforge.config import REPO_ROOT, Settings, SettingsError, env_name, load_settings

if TYPE_CHECKING:
    from litestar import Litestar

GUNICORN_CONFIG = REPO_ROOT / "infra" / "gunicorn.conf.py"


def _require(settings: Settings, *fields: str) -> None:
    """Each field is a name, or several joined by `|` of which one suffices."""
    missing = [
        " or ".join(env_name(f) for f in field.split("|"))
        for field in fields
        if all(getattr(settings, f) is None for f in field.split("|"))
    ]
    if missing:
        raise SettingsError(
            f"{', '.join(missing)} must be set for this command (`fluxforge run` starts embedded servers instead)"
        )


def cmd_migrate(settings: Settings) -> int:
    from fluxforge.migrations import migrate

    _require(settings, "database_url")
    assert settings.database_url is not None
    asyncio.run(migrate(settings.database_url, settings.migrations_dir))
    print("migrations applied")
    return 0


def cmd_worker(settings: Settings) -> int:
    from fluxforge.scheduler.worker import run_worker
    from fluxforge.telemetry import configure_logging, configure_tracing

    _require(settings, "app_database_url|database_url", "redis_url")
    configure_logging(settings)
    configure_tracing(settings, "fluxforge-worker")
    asyncio.run(run_worker(settings))
    return 0


def cmd_serve(settings: Settings) -> int:
    """Replace this process with gunicorn (uvicorn workers) configured by infra/gunicorn.conf.py."""
    from fluxforge.identity.admin_token import resolve_admin_token

    _require(settings, "app_database_url|database_url", "redis_url")
    metrics_dir = settings.data_path / "metrics" / str(os.getpid())
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        env_name("admin_token"): resolve_admin_token(settings),
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]
    os.execve(sys.executable, argv, env)  # noqa: S606 - exec our own interpreter
    return 0  # not reached


def cmd_openapi(settings: Settings) -> int:
    print(openapi_yaml(), end="")
    return 0


def openapi_yaml() -> str:
    """The contract as the app serves it; `openapi.yaml` is this output, committed."""
    import yaml

    schema = offline_app().openapi_schema.to_schema()
    return yaml.safe_dump(schema, sort_keys=True, allow_unicode=True)  # sorted: stable across runs


def offline_app() -> Litestar:
    """The app as configured for serving, built without connecting to anything (for its contract)."""
    from fluxforge.app import create_app

    offline = msgspec_replace(
        load_settings({}),
        database_url="postgresql://unused@127.0.0.1/unused",
        redis_url="redis://127.0.0.1:1/0",
        admin_token="x" * 32,
    )
    return create_app(offline)


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


def cmd_run(settings: Settings) -> int:
    from fluxforge.runtime.supervisor import Supervisor

    return Supervisor(settings).run()


def cmd_errors(settings: Settings) -> int:
    from fluxforge.errors import errors_markdown

    print(errors_markdown(), end="")
    return 0


def cmd_version(settings: Settings) -> int:
    print(__version__)
    return 0


COMMANDS = {
    "run": (cmd_run, "start everything: embedded PostgreSQL/Redis if unconfigured, migrations, API and a worker"),
    "serve": (cmd_serve, "serve the API with gunicorn and uvicorn workers (production)"),
    "worker": (cmd_worker, "run a scheduler worker process"),
    "migrate": (cmd_migrate, "apply database migrations (as the owner role)"),
    "openapi": (cmd_openapi, "print the OpenAPI contract as YAML"),
    "errors": (cmd_errors, "print docs/errors.md: every problem type the API can answer with"),
    "version": (cmd_version, "print the version"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fluxforge", description="FluxForge control plane")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"fluxforge: configuration error: {exc}", file=sys.stderr)
        return 2
    handler = COMMANDS[args.command][0]
    try:
        return handler(settings)
    except SettingsError as exc:
        print(f"fluxforge: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
