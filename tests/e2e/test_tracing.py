"""Tracing: with FLUXFORGE_OTLP_ENDPOINT set, the API exports spans of the HTTP request and of
the PostgreSQL and Redis calls behind it to an OTLP/HTTP collector (a real one on loopback)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from fluxforge.config import Settings
from tests.e2e.conftest import Service, serve_env


class Collector(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.spans: list[tuple[str, str]] = []  # (instrumentation scope, span name)


class CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.server.spans.append((scope_spans.scope.name, span.name))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_spans_reach_the_collector(settings: Settings, tmp_path: Path, services: list[Service]) -> None:
    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        token = "ffadm_tracing_test_token_0123456789"
        base, env = serve_env(
            settings,
            tmp_path,
            token,
            FLUXFORGE_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_address[1]}",
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        api = Service("serve", env, tmp_path / "api.log")
        services.append(api)
        api.wait_ready(base)
        response = httpx.get(base + "/v1/admin/tenants", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            scopes = {scope for scope, _ in collector.spans}
            names = {name for _, name in collector.spans}
            if {"opentelemetry.instrumentation.asyncpg", "opentelemetry.instrumentation.redis"} <= scopes and any(
                name.startswith("GET /v1/admin/tenants") for name in names
            ):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"spans seen: {sorted(set(collector.spans))}\n{api.output()[-2000:]}")
    finally:
        collector.shutdown()
