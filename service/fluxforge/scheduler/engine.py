"""The scheduler engine of a worker process: claims runs, executes their steps, records results.

Single writer per run: a worker owns a run through its Redis lease (scheduler.lease)
and writes it under the fencing token PostgreSQL handed out when it claimed the run
(scheduler.repository). The engine stops working on a run at once when
- the lease could not be renewed (expired, taken by another worker, or Redis came back empty), or
- a write was refused because a newer token was recorded, or failed with an unknown outcome.
Another worker then takes the run over after the lease expired and continues from what was
recorded: succeeded steps are never run again; an attempt that was under way is recorded as
lost and started again.

Work arrives without polling delay: the API's INSERT of a run sends a PostgreSQL NOTIFY (in
the same transaction, so it is delivered exactly when the run is visible), and so do
cancellations and admission changes. A sweep every FLUXFORGE_SCHEDULER_SWEEP_INTERVAL seconds
is the safety net: queued runs nobody was told about, runs whose owner is gone (no lease),
cancellations whose notification was missed.

Writes of many runs share one statement and one commit (the Writer below): each run awaits
its own write before it starts the steps it decided to start, so the writes of one run stay
in order while the worker commits a few hundred runs' steps at a time under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fluxforge.config import Settings
from fluxforge.db import Database
from fluxforge.metering.selfmeter import record_usage
from fluxforge.runs import progress
from fluxforge.runs.events import events_channel
from fluxforge.runs.repository import NOTIFY_CHANNEL
from fluxforge.scheduler import fairness
from fluxforge.scheduler import repository as sql
from fluxforge.scheduler.breaker import BreakerConfig
from fluxforge.scheduler.breaker_store import SharedBreakers
from fluxforge.scheduler.executors import Executors, StepContext
from fluxforge.scheduler.lease import Leases, new_token
from fluxforge.workflows import graph
from fluxforge.workflows.models import WorkflowManifest, WorkflowSpec

log = logging.getLogger("fluxforge.scheduler")
MAX_BATCH = 256
FLUSHERS = 2
SPEC_CACHE = 1024


class Refused(Exception):
    """A write named a fencing token older than the run's: another worker owns the run now."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Writer:
    """Group commit: run writes queue up here and go to PostgreSQL many per statement."""

    def __init__(self, db: Database, redis: Redis, prefix: str) -> None:
        self.db = db
        self.redis = redis
        self.prefix = prefix
        self._queue: list[tuple[sql.RunWrite, asyncio.Future[sql.WriteOutcome | None]]] = []
        self._ready = asyncio.Event()
        self._slots = asyncio.Semaphore(FLUSHERS)
        self._flushes: set[asyncio.Task[None]] = set()
        self.writes = 0
        self.statements = 0

    async def submit(self, item: sql.RunWrite) -> sql.WriteOutcome | None:
        """The run's state after the write, or None when its token was outdated (refused).
        Raises when the outcome is unknown (the database failed)."""
        future: asyncio.Future[sql.WriteOutcome | None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._ready.set()
        return await future

    async def run(self) -> None:
        while True:
            await self._ready.wait()
            await self._slots.acquire()
            self._ready.clear()
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            if self._queue:
                self._ready.set()
            if not batch:
                self._slots.release()
                continue
            task = asyncio.create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[sql.RunWrite, asyncio.Future[sql.WriteOutcome | None]]]) -> None:
        try:
            try:
                async with self.db.platform() as conn:
                    accepted = await sql.write(conn, [item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            self.writes += len(batch)
            self.statements += 1
            for item, future in batch:
                if not future.done():
                    future.set_result(accepted.get(item.run_id))
            if accepted:
                pipe = self.redis.pipeline(transaction=False)
                for run_id in accepted:
                    pipe.publish(events_channel(self.prefix, run_id), "1")
                with contextlib.suppress(RedisError, OSError):
                    await pipe.execute()
        finally:
            self._slots.release()


class RunTask:
    """One run owned by this worker: its steps in memory, its attempts under way."""

    def __init__(self, engine: Engine, loaded: sql.LoadedRun, spec: WorkflowSpec, plan: graph.Plan, token: str) -> None:
        self.engine = engine
        self.loaded = loaded
        self.run_id = loaded.run_id
        self.tenant_id = loaded.tenant_id
        self.fence = loaded.fence
        self.token = token
        self.model = progress.RunModel(
            run_id=loaded.run_id,
            spec=spec,
            plan=plan,
            inputs=loaded.inputs,
            steps_by_id={step.id: step for step in spec.steps},
        )
        self.views = {view.id: view for view in loaded.steps}
        self.cancel_requested = loaded.state == "cancelling"
        self.results: list[progress.AttemptResult] = []
        self.attempts: dict[str, asyncio.Task[None]] = {}
        self.signal = asyncio.Event()
        self.lease_lost = False
        self.task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self.signal.set()

    async def main(self) -> None:
        results = progress.lost_attempts(self.views)
        try:
            while True:
                stopping = self.engine.stopping
                advance = progress.advance(
                    self.model,
                    self.views,
                    results,
                    now_ms(),
                    cancelling=self.cancel_requested,
                    frozen=self.engine.frozen or stopping,
                )
                results = []
                for step_id, attempt in list(self.attempts.items()):
                    if self.views[step_id].state != "running":
                        attempt.cancel()  # cancelled with its run
                        self.attempts.pop(step_id, None)
                if not advance.empty:
                    outcome = await self.engine.writer.submit(
                        sql.RunWrite(tenant_id=self.tenant_id, run_id=self.run_id, fence=self.fence, advance=advance)
                    )
                    if outcome is None:
                        raise Refused(f"run {self.run_id}: fence {self.fence} is outdated")
                    self._confirmed(advance, outcome)
                    if outcome.state == "cancelling" and not self.cancel_requested:
                        self.cancel_requested = True
                        continue
                if advance.run_state is not None:
                    return
                if stopping and not self.attempts:
                    return  # shutting down: nothing under way, the lease is released for another worker
                await self._wait()
                results, self.results = self.results, []
        except Refused:
            log.warning("write refused: a newer owner holds the run; stopping", extra={"run_id": str(self.run_id)})
        finally:
            for attempt in self.attempts.values():
                attempt.cancel()
            self.attempts.clear()

    async def _wait(self) -> None:
        due = progress.next_due_ms(self.views)
        timeout = None if due is None else max(0.0, (due - now_ms()) / 1000)
        if self.results:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.signal.wait(), timeout)
        self.signal.clear()

    def _confirmed(self, advance: progress.Advance, outcome: sql.WriteOutcome) -> None:
        for step_id in advance.started:
            view = self.views[step_id]
            assert view.started_n is not None
            view.started_seq = outcome.base_seq + 1 + view.started_n
            self._launch(view)
        for result in advance.results:
            record_usage(
                self.tenant_id,
                "step.attempt",
                subject=f"run:{self.run_id}",
                properties={
                    "uses": self.views[result.step].uses,
                    "outcome": result.outcome,
                    "seconds": round(result.duration_ms / 1000, 3),
                },
            )
        if advance.run_state is not None:
            record_usage(
                self.tenant_id,
                "run.finished",
                subject=f"run:{self.run_id}",
                properties={"state": advance.run_state, "workflow": self.loaded.workflow_name},
            )

    def _launch(self, view: progress.StepView) -> None:
        if view.unresolved is not None:
            self.results.append(
                progress.AttemptResult(
                    step=view.id,
                    attempt=view.attempts,
                    outcome="failed",
                    error_kind="invalid_input",
                    error_message=view.unresolved,
                )
            )
            self.signal.set()
            return
        step = self.model.steps_by_id[view.id]
        ctx = StepContext(
            tenant_id=self.tenant_id,
            run_id=self.run_id,
            step_id=view.id,
            attempt=view.attempts,
            deadline=time.monotonic() + step.timeout_seconds,
        )
        self.attempts[view.id] = asyncio.create_task(
            self._attempt(ctx, step.uses, view.input or {}, step.timeout_seconds)
        )

    async def _attempt(self, ctx: StepContext, uses: str, inputs: dict[str, Any], limit_seconds: float) -> None:
        result = await self.engine.executors.execute(ctx, uses, inputs, limit_seconds)
        if self.attempts.get(ctx.step_id) is asyncio.current_task():
            del self.attempts[ctx.step_id]
        self.results.append(result)
        self.signal.set()


class Engine:
    def __init__(self, settings: Settings, db: Database, redis: Redis, worker_id: str) -> None:
        self.settings = settings
        self.db = db
        self.redis = redis
        self.worker_id = worker_id
        self.leases = Leases(redis, settings.redis_key_prefix, settings.scheduler_lease_ms)
        self.writer = Writer(db, redis, settings.redis_key_prefix)
        config = BreakerConfig(
            failure_threshold=settings.scheduler_breaker_failures,
            reset_timeout_ms=settings.scheduler_breaker_reset_ms,
            probe_timeout_ms=settings.scheduler_breaker_probe_timeout_ms,
        )
        self.executors = Executors(
            redis, settings.redis_key_prefix, SharedBreakers(redis, settings.redis_key_prefix, config)
        )
        self.limits = fairness.Limits(settings.scheduler_tenant_concurrency, settings.scheduler_namespace_concurrency)
        self.runs: dict[uuid.UUID, RunTask] = {}
        self.admission = "normal"
        self.stopping = False
        self.wake = asyncio.Event()
        self._specs: dict[tuple[uuid.UUID, int], tuple[WorkflowSpec, graph.Plan]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._last_sweep = 0.0
        self.claimed = 0
        self.taken_over = 0

    @property
    def frozen(self) -> bool:
        return self.admission == "freeze"

    @property
    def capacity(self) -> int:
        return self.settings.scheduler_concurrency - len(self.runs)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.writer.run(), name="scheduler-writer"),
            asyncio.create_task(self._claim_loop(), name="scheduler-claims"),
            asyncio.create_task(self._renew_loop(), name="scheduler-leases"),
            asyncio.create_task(self._listen_loop(), name="scheduler-listen"),
        ]

    async def stop(self, grace_seconds: float) -> None:
        """Start nothing new; let attempts under way finish and be recorded (for at most
        `grace_seconds`), then let go of every run: its lease is released, so another worker
        continues it at once."""
        self.stopping = True
        for run in list(self.runs.values()):
            run.poke()
        pending = [r.task for r in self.runs.values() if r.task is not None]
        if pending:
            await asyncio.wait(pending, timeout=grace_seconds)
        for run in list(self.runs.values()):
            if run.task is not None:
                run.task.cancel()
        remaining = [r.task for r in self.runs.values() if r.task is not None]
        if remaining:
            await asyncio.wait(remaining, timeout=5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.executors.aclose()

    # --- claiming -----------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        interval = self.settings.scheduler_sweep_interval
        while not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()
            if self.stopping:
                return
            try:
                if time.monotonic() - self._last_sweep >= interval:
                    self._last_sweep = time.monotonic()
                    await self.sweep()
                await self.claim_queued()
            except Exception:
                log.exception("claiming failed; retrying")
                await asyncio.sleep(min(interval, 1.0))

    async def claim_queued(self) -> int:
        """Take queued runs up to this worker's capacity, tenants in turn, within limits."""
        capacity = self.capacity
        if capacity <= 0 or self.stopping:
            return 0
        won: list[tuple[uuid.UUID, str]] = []
        try:
            async with self.db.platform() as conn:
                await sql.lock_claims(conn)
                self._set_admission(await sql.admission_mode(conn))
                if self.frozen:
                    return 0
                per_tenant = min(capacity, self.limits.per_tenant)
                candidates = await sql.pending_candidates(conn, per_tenant)
                if not candidates:
                    return 0
                by_tenant, by_namespace = await sql.active_counts(conn, list({c.tenant_id for c in candidates}))
                picks = fairness.pick(candidates, by_tenant, by_namespace, self.limits, capacity)
                tokens = [(c.run_id, new_token(self.worker_id)) for c in picks]
                acquired = await self.leases.acquire_many(tokens)
                won = [t for t, ok in zip(tokens, acquired, strict=True) if ok]
                chosen = {run_id for run_id, _ in won}
                claimed = await sql.claim(
                    conn, [(c.tenant_id, c.run_id) for c in picks if c.run_id in chosen], self.worker_id, takeover=False
                )
                loaded = await sql.load(conn, claimed)
        except BaseException:
            if won:
                with contextlib.suppress(Exception):
                    await self.leases.release_many(won)
            raise
        self.claimed += len(loaded)
        return self._adopt(loaded, dict(won))

    async def sweep(self) -> int:
        """Refresh the admission mode; take over runs whose owner is gone (no lease); notice
        cancellations of our runs that were not heard."""
        async with self.db.platform() as conn:
            self._set_admission(await sql.admission_mode(conn))
            active = await sql.active_runs(conn, 10_000)
            mine = [(run.tenant_id, run.run_id) for run in self.runs.values() if not run.cancel_requested]
            for run_id in await sql.cancelling(conn, mine):
                self.cancel(run_id)
        if self.stopping:
            return 0
        orphans = [(t, r) for t, r in active if r not in self.runs]
        held = await self.leases.held([r for _, r in orphans])
        orphans = [o for o, h in zip(orphans, held, strict=True) if not h][: max(0, self.capacity)]
        if not orphans:
            return 0
        tokens = [(run_id, new_token(self.worker_id)) for _, run_id in orphans]
        acquired = await self.leases.acquire_many(tokens)
        won = [t for t, ok in zip(tokens, acquired, strict=True) if ok]
        chosen = {run_id for run_id, _ in won}
        try:
            async with self.db.platform() as conn:
                claimed = await sql.claim(conn, [o for o in orphans if o[1] in chosen], self.worker_id, takeover=True)
                loaded = await sql.load(conn, claimed)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.leases.release_many(won)
            raise
        if loaded:
            log.info("took over runs whose owner was lost", extra={"runs": [str(r.run_id) for r in loaded]})
        self.taken_over += len(loaded)
        return self._adopt(loaded, dict(won))

    def _adopt(self, loaded: Sequence[sql.LoadedRun], tokens: dict[uuid.UUID, str]) -> int:
        unclaimed = [(run_id, token) for run_id, token in tokens.items() if run_id not in {r.run_id for r in loaded}]
        if unclaimed:
            task = asyncio.create_task(self.leases.release_many(unclaimed))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        for loaded_run in loaded:
            spec, plan = self._spec(loaded_run)
            owned = RunTask(self, loaded_run, spec, plan, tokens[loaded_run.run_id])
            self.runs[loaded_run.run_id] = owned
            owned.task = asyncio.create_task(self._own(owned), name=f"run-{loaded_run.run_id}")
        return len(loaded)

    def _spec(self, run: sql.LoadedRun) -> tuple[WorkflowSpec, graph.Plan]:
        key = (run.workflow_id, run.workflow_version)
        found = self._specs.get(key)
        if found is None:
            spec = msgspec.convert(run.manifest, WorkflowManifest).spec
            found = (spec, graph.plan(spec))
            if len(self._specs) >= SPEC_CACHE:
                self._specs.pop(next(iter(self._specs)))
            self._specs[key] = found
        return found

    async def _own(self, run: RunTask) -> None:
        try:
            await run.main()
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("run stopped on an error; its lease is released", extra={"run_id": str(run.run_id)})
        finally:
            self.runs.pop(run.run_id, None)
            if not run.lease_lost:
                with contextlib.suppress(RedisError, OSError):
                    await self.leases.release(run.run_id, run.token)
            self.wake.set()  # capacity freed

    def cancel(self, run_id: uuid.UUID) -> None:
        run = self.runs.get(run_id)
        if run is not None and not run.cancel_requested:
            run.cancel_requested = True
            run.poke()

    def _set_admission(self, mode: str) -> None:
        was_frozen = self.frozen
        self.admission = mode
        if was_frozen and not self.frozen:
            for run in self.runs.values():
                run.poke()

    # --- leases -------------------------------------------------------------------------------

    async def _renew_loop(self) -> None:
        """Renew every lease this worker holds, a third of the TTL apart. A lease that could
        not be renewed stops its run at once; if Redis cannot be reached for a whole TTL,
        every lease may have expired, so every run stops."""
        ttl = self.settings.scheduler_lease_ms / 1000
        last_ok = time.monotonic()
        while True:
            await asyncio.sleep(ttl / 3)
            held = [(run.run_id, run.token) for run in self.runs.values()]
            try:
                renewed = await self.leases.renew_many(held)
            except (RedisError, OSError):
                if time.monotonic() - last_ok >= ttl * 0.9:
                    log.warning("leases could not be renewed for a whole TTL; stopping every run")
                    for run in list(self.runs.values()):
                        self._lose(run)
                continue
            last_ok = time.monotonic()
            for (run_id, _), ok in zip(held, renewed, strict=True):
                owned = self.runs.get(run_id)
                if not ok and owned is not None:
                    log.warning("lease lost; stopping the run", extra={"run_id": str(run_id)})
                    self._lose(owned)

    def _lose(self, run: RunTask) -> None:
        run.lease_lost = True
        if run.task is not None:
            run.task.cancel()

    # --- wake-ups -----------------------------------------------------------------------------

    async def _listen_loop(self) -> None:
        """LISTEN for queued runs, cancellations and admission changes; reconnect on loss."""
        url = self.settings.resolved_app_database_url()
        while not self.stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(url, server_settings={"application_name": "fluxforge-worker-listen"})
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _conn, closed=closed: closed.set())
                await conn.add_listener(NOTIFY_CHANNEL, self._notified)
                self.wake.set()  # anything sent while not listening is found by a claim now
                await closed.wait()
            except (OSError, asyncpg.PostgresError):
                log.warning("scheduler listener lost; reconnecting")
                await asyncio.sleep(1.0)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        payload = str(payload)
        if payload.startswith("cancel:"):
            with contextlib.suppress(ValueError):
                self.cancel(uuid.UUID(payload[len("cancel:") :]))
        elif payload == "admission":
            self._last_sweep = 0.0
            self.wake.set()
        else:
            self.wake.set()
