"""Which queued runs a worker takes next: round robin across tenants, within concurrency limits.

Pure. The candidates are each tenant's head of queue (its oldest `queue_at` first, priorities
and aging already folded into `queue_at`). A scheduling round gives every tenant with queued
runs its first turn before any tenant gets its second, so a tenant with 10,000 queued runs
delays another tenant's single run by at most one round. Limits count the runs already active
(running or cancelling, on any worker) per tenant and per namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec


class Candidate(msgspec.Struct, frozen=True):
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    namespace_id: uuid.UUID
    queue_at: datetime


class Limits(msgspec.Struct, frozen=True):
    per_tenant: int
    per_namespace: int


def pick(
    candidates: Iterable[Candidate],
    active_by_tenant: Mapping[uuid.UUID, int],
    active_by_namespace: Mapping[tuple[uuid.UUID, uuid.UUID], int],
    limits: Limits,
    capacity: int,
) -> list[Candidate]:
    """Up to `capacity` candidates: each tenant's in queue order, tenants taking turns
    (ties within a turn broken by queue_at), never beyond a tenant's or namespace's limit."""
    queues: dict[uuid.UUID, list[Candidate]] = {}
    for candidate in candidates:
        queues.setdefault(candidate.tenant_id, []).append(candidate)
    for queue in queues.values():
        queue.sort(key=lambda c: (c.queue_at, c.run_id))
    tenants = dict(active_by_tenant)
    namespaces = dict(active_by_namespace)
    taken: list[Candidate] = []
    positions = dict.fromkeys(queues, 0)
    while len(taken) < capacity:
        turn: list[Candidate] = []
        for tenant_id, queue in queues.items():
            while positions[tenant_id] < len(queue):
                candidate = queue[positions[tenant_id]]
                positions[tenant_id] += 1
                namespace = (tenant_id, candidate.namespace_id)
                if tenants.get(tenant_id, 0) >= limits.per_tenant:
                    positions[tenant_id] = len(queue)  # the tenant is full: none of its runs fit
                    break
                if namespaces.get(namespace, 0) >= limits.per_namespace:
                    continue  # this namespace is full; the tenant's next run may be elsewhere
                turn.append(candidate)
                tenants[tenant_id] = tenants.get(tenant_id, 0) + 1
                namespaces[namespace] = namespaces.get(namespace, 0) + 1
                break
        if not turn:
            break
        turn.sort(key=lambda c: (c.queue_at, c.run_id))
        taken.extend(turn[: capacity - len(taken)])
    return taken
