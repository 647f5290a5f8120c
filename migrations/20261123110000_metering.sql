-- migrate:up

-- Meters: what a stream of usage events adds up to. FluxForge's own meters (what the platform
-- bills for) apply to every tenant; a tenant's meters aggregate the usage it reports itself.
-- Both share one key space, so a usage total names its meter unambiguously.
CREATE TABLE platform_meters (
    id             uuid        PRIMARY KEY,
    key            text        NOT NULL,
    event_type     text        NOT NULL,
    aggregation    text        NOT NULL CHECK (aggregation IN ('count', 'sum', 'max', 'unique_count', 'latest')),
    value_property text,
    group_by       text[]      NOT NULL DEFAULT '{}',
    unit           text        NOT NULL DEFAULT '',
    description    text        NOT NULL DEFAULT '',
    version        bigint      NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_meters_value CHECK ((aggregation = 'count') = (value_property IS NULL))
);
CREATE UNIQUE INDEX platform_meters_key ON platform_meters (key);

-- Seeded before row-level security is switched on: the migration's session is not a platform unit of work.
INSERT INTO platform_meters (id, key, event_type, aggregation, group_by, unit, description)
VALUES ('00000000-0000-7000-8000-000000000001', 'api.requests', 'api.request', 'count',
        '{method,route,status}', 'requests', 'Tenant-scoped API requests FluxForge served.');

-- Everyone reads the platform's meters (tenants query their usage of them); only platform
-- units of work change them.
ALTER TABLE platform_meters ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_meters FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_meters_read ON platform_meters FOR SELECT USING (true);
CREATE POLICY platform_meters_write ON platform_meters
    USING (app_is_platform()) WITH CHECK (app_is_platform());

CREATE TABLE meters (
    tenant_id      uuid        NOT NULL REFERENCES tenants (id),
    id             uuid        NOT NULL,
    key            text        NOT NULL,
    event_type     text        NOT NULL,
    aggregation    text        NOT NULL CHECK (aggregation IN ('count', 'sum', 'max', 'unique_count', 'latest')),
    value_property text,
    group_by       text[]      NOT NULL DEFAULT '{}',
    unit           text        NOT NULL DEFAULT '',
    description    text        NOT NULL DEFAULT '',
    version        bigint      NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT meters_value CHECK ((aggregation = 'count') = (value_property IS NULL))
);
CREATE UNIQUE INDEX meters_tenant_key ON meters (tenant_id, key);
CREATE INDEX meters_key ON meters (key);  -- a new platform meter's key must be free in every tenant
ALTER TABLE meters ENABLE ROW LEVEL SECURITY;
ALTER TABLE meters FORCE ROW LEVEL SECURITY;
CREATE POLICY meters_scope ON meters
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());

-- Raw usage events, append-only and partitioned by month. Nothing here is pre-aggregated:
-- every total is computed from these rows, so it always equals what the events say.
-- Ids and types compare bytewise (COLLATE "C"): cheaper than a locale, and the same order
-- everywhere (the tie-break of `latest`).
CREATE TABLE usage_events (
    tenant_id   uuid        NOT NULL,
    occurred_at timestamptz NOT NULL,
    event_id    text        COLLATE "C" NOT NULL,
    type        text        COLLATE "C" NOT NULL,
    subject     text        NOT NULL,
    properties  jsonb       NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, occurred_at, event_id)
) PARTITION BY RANGE (occurred_at);
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_events_scope ON usage_events
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());
REVOKE UPDATE, DELETE ON usage_events FROM fluxforge_app;

CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;
ALTER TABLE usage_events_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events_default FORCE ROW LEVEL SECURITY;
REVOKE ALL ON usage_events_default FROM fluxforge_app;
SELECT ensure_monthly_partitions('usage_events', 3, 1);

-- Every event id a tenant has ever had accepted. Not partitioned: the partition key of
-- usage_events (the event's time) is part of every unique index there, so a retry of an id
-- with another timestamp would slip past it. Claiming the id here, in the transaction that
-- stores the event, is what makes ingest idempotent whatever the retries.
CREATE TABLE usage_event_ids (
    tenant_id uuid NOT NULL,
    event_id  text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
ALTER TABLE usage_event_ids ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_event_ids FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_event_ids_scope ON usage_event_ids
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());
REVOKE UPDATE, DELETE ON usage_event_ids FROM fluxforge_app;

-- Closed usage periods (invoiced): ingest refuses events that fall into any of them.
CREATE TABLE usage_periods (
    start_at  timestamptz NOT NULL,
    end_at    timestamptz NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (start_at, end_at),
    CHECK (start_at < end_at)
);
ALTER TABLE usage_periods ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_periods FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_periods_read ON usage_periods FOR SELECT USING (true);
CREATE POLICY usage_periods_write ON usage_periods
    USING (app_is_platform()) WITH CHECK (app_is_platform());
REVOKE UPDATE, DELETE ON usage_periods FROM fluxforge_app;

-- migrate:down
DROP TABLE usage_periods;
DROP TABLE usage_event_ids;
DROP TABLE usage_events;
DROP TABLE meters;
DROP TABLE platform_meters;
