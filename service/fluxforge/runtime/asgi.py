"""Entry point for ASGI servers: `gunicorn 'fluxforge.runtime.asgi:application()'`."""

from __future__ import annotations

from litestar import Litestar

from fluxforge.app import create_app
from fluxforge.config import load_settings
from fluxforge.telemetry import configure_logging


def application() -> Litestar:
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
