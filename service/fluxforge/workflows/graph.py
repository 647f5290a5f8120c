"""The step graph: the plan order, cycles and what each step depends on.

Step `a` with `needs: [b]` runs after `b` has succeeded. The plan order is Kahn's algorithm
that always takes, among the steps whose needs are met, the one declared first: deterministic
(the same spec gives the same order in every process, which replay relies on) and stable
(steps already declared in a valid order keep it; independent steps keep their declaration
order).

Pure (no I/O), for validation (cycles, upstream steps), the scheduler (the plan it walks) and
property tests alike.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator, Mapping, Sequence

import msgspec

from fluxforge.workflows.models import WorkflowSpec


class CycleError(ValueError):
    def __init__(self, cycle: Sequence[str]) -> None:
        super().__init__("needs form a cycle: " + " -> ".join(cycle))
        self.cycle = list(cycle)


def order(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> list[str]:
    """The plan order of a graph (ids in declaration order; needs name only those ids).

    Raises CycleError naming a cycle when there is no order.
    """
    index = {step_id: i for i, step_id in enumerate(ids)}
    waiting = {step_id: len(set(needs.get(step_id, ()))) for step_id in ids}
    dependents: dict[str, list[str]] = {step_id: [] for step_id in ids}
    for step_id in ids:
        for upstream in set(needs.get(step_id, ())):
            if upstream not in index:
                raise ValueError(f"step {step_id!r} needs unknown step {upstream!r}")
            dependents[upstream].append(step_id)
    ready = [index[step_id] for step_id in ids if waiting[step_id] == 0]
    heapq.heapify(ready)
    result: list[str] = []
    while ready:
        step_id = ids[heapq.heappop(ready)]
        result.append(step_id)
        for dependent in dependents[step_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, index[dependent])
    if len(result) < len(ids):
        raise CycleError(find_cycles(ids, needs)[0])
    return result


def find_cycles(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> list[list[str]]:
    """One cycle per knot of the graph, each as a path of needs that ends where it starts.

    A knot is a strongly connected component with a cycle; its cycle starts at its member
    declared first and is a shortest way back to it (breadth first, needs in declared order),
    so the same graph always names the same cycle: ["a", "b", "c", "a"] reads "a needs b,
    b needs c, c needs a".
    """
    known = set(ids)
    edges = {step_id: [n for n in dict.fromkeys(needs.get(step_id, ())) if n in known] for step_id in ids}
    cycles: list[list[str]] = []
    for component in _strongly_connected(ids, edges):
        start = min(component, key=ids.index)
        if len(component) == 1 and start not in edges[start]:
            continue
        cycles.append(_shortest_cycle(start, edges, component))
    position = {step_id: i for i, step_id in enumerate(ids)}
    cycles.sort(key=lambda cycle: position[cycle[0]])
    return cycles


def _strongly_connected(ids: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (no recursion limit to reach with long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in ids:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _shortest_cycle(start: str, edges: Mapping[str, Sequence[str]], within: set[str]) -> list[str]:
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for successor in edges[node]:
                if successor not in within:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError("a strongly connected component always has a cycle through each member")


def ancestors(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> dict[str, frozenset[str]]:
    """Every step's transitive upstream steps (a step in a cycle is its own ancestor)."""
    known = set(ids)
    result: dict[str, frozenset[str]] = {}
    for step_id in ids:
        seen: set[str] = set()
        pending = [n for n in needs.get(step_id, ()) if n in known]
        while pending:
            node = pending.pop()
            if node in seen:
                continue
            seen.add(node)
            pending.extend(n for n in needs.get(node, ()) if n in known and n not in seen)
        result[step_id] = frozenset(seen)
    return result


class Plan(msgspec.Struct, frozen=True):
    """A valid spec's graph as the scheduler walks it."""

    order: tuple[str, ...]
    needs: dict[str, tuple[str, ...]]
    dependents: dict[str, tuple[str, ...]]

    def ready(self, succeeded: Collection[str], started: Collection[str]) -> list[str]:
        """Steps not yet started whose needs have all succeeded, in plan order.

        `started` holds every step that left `pending` (running, finished, skipped, ...).
        """
        return [
            step_id
            for step_id in self.order
            if step_id not in started and all(n in succeeded for n in self.needs[step_id])
        ]

    def downstream(self, step_id: str) -> list[str]:
        """Every step that (transitively) needs `step_id`, in plan order: what a failure skips."""
        seen: set[str] = set()
        pending = list(self.dependents[step_id])
        while pending:
            node = pending.pop()
            if node not in seen:
                seen.add(node)
                pending.extend(self.dependents[node])
        return [s for s in self.order if s in seen]


def plan(spec: WorkflowSpec) -> Plan:
    """The plan of a valid spec (see `validation.validate`); raises CycleError or ValueError otherwise."""
    ids = [step.id for step in spec.steps]
    if len(set(ids)) != len(ids):
        raise ValueError("step ids are not unique")
    needs = {step.id: tuple(dict.fromkeys(step.needs)) for step in spec.steps}
    ordered = order(ids, needs)
    position = {step_id: i for i, step_id in enumerate(ordered)}
    dependents: dict[str, list[str]] = {step_id: [] for step_id in ids}
    for step_id in ordered:
        for upstream in needs[step_id]:
            dependents[upstream].append(step_id)
    return Plan(
        order=tuple(ordered),
        needs={s: tuple(sorted(needs[s], key=position.__getitem__)) for s in ordered},
        dependents={s: tuple(dependents[s]) for s in ordered},
    )


def topological_order(spec: WorkflowSpec) -> list[str]:
    return list(plan(spec).order)
