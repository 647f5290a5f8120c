from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.conventions import (
    check_version,
    decode_cursor,
    encode_cursor,
    new_id,
    page_of,
    required_version,
)
from fluxforge.errors import BadRequest, PreconditionFailed, PreconditionRequired


def test_new_ids_are_uuid7_and_ordered() -> None:
    ids = [new_id() for _ in range(2000)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # strictly increasing, also within one millisecond


@given(st.uuids())
def test_cursor_round_trips(value: uuid.UUID) -> None:
    cursor = encode_cursor(value)
    assert cursor.isascii()
    assert "=" not in cursor
    assert decode_cursor(cursor) == value


@given(st.text(max_size=40))
def test_any_garbage_cursor_is_a_client_error_or_a_uuid(garbage: str) -> None:
    try:
        decoded = decode_cursor(garbage)
    except BadRequest:
        return
    assert isinstance(decoded, uuid.UUID)


def test_missing_cursor_means_first_page() -> None:
    assert decode_cursor(None) is None


class Row:
    def __init__(self) -> None:
        self.id = new_id()


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=10))
def test_page_of_says_more_only_when_there_is_more(total: int, limit: int) -> None:
    rows = [Row() for _ in range(min(total, limit + 1))]
    items, cursor = page_of(rows, limit)
    assert items == rows[:limit]
    if total > limit:
        assert decode_cursor(cursor) == items[-1].id
    else:
        assert cursor is None


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12), (' "7" ', 7)])
def test_if_match_forms(header: str, version: int) -> None:
    assert required_version(header) == version


def test_if_match_missing_or_malformed() -> None:
    with pytest.raises(PreconditionRequired):
        required_version(None)
    for bad in ('"abc"', "*", '"1", "2"', ""):
        with pytest.raises(BadRequest):
            required_version(bad)


def test_version_check() -> None:
    check_version(None, 5)
    check_version(5, 5)
    with pytest.raises(PreconditionFailed) as caught:
        check_version(4, 5)
    assert caught.value.headers == {"ETag": '"5"'}
