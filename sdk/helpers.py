"""Hand-written helpers for the generated FluxForge client.

This file lives in `sdk/helpers.py` and `make sdk` copies it into the generated package as
`fluxforge_client/helpers.py`: the generator rewrites `sdk/python` from scratch each time, so
anything kept only there would be lost.

Why these exist: every generated call returns `Response[Model | Problem]`, which makes callers
check for a problem by hand after every request, and list routes return one page at a time.
`unwrap` turns a problem+json answer into an exception that carries it, and `paginate` /
`apaginate` follow `next_cursor` until the last page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, Protocol, TypeVar

from .models.problem import Problem
from .models.run_event_message import RunEventMessage
from .types import UNSET, Unset

T = TypeVar("T")
ItemT_co = TypeVar("ItemT_co", covariant=True)
ParsedT_co = TypeVar("ParsedT_co", covariant=True)


class Answer(Protocol[ParsedT_co]):
    """What the helpers read of a generated `Response`, read-only and so covariant.

    The generated `Response[T]` is invariant in `T`, so a list call's `Response[NamespacePage |
    Problem]` is not a `Response[Page[Namespace] | Problem]` to a type checker, although a
    NamespacePage is a Page[Namespace]; read through this protocol, it is.
    """

    @property
    def status_code(self) -> HTTPStatus: ...

    @property
    def content(self) -> bytes: ...

    @property
    def parsed(self) -> ParsedT_co | None: ...


class ApiError(Exception):
    """A request FluxForge answered with an error.

    `problem` is the parsed RFC 9457 body when the answer was problem+json (its `type` URI is
    stable per kind of error, so branch on it, not on `title` or `detail`); `status` and `body`
    are always set, so an answer no schema describes is still reported, not dropped.
    """

    def __init__(self, status: int, problem: Problem | None, body: bytes) -> None:
        self.status = status
        self.problem = problem
        self.body = body
        if problem is not None:
            message = f"{status} {problem.title} ({problem.type_})"
            if isinstance(problem.detail, str):
                message += f": {problem.detail}"
        else:
            message = f"{status}: {body[:200].decode('utf-8', 'replace')}"
        super().__init__(message)

    @property
    def type(self) -> str | None:
        """The problem's `type` URI, e.g. https://fluxforge.dev/problems/not-found."""
        return self.problem.type_ if self.problem is not None else None


def unwrap(response: Answer[T | Problem]) -> T:
    """The parsed body of a successful answer; raises ApiError for a problem or an unexpected one."""
    parsed = response.parsed
    if isinstance(parsed, Problem):
        raise ApiError(int(response.status_code), parsed, response.content)
    if int(response.status_code) >= 400 or parsed is None:
        raise ApiError(int(response.status_code), None, response.content)
    return parsed


class Page(Protocol[ItemT_co]):
    """Any list answer: one page of `items` and the cursor of the next (None on the last)."""

    @property
    def items(self) -> Sequence[ItemT_co]: ...

    @property
    def next_cursor(self) -> str | None: ...


def paginate(
    call: Callable[..., Answer[Page[T] | Problem]],
    /,
    *args: Any,
    **kwargs: Any,
) -> Iterator[T]:
    """Every item of a list route, page after page.

    `call` is a generated `sync_detailed` function; the arguments are passed on unchanged,
    with `cursor` set to each page's `next_cursor`:

        for ns in paginate(list_namespaces.sync_detailed, "acme", client=client, limit=100):
            ...
    """
    cursor: str | Unset = kwargs.pop("cursor", UNSET)
    while True:
        page = unwrap(call(*args, cursor=cursor, **kwargs))
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def apaginate(
    call: Callable[..., Awaitable[Answer[Page[T] | Problem]]],
    /,
    *args: Any,
    **kwargs: Any,
) -> AsyncIterator[T]:
    """`paginate` for the generated `asyncio_detailed` functions."""
    cursor: str | Unset = kwargs.pop("cursor", UNSET)
    while True:
        page = unwrap(await call(*args, cursor=cursor, **kwargs))
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def events(stream: str | bytes) -> list[RunEventMessage]:
    """The messages of a server-sent event stream (FollowRunEvents' answer), in order.

    The contract types each event (`itemSchema`), which a generator for OpenAPI 3.1 cannot
    apply to a stream, so the generated call returns the stream's text; this reads it.
    Lines other than `id:`, `event:` and `data:` (comments, retry hints) are skipped.
    """
    text = stream.decode("utf-8") if isinstance(stream, bytes) else stream
    messages: list[RunEventMessage] = []
    fields: dict[str, list[str]] = {}
    for line in [*text.splitlines(), ""]:
        if not line:
            if "event" in fields or "data" in fields:
                messages.append(
                    RunEventMessage(
                        id="".join(fields.get("id", [])),
                        event="".join(fields.get("event", [])),
                        data="\n".join(fields.get("data", [])),
                    )
                )
            fields = {}
            continue
        name, _, value = line.partition(":")
        if name in ("id", "event", "data"):
            fields.setdefault(name, []).append(value.removeprefix(" "))
    return messages
