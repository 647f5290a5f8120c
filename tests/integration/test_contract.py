"""The committed openapi.yaml is exactly what the app serves, and reads well for SDK generators."""

from __future__ import annotations

from pathlib import Path

import yaml
from litestar.testing import AsyncTestClient

from fluxforge.cli import openapi_yaml

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_committed_contract_equals_generated() -> None:
    assert COMMITTED.read_text() == openapi_yaml(), "openapi.yaml is stale: run `make openapi` and commit it"


async def test_served_contract_equals_committed(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/openapi/openapi.json")
    assert response.status_code == 200
    assert response.json() == yaml.safe_load(COMMITTED.read_text())


def test_every_operation_is_named_tagged_and_documents_problems() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    operation_ids = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            assert operation.get("tags"), f"{method} {path} has no tags"
            operation_ids.append(operation["operationId"])
            if path.startswith("/v1/"):
                for status, response in operation["responses"].items():
                    if status.startswith(("4", "5")):
                        assert "application/problem+json" in response["content"], f"{method} {path} {status}"
    assert len(operation_ids) == len(set(operation_ids))
