"""The limiter's pure parts: parameter checks, interval math, and the 429 it answers with."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import get
from litestar.testing import create_test_client

from fluxforge.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from fluxforge.ratelimit import RateLimited, check_limits, emission_interval_us, retry_after_header
from fluxforge.web.problems import EXCEPTION_HANDLERS


@pytest.mark.parametrize(
    ("seconds", "header"),
    [(0.0, "1"), (0.0001, "1"), (0.999, "1"), (1.0, "1"), (1.0001, "2"), (2.5, "3"), (59.0, "59")],
)
def test_retry_after_rounds_up_to_whole_seconds_at_least_one(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_retry_after_is_never_earlier_than_asked(seconds: float) -> None:
    value = int(retry_after_header(seconds))
    assert value >= 1
    assert value >= seconds
    assert value - seconds < 1 or seconds < 1


@pytest.mark.parametrize(
    ("rate", "interval"), [(1.0, 1_000_000), (200.0, 5_000), (3.0, 333_333), (0.5, 2_000_000), (5e6, 1)]
)
def test_emission_interval_is_whole_microseconds(rate: float, interval: int) -> None:
    assert emission_interval_us(rate) == interval


@pytest.mark.parametrize(
    ("rate", "burst", "cost"),
    [(0.0, 1, 1), (-5.0, 1, 1), (float("nan"), 1, 1), (float("inf"), 1, 1), (1.0, 0, 1), (1.0, 3, 0), (1.0, 3, 4)],
)
def test_unusable_limits_are_refused(rate: float, burst: int, cost: int) -> None:
    with pytest.raises(ValueError, match="must"):
        check_limits(rate, burst, cost)


def test_usable_limits_pass() -> None:
    check_limits(0.01, 1, 1)
    check_limits(200.0, 400, 400)


def test_rate_limited_is_a_429_problem_with_retry_after() -> None:
    @get("/limited", sync_to_thread=False)
    def limited() -> None:
        raise RateLimited(2.2)

    with create_test_client([limited], exception_handlers=EXCEPTION_HANDLERS) as client:
        response = client.get("/limited")
    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["retry-after"] == "3"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "rate-limited"
    assert body["title"] == "Too many requests"
    assert body["status"] == 429
    assert body["detail"] == "rate limit exceeded; retry after 3 s"


def test_rate_limited_keeps_a_given_detail() -> None:
    error = RateLimited(0.01, "tenant acme is over 200 requests/s")
    assert error.headers == {"Retry-After": "1"}
    assert error.detail == "tenant acme is over 200 requests/s"
    assert error.retry_after_seconds == 0.01
