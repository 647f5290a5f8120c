"""When a failed step attempt is tried again, and after how long.

Pure (no I/O, no clock, no global random state): the jitter comes from a fraction the caller
passes in, normally `jitter_fraction(seed, attempt)`, which hashes a seed such as
"<run id>:<step id>". So a run's retry delays are the same on every worker that computes them,
in a replay, and in tests.

Delays are integer milliseconds. Retry n (n = 1 after the first attempt failed) waits
  linear:       initial * n
  exponential:  initial * 2**(n-1)
capped at the policy's max delay, then shortened by up to `jitter` of itself:
  delay = base - floor(base * jitter * fraction),  fraction in [0, 1)
so it lies in [base * (1 - jitter), base] and never exceeds the cap. Shortening rather than
lengthening keeps the cap a true upper bound while still spreading the retries of many runs
that failed together.
"""

from __future__ import annotations

import hashlib
import math

import msgspec

from fluxforge.workflows.models import DEFAULT_RETRY_ON, ERROR_KINDS, NEVER_RETRIED, ErrorKind, RetryPolicy

__all__ = [
    "DEFAULT_RETRY_ON",
    "ERROR_KINDS",
    "NEVER_RETRIED",
    "ErrorKind",
    "RetryDecision",
    "RetryPolicy",
    "base_delay_ms",
    "decide",
    "delay_ms",
    "is_retryable",
    "jitter_fraction",
    "schedule",
]

_MAX_DOUBLINGS = 62


class RetryDecision(msgspec.Struct, frozen=True, kw_only=True):
    """What to do after a failed attempt: retry after `delay_ms`, or give up (and why)."""

    retry: bool
    delay_ms: int = 0
    reason: str = ""


def is_retryable(policy: RetryPolicy, kind: str) -> bool:
    """Whether the policy retries this error kind (`invalid_input` never is)."""
    return kind not in NEVER_RETRIED and kind in policy.retry_on


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def base_delay_ms(policy: RetryPolicy, retry_number: int) -> int:
    """The delay before retry `retry_number` (1-based), before jitter."""
    if retry_number < 1:
        raise ValueError("retry_number starts at 1")
    initial, cap = _ms(policy.initial_delay_seconds), _ms(policy.max_delay_seconds)
    linear = policy.backoff == "linear"
    raw = initial * retry_number if linear else initial << min(retry_number - 1, _MAX_DOUBLINGS)
    return min(raw, cap)


def delay_ms(policy: RetryPolicy, retry_number: int, fraction: float) -> int:
    """The delay before retry `retry_number`, with jitter from `fraction` in [0, 1)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError("fraction must be in [0, 1)")
    base = base_delay_ms(policy, retry_number)
    return base - math.floor(base * policy.jitter * fraction)


def jitter_fraction(seed: str, attempt: int) -> float:
    """A fraction in [0, 1) determined by (seed, attempt) alone: SHA-256, top 53 bits."""
    digest = hashlib.sha256(f"{seed}\0{attempt}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / float(1 << 53)


def decide(policy: RetryPolicy, attempt: int, kind: str, fraction: float) -> RetryDecision:
    """After attempt `attempt` (1-based) failed with error `kind`: retry, and after how long?"""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    if not is_retryable(policy, kind):
        return RetryDecision(retry=False, reason=f"{kind} is not retried by this step's policy")
    if attempt >= policy.max_attempts:
        return RetryDecision(retry=False, reason=f"all {policy.max_attempts} attempts failed")
    return RetryDecision(retry=True, delay_ms=delay_ms(policy, attempt, fraction))


def schedule(policy: RetryPolicy, seed: str) -> list[int]:
    """Every delay a step may wait, in order: before attempt 2, 3, ... max_attempts."""
    return [delay_ms(policy, n, jitter_fraction(seed, n)) for n in range(1, policy.max_attempts)]
