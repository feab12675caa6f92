-- Reward rules, accrual lines, weekly statements (DOMAIN.md "Settlements").
-- Money is bigint fen; times timestamptz (UTC instants); business weeks are identified by
-- their start instant, computed by DomainKit.BusinessCalendar in the organisation's zone.

-- One version of a region's rules. A new version applies from effective_from on; the flow
-- refuses an effective_from in the past, so an accrual never changes its rule afterwards.
CREATE TABLE reward_rules (
    region_id text NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    effective_from timestamptz NOT NULL,
    percent_bp bigint NOT NULL CHECK (percent_bp BETWEEN 0 AND 10000),
    level2_bp bigint NOT NULL CHECK (level2_bp BETWEEN 0 AND 10000),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (region_id, version)
);
CREATE INDEX reward_rules_effective ON reward_rules (region_id, effective_from DESC, version DESC);

CREATE TABLE reward_rule_per_unit (
    region_id text NOT NULL,
    version bigint NOT NULL,
    sku_id text NOT NULL,
    fen_per_unit bigint NOT NULL CHECK (fen_per_unit >= 0),
    PRIMARY KEY (region_id, version, sku_id),
    FOREIGN KEY (region_id, version) REFERENCES reward_rules (region_id, version)
);

-- Level 2: who recruited an intermediary. Every change is appended to the audit trail.
CREATE TABLE recruiters (
    intermediary_account_id text PRIMARY KEY,
    recruiter_account_id text NOT NULL,
    set_by text NOT NULL,
    set_at timestamptz NOT NULL,
    CHECK (intermediary_account_id <> recruiter_account_id)
);

CREATE TABLE recruiter_audit (
    id bigserial PRIMARY KEY,
    intermediary_account_id text NOT NULL,
    old_recruiter_account_id text NOT NULL,
    new_recruiter_account_id text NOT NULL,
    set_by text NOT NULL,
    set_by_role text NOT NULL,
    set_at timestamptz NOT NULL
);

-- The weeks already closed. A line is always booked into a week that is not closed yet
-- (the week of its event, or the next open one), under a shared advisory lock on that week
-- that the close takes exclusively: a line and a close of its week never cross.
CREATE TABLE period_closes (
    period_start timestamptz PRIMARY KEY,
    week_name text NOT NULL UNIQUE,
    closed_at timestamptz NOT NULL,
    closed_by text NOT NULL,
    statement_count integer NOT NULL
);

CREATE TABLE statements (
    id text PRIMARY KEY,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    week_name text NOT NULL,
    region_id text NOT NULL,
    dealer_account_id text NOT NULL,
    payee_account_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('draft', 'signed', 'paid', 'archived')),
    total_fen bigint NOT NULL,
    payable_fen bigint NOT NULL CHECK (payable_fen >= 0 AND payable_fen = greatest(total_fen, 0)),
    line_count integer NOT NULL,
    signed_by text,
    signed_at timestamptz,
    payment_reference text,
    paid_on timestamptz,
    paid_recorded_by text,
    archived_at timestamptz,
    created_at timestamptz NOT NULL,
    -- One statement per week, dealer and payee: a second close (or a second replica) cannot add one.
    UNIQUE (period_start, dealer_account_id, payee_account_id)
);
CREATE INDEX statements_payee ON statements (payee_account_id, period_start DESC);
CREATE INDEX statements_dealer ON statements (dealer_account_id, period_start DESC);
CREATE INDEX statements_region ON statements (region_id, period_start DESC);

-- Accrual and clawback lines (and a statement's carry-forward line), append-only. A line
-- belongs to the statement of its (period_start, dealer, payee): closing a week attaches
-- nothing, it only adds the statements (and the carried balances as lines of their own).
CREATE TABLE reward_lines (
    id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('reward', 'clawback', 'carry_forward')),
    level smallint NOT NULL CHECK (level IN (0, 1, 2)),
    order_id text NOT NULL,
    order_code text NOT NULL,
    event_id text NOT NULL,
    region_id text NOT NULL,
    dealer_account_id text NOT NULL,
    payee_account_id text NOT NULL,
    sales_fen bigint NOT NULL,
    amount_fen bigint NOT NULL,
    rule_version bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    period_start timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
-- Idempotent per order, level and event kind: one reward and at most one clawback per order
-- and level however often orders' events arrive.
CREATE UNIQUE INDEX reward_lines_once ON reward_lines (order_id, level, kind) WHERE kind <> 'carry_forward';
CREATE UNIQUE INDEX reward_lines_carry_once ON reward_lines (period_start, dealer_account_id, payee_account_id)
    WHERE kind = 'carry_forward';
CREATE INDEX reward_lines_statement ON reward_lines (period_start, dealer_account_id, payee_account_id);
CREATE INDEX reward_lines_payee ON reward_lines (payee_account_id, occurred_at DESC);

-- The negative balance a payee carries with a dealer into its next statement (0 or less).
CREATE TABLE carried_balances (
    dealer_account_id text NOT NULL,
    payee_account_id text NOT NULL,
    balance_fen bigint NOT NULL CHECK (balance_fen <= 0),
    from_statement_id text NOT NULL REFERENCES statements (id),
    PRIMARY KEY (dealer_account_id, payee_account_id)
);

-- Lines are append-only (a refund is a new negative line), and a closed week gains none (the
-- flow books a late line into the next open week); a carry-forward line only comes before its
-- statement exists.
CREATE FUNCTION reward_lines_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'reward line % cannot change: lines are append-only', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'carry_forward' THEN
        IF EXISTS (SELECT 1 FROM statements WHERE period_start = NEW.period_start
                   AND dealer_account_id = NEW.dealer_account_id AND payee_account_id = NEW.payee_account_id) THEN
            RAISE EXCEPTION 'statement of % for % / % exists already', NEW.period_start, NEW.dealer_account_id,
                NEW.payee_account_id USING ERRCODE = 'check_violation';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM period_closes WHERE period_start = NEW.period_start) THEN
        RAISE EXCEPTION 'the week of % is closed: book the line into the next open week', NEW.period_start
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER reward_lines_frozen BEFORE INSERT OR UPDATE OR DELETE ON reward_lines
    FOR EACH ROW EXECUTE FUNCTION reward_lines_frozen();
-- TRUNCATE fires no row trigger: refuse it too.
CREATE TRIGGER reward_lines_no_truncate BEFORE TRUNCATE ON reward_lines
    FOR EACH STATEMENT EXECUTE FUNCTION reward_lines_frozen();

-- The running sum and count of every (week, dealer, payee)'s lines, kept by the database as
-- lines are inserted (lines are append-only, so it is exact). The close makes its statements
-- from these rows instead of aggregating a week of lines again: the aggregation happens a line
-- at a time, when the line is booked.
CREATE TABLE week_totals (
    period_start timestamptz NOT NULL,
    dealer_account_id text NOT NULL,
    payee_account_id text NOT NULL,
    region_id text NOT NULL,
    total_fen bigint NOT NULL,
    line_count integer NOT NULL,
    PRIMARY KEY (period_start, dealer_account_id, payee_account_id)
);

CREATE FUNCTION week_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO week_totals (period_start, dealer_account_id, payee_account_id, region_id, total_fen, line_count)
    SELECT period_start, dealer_account_id, payee_account_id, min(region_id), sum(amount_fen), count(*)
    FROM new_lines GROUP BY period_start, dealer_account_id, payee_account_id
    ON CONFLICT (period_start, dealer_account_id, payee_account_id) DO UPDATE
        SET total_fen = week_totals.total_fen + EXCLUDED.total_fen,
            line_count = week_totals.line_count + EXCLUDED.line_count,
            region_id = least(week_totals.region_id, EXCLUDED.region_id);
    RETURN NULL;
END $$;
CREATE TRIGGER week_totals_add AFTER INSERT ON reward_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION week_totals_add();

-- Nobody but the line trigger writes week_totals: a statement run directly against it (trigger
-- depth 1: this guard itself) is refused; from inside week_totals_add the depth is 2.
CREATE FUNCTION week_totals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'week_totals follows reward_lines only' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER week_totals_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON week_totals
    FOR EACH STATEMENT EXECUTE FUNCTION week_totals_guard();

-- A statement's figures never change; its state only moves forward; an archived one is final.
CREATE FUNCTION statements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statement % cannot be deleted', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.total_fen <> OLD.total_fen OR NEW.payable_fen <> OLD.payable_fen OR NEW.line_count <> OLD.line_count
       OR NEW.period_start <> OLD.period_start OR NEW.dealer_account_id <> OLD.dealer_account_id
       OR NEW.payee_account_id <> OLD.payee_account_id OR NEW.region_id <> OLD.region_id THEN
        RAISE EXCEPTION 'statement % figures are immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.state = 'archived'
       OR NOT ((OLD.state = 'draft' AND NEW.state = 'signed') OR (OLD.state = 'signed' AND NEW.state IN ('paid', 'archived'))
               OR (OLD.state = 'paid' AND NEW.state = 'archived')) THEN
        RAISE EXCEPTION 'statement % cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.state <> 'draft' AND (NEW.signed_by IS DISTINCT FROM OLD.signed_by OR NEW.signed_at IS DISTINCT FROM OLD.signed_at) THEN
        RAISE EXCEPTION 'statement % signature is immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.state IN ('paid', 'archived') AND (NEW.payment_reference IS DISTINCT FROM OLD.payment_reference
       OR NEW.paid_on IS DISTINCT FROM OLD.paid_on) THEN
        RAISE EXCEPTION 'statement % payment is immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER statements_guard BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_guard();

-- Every statement's total equals the sum of its lines (the database's running week_totals),
-- and every (week, dealer, payee) with lines has its statement: checked by the database,
-- set-based, for all statements one INSERT adds (the close adds a week's statements in one
-- statement, so the full join sees the whole week).
CREATE FUNCTION statements_total_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT coalesce(n.id, '(none)') AS id, n.total_fen, n.line_count, t.total_fen AS line_sum, t.line_count AS lines,
           coalesce(n.dealer_account_id, t.dealer_account_id) AS dealer, coalesce(n.payee_account_id, t.payee_account_id) AS payee
    INTO bad
    FROM new_statements n
    FULL JOIN (SELECT * FROM week_totals WHERE period_start IN (SELECT DISTINCT period_start FROM new_statements)) t
        USING (period_start, dealer_account_id, payee_account_id)
    WHERE n.total_fen IS DISTINCT FROM t.total_fen OR n.line_count IS DISTINCT FROM t.line_count
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement % (% / %) total % fen (% lines) differs from its lines: % fen (% lines)',
            bad.id, bad.dealer, bad.payee, bad.total_fen, bad.line_count, bad.line_sum, bad.lines
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER statements_total_check AFTER INSERT ON statements
    REFERENCING NEW TABLE AS new_statements FOR EACH STATEMENT EXECUTE FUNCTION statements_total_check();

-- Refunded orders: orders' events may arrive in any order, so a refund seen before its visit
-- is kept and the late visit then books nothing.
CREATE TABLE order_refunds (
    order_id text PRIMARY KEY,
    event_id text NOT NULL,
    refunded_at timestamptz NOT NULL
);
