"""The generated SDK's README and hand-written helpers (sdk/templates, sdk/helpers.py).

The README is what a user reads first: it must explain the conventions every call follows
(pagination, idempotency, ETag/If-Match, errors, authentication), and `make sdk` must keep it.
The helpers are pure functions over the generated `Response` values, checked here without a
server; tests/e2e/test_sdk_journey.py uses them against a real one.
"""

from __future__ import annotations

import asyncio
import uuid
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from fluxforge_client.helpers import ApiError, apaginate, events, paginate, unwrap
from fluxforge_client.models import Namespace, NamespacePage, Problem
from fluxforge_client.types import UNSET, Response, Unset

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "sdk" / "python" / "README.md"


def test_the_readme_documents_pagination_idempotency_etags_errors_and_auth() -> None:
    text = README.read_text()
    sections = {line.removeprefix("## ").strip() for line in text.splitlines() if line.startswith("## ")}
    assert {"Authentication", "Errors (problem+json)", "Pagination", "Idempotency", "Versions, ETag and If-Match"} <= (
        sections
    )
    pagination = text.split("## Pagination", 1)[1].split("\n## ", 1)[0]
    for term in ("limit", "cursor", "items", "next_cursor", "paginate(", "apaginate("):
        assert term in pagination, term
    idempotency = text.split("## Idempotency", 1)[1].split("\n## ", 1)[0]
    for term in ("idempotency_key", "Idempotency-Key", "replay", "409"):
        assert term in idempotency, term
    assert "If-Match" in text
    assert "412" in text
    assert "ffk_" in text  # API keys
    assert "unwrap(" in text
    assert "ApiError" in text


def test_the_readme_is_the_committed_template_and_the_helpers_the_committed_file() -> None:
    """`make sdk` renders sdk/templates/README.md.jinja and copies sdk/helpers.py: what is in the
    package is what is kept outside the generated tree (CI's diff check catches any other drift)."""
    template = (ROOT / "sdk" / "templates" / "README.md.jinja").read_text()
    assert (
        template.replace("{{ package_name }}", "fluxforge_client")
        .replace("{{ project_name }}", "fluxforge-client")
        .strip()
        == README.read_text().strip()
    )
    assert (ROOT / "sdk" / "helpers.py").read_text() == (
        ROOT / "sdk" / "python" / "fluxforge_client" / "helpers.py"
    ).read_text()


def response(status: int, parsed: Any, content: bytes = b"") -> Response[Any]:
    return Response(status_code=HTTPStatus(status), content=content, headers={}, parsed=parsed)


def namespace(name: str) -> Namespace:
    return Namespace.from_dict(
        {
            "id": str(uuid.uuid4()),
            "name": name,
            "status": "active",
            "display_name": name,
            "labels": {},
            "version": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
    )


def test_unwrap_returns_the_parsed_body_and_raises_the_problem() -> None:
    ns = namespace("prod")
    assert unwrap(response(200, ns)) is ns
    problem = Problem(status=404, title="Not found", type_="https://fluxforge.dev/problems/not-found", detail="no ns")
    with pytest.raises(ApiError) as raised:
        unwrap(response(404, problem, b'{"status": 404}'))
    assert raised.value.status == 404
    assert raised.value.problem is problem
    assert raised.value.type == "https://fluxforge.dev/problems/not-found"
    assert str(raised.value) == "404 Not found (https://fluxforge.dev/problems/not-found): no ns"


def test_unwrap_raises_for_an_answer_no_schema_describes() -> None:
    with pytest.raises(ApiError) as raised:
        unwrap(response(502, None, b"<html>bad gateway</html>"))
    assert raised.value.problem is None
    assert raised.value.type is None
    assert raised.value.body == b"<html>bad gateway</html>"
    assert "502" in str(raised.value)


class Pages:
    """A list route over `names`, `size` per page, cursors being the next index as text; it
    records the cursors it was asked for."""

    def __init__(self, names: list[str], size: int) -> None:
        self.names, self.size = names, size
        self.asked: list[str | None] = []

    def __call__(self, tenant: str, *, client: object, cursor: str | Unset = UNSET) -> Response[Any]:
        assert tenant == "acme"
        start = 0 if isinstance(cursor, Unset) else int(cursor)
        self.asked.append(None if isinstance(cursor, Unset) else cursor)
        end = start + self.size
        page = NamespacePage(
            items=[namespace(n) for n in self.names[start:end]],
            next_cursor=str(end) if end < len(self.names) else None,
        )
        return response(200, page)

    async def asynchronously(self, tenant: str, *, client: object, cursor: str | Unset = UNSET) -> Response[Any]:
        await asyncio.sleep(0)
        return self(tenant, client=client, cursor=cursor)


def test_paginate_follows_next_cursor_to_the_last_page() -> None:
    pages = Pages([f"ns{i}" for i in range(7)], size=3)
    assert [ns.name for ns in paginate(pages, "acme", client=None)] == [f"ns{i}" for i in range(7)]
    assert pages.asked == [None, "3", "6"]


def test_paginate_starts_at_a_given_cursor_and_stops_on_an_empty_last_page() -> None:
    pages = Pages([f"ns{i}" for i in range(4)], size=2)
    assert [ns.name for ns in paginate(pages, "acme", client=None, cursor="2")] == ["ns2", "ns3"]
    assert [ns.name for ns in paginate(Pages([], size=2), "acme", client=None)] == []


async def test_apaginate_yields_every_item_of_every_page() -> None:
    pages = Pages([f"ns{i}" for i in range(5)], size=2)
    assert [ns.name async for ns in apaginate(pages.asynchronously, "acme", client=None)] == [
        f"ns{i}" for i in range(5)
    ]
    assert pages.asked == [None, "2", "4"]


def test_paginate_raises_the_problem_of_a_failing_page() -> None:
    problem = Problem(status=400, title="Bad request", type_="https://fluxforge.dev/problems/bad-request")

    def failing(tenant: str, *, client: object, cursor: str | Unset = UNSET) -> Response[Any]:
        return response(400, problem)

    with pytest.raises(ApiError) as raised:
        list(paginate(failing, "acme", client=None))
    assert raised.value.problem is problem


def test_events_reads_a_server_sent_event_stream() -> None:
    stream = (
        ": a comment\n"
        "retry: 1000\n\n"
        'id: 1\nevent: run.created\ndata: {"seq":1}\n\n'
        "id: 2\nevent: step.log\ndata: line one\ndata: line two\n\n"
        'id: 3\r\nevent: run.succeeded\r\ndata:{"seq":3}'
    )
    assert [(m.id, m.event, m.data) for m in events(stream.encode())] == [
        ("1", "run.created", '{"seq":1}'),
        ("2", "step.log", "line one\nline two"),
        ("3", "run.succeeded", '{"seq":3}'),
    ]
    assert events("") == []
