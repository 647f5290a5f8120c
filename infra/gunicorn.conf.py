"""gunicorn settings for the FluxForge API (used by `fluxforge serve`).

Values come from the same FLUXFORGE_* settings as everything else, so one environment
configures the whole deployment.
"""

from prometheus_client import multiprocess

from fluxforge.config import load_settings

_settings = load_settings()

wsgi_app = "fluxforge.runtime.asgi:application()"
worker_class = "uvicorn_worker.UvicornWorker"
workers = _settings.web_workers
bind = [f"{_settings.host}:{_settings.port}"]
graceful_timeout = _settings.graceful_timeout
timeout = 60
keepalive = 5
backlog = 2048
accesslog = "-" if _settings.access_log else None
errorlog = "-"
loglevel = _settings.log_level.lower()
control_socket_disable = True  # gunicorn 27 opens ~/.gunicorn/gunicorn.ctl otherwise; two servers collide
proc_name = "fluxforge-api"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "fluxforge.telemetry.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": _settings.log_level, "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": _settings.log_level, "handlers": [], "propagate": True},
        "gunicorn.access": {"level": _settings.log_level, "handlers": [], "propagate": True},
    },
}


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Drop a dead worker's live gauges from the aggregated /metrics."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
