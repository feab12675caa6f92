-- The campaigns schema's first migration (services/campaigns/README.md). The Migrator runs it
-- inside the "campaigns" schema (search_path) in one transaction with its schema_migrations
-- row, as the "campaigns" role. Platform tables (outbox, timers, idempotency keys, processed
-- events, directory) come from ServiceKitStore's platform migrations.
CREATE TABLE service_info (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    service text NOT NULL CHECK (service = 'campaigns'),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO service_info (service) VALUES ('campaigns');

CREATE TABLE campaigns (
    id text PRIMARY KEY,
    share_code text NOT NULL UNIQUE,
    title text NOT NULL,
    -- The owning team (the creator's node): everything but the public view stays inside it.
    team_path text NOT NULL,
    leader_account_id text NOT NULL,
    starts_at timestamptz NOT NULL,
    deadline timestamptz NOT NULL CHECK (deadline > starts_at),
    min_quantity integer NOT NULL CHECK (min_quantity >= 1),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'succeeded', 'failed')),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    closed_at timestamptz
);

CREATE INDEX campaigns_team ON campaigns (team_path text_pattern_ops, id);

-- One row per product: `reserved` is the stock taken by joins, raised only by a conditional
-- UPDATE (reserved + n <= stock_cap), so concurrent joins never oversell.
CREATE TABLE campaign_products (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    sku_id text NOT NULL,
    position integer NOT NULL,
    name text NOT NULL,
    price_fen bigint NOT NULL CHECK (price_fen > 0),
    stock_cap integer NOT NULL CHECK (stock_cap >= 0),
    per_person_limit integer NOT NULL CHECK (per_person_limit >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND (stock_cap = 0 OR reserved <= stock_cap)),
    PRIMARY KEY (campaign_id, sku_id)
);

CREATE TABLE pickup_points (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    pickup_point_id text NOT NULL,
    position integer NOT NULL,
    name text NOT NULL,
    address text NOT NULL,
    district_id text NOT NULL,
    dealer_account_id text NOT NULL,
    hours text NOT NULL,
    contact_phone text NOT NULL,
    verifier_account_ids text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (campaign_id, pickup_point_id)
);

CREATE TABLE participations (
    id text PRIMARY KEY,
    campaign_id text NOT NULL REFERENCES campaigns (id),
    customer_name text NOT NULL,
    customer_phone text NOT NULL,
    pickup_point_id text NOT NULL,
    total_fen bigint NOT NULL,
    state text NOT NULL DEFAULT 'joined' CHECK (state IN ('joined', 'ordered', 'collected', 'cancelled')),
    pickup_code text NOT NULL,
    submitted_by text NOT NULL,
    joined_at timestamptz NOT NULL,
    collected_at timestamptz,
    collected_by text NOT NULL DEFAULT '',
    refund_due boolean NOT NULL DEFAULT false,
    FOREIGN KEY (campaign_id, pickup_point_id) REFERENCES pickup_points (campaign_id, pickup_point_id),
    UNIQUE (campaign_id, pickup_code)
);

CREATE INDEX participations_campaign ON participations (campaign_id, id);
-- The deadline's release works through one campaign's participations still 'joined'.
CREATE INDEX participations_joined ON participations (campaign_id, id) WHERE state = 'joined';

CREATE TABLE participation_lines (
    participation_id text NOT NULL REFERENCES participations (id),
    sku_id text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price_fen bigint NOT NULL,
    PRIMARY KEY (participation_id, sku_id)
);

-- Units per participant (phone) and product: the per-person limit, raised by a conditional
-- upsert so two concurrent joins of one person cannot both pass it.
CREATE TABLE person_quantities (
    campaign_id text NOT NULL,
    customer_phone text NOT NULL,
    sku_id text NOT NULL,
    quantity integer NOT NULL,
    PRIMARY KEY (campaign_id, customer_phone, sku_id)
);
