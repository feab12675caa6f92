-- Customer records (DOMAIN.md, "Customers"). Every phone of every customer is a row of
-- customer_phones whose primary key is the normalised number: that unique index IS the
-- first-creator rule across all teams (of concurrent creates of one number exactly one
-- INSERT succeeds; the others fail on customer_phones_pkey and are refused).
CREATE TABLE customers (
    id text PRIMARY KEY,
    name text NOT NULL,
    -- lower(name) with inner whitespace removed / address likewise: the near-duplicate key.
    name_key text NOT NULL,
    address text NOT NULL,
    address_key text NOT NULL,
    district_id text NOT NULL DEFAULT '',
    kind smallint NOT NULL DEFAULT 0,
    decision_maker_name text NOT NULL DEFAULT '',
    decision_maker_phone text NOT NULL DEFAULT '',
    decision_maker_notes text NOT NULL DEFAULT '',
    purchaser_name text NOT NULL DEFAULT '',
    purchaser_phone text NOT NULL DEFAULT '',
    purchaser_notes text NOT NULL DEFAULT '',
    grade smallint NOT NULL DEFAULT 0,
    -- Joined with U+001F (refused in people's text, so never inside a tag).
    tags text[] NOT NULL DEFAULT '{}',
    -- The phones in the order typed (customer_phones is the index).
    phones text[] NOT NULL,
    owner_account_id text NOT NULL DEFAULT '',
    team_path text NOT NULL,
    created_by text NOT NULL,
    origin text NOT NULL DEFAULT 'self' CHECK (origin IN ('self', 'order', 'import')),
    bound_intermediary text NOT NULL DEFAULT '',
    bound_at timestamptz,
    bound_source text NOT NULL DEFAULT '',
    bound_order_id text NOT NULL DEFAULT '',
    next_follow_up_at timestamptz,
    -- Set when merged into another customer: such a row is kept for the audit trail only.
    merged_into text REFERENCES customers (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE INDEX customers_team_created ON customers (team_path, created_at DESC, id DESC) WHERE merged_into IS NULL;
CREATE INDEX customers_team_name_address ON customers (team_path, name_key, address_key) WHERE merged_into IS NULL;
CREATE INDEX customers_team_tags ON customers USING gin (tags) WHERE merged_into IS NULL;
CREATE INDEX customers_owner ON customers (owner_account_id) WHERE merged_into IS NULL;

CREATE TABLE customer_phones (
    phone text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    kind text NOT NULL CHECK (kind IN ('mobile', 'landline'))
);
CREATE INDEX customer_phones_customer ON customer_phones (customer_id);
CREATE INDEX customer_phones_prefix ON customer_phones (phone text_pattern_ops);

-- A referral seen for a phone no customer has yet: adopted (first one wins) by the customer
-- that later gets that phone, and the reward answer until then.
CREATE TABLE unclaimed_referrals (
    phone text PRIMARY KEY,
    intermediary_account_id text NOT NULL,
    order_id text NOT NULL DEFAULT '',
    seen_at timestamptz NOT NULL
);

CREATE TABLE follow_ups (
    id text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    author_account_id text NOT NULL,
    channel smallint NOT NULL,
    content text NOT NULL,
    outcome smallint NOT NULL,
    next_follow_up_at timestamptz,
    asked_account_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);
CREATE INDEX follow_ups_customer ON follow_ups (customer_id, created_at DESC, id DESC);

CREATE TABLE follow_up_tasks (
    id text PRIMARY KEY,
    follow_up_id text NOT NULL REFERENCES follow_ups (id),
    customer_id text NOT NULL REFERENCES customers (id),
    team_path text NOT NULL,
    assignee_account_id text NOT NULL,
    asked_by text NOT NULL,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    created_at timestamptz NOT NULL,
    done_at timestamptz,
    UNIQUE (follow_up_id, assignee_account_id)
);
CREATE INDEX follow_up_tasks_assignee ON follow_up_tasks (assignee_account_id, state, created_at, id);

CREATE TABLE near_duplicates (
    id text PRIMARY KEY,
    team_path text NOT NULL,
    customer_id text NOT NULL REFERENCES customers (id),
    similar_customer_id text NOT NULL REFERENCES customers (id),
    reason text NOT NULL CHECK (reason IN ('same_name_address', 'phone_transposition')),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'merged', 'dismissed')),
    created_at timestamptz NOT NULL,
    closed_by text NOT NULL DEFAULT '',
    UNIQUE (customer_id, similar_customer_id)
);
CREATE INDEX near_duplicates_team ON near_duplicates (team_path, state, created_at DESC, id DESC);

-- Transfers, merges and refused duplicate registrations: append-only.
CREATE TABLE audit_entries (
    id text PRIMARY KEY,
    team_path text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('transfer', 'merge', 'duplicate_attempt')),
    customer_id text NOT NULL,
    actor_account_id text NOT NULL,
    -- The attempt's team for duplicate_attempt (kept for operators, never shown to the attempter).
    actor_team_path text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    at timestamptz NOT NULL,
    -- A refused registration retried under the same idempotency key is recorded (and told) once.
    dedupe_key text
);
CREATE INDEX audit_entries_team ON audit_entries (team_path, at DESC, id DESC);
CREATE UNIQUE INDEX audit_entries_dedupe ON audit_entries (dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE referral_codes (
    code text PRIMARY KEY,
    account_id text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
