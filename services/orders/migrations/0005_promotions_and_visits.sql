-- Promotion-expense orders (活动配合): HQ promotion plans whose in-kind costs a region advances
-- through ordinary orders, marked for the quarterly reimbursement settlements does. Also when
-- an order's return visit happened (rewards accrue then; the reimbursement quarter follows it).

CREATE TABLE promotion_plans (
    plan_id text PRIMARY KEY CHECK (length(plan_id) BETWEEN 1 AND 64),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL CHECK (length(description) <= 2000),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- 0: no cap.
    budget_fen_per_region bigint NOT NULL CHECK (budget_fen_per_region >= 0),
    active boolean NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The regions taking part; a plan without rows here is open to every region.
CREATE TABLE promotion_plan_regions (
    plan_id text NOT NULL REFERENCES promotion_plans ON DELETE CASCADE,
    region_id text NOT NULL,
    PRIMARY KEY (plan_id, region_id)
);

ALTER TABLE orders ADD COLUMN promotion_plan_id text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN visited_at timestamptz;
-- "2025Q4" once a promotion-expense order is visited; '' otherwise.
ALTER TABLE orders ADD COLUMN reimbursement_quarter text NOT NULL DEFAULT '';

-- A plan's budget check sums one region's orders of the plan.
CREATE INDEX orders_promotion_plan ON orders (promotion_plan_id, region_id) WHERE promotion_plan_id <> '';
-- The quarterly listing.
CREATE INDEX orders_reimbursement ON orders (reimbursement_quarter, visited_at, id) WHERE reimbursement_quarter <> '';
