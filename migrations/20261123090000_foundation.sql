-- migrate:up

-- Request paths run as fluxforge_app (created by `fluxforge migrate` before this file runs);
-- it gets data privileges on what the owner creates, never ownership or BYPASSRLS.
GRANT USAGE ON SCHEMA public TO fluxforge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fluxforge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fluxforge_app;
GRANT SELECT ON schema_migrations TO fluxforge_app;

-- The scope of the current unit of work, set with SET LOCAL by fluxforge.db.
CREATE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_is_platform() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.platform', true), '') = 'on' $$;

-- Tenants: the platform registry. A tenant sees its own row; the platform sees all.
CREATE TABLE tenants (
    id           uuid        PRIMARY KEY,
    slug         text        NOT NULL,
    display_name text        NOT NULL,
    status       text        NOT NULL DEFAULT 'active'
                             CHECK (status IN ('active', 'suspended', 'deleted')),
    version      bigint      NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    CONSTRAINT tenants_deleted_at CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
-- Slugs are never reused, even after a soft delete, so old references cannot change meaning.
CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants
    USING (app_is_platform() OR id = app_current_tenant())
    WITH CHECK (app_is_platform() OR id = app_current_tenant());
REVOKE DELETE ON tenants FROM fluxforge_app;

-- Audit events: append-only, partitioned by month so old periods are detached, not deleted.
CREATE TABLE audit_events (
    tenant_id   uuid        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    id          uuid        NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target_type text        NOT NULL,
    target_id   text        NOT NULL,
    before      jsonb,
    after       jsonb,
    request_id  text,
    client_ip   text,
    result      text        NOT NULL DEFAULT 'success',
    PRIMARY KEY (tenant_id, occurred_at, id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, occurred_at DESC, id DESC);
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_scope ON audit_events
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());
REVOKE UPDATE, DELETE ON audit_events FROM fluxforge_app;

-- Creates the monthly partitions of a time-partitioned table from `months_back` months ago
-- through `months_ahead` months ahead. Partitions get forced RLS and no grants: the
-- application reaches rows only through the parent, where the policies live. Runs as the
-- owner (SECURITY DEFINER) so that the worker, as fluxforge_app, can keep partitions ahead.
CREATE FUNCTION ensure_monthly_partitions(parent regclass, months_ahead int, months_back int DEFAULT 0)
    RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    month_start date;
    partition_name text;
    created int := 0;
BEGIN
    FOR offset_months IN -months_back..months_ahead LOOP
        month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => offset_months))::date;
        partition_name := format('%s_p%s', parent::text, to_char(month_start, 'YYYYMM'));
        IF to_regclass(partition_name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                partition_name, parent, month_start::timestamp AT TIME ZONE 'UTC',
                (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition_name);
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition_name);
            EXECUTE format('REVOKE ALL ON %I FROM fluxforge_app', partition_name);
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION ensure_monthly_partitions(regclass, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_monthly_partitions(regclass, int, int) TO fluxforge_app;

CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
ALTER TABLE audit_events_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events_default FORCE ROW LEVEL SECURITY;
REVOKE ALL ON audit_events_default FROM fluxforge_app;
SELECT ensure_monthly_partitions('audit_events', 3, 1);

-- Idempotency records: the first response to a creating POST, replayed for the same key.
-- Keyed by the caller (principal) so that keys of different callers never collide.
CREATE TABLE idempotency_keys (
    principal     text        NOT NULL,
    key           text        NOT NULL,
    operation     text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status_code   int,
    response_body bytea,
    headers       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- migrate:down
DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP FUNCTION ensure_monthly_partitions(regclass, int, int);
DROP TABLE tenants;
DROP FUNCTION app_is_platform();
DROP FUNCTION app_current_tenant();
