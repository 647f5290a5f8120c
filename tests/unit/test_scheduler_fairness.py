"""Property tests of the scheduler's choice of queued runs (scheduler.fairness) and of the
queue position that folds priority and aging into one timestamp (runs.logic.queue_at)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fluxforge.runs.logic import canonical, digest, queue_at
from fluxforge.scheduler.fairness import Candidate, Limits, pick

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TENANTS = [uuid.UUID(int=i + 1) for i in range(5)]
NAMESPACES = [uuid.UUID(int=100 + i) for i in range(3)]


@st.composite
def queues(draw: st.DrawFn) -> list[Candidate]:
    found = []
    for n in range(draw(st.integers(0, 60))):
        found.append(
            Candidate(
                tenant_id=draw(st.sampled_from(TENANTS)),
                run_id=uuid.UUID(int=10_000 + n),
                namespace_id=draw(st.sampled_from(NAMESPACES)),
                queue_at=EPOCH + timedelta(seconds=draw(st.integers(0, 1000))),
            )
        )
    return found


@given(
    candidates=queues(),
    capacity=st.integers(0, 40),
    per_tenant=st.integers(1, 10),
    per_namespace=st.integers(1, 10),
    active=st.dictionaries(st.sampled_from(TENANTS), st.integers(0, 10)),
)
@settings(max_examples=300)
def test_picks_respect_capacity_limits_and_queue_order(
    candidates: list[Candidate], capacity: int, per_tenant: int, per_namespace: int, active: dict[uuid.UUID, int]
) -> None:
    limits = Limits(per_tenant=per_tenant, per_namespace=per_namespace)
    taken = pick(candidates, active, {}, limits, capacity)
    assert len(taken) <= capacity
    assert len({c.run_id for c in taken}) == len(taken)
    for tenant in TENANTS:
        mine = [c for c in taken if c.tenant_id == tenant]
        assert active.get(tenant, 0) + len(mine) <= max(per_tenant, active.get(tenant, 0))
        for namespace in NAMESPACES:
            assert len([c for c in mine if c.namespace_id == namespace]) <= per_namespace
        # Within a namespace a tenant's runs are taken oldest first.
        for namespace in NAMESPACES:
            queued = sorted(
                (c for c in candidates if c.tenant_id == tenant and c.namespace_id == namespace),
                key=lambda c: (c.queue_at, c.run_id),
            )
            chosen = [c for c in queued if c in mine]
            assert chosen == queued[: len(chosen)]


@given(backlog=st.integers(1, 10_000), capacity=st.integers(2, 64))
@settings(max_examples=50)
def test_a_lone_run_is_taken_in_the_first_round_whatever_the_backlog(backlog: int, capacity: int) -> None:
    busy, quiet = TENANTS[0], TENANTS[1]
    # The head of the busy tenant's queue as the database returns it (capacity runs at most).
    heads = [
        Candidate(busy, uuid.UUID(int=i + 1), NAMESPACES[0], EPOCH + timedelta(seconds=i))
        for i in range(min(backlog, capacity))
    ]
    lone = Candidate(quiet, uuid.UUID(int=999_999), NAMESPACES[0], EPOCH + timedelta(days=1))
    taken = pick([*heads, lone], {}, {}, Limits(1000, 1000), capacity)
    assert lone in taken


def test_a_full_tenant_leaves_room_for_others() -> None:
    busy, other = TENANTS[0], TENANTS[1]
    candidates = [Candidate(busy, uuid.UUID(int=i + 1), NAMESPACES[0], EPOCH) for i in range(5)]
    candidates.append(Candidate(other, uuid.UUID(int=50), NAMESPACES[0], EPOCH + timedelta(hours=1)))
    taken = pick(candidates, {busy: 3}, {}, Limits(per_tenant=3, per_namespace=10), 10)
    assert [c.tenant_id for c in taken] == [other]


@given(
    priority_a=st.integers(-10, 10),
    priority_b=st.integers(-10, 10),
    waited_a=st.integers(0, 3600),
    waited_b=st.integers(0, 3600),
    aging=st.floats(1, 600),
)
def test_queue_position_orders_by_priority_plus_waiting_time(
    priority_a: int, priority_b: int, waited_a: int, waited_b: int, aging: float
) -> None:
    now = EPOCH + timedelta(days=1)
    a = queue_at(now - timedelta(seconds=waited_a), priority_a, aging)
    b = queue_at(now - timedelta(seconds=waited_b), priority_b, aging)
    score_a = priority_a + waited_a / aging
    score_b = priority_b + waited_b / aging
    if abs(score_a - score_b) > 1e-6:
        assert (a < b) == (score_a > score_b)


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5) | st.booleans(), max_size=6))
def test_digests_ignore_key_order(value: dict[str, object]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical(value) == canonical(reordered)
    assert digest(value) == digest(reordered)
