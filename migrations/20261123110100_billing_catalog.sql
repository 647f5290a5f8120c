-- migrate:up

-- Plans: the platform's catalog. Anyone may read it; only platform units of work may write it
-- (the admin API), so a tenant-scoped bug cannot touch a rate card. Plans are retired, never
-- deleted: invoices refer to them forever.
CREATE TABLE billing_plans (
    id           uuid        PRIMARY KEY,
    key          text        NOT NULL CHECK (key ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    name         text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status       text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    version      bigint      NOT NULL DEFAULT 1 CHECK (version > 0),
    -- The highest version number ever issued: numbers are never reused, also after a withdrawal.
    last_version int         NOT NULL DEFAULT 0 CHECK (last_version >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX billing_plans_key ON billing_plans (key);
ALTER TABLE billing_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_plans_read ON billing_plans FOR SELECT USING (true);
CREATE POLICY billing_plans_write ON billing_plans FOR ALL
    USING (app_is_platform()) WITH CHECK (app_is_platform());
REVOKE DELETE ON billing_plans FROM fluxforge_app;

-- Versions of a plan's terms (a rate card): in force from effective_from until the next
-- version's. Immutable: no UPDATE at all, and DELETE (withdrawing a scheduled version) only
-- while it has not taken effect. Money in minor units; prices as the pricing module's JSON.
CREATE TABLE billing_plan_versions (
    plan_id            uuid        NOT NULL REFERENCES billing_plans (id),
    version            int         NOT NULL CHECK (version > 0),
    fixed_fee          bigint      NOT NULL CHECK (fixed_fee >= 0),
    minimum_commitment bigint      NOT NULL CHECK (minimum_commitment >= 0),
    prices             jsonb       NOT NULL CHECK (jsonb_typeof(prices) = 'array'),
    effective_from     timestamptz NOT NULL CHECK (effective_from = date_trunc('second', effective_from)),
    created_at         timestamptz NOT NULL DEFAULT now(),
    created_by         text        NOT NULL,
    PRIMARY KEY (plan_id, version),
    UNIQUE (plan_id, effective_from)
);
ALTER TABLE billing_plan_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_plan_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_plan_versions_read ON billing_plan_versions FOR SELECT USING (true);
CREATE POLICY billing_plan_versions_add ON billing_plan_versions FOR INSERT WITH CHECK (app_is_platform());
CREATE POLICY billing_plan_versions_withdraw ON billing_plan_versions FOR DELETE
    USING (app_is_platform() AND effective_from > now());
REVOKE UPDATE ON billing_plan_versions FROM fluxforge_app;

-- A tenant's subscription: the row every change locks (one writer per tenant), its ETag
-- version, and the currency all its plans must share.
CREATE TABLE billing_subscriptions (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id),
    currency   text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    version    bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
REVOKE DELETE ON billing_subscriptions FROM fluxforge_app;

-- The subscription's history: from effective_at on, the tenant is on plan_id (null: cancelled).
-- Appended, never updated; a change may be replaced (deleted) only while it is scheduled.
CREATE TABLE billing_subscription_changes (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    effective_at timestamptz NOT NULL CHECK (effective_at = date_trunc('second', effective_at)),
    plan_id      uuid        REFERENCES billing_plans (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES billing_subscriptions (tenant_id),
    UNIQUE (tenant_id, effective_at)
);
REVOKE UPDATE ON billing_subscription_changes FROM fluxforge_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_subscriptions', 'billing_subscription_changes'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_is_platform() OR tenant_id = app_current_tenant()) '
            'WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant())', t || '_scope', t);
    END LOOP;
END;
$$;
-- On top of the tenant scope (a restrictive policy is ANDed): only a change that has not taken
-- effect may be replaced, or one of this very second (times are whole seconds, so it has not
-- covered any time yet).
CREATE POLICY billing_subscription_changes_scheduled_only ON billing_subscription_changes
    AS RESTRICTIVE FOR DELETE USING (effective_at >= date_trunc('second', now()));

-- migrate:down
DROP TABLE billing_subscription_changes, billing_subscriptions, billing_plan_versions, billing_plans;
