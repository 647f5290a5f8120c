"""The retry schedule (fluxforge.runs.retry): bounds, growth, determinism, and the filter."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.runs import retry
from fluxforge.runs.retry import RetryDecision, RetryPolicy
from fluxforge.workflows.models import ERROR_KINDS

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 20),
    backoff=st.sampled_from(["linear", "exponential"]),
    initial_delay_seconds=st.floats(0, 100, allow_nan=False).map(lambda s: round(s, 3)),
    max_delay_seconds=st.floats(0, 3600, allow_nan=False).map(lambda s: round(s, 3)),
    jitter=st.floats(0, 1, allow_nan=False),
    retry_on=st.lists(st.sampled_from(ERROR_KINDS), unique=True),
)
fractions = st.floats(0, 1, exclude_max=True, allow_nan=False)


@given(policies, st.integers(1, 40), fractions)
def test_every_delay_lies_between_the_jittered_floor_and_the_capped_base(
    policy: RetryPolicy, n: int, fraction: float
) -> None:
    base = retry.base_delay_ms(policy, n)
    delay = retry.delay_ms(policy, n, fraction)
    assert 0 <= delay <= base <= round(policy.max_delay_seconds * 1000)
    assert delay >= math.floor(base * (1 - policy.jitter))
    if policy.jitter == 0 or fraction == 0:
        assert delay == base


@given(policies, st.integers(1, 40))
def test_base_delays_grow_as_the_backoff_says_until_the_cap(policy: RetryPolicy, n: int) -> None:
    initial, cap = round(policy.initial_delay_seconds * 1000), round(policy.max_delay_seconds * 1000)
    expected = initial * n if policy.backoff == "linear" else initial * 2 ** (n - 1)
    assert retry.base_delay_ms(policy, n) == min(expected, cap)
    assert retry.base_delay_ms(policy, n + 1) >= retry.base_delay_ms(policy, n)


@given(policies, st.text(max_size=20))
def test_the_schedule_is_deterministic_per_seed_and_has_one_delay_per_retry(policy: RetryPolicy, seed: str) -> None:
    schedule = retry.schedule(policy, seed)
    assert schedule == retry.schedule(policy, seed)
    assert len(schedule) == policy.max_attempts - 1
    for n, delay in enumerate(schedule, start=1):
        assert delay == retry.delay_ms(policy, n, retry.jitter_fraction(seed, n))
        kind = policy.retry_on[0] if policy.retry_on else "timeout"
        if retry.is_retryable(policy, kind):
            assert retry.decide(policy, n, kind, retry.jitter_fraction(seed, n)) == RetryDecision(
                retry=True, delay_ms=delay
            )


@given(st.text(max_size=30), st.integers(1, 1000))
def test_jitter_fractions_are_in_range_and_repeatable(seed: str, attempt: int) -> None:
    fraction = retry.jitter_fraction(seed, attempt)
    assert 0.0 <= fraction < 1.0
    assert fraction == retry.jitter_fraction(seed, attempt)


def test_jitter_fractions_spread_out() -> None:
    fractions = [retry.jitter_fraction(f"run-{i}:fetch", 1) for i in range(2000)]
    assert 0.45 < sum(fractions) / len(fractions) < 0.55
    assert len(set(fractions)) == len(fractions)


@given(policies, st.integers(1, 25), st.sampled_from(ERROR_KINDS), fractions)
def test_decide_honours_the_filter_and_the_attempt_budget(
    policy: RetryPolicy, attempt: int, kind: str, fraction: float
) -> None:
    decision = retry.decide(policy, attempt, kind, fraction)
    expected = kind in policy.retry_on and kind != "invalid_input" and attempt < policy.max_attempts
    assert decision.retry == expected
    if decision.retry:
        assert decision.delay_ms == retry.delay_ms(policy, attempt, fraction)
    else:
        assert decision.delay_ms == 0
        assert decision.reason


def test_examples() -> None:
    policy = RetryPolicy(
        max_attempts=6, backoff="exponential", initial_delay_seconds=0.5, max_delay_seconds=5, jitter=0
    )
    assert [retry.base_delay_ms(policy, n) for n in range(1, 7)] == [500, 1000, 2000, 4000, 5000, 5000]
    assert retry.schedule(policy, "any") == [500, 1000, 2000, 4000, 5000]
    linear = RetryPolicy(max_attempts=4, backoff="linear", initial_delay_seconds=1.5, max_delay_seconds=60, jitter=0)
    assert retry.schedule(linear, "any") == [1500, 3000, 4500]
    jittered = RetryPolicy(max_attempts=2, initial_delay_seconds=10, jitter=0.5)
    assert retry.delay_ms(jittered, 1, 0.999999) == 5001
    assert retry.delay_ms(jittered, 1, 0.5) == 7500


def test_defaults_and_refusals() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 1
    assert retry.decide(policy, 1, "timeout", 0.0) == RetryDecision(retry=False, reason="all 1 attempts failed")
    assert set(policy.retry_on) == set(retry.DEFAULT_RETRY_ON)
    assert not retry.is_retryable(policy, "http_4xx")
    assert not retry.is_retryable(RetryPolicy(retry_on=["invalid_input"]), "invalid_input")
    refused = retry.decide(RetryPolicy(max_attempts=3), 1, "executor_error", 0.0)
    assert refused == RetryDecision(retry=False, reason="executor_error is not retried by this step's policy")
    for call in (
        lambda: retry.base_delay_ms(policy, 0),
        lambda: retry.delay_ms(policy, 1, 1.0),
        lambda: retry.delay_ms(policy, 1, -0.1),
        lambda: retry.decide(policy, 0, "timeout", 0.0),
    ):
        with pytest.raises(ValueError, match=r"starts at 1|must be in"):
            call()


def test_huge_retry_numbers_stay_capped() -> None:
    policy = RetryPolicy(initial_delay_seconds=1, max_delay_seconds=60)
    assert retry.base_delay_ms(policy, 10_000) == 60_000
