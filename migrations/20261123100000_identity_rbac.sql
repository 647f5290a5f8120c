-- migrate:up

-- People. Platform-level: one person may belong to many tenants.
CREATE TABLE users (
    id           uuid        PRIMARY KEY,
    email        text,
    display_name text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
CREATE INDEX users_email ON users (lower(email));

-- A user signs in through one or more OIDC providers; (issuer, subject) names them there.
CREATE TABLE user_identities (
    issuer     text        NOT NULL,
    subject    text        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES users (id),
    provider   text        NOT NULL,
    email      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- Keys that sign FluxForge access tokens. The newest active key signs; retired keys stay
-- published in the JWKS until tokens they signed have expired.
CREATE TABLE signing_keys (
    kid         text        PRIMARY KEY,
    algorithm   text        NOT NULL,
    private_jwk jsonb       NOT NULL,
    public_jwk  jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

-- Refresh tokens rotate on every use; a spent token presented again revokes its whole family.
CREATE TABLE refresh_tokens (
    id          uuid        PRIMARY KEY,
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES users (id),
    token_hash  bytea       NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
REVOKE DELETE ON users, user_identities, refresh_tokens FROM fluxforge_app;

-- Who created a tenant (self-service) — null for platform-admin provisioning.
ALTER TABLE tenants ADD COLUMN created_by uuid REFERENCES users (id);

-- Namespaces partition a tenant's resources. Names follow Kubernetes (DNS label) rules and
-- are unique among a tenant's live namespaces.
CREATE TABLE namespaces (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    id           uuid        NOT NULL,
    name         text        NOT NULL CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
    display_name text,
    labels       jsonb       NOT NULL DEFAULT '{}',
    status       text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    version      bigint      NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX namespaces_live_name ON namespaces (tenant_id, name) WHERE status <> 'deleted';

-- Membership: a user belongs to a tenant; what they may do comes from role bindings.
CREATE TABLE memberships (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id),
    user_id    uuid        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Custom roles: named permission lists from the built-in vocabulary.
CREATE TABLE roles (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id),
    name        text        NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    description text        NOT NULL DEFAULT '',
    permissions text[]      NOT NULL,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- API keys: the secret is shown once and stored only as a hash; the prefix identifies it.
CREATE TABLE api_keys (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    id           uuid        NOT NULL,
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_by   uuid        REFERENCES users (id),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);

-- A role granted to a user or an API key, at tenant scope (namespace_id null) or in one namespace.
CREATE TABLE role_bindings (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    id           uuid        NOT NULL,
    role         text        NOT NULL,
    subject_type text        NOT NULL CHECK (subject_type IN ('user', 'api_key')),
    subject_id   uuid        NOT NULL,
    namespace_id uuid,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, namespace_id) REFERENCES namespaces (tenant_id, id)
);
CREATE UNIQUE INDEX role_bindings_unique
    ON role_bindings (tenant_id, subject_type, subject_id, role, coalesce(namespace_id, '00000000-0000-0000-0000-000000000000'));
CREATE INDEX role_bindings_subject ON role_bindings (tenant_id, subject_id);

-- Invitations: a single-use, expiring token (stored hashed) sent to an email address.
CREATE TABLE invitations (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    id           uuid        NOT NULL,
    email        text        NOT NULL,
    role         text        NOT NULL,
    namespace_id uuid,
    token_hash   bytea       NOT NULL UNIQUE,
    invited_by   uuid,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, namespace_id) REFERENCES namespaces (tenant_id, id)
);

-- Every tenant-owned table: forced row-level security keyed on the unit of work's tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['namespaces', 'memberships', 'roles', 'api_keys', 'role_bindings', 'invitations'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_is_platform() OR tenant_id = app_current_tenant()) '
            'WITH CHECK (app_is_platform() OR tenant_id = app_current_tenant())', t || '_scope', t);
    END LOOP;
END;
$$;

-- migrate:down
DROP TABLE invitations, role_bindings, api_keys, roles, memberships, namespaces;
ALTER TABLE tenants DROP COLUMN created_by;
DROP TABLE refresh_tokens, signing_keys, user_identities, users;
