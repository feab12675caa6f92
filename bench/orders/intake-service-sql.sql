-- pgbench: the SQL of one SubmitOrder exactly as xsc-orders sends it now (OrderIntake.submitNew,
-- CatalogStore, OrderStore, OrderNotifier, OrderPublisher, SLADeadlines, IdempotencyStore): two
-- pipelines, each one implicit transaction and one round trip. (1) the reads: the idempotency
-- key's earlier answer, routing, routing members, prices, the order's short code; (2) the writes:
-- order + lines + event as one statement, the office lead's SMS and the customers service's
-- CustomerSeen as outbox rows, the acknowledgement timer, the key with its answer. This is the
-- issue's "pgbench running the same SQL transaction": what the service adds on top (RPC,
-- validation, the outbox relay delivering and marking each row, the timer worker) is the gap.
-- Keep it in step with the intake (payload sizes as in intake-statements.sql).
\set n random(1, 9000000000000000000)
\set phone random(13800000000, 13899999999)
\startpipeline
SELECT request_sha256 = sha256(decode(repeat('ab', 180), 'hex')), status_code, status_message, response
    FROM xsc_idempotency_keys WHERE scope = 'orders.SubmitOrder/drill-mall' AND idempotency_key = 'pgsvc-' || :client_id || '-' || :n;
SELECT region_id, office_id, credited_team_path, sla_seconds FROM district_routing WHERE district_id = 'bench-d1';
SELECT member_role, account_id FROM district_routing_members WHERE district_id = 'bench-d1' ORDER BY member_role, position;
SELECT s.sku_id, s.active, CASE WHEN true THEN g.max_price_fen ELSE r.price_fen END
    FROM skus s LEFT JOIN guided_prices g ON g.sku_id = s.sku_id
    LEFT JOIN region_prices r ON r.sku_id = s.sku_id AND r.region_id = (SELECT d.region_id FROM district_routing d WHERE d.district_id = 'bench-d1')
    WHERE s.sku_id IN ('bench-a', 'bench-b', 'bench-c');
SELECT order_short_code(nextval('order_code_seq'));
\endpipeline
\startpipeline
WITH new_order AS (
    INSERT INTO orders (id, code, source, partner_id, external_id, request_sha256, referrer_code, customer_name, customer_phone,
                        customer_address, district_id, region_id, office_id, credited_team_path, state, total_fen, note,
                        submitted_by, created_at, updated_at, promotion_plan_id)
    VALUES ('pgsvc-' || :client_id || '-' || :n, 'c' || :n, 'mall', 'drill-mall', 'pgsvc-' || :client_id || '-' || :n, sha256(decode(repeat('cd', 170), 'hex')),
            '', '张三', :phone::text, '重庆市渝中区解放碑1号', 'bench-d1', 'bench-r', 'bench-o1', '/hq/bench/bench-o1/bench-d1/t1',
            'received', 42900, '', 'drill-mall', now(), now(), '')
    RETURNING id
), new_lines AS (
    INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen)
    SELECT new_order.id, line.no, line.sku, line.quantity, line.price
    FROM new_order, unnest('{1,2,3}'::int[], '{bench-a,bench-b,bench-c}'::text[], '{1,2,3}'::int[], '{15800,9900,2500}'::bigint[]) AS line (no, sku, quantity, price)
)
INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
SELECT new_order.id, 'submitted', 'unspecified', 'received', 'drill-mall', 'partner', now(), 'mall' FROM new_order;
INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    VALUES ('pgsvc-' || :client_id || '-' || :n, 'notifications', '/xsc.notifications.v1.NotificationService/Send',
            decode(repeat('ef', 200), 'hex'), now(), now());
INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
    VALUES ('pgsvcc-' || :client_id || '-' || :n, 'customers', '/xsc.customers.v1.CustomerService/RecordCustomerSeen',
            decode(repeat('ef', 150), 'hex'), now(), now());
INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at)
    VALUES ('order.ack_deadline', 'pgsvc-' || :client_id || '-' || :n, now() + interval '300 s', now() + interval '300 s', '\x', now())
    ON CONFLICT (kind, subject_id) DO UPDATE SET
        generation = xsc_timers.generation + 1, due_at = EXCLUDED.due_at, fire_at = EXCLUDED.fire_at,
        payload = EXCLUDED.payload,
        state = 'pending', attempts = 0, last_error = NULL, scheduled_at = EXCLUDED.scheduled_at, fired_at = NULL;
INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at, status_code, status_message, response)
    VALUES ('orders.SubmitOrder/drill-mall', 'pgsvc-' || :client_id || '-' || :n, sha256(decode(repeat('ab', 180), 'hex')), now(),
            0, '', decode(repeat('12', 350), 'hex'));
\endpipeline
