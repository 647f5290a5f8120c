-- migrate:up

-- A run: one execution of a pinned workflow version. The API inserts it `pending`; a scheduler
-- worker claims it by winning its Redis lease and then taking the next fencing token here
-- (`fence = fence + 1`), so tokens only grow even when Redis restarts empty. Every later write
-- of the run or its steps names the token and matches no row once a newer one was taken.
CREATE TABLE runs (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id),
    id               uuid        NOT NULL,
    namespace_id     uuid        NOT NULL,
    workflow_id      uuid        NOT NULL,
    workflow_version int         NOT NULL,
    workflow_name    text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled')),
    inputs           jsonb       NOT NULL DEFAULT '{}',
    priority         int         NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
    -- Where the run stands in its tenant's queue: its submission time moved earlier by
    -- priority x aging, so priorities order runs yet an old run is never starved for ever.
    queue_at         timestamptz NOT NULL,
    fence            bigint      NOT NULL DEFAULT 0 CHECK (fence >= 0),
    owner            text,
    event_seq        bigint      NOT NULL DEFAULT 0 CHECK (event_seq >= 0),
    error            text,
    result_digest    text,
    created_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, namespace_id) REFERENCES namespaces (tenant_id, id),
    FOREIGN KEY (tenant_id, workflow_id, workflow_version)
        REFERENCES workflow_versions (tenant_id, workflow_id, version)
);
CREATE INDEX runs_by_namespace ON runs (tenant_id, namespace_id, id DESC);
CREATE INDEX runs_by_workflow ON runs (tenant_id, namespace_id, workflow_name, id DESC);
-- The queue: per tenant in queue order (the scheduler walks tenants with a loose index scan
-- over it and takes each one's head, round robin).
CREATE INDEX runs_pending ON runs (tenant_id, queue_at, id) WHERE state = 'pending';
-- Runs owned by some worker: concurrency limits count them, the sweep looks for lost owners.
CREATE INDEX runs_active ON runs (tenant_id, namespace_id) WHERE state IN ('running', 'cancelling');
REVOKE DELETE ON runs FROM fluxforge_app;

-- A run's steps, one row each, in plan order. `attempts` counts attempts started;
-- `lost_attempts` those whose worker vanished before reporting (not held against max_attempts).
CREATE TABLE run_steps (
    tenant_id       uuid        NOT NULL,
    run_id          uuid        NOT NULL,
    step_id         text        NOT NULL,
    position        int         NOT NULL CHECK (position >= 0),
    uses            text        NOT NULL,
    needs           text[]      NOT NULL DEFAULT '{}',
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'waiting_retry', 'succeeded', 'failed', 'skipped', 'cancelled')),
    attempts        int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lost_attempts   int         NOT NULL DEFAULT 0 CHECK (lost_attempts >= 0),
    input           jsonb,
    outputs         jsonb,
    error           jsonb,
    next_attempt_at timestamptz,
    started_seq     bigint,
    started_at      timestamptz,
    finished_at     timestamptz,
    PRIMARY KEY (tenant_id, run_id, step_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, id)
);
REVOKE DELETE ON run_steps FROM fluxforge_app;

-- Everything that happened to a run, in order (`seq` from runs.event_seq, taken in the same
-- fenced statement that writes the change): the lifecycle a client follows over server-sent
-- events, and the trace (`step.attempt` events carry each attempt's input, output or error and
-- digests) that replay verifies. Append-only, partitioned by month.
CREATE TABLE run_events (
    tenant_id   uuid        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    run_id      uuid        NOT NULL,
    seq         bigint      NOT NULL CHECK (seq >= 1),
    type        text        NOT NULL,
    step_id     text,
    attempt     int,
    fence       bigint      NOT NULL DEFAULT 0,
    data        jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, occurred_at, run_id, seq)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX run_events_by_run ON run_events (tenant_id, run_id, seq);
ALTER TABLE run_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE run_events FORCE ROW LEVEL SECURITY;
CREATE POLICY run_events_scope ON run_events
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());
REVOKE UPDATE, DELETE ON run_events FROM fluxforge_app;

CREATE TABLE run_events_default PARTITION OF run_events DEFAULT;
ALTER TABLE run_events_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE run_events_default FORCE ROW LEVEL SECURITY;
REVOKE ALL ON run_events_default FROM fluxforge_app;
SELECT ensure_monthly_partitions('run_events', 3, 1);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['runs', 'run_steps'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_is_platform() OR tenant_id = app_current_tenant()) '
            'WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant())', t || '_scope', t);
    END LOOP;
END;
$$;

-- The operators' admission switch: one row. normal: runs are accepted and started; drain: new
-- runs are refused, queued and running ones finish; freeze: runs are accepted and queued, but
-- no run and no step starts until the mode changes (steps under way finish).
CREATE TABLE scheduler_admission (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    mode       text        NOT NULL DEFAULT 'normal' CHECK (mode IN ('normal', 'drain', 'freeze')),
    reason     text        NOT NULL DEFAULT '',
    version    bigint      NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text
);
INSERT INTO scheduler_admission (singleton) VALUES (true);
ALTER TABLE scheduler_admission ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduler_admission FORCE ROW LEVEL SECURITY;
CREATE POLICY scheduler_admission_read ON scheduler_admission FOR SELECT USING (true);
CREATE POLICY scheduler_admission_write ON scheduler_admission
    USING (app_is_platform()) WITH CHECK (app_is_platform());
REVOKE INSERT, DELETE ON scheduler_admission FROM fluxforge_app;

-- FluxForge's meters of the scheduler's usage (the worker reports them through self-metering).
SELECT set_config('app.platform', 'on', true);
INSERT INTO platform_meters (id, key, event_type, aggregation, value_property, group_by, unit, description)
VALUES ('00000000-0000-7000-8000-000000000101', 'runs', 'run.finished', 'count', NULL,
        '{state}', 'runs', 'Workflow runs finished, by final state.'),
       ('00000000-0000-7000-8000-000000000102', 'run.steps', 'step.attempt', 'count', NULL,
        '{uses,outcome}', 'attempts', 'Step attempts made by the scheduler, by executor and outcome.'),
       ('00000000-0000-7000-8000-000000000103', 'run.step_seconds', 'step.attempt', 'sum', 'seconds',
        '{uses}', 'seconds', 'Time step attempts took, by executor.')
ON CONFLICT DO NOTHING;
SELECT set_config('app.platform', '', true);

-- migrate:down
DELETE FROM platform_meters WHERE id IN ('00000000-0000-7000-8000-000000000101',
    '00000000-0000-7000-8000-000000000102', '00000000-0000-7000-8000-000000000103');
DROP TABLE scheduler_admission;
DROP TABLE run_events;
DROP TABLE run_steps;
DROP TABLE runs;
