-- The order area: catalog, prices, district routing, orders with their lines, the event log
-- of every transition, SLA violations. Ids are opaque text; money is bigint fen; times are
-- timestamptz (UTC). The service validates every field before it gets here; the CHECKs are
-- the last line of defence, not the user-facing messages.

CREATE TABLE skus (
    sku_id text PRIMARY KEY CHECK (length(sku_id) BETWEEN 1 AND 64),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit text NOT NULL CHECK (length(unit) <= 20),
    active boolean NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The region's local list price (alliance and community orders use it).
CREATE TABLE region_prices (
    region_id text NOT NULL,
    sku_id text NOT NULL REFERENCES skus,
    price_fen bigint NOT NULL CHECK (price_fen > 0),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (region_id, sku_id)
);

-- HQ's guided maximum (mall orders show it, so malls never undercut traditional channels).
CREATE TABLE guided_prices (
    sku_id text PRIMARY KEY REFERENCES skus,
    max_price_fen bigint NOT NULL CHECK (max_price_fen > 0),
    updated_at timestamptz NOT NULL
);

CREATE TABLE district_routing (
    district_id text PRIMARY KEY,
    region_id text NOT NULL,
    office_id text NOT NULL,
    credited_team_path text NOT NULL CHECK (credited_team_path LIKE '/%'),
    sla_seconds integer NOT NULL CHECK (sla_seconds > 0),
    updated_at timestamptz NOT NULL
);

-- The people of a district's routing, one row each (role: office_lead, district_lead, dealer,
-- escalation), in the order given.
CREATE TABLE district_routing_members (
    district_id text NOT NULL REFERENCES district_routing ON DELETE CASCADE,
    member_role text NOT NULL CHECK (member_role IN ('office_lead', 'district_lead', 'dealer', 'escalation')),
    position integer NOT NULL,
    account_id text NOT NULL,
    PRIMARY KEY (district_id, member_role, account_id)
);

-- Short codes for SMS replies: a bijection of a sequence onto 6 characters of an unambiguous
-- alphabet (no I/O), so codes never collide before 2^30 orders and need no retry loop.
CREATE SEQUENCE order_code_seq;
CREATE FUNCTION order_short_code(n bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    alphabet constant text := '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
    mixed bigint := (n * 387420489) % 1073741824;
    code text := '';
BEGIN
    FOR i IN 1..6 LOOP
        code := substr(alphabet, (mixed % 32)::int + 1, 1) || code;
        mixed := mixed / 32;
    END LOOP;
    RETURN code;
END $$;

CREATE TABLE orders (
    id text PRIMARY KEY,
    code text NOT NULL UNIQUE DEFAULT order_short_code(nextval('order_code_seq')),
    source text NOT NULL,
    partner_id text NOT NULL,
    external_id text NOT NULL,
    -- sha256 of the canonical request: a resubmission with another body is refused.
    request_sha256 bytea NOT NULL,
    referrer_code text NOT NULL,
    customer_name text NOT NULL,
    customer_phone text NOT NULL,
    customer_address text NOT NULL,
    district_id text NOT NULL REFERENCES district_routing,
    region_id text NOT NULL,
    office_id text NOT NULL,
    credited_team_path text NOT NULL,
    state text NOT NULL,
    assignee_account_id text NOT NULL DEFAULT '',
    assignee_kind text NOT NULL DEFAULT '',
    acknowledged_by text NOT NULL DEFAULT '',
    total_fen bigint NOT NULL,
    actual_total_fen bigint NOT NULL DEFAULT 0,
    evaluation_score integer NOT NULL DEFAULT 0,
    evaluation_text text NOT NULL DEFAULT '',
    note text NOT NULL,
    submitted_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
-- A partner's order is idempotent on (source, partner, external_id).
CREATE UNIQUE INDEX orders_partner_external ON orders (source, partner_id, external_id) WHERE external_id <> '';
CREATE INDEX orders_credited_team ON orders (credited_team_path, created_at DESC, id DESC);
CREATE INDEX orders_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_partner ON orders (partner_id, created_at DESC) WHERE partner_id <> '';
CREATE INDEX orders_referrer ON orders (referrer_code, created_at DESC) WHERE referrer_code <> '';

CREATE TABLE order_lines (
    order_id text NOT NULL REFERENCES orders,
    line_no integer NOT NULL,
    sku_id text NOT NULL REFERENCES skus,
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_fen bigint NOT NULL CHECK (unit_price_fen > 0),
    actual_quantity integer NOT NULL DEFAULT 0 CHECK (actual_quantity BETWEEN 0 AND 10000),
    PRIMARY KEY (order_id, line_no)
);

-- Everyone an order was ever assigned to keeps seeing it (the executor's view).
CREATE TABLE order_participants (
    order_id text NOT NULL REFERENCES orders,
    account_id text NOT NULL,
    PRIMARY KEY (order_id, account_id)
);
CREATE INDEX order_participants_account ON order_participants (account_id);

-- Every transition: who, when, from -> to. The sequence orders events service-wide (the
-- partner feed's cursor).
CREATE TABLE order_events (
    sequence bigserial PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders,
    kind text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    actor_account_id text NOT NULL,
    actor_role text NOT NULL,
    at timestamptz NOT NULL,
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, sequence);

-- A missed person-step deadline (recorded by the SLA timer; a late action still works).
CREATE TABLE sla_violations (
    id bigserial PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders,
    step text NOT NULL,
    responsible_account_ids text NOT NULL,
    escalated_to text NOT NULL,
    due_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX sla_violations_order ON sla_violations (order_id);
