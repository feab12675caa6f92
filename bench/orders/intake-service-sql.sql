-- pgbench: the SQL of one SubmitOrder exactly as xsc-orders sends it now (OrderIntake.submitNew,
-- OrderStore.insertParts, OrderNotifier, OrderPublisher, ChannelConflictStore, SLADeadlines,
-- IdempotencyStore, fused by Postgres/StatementFusion): ONE statement, its own implicit
-- transaction and round trip: order + lines + event (written only while the catalog is at the
-- version the service cached routing and prices under: orders_catalog_is, migration 0014), the
-- office lead's SMS and the customers service's CustomerSeen as outbox rows, the
-- channel-conflict flags, the acknowledgement timer, the key with its answer (the last part is
-- the statement the WITH list belongs to). Routing and prices come from the service's cache (a
-- read - CatalogStore.intakeReadStatement - only after a catalog change), the code from a block
-- of 32 taken from the sequence (here: one transaction in 32 takes the block first, as the
-- service does), the idempotency key is not read (a retry fails the write's INSERT of the key
-- and takes the resubmission path). The version is a parameter in the service; here a
-- sub-select reads it (pgbench cannot know it). This is the issue's "pgbench running the same
-- SQL": what the service adds on top (RPC, validation, the outbox relay delivering and marking
-- each row, the timer worker) is the gap. Keep it in step with the intake (payload sizes as in
-- intake-statements.sql).
\set n random(1, 9000000000000000000)
\set phone random(13800000000, 13899999999)
\set block random(1, 32)
\if :block = 1
SELECT order_short_code(nextval('order_code_seq')) FROM generate_series(1, 32);
\endif
WITH new_order AS (
    INSERT INTO orders (id, code, source, partner_id, external_id, request_sha256, referrer_code, customer_name,
                        customer_phone, customer_address, district_id, region_id, office_id, credited_team_path,
                        state, total_fen, note, submitted_by, created_at, updated_at, promotion_plan_id)
    SELECT 'pgsvc-' || :client_id || '-' || :n, 'c' || :n, 'mall', 'drill-mall', 'pgsvc-' || :client_id || '-' || :n,
           sha256(decode(repeat('cd', 170), 'hex')), '', '张三', :phone::text, '重庆市渝中区解放碑1号', 'bench-d1', 'bench-r',
           'bench-o1', '/hq/bench/bench-o1/bench-d1/t1', 'received', 42900, '', 'drill-mall', now(), now(), ''
    WHERE orders_catalog_is((SELECT version FROM orders_catalog_version))
    RETURNING id
),
fused_1 AS (
    INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen)
    SELECT new_order.id, line.no, line.sku, line.quantity, line.price
    FROM new_order, unnest('{1,2,3}'::int[], '{bench-a,bench-b,bench-c}'::text[], '{1,2,3}'::int[], '{15800,9900,2500}'::bigint[])
        AS line (no, sku, quantity, price)
),
fused_2 AS (
    INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
    SELECT new_order.id, 'submitted', 'unspecified', 'received', 'drill-mall', 'partner', now(), 'mall' FROM new_order
),
fused_3 AS (
    INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at, traceparent)
    VALUES ('pgsvc-' || :client_id || '-' || :n, 'notifications', '/xsc.notifications.v1.NotificationService/Send',
            decode(repeat('ef', 200), 'hex'), now(), now(), NULL)
),
fused_4 AS (
    INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at, traceparent)
    VALUES ('pgsvcc-' || :client_id || '-' || :n, 'customers', '/xsc.customers.v1.CustomerService/RecordCustomerSeen',
            decode(repeat('ef', 150), 'hex'), now(), now(), NULL)
),
fused_5 AS (
    INSERT INTO channel_conflicts (id, order_id, earlier_order_id, kind, earlier_state, customer_phone, sku_ids,
                                   region_id, detected_at)
    SELECT gen_random_uuid()::text, 'pgsvc-' || :client_id || '-' || :n, e.id,
           CASE WHEN e.state = 'refunded' THEN 'refund_reorder' ELSE 'two_channels' END,
           e.state, :phone::text, array_agg(DISTINCT l.sku_id ORDER BY l.sku_id), 'bench-r', now()
    FROM orders e JOIN order_lines l ON l.order_id = e.id,
         (SELECT now() - make_interval(hours => coalesce(
              (SELECT nullif(channel_conflict_window_hours, 0) FROM region_settings WHERE region_id = 'bench-r'), 168)) AS at) since
    WHERE e.customer_phone = :phone::text AND e.id <> 'pgsvc-' || :client_id || '-' || :n AND (e.source, e.partner_id) <> ('mall', 'drill-mall')
      AND e.state <> 'cancelled' AND e.promotion_plan_id = '' AND l.sku_id = ANY('{bench-a,bench-b,bench-c}'::text[])
      AND (e.created_at >= since.at OR (e.state = 'refunded' AND e.updated_at >= since.at))
    GROUP BY e.id, e.state
    ON CONFLICT (order_id, earlier_order_id) DO NOTHING
),
fused_6 AS (
    INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at)
    VALUES ('order.ack_deadline', 'pgsvc-' || :client_id || '-' || :n, now() + interval '3600 s', now() + interval '3600 s', '\x', now())
    ON CONFLICT (kind, subject_id) DO UPDATE SET
        generation = xsc_timers.generation + 1, due_at = EXCLUDED.due_at, fire_at = EXCLUDED.fire_at,
        payload = EXCLUDED.payload,
        state = 'pending', attempts = 0, last_error = NULL, scheduled_at = EXCLUDED.scheduled_at, fired_at = NULL
)
INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at, status_code, status_message, response)
    VALUES ('orders.SubmitOrder/drill-mall', 'pgsvc-' || :client_id || '-' || :n, sha256(decode(repeat('ab', 180), 'hex')), now(),
            0, '', decode(repeat('12', 350), 'hex'));
