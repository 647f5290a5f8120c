-- migrate:up

-- Billing periods the platform has closed. Closing the same period again is a no-op; a period
-- that overlaps a closed one without being it would bill the overlap twice, so it is refused.
CREATE TABLE billing_periods (
    period_start timestamptz NOT NULL,
    period_end   timestamptz NOT NULL,
    closed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_start, period_end),
    CHECK (period_end > period_start),
    CONSTRAINT billing_periods_no_overlap EXCLUDE USING gist (tstzrange(period_start, period_end, '[)') WITH &&)
);
REVOKE UPDATE, DELETE ON billing_periods FROM fluxforge_app;

-- Invoices: one per tenant and closed period (the unique key makes closing idempotent).
-- A draft carries no number; finalization numbers it from the issuer's counter and freezes it
-- (see invoices_frozen below). Money is integer minor units of `currency`.
CREATE TABLE invoices (
    tenant_id          uuid        NOT NULL REFERENCES tenants (id),
    id                 uuid        NOT NULL,
    period_start       timestamptz NOT NULL,
    period_end         timestamptz NOT NULL,
    currency           text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status             text        NOT NULL DEFAULT 'draft'
                                   CHECK (status IN ('draft', 'finalized', 'payment_failed', 'paid', 'void')),
    subtotal           bigint      NOT NULL,
    total              bigint      NOT NULL,
    credited           bigint      NOT NULL DEFAULT 0 CHECK (credited >= 0 AND credited <= greatest(total, 0)),
    customer_name      text        NOT NULL,
    customer_slug      text        NOT NULL,
    issuer_name        text,
    issuer_address     text,
    number_seq         bigint,
    number             text,
    issued_at          timestamptz,
    due_at             timestamptz,
    finalized_at       timestamptz,
    paid_at            timestamptz,
    payment_failed_at  timestamptz,
    voided_at          timestamptz,
    stripe_invoice_id  text,
    stripe_status      text,
    stripe_exported_at timestamptz,
    version            bigint      NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT invoices_one_per_period UNIQUE (tenant_id, period_start, period_end),
    CHECK (period_end > period_start),
    CONSTRAINT invoices_numbered CHECK (
        (status = 'draft') = (number IS NULL)
        AND (number IS NULL) = (number_seq IS NULL)
        AND (number IS NULL) = (issuer_name IS NULL)
        AND (number IS NULL) = (issued_at IS NULL)
    )
);
-- Numbers are unique per issuer; the counter below makes them gapless.
CREATE UNIQUE INDEX invoices_issuer_number ON invoices (issuer_name, number_seq) WHERE number_seq IS NOT NULL;
CREATE INDEX invoices_period ON invoices (period_start, period_end);
CREATE UNIQUE INDEX invoices_stripe_invoice ON invoices (stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;

-- One row per invoice line, written once when the draft is made. `window_*`, `plan_*`,
-- `event_count` and the `price` snapshot say what the line was computed from, so a usage line
-- can be recomputed from the raw events and compared.
CREATE TABLE invoice_lines (
    tenant_id         uuid        NOT NULL,
    invoice_id        uuid        NOT NULL,
    position          int         NOT NULL CHECK (position >= 0),
    kind              text        NOT NULL CHECK (kind IN ('usage', 'fixed_fee', 'minimum_commitment')),
    description       text        NOT NULL,
    meter_key         text,
    quantity          numeric     NOT NULL,
    billable_quantity numeric,
    unit_price        numeric,
    amount            bigint      NOT NULL,
    tiers             jsonb       NOT NULL DEFAULT '[]',
    window_start      timestamptz NOT NULL,
    window_end        timestamptz NOT NULL,
    event_count       bigint,
    plan_id           uuid        NOT NULL,
    plan_key          text        NOT NULL,
    plan_version      int         NOT NULL,
    price             jsonb,
    stripe_invoice_item_id text,
    PRIMARY KEY (tenant_id, invoice_id, position),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    CHECK ((kind = 'usage') = (meter_key IS NOT NULL))
);

-- Credit notes against issued invoices, numbered from their own series per issuer.
CREATE TABLE credit_notes (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL,
    invoice_id  uuid        NOT NULL,
    issuer_name text        NOT NULL,
    number_seq  bigint      NOT NULL,
    number      text        NOT NULL,
    currency    text        NOT NULL,
    amount      bigint      NOT NULL CHECK (amount > 0),
    reason      text        NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
CREATE UNIQUE INDEX credit_notes_issuer_number ON credit_notes (issuer_name, number_seq);
CREATE INDEX credit_notes_invoice ON credit_notes (tenant_id, invoice_id);

-- The last number issued per issuer and series. Finalization increments it in its own
-- transaction: the row lock serializes concurrent finalizations and a rollback returns the
-- number, so the numbers issued are exactly 1..n.
CREATE TABLE document_number_counters (
    issuer_name text   NOT NULL,
    series      text   NOT NULL CHECK (series IN ('invoice', 'credit_note')),
    last_number bigint NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (issuer_name, series)
);
REVOKE DELETE ON document_number_counters FROM fluxforge_app;

-- A tenant's customer object at Stripe, made once (idempotency key from the tenant id).
CREATE TABLE stripe_customers (
    tenant_id          uuid        NOT NULL REFERENCES tenants (id),
    stripe_customer_id text        NOT NULL UNIQUE,
    synced_name        text        NOT NULL,
    synced_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);

-- Stripe webhook events already handled, by Stripe's event id: a redelivery is acknowledged
-- and not applied twice. Written in the transaction that applies the event.
CREATE TABLE stripe_webhook_events (
    event_id    text        PRIMARY KEY,
    type        text        NOT NULL,
    outcome     text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
REVOKE DELETE ON stripe_webhook_events FROM fluxforge_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['invoices', 'invoice_lines', 'credit_notes', 'stripe_customers'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_is_platform() OR tenant_id = app_current_tenant()) '
            'WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant())', t || '_scope', t);
    END LOOP;
END;
$$;
-- Issued documents are never deleted; corrections are credit notes or voids.
REVOKE DELETE ON invoices, invoice_lines, credit_notes FROM fluxforge_app;
REVOKE UPDATE ON credit_notes FROM fluxforge_app;

-- Once an invoice leaves draft, what it says is frozen: only its payment state, the credited
-- sum and its Stripe references may change. Enforced here so no code path can forget it.
CREATE FUNCTION invoices_frozen() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    mutable text[] := ARRAY['status', 'paid_at', 'payment_failed_at', 'voided_at', 'credited',
                            'stripe_invoice_id', 'stripe_status', 'stripe_exported_at', 'version', 'updated_at'];
BEGIN
    IF OLD.status <> 'draft' AND (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable) THEN
        RAISE EXCEPTION 'invoice % is % and cannot change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION invoices_frozen();

-- Lines never change after they are written, except for the Stripe item they were exported as.
CREATE FUNCTION invoice_lines_frozen() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (to_jsonb(NEW) - 'stripe_invoice_item_id') IS DISTINCT FROM (to_jsonb(OLD) - 'stripe_invoice_item_id') THEN
        RAISE EXCEPTION 'invoice lines cannot change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoice_lines_frozen BEFORE UPDATE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION invoice_lines_frozen();

-- migrate:down
DROP TABLE stripe_webhook_events, stripe_customers, document_number_counters, credit_notes, invoice_lines, invoices,
    billing_periods;
DROP FUNCTION invoice_lines_frozen();
DROP FUNCTION invoices_frozen();
