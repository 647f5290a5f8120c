"""Parameters many routes share, typed once: paths, page size and cursor, If-Match, Idempotency-Key."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, PathParameter, QueryParameter

from fluxforge.conventions import IF_MATCH_PATTERN
from fluxforge.idempotency import IDEMPOTENCY_KEY_PATTERN

TenantPath = Annotated[str, PathParameter(description="The tenant's id or slug.", max_length=64)]
NamespacePath = Annotated[str, PathParameter(description="The namespace's name.", max_length=63)]

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1-200).")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=64, description="The next_cursor of the previous page; omit for the first page."),
]

# `required=True` only documents the header as required: the handler still sees None when it
# is missing and answers 428 with a problem that says what to send, rather than a bare 400.
IfMatchRequired = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=True,
        pattern=IF_MATCH_PATTERN,
        max_length=64,
        description='The ETag (version) the change is based on, e.g. "3". Missing: 428; stale: 412 with the current '
        "ETag.",
    ),
]
IfMatchOptional = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        pattern=IF_MATCH_PATTERN,
        max_length=64,
        description='Optional: the ETag (version) the change is based on, e.g. "3"; stale: 412 with the current ETag.',
    ),
]

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes the request safe to retry: a repeat with the same key and body "
        "returns the first response; the same key with another body is refused (409).",
    ),
]
