-- Issue 17, the channel-conflict guard (DOMAIN.md "Channel conflicts", seed 003). Numbered 0012
-- so that the campaigns work of the same time keeps 0009-0011.
--
-- A flag: the new order `order_id` and an earlier order of the same customer (normalised phone)
-- with a common SKU through another channel (source + partner) within the window. Raised in the
-- intake's own transaction; one row per pair of orders, so a resubmission adds nothing. Reviewed
-- once: classed (a violation sent to settlements through the outbox) or dismissed.
CREATE TABLE channel_conflicts (
    id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders,
    earlier_order_id text NOT NULL REFERENCES orders,
    kind text NOT NULL CHECK (kind IN ('two_channels', 'refund_reorder')),
    -- The earlier order's state when the flag was raised.
    earlier_state text NOT NULL,
    customer_phone text NOT NULL,
    sku_ids text[] NOT NULL,
    region_id text NOT NULL,
    detected_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'classed', 'dismissed')),
    class smallint CHECK (class BETWEEN 1 AND 3),
    person_account_id text NOT NULL DEFAULT '',
    reviewed_by text NOT NULL DEFAULT '',
    reviewed_at timestamptz,
    detail text NOT NULL DEFAULT '',
    UNIQUE (order_id, earlier_order_id),
    CHECK ((state = 'classed') = (class IS NOT NULL))
);
CREATE INDEX channel_conflicts_review ON channel_conflicts (region_id, state, detected_at DESC, id DESC);

-- The guard's lookup at intake: a customer's recent orders.
CREATE INDEX orders_customer_phone_created ON orders (customer_phone, created_at DESC);

-- The region's window (0: the default of 168 hours).
ALTER TABLE region_settings ADD COLUMN channel_conflict_window_hours integer NOT NULL DEFAULT 0
    CHECK (channel_conflict_window_hours BETWEEN 0 AND 8760);
