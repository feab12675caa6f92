-- The violation ledger (seed 003 penalty table) and promotion-expense reimbursement.

-- Penalties per class and kind of person: the company's table (team_path '') and any team's
-- own table (a row for that team_path overrides the company's). Seed 003: staff 200/500/1000
-- yuan, dealers and distributors 2000/5000/10000 yuan.
CREATE TABLE penalty_tables (
    team_path text NOT NULL,
    person_kind text NOT NULL CHECK (person_kind IN ('staff', 'dealer')),
    class text NOT NULL CHECK (class IN ('general', 'serious', 'severe')),
    penalty_fen bigint NOT NULL CHECK (penalty_fen >= 0),
    PRIMARY KEY (team_path, person_kind, class)
);
INSERT INTO penalty_tables (team_path, person_kind, class, penalty_fen) VALUES
    ('', 'staff', 'general', 20000), ('', 'staff', 'serious', 50000), ('', 'staff', 'severe', 100000),
    ('', 'dealer', 'general', 200000), ('', 'dealer', 'serious', 500000), ('', 'dealer', 'severe', 1000000);

CREATE TABLE violations (
    id text PRIMARY KEY,
    -- The event that reported it and the person: one SLA miss names several people.
    event_id text NOT NULL,
    person_account_id text NOT NULL,
    source text NOT NULL CHECK (source IN ('sla', 'proposal', 'channel')),
    rule text NOT NULL,
    team_path text NOT NULL,
    reference text NOT NULL,
    order_id text NOT NULL DEFAULT '',
    sla_step integer NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    class text NOT NULL CHECK (class IN ('general', 'serious', 'severe')),
    person_kind text NOT NULL CHECK (person_kind IN ('staff', 'dealer')),
    penalty_fen bigint NOT NULL CHECK (penalty_fen >= 0),
    detail text NOT NULL,
    withdrawn_at timestamptz,
    withdrawal_event_id text,
    created_at timestamptz NOT NULL,
    UNIQUE (event_id, person_account_id)
);
CREATE INDEX violations_team ON violations (team_path, recorded_at DESC);
CREATE INDEX violations_person ON violations (person_account_id, recorded_at DESC);
CREATE INDEX violations_sla_match ON violations (order_id, sla_step, due_at) WHERE source = 'sla';

-- Withdrawals of SLA misses, kept even when they arrive before the miss itself: a miss that
-- arrives later finds its withdrawal here and is recorded as withdrawn.
CREATE TABLE violation_withdrawals (
    event_id text PRIMARY KEY,
    violation_event_id text NOT NULL,
    order_id text NOT NULL,
    sla_step integer NOT NULL,
    due_at timestamptz NOT NULL,
    withdrawn_at timestamptz NOT NULL,
    detail text NOT NULL
);
CREATE INDEX violation_withdrawals_event ON violation_withdrawals (violation_event_id);
CREATE INDEX violation_withdrawals_match ON violation_withdrawals (order_id, sla_step, due_at);

-- Promotion advances: a visited promotion-expense order is the region's advance, reimbursed
-- in its quarter; a refund removes it, or, once it was reimbursed, is a negative advance
-- (kind 'refund') in the quarter of the refund.
CREATE TABLE promotion_advances (
    order_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('advance', 'refund')),
    order_code text NOT NULL,
    region_id text NOT NULL,
    promotion_plan_id text NOT NULL,
    quarter text NOT NULL,
    amount_fen bigint NOT NULL,
    visited_at timestamptz NOT NULL,
    refunded_at timestamptz,
    reimbursement_id text,
    PRIMARY KEY (order_id, kind)
);
CREATE INDEX promotion_advances_quarter ON promotion_advances (quarter, region_id);

CREATE TABLE reimbursements (
    id text PRIMARY KEY,
    region_id text NOT NULL,
    quarter text NOT NULL,
    total_fen bigint NOT NULL,
    order_count integer NOT NULL,
    state text NOT NULL CHECK (state IN ('draft', 'signed', 'paid')),
    signed_by text,
    signed_at timestamptz,
    payment_reference text,
    paid_on timestamptz,
    paid_recorded_by text,
    created_at timestamptz NOT NULL,
    UNIQUE (region_id, quarter)
);

CREATE TABLE quarter_closes (
    quarter text PRIMARY KEY,
    closed_at timestamptz NOT NULL,
    closed_by text NOT NULL
);
