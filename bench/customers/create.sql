-- The statements xsc-customers runs for one CreateCustomer of a new customer (the issue's
-- baseline: "pgbench running the same SQL"), in the service's two round trips: BEGIN, generic
-- plans for the transaction, the customer, its phone rows, a referral waiting for the phone and
-- the near-duplicate lookup in one pipeline; then COMMIT. A random phone among 10^9 numbers the
-- service's load never uses (prefix 15); the rare repeat is skipped by ON CONFLICT on both
-- inserts, the one change to the service's SQL (pgbench 15 stops a client at its first error).
-- The near-duplicate lookup probes every neighbour swap of the phone (up to ten), as the service
-- does (NearDuplicateRules.transpositions); it used to probe two, a cheaper baseline.
\set n random(1, 999999999)
\set team random(0, 199)
\startpipeline
BEGIN;
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);
INSERT INTO customers (id, name, name_key, address, address_key, district_id, kind, decision_maker_name, decision_maker_phone,
    decision_maker_notes, purchaser_name, purchaser_phone, purchaser_notes, grade, tags, phones, owner_account_id, team_path,
    created_by, origin, created_at, updated_at)
  VALUES ('b-' || :n, '压测客户' || :n, '压测客户' || :n, '压测地址' || :n, '压测地址' || :n, 'cq-o1-d3', 3, '', '', '', '', '', '',
          1, string_to_array('', E'\x1f'), string_to_array('15' || lpad(:n::text, 9, '0'), E'\x1f'), 'bench-sales',
          '/hq/cq/cq-o1/cq-o1-d3/t' || :team, 'bench-sales', 'self', now(), now())
  ON CONFLICT DO NOTHING
  RETURNING *;
INSERT INTO customer_phones (phone, customer_id, kind)
  SELECT p, 'b-' || :n, k FROM unnest(string_to_array('15' || lpad(:n::text, 9, '0'), E'\x1f'), string_to_array('mobile', E'\x1f')) AS t(p, k)
  ORDER BY p ON CONFLICT DO NOTHING;
DELETE FROM unclaimed_referrals WHERE phone = ANY(string_to_array('15' || lpad(:n::text, 9, '0'), E'\x1f'))
  RETURNING intermediary_account_id, order_id, seen_at;
SELECT c.id, 'same_name_address' AS reason, c.created_at FROM customers c
  WHERE c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || :team AND c.name_key = '压测客户' || :n AND c.address_key = '压测地址' || :n
    AND c.merged_into IS NULL AND c.id <> 'x'
UNION
SELECT c.id, 'phone_transposition', c.created_at FROM customer_phones p JOIN customers c ON c.id = p.customer_id
  WHERE p.phone = ANY(ARRAY(SELECT substr(x, 1, i - 1) || substr(x, i + 1, 1) || substr(x, i, 1) || substr(x, i + 2)
                            FROM (SELECT '15' || lpad(:n::text, 9, '0') AS x) AS s, generate_series(1, 10) AS i
                            WHERE substr(x, i, 1) <> substr(x, i + 1, 1)))
    AND c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || :team
    AND c.merged_into IS NULL AND c.id <> 'x'
ORDER BY 3, 1 LIMIT 20;
\endpipeline
COMMIT;
