-- Identity owned by the gateway: the organisation tree, accounts, staff sessions, partner API
-- keys and the login throttle. Secrets are never stored: passwords as scrypt hashes (PHC-like
-- text), session tokens and API keys as SHA-256 of the random value (they carry 256 bits, so a
-- fast hash is enough; what matters is that a database reader cannot use them).

CREATE TABLE org_nodes (
    id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('hq', 'region', 'office', 'district', 'team')),
    slug text NOT NULL,
    name text NOT NULL,
    path text NOT NULL UNIQUE,
    parent_path text REFERENCES org_nodes (path),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'hq') = (parent_path IS NULL))
);

CREATE TABLE accounts (
    id text PRIMARY KEY,
    name text NOT NULL,
    phone text NOT NULL UNIQUE,
    role text NOT NULL,
    node_path text NOT NULL REFERENCES org_nodes (path),
    password_hash text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_node_path ON accounts (node_path text_pattern_ops);

CREATE TABLE sessions (
    token_sha256 bytea PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE partner_keys (
    id text PRIMARY KEY,
    key_sha256 bytea NOT NULL UNIQUE,
    display_prefix text NOT NULL,
    partner_id text NOT NULL,
    channel text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX partner_keys_partner ON partner_keys (partner_id) WHERE revoked_at IS NULL;

-- Failed logins per phone (also for phones without an account, so timing and answers do not
-- reveal which phones exist). After `failures` reaches the free allowance, logins for the phone
-- are refused until locked_until, which doubles with every further failure.
CREATE TABLE login_throttle (
    phone text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
