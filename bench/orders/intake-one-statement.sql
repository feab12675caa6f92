-- pgbench: the same writes and reads as intake-statements.sql in ONE statement (its own
-- implicit transaction, one round trip): the idempotency key is written with its answer, the
-- lines are priced by a join, the outbox gets one row per office lead of the district and one
-- CustomerSeen row for the customers service.
\set n random(1, 9000000000000000000)
\set phone random(13800000000, 13899999999)
WITH claim AS (
    INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at, status_code, status_message, response)
    VALUES ('orders.SubmitOrder/drill-mall', 'pgb1-' || :client_id || '-' || :n, sha256(decode(repeat('ab', 180), 'hex')), now(),
            0, '', decode(repeat('12', 350), 'hex'))
    ON CONFLICT (scope, idempotency_key) DO NOTHING
    RETURNING 1
), routing AS (
    SELECT region_id, office_id, credited_team_path, sla_seconds FROM district_routing WHERE district_id = 'bench-d1'
), wanted (line_no, sku_id, quantity) AS (
    VALUES (1, 'bench-a', 1), (2, 'bench-b', 2), (3, 'bench-c', 3)
), priced AS (
    SELECT w.line_no, w.sku_id, w.quantity, g.max_price_fen AS price
    FROM wanted w JOIN skus s ON s.sku_id = w.sku_id AND s.active JOIN guided_prices g ON g.sku_id = w.sku_id
), o AS (
    INSERT INTO orders (id, source, partner_id, external_id, request_sha256, referrer_code, customer_name, customer_phone,
                        customer_address, district_id, region_id, office_id, credited_team_path, state, total_fen, note,
                        submitted_by, created_at, updated_at)
    SELECT 'pgb1-' || :client_id || '-' || :n, 'mall', 'drill-mall', 'pgb1-' || :client_id || '-' || :n,
           sha256(decode(repeat('cd', 170), 'hex')), '', '张三', :phone::text, '重庆市渝中区解放碑1号', 'bench-d1',
           r.region_id, r.office_id, r.credited_team_path, 'received', (SELECT sum(quantity * price) FROM priced), '',
           'drill-mall', now(), now()
    FROM routing r, claim
    ON CONFLICT (source, partner_id, external_id) WHERE external_id <> '' DO NOTHING
    RETURNING id, code
), lines AS (
    INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen)
    SELECT o.id, p.line_no, p.sku_id, p.quantity, p.price FROM o, priced p
), event AS (
    INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
    SELECT o.id, 'submitted', 'unspecified', 'received', 'drill-mall', 'partner', now(), 'mall' FROM o
), sms AS (
    INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    SELECT o.id || '-' || m.account_id, 'notifications', '/xsc.notifications.v1.NotificationService/Send',
           decode(repeat('ef', 200), 'hex'), now(), now()
    FROM o, district_routing_members m WHERE m.district_id = 'bench-d1' AND m.member_role = 'office_lead'
), customer_seen AS (
    INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    SELECT o.id || '-customer', 'customers', '/xsc.customers.v1.CustomerService/RecordCustomerSeen',
           decode(repeat('ef', 150), 'hex'), now(), now()
    FROM o
), timer AS (
    INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at)
    SELECT 'order.ack_deadline', o.id, now() + interval '3600 s', now() + interval '3600 s', '\x', now() FROM o
    ON CONFLICT (kind, subject_id) DO UPDATE SET
        generation = xsc_timers.generation + 1, due_at = EXCLUDED.due_at, fire_at = EXCLUDED.fire_at,
        payload = EXCLUDED.payload,
        state = 'pending', attempts = 0, last_error = NULL, scheduled_at = EXCLUDED.scheduled_at, fired_at = NULL
)
SELECT code FROM o;
