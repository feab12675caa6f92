-- Issue 14. A region's own settings of the order area: the dealer's acceptance window (NULL or
-- 0: none - the five-minute rule binds the order leads only) and the return visit's deadline
-- after delivery.
CREATE TABLE region_settings (
    region_id text PRIMARY KEY,
    dealer_accept_seconds integer NOT NULL DEFAULT 0 CHECK (dealer_accept_seconds >= 0),
    return_visit_seconds integer NOT NULL DEFAULT 172800 CHECK (return_visit_seconds > 0),
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL
);

-- Prompts the SMS provider reported as never delivered (notifications' PromptUndelivered): the
-- person cannot have missed a deadline they were never told about. One row per message, so a
-- redelivered report changes nothing.
CREATE TABLE undelivered_prompts (
    message_id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders,
    account_id text NOT NULL,
    reason text NOT NULL,
    reported_at timestamptz NOT NULL
);
CREATE INDEX undelivered_prompts_order ON undelivered_prompts (order_id, account_id);

-- A miss is recorded per person prompted (one row each) from now on; older rows may still name
-- several accounts separated by commas.
CREATE INDEX sla_violations_standing ON sla_violations (order_id, responsible_account_ids) WHERE withdrawn_at IS NULL;
