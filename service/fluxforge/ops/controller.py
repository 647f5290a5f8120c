"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os

import msgspec
from litestar import Controller, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from fluxforge.ops.readiness import ReadinessReport
from fluxforge.web.services import Services


class Health(msgspec.Struct):
    status: str


class OpsController(Controller):
    tags = ["Health"]

    @get("/healthz", operation_id="GetLiveness", summary="Liveness: the process serves requests")
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get(
        "/readyz",
        operation_id="GetReadiness",
        summary="Readiness: PostgreSQL and Redis reachable, migrations current (cached check)",
    )
    async def readyz(self, services: Services) -> Response[ReadinessReport]:
        report = services.readiness.current()
        return Response(report, status_code=200 if report.ready else 503)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics(self) -> Response[bytes]:
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # gunicorn: aggregate every worker's files
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
