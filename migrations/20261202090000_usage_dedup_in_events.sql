-- migrate:up

-- Ingest deduplicates against the events themselves instead of claiming every id in
-- usage_event_ids first: that claim wrote a second row and a second index entry per event,
-- which cost as much as storing the event. Now:
--  * usage_events is keyed (tenant_id, event_id, occurred_at): an id is found by its prefix in
--    every partition, and the key still holds the partition column, as PostgreSQL requires.
--  * usage_event_ids becomes the archive of ids of events before the id watermark: periods
--    that can never accept an event again (before the open period, or closed). Ingest looks an
--    id up there and in the partitions from the watermark on, so a retry with another timestamp
--    is still a duplicate, however old the first copy.
--  * Batches of one tenant take turns (a transaction-scoped advisory lock per tenant), so two
--    batches can never both miss the other's copy of an id in different partitions.
-- The archive already holds every id accepted so far: it stays correct as it is.
ALTER TABLE usage_events DROP CONSTRAINT usage_events_pkey;
ALTER TABLE usage_events ADD PRIMARY KEY (tenant_id, event_id, occurred_at);

-- The tenant check of the policy as InitPlans: evaluated once per statement instead of once
-- for each of the thousand rows a batch writes (the setting cannot change within a statement).
DROP POLICY usage_events_scope ON usage_events;
CREATE POLICY usage_events_scope ON usage_events
    USING ((SELECT app_is_platform()) OR tenant_id = (SELECT app_current_tenant()))
    WITH CHECK ((SELECT app_is_platform()) OR tenant_id = (SELECT app_current_tenant()));

-- Every id of an event before `before` is in usage_event_ids. One row; it only moves forward.
CREATE TABLE usage_id_watermark (
    singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    before    timestamptz NOT NULL,
    moved_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO usage_id_watermark (before) VALUES ('1970-01-01T00:00:00Z');  -- ingest never stored an event before it
ALTER TABLE usage_id_watermark ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_id_watermark FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_id_watermark_read ON usage_id_watermark FOR SELECT USING (true);
CREATE POLICY usage_id_watermark_write ON usage_id_watermark
    USING (app_is_platform()) WITH CHECK (app_is_platform());
REVOKE INSERT, DELETE ON usage_id_watermark FROM fluxforge_app;

-- migrate:down
DROP TABLE usage_id_watermark;
DROP POLICY usage_events_scope ON usage_events;
CREATE POLICY usage_events_scope ON usage_events
    USING (app_is_platform() OR tenant_id = app_current_tenant())
    WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant());
-- Ids of events after the watermark were never archived: archive them all again first.
INSERT INTO usage_event_ids (tenant_id, event_id)
SELECT tenant_id, event_id FROM usage_events ON CONFLICT DO NOTHING;
ALTER TABLE usage_events DROP CONSTRAINT usage_events_pkey;
ALTER TABLE usage_events ADD PRIMARY KEY (tenant_id, occurred_at, event_id);
