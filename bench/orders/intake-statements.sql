-- pgbench: the SQL of one SubmitOrder as xsc-orders ran it before the benchmark work
-- (OrderIntake + IdempotencyStore + OrderNotifier + OrderPublisher + SLADeadlines), one
-- statement per round trip: the idempotency claim and its read-back, routing, prices, the
-- order, 3 lines, the event, 2 outbox rows (the office lead's SMS, the customers service's
-- CustomerSeen), the acknowledgement timer, the stored answer. Payload sizes are those of a
-- real order (request ~180 B, SMS request ~200 B, CustomerSeen ~150 B, answer ~350 B).
\set n random(1, 9000000000000000000)
\set phone random(13800000000, 13899999999)
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at)
    VALUES ('orders.SubmitOrder/drill-mall', 'pgb-' || :client_id || '-' || :n, sha256(decode(repeat('ab', 180), 'hex')), now())
    ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING 1;
SELECT request_sha256 = sha256(decode(repeat('ab', 180), 'hex')), status_code, status_message, response
    FROM xsc_idempotency_keys WHERE scope = 'orders.SubmitOrder/drill-mall' AND idempotency_key = 'pgb-' || :client_id || '-' || :n;
SELECT region_id, office_id, credited_team_path, sla_seconds FROM district_routing WHERE district_id = 'bench-d1';
SELECT member_role, account_id FROM district_routing_members WHERE district_id = 'bench-d1' ORDER BY member_role, position;
SELECT s.sku_id, s.active, CASE WHEN true THEN g.max_price_fen ELSE r.price_fen END
    FROM skus s
    LEFT JOIN guided_prices g ON g.sku_id = s.sku_id
    LEFT JOIN region_prices r ON r.sku_id = s.sku_id AND r.region_id = 'bench-r'
    WHERE s.sku_id = ANY('{bench-a,bench-b,bench-c}'::text[]);
INSERT INTO orders (id, source, partner_id, external_id, request_sha256, referrer_code, customer_name, customer_phone,
                    customer_address, district_id, region_id, office_id, credited_team_path, state, total_fen, note,
                    submitted_by, created_at, updated_at)
    VALUES ('pgb-' || :client_id || '-' || :n, 'mall', 'drill-mall', 'pgb-' || :client_id || '-' || :n, sha256(decode(repeat('cd', 170), 'hex')),
            '', '张三', :phone::text, '重庆市渝中区解放碑1号', 'bench-d1', 'bench-r', 'bench-o1', '/hq/bench/bench-o1/bench-d1/t1',
            'received', 42900, '', 'drill-mall', now(), now())
    ON CONFLICT (source, partner_id, external_id) WHERE external_id <> '' DO NOTHING
    RETURNING code;
INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen) VALUES ('pgb-' || :client_id || '-' || :n, 1, 'bench-a', 1, 15800);
INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen) VALUES ('pgb-' || :client_id || '-' || :n, 2, 'bench-b', 2, 9900);
INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen) VALUES ('pgb-' || :client_id || '-' || :n, 3, 'bench-c', 3, 2500);
INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
    VALUES ('pgb-' || :client_id || '-' || :n, 'submitted', 'unspecified', 'received', 'drill-mall', 'partner', now(), 'mall');
INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    VALUES ('pgb-' || :client_id || '-' || :n, 'notifications', '/xsc.notifications.v1.NotificationService/Send',
            decode(repeat('ef', 200), 'hex'), now(), now());
INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    VALUES ('pgbc-' || :client_id || '-' || :n, 'customers', '/xsc.customers.v1.CustomerService/RecordCustomerSeen',
            decode(repeat('ef', 150), 'hex'), now(), now());
INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at)
    VALUES ('order.ack_deadline', 'pgb-' || :client_id || '-' || :n, now() + interval '3600 s', now() + interval '3600 s', '\x', now())
    ON CONFLICT (kind, subject_id) DO UPDATE SET
        generation = xsc_timers.generation + 1, due_at = EXCLUDED.due_at, fire_at = EXCLUDED.fire_at,
        payload = EXCLUDED.payload,
        state = 'pending', attempts = 0, last_error = NULL, scheduled_at = EXCLUDED.scheduled_at, fired_at = NULL;
UPDATE xsc_idempotency_keys SET status_code = 0, status_message = '', response = decode(repeat('12', 350), 'hex')
    WHERE scope = 'orders.SubmitOrder/drill-mall' AND idempotency_key = 'pgb-' || :client_id || '-' || :n AND status_code IS NULL;
COMMIT;
