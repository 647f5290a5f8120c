-- migrate:up

-- A workflow: a name in a namespace with a history of immutable versions. The row holds what
-- changes (which version is the latest, soft deletion); each version holds one manifest.
CREATE TABLE workflows (
    tenant_id      uuid        NOT NULL REFERENCES tenants (id),
    id             uuid        NOT NULL,
    namespace_id   uuid        NOT NULL,
    name           text        NOT NULL CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
    latest_version int         NOT NULL DEFAULT 1 CHECK (latest_version >= 1),
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, namespace_id) REFERENCES namespaces (tenant_id, id)
);
-- A name is unique among live workflows; a deleted workflow's name may be taken again (by a
-- new workflow with its own id and versions, so runs pinned to the old one stay intact).
CREATE UNIQUE INDEX workflows_live_name ON workflows (tenant_id, namespace_id, name) WHERE status <> 'deleted';
CREATE INDEX workflows_by_namespace ON workflows (tenant_id, namespace_id, id) WHERE status <> 'deleted';

-- Versions are immutable: the application role may insert them, never change or remove them.
-- Runs pin (tenant_id, workflow_id, version).
CREATE TABLE workflow_versions (
    tenant_id   uuid        NOT NULL,
    workflow_id uuid        NOT NULL,
    version     int         NOT NULL CHECK (version >= 1),
    digest      text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    manifest    jsonb       NOT NULL,
    steps       int         NOT NULL CHECK (steps >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    PRIMARY KEY (tenant_id, workflow_id, version),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id)
);
REVOKE UPDATE, DELETE ON workflow_versions FROM fluxforge_app;
REVOKE DELETE ON workflows FROM fluxforge_app;

-- The latest version always exists: checked at commit, since a workflow and its first version
-- are inserted in one transaction, one after the other.
ALTER TABLE workflows ADD CONSTRAINT workflows_latest_version_exists
    FOREIGN KEY (tenant_id, id, latest_version) REFERENCES workflow_versions (tenant_id, workflow_id, version)
    DEFERRABLE INITIALLY DEFERRED;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflows', 'workflow_versions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_is_platform() OR tenant_id = app_current_tenant()) '
            'WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant())', t || '_scope', t);
    END LOOP;
END;
$$;

-- migrate:down
ALTER TABLE workflows DROP CONSTRAINT workflows_latest_version_exists;
DROP TABLE workflow_versions, workflows;
