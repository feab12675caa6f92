-- The statements xsc-customers runs for one CreateCustomer of a new customer (the issue's
-- baseline: "pgbench running the same SQL"), in the service's one round trip (CustomerFlow
-- registerPlain): BEGIN, generic plans for the transaction, the check that no referral waits
-- for the phone and the team has no look-alike (RegistrationCheck, migration 0003: it raises
-- when it finds one), the customer, its phone rows and COMMIT, as one pipeline.
-- The near-duplicate part of the check probes every neighbour swap of the phone (up to ten), as
-- the service does (NearDuplicateRules.transpositions).
-- The phones: '199', 7 random digits and a check digit (weights 1,2,1,2,... over all eleven
-- digits, sum = 0 mod 10), so no phone of this script is a neighbour swap of another (a swap of
-- two different neighbouring digits changes the weighted sum by +-(a - b), never 0 mod 10) nor
-- of the service's ('16...'), the seeds' ('13...') or the import's ('17...', '18...'): the check
-- never raises here, as pgbench 15 stops a client at its first error. The rare repeat of a
-- number is skipped by ON CONFLICT on both inserts, the one change to the service's SQL.
\set n random(1, 9999999)
\set team random(0, 199)
\set s 28 + 2 * ((:n / 1000000) % 10) + (:n / 100000) % 10 + 2 * ((:n / 10000) % 10) + (:n / 1000) % 10 + 2 * ((:n / 100) % 10) + (:n / 10) % 10 + 2 * (:n % 10)
\set c (10 - :s % 10) % 10
\startpipeline
BEGIN;
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);
SELECT registration_is_plain(
    EXISTS (SELECT 1 FROM unclaimed_referrals WHERE phone = ANY(string_to_array('199' || lpad(:n::text, 7, '0') || :c, E'\x1f'))),
    EXISTS (SELECT 1 FROM customers c
            WHERE c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || :team AND c.name_key = '压测客户' || :n AND c.address_key = '压测地址' || :n
              AND c.merged_into IS NULL AND c.id <> 'b-' || :n)
    OR EXISTS (SELECT 1 FROM customer_phones p JOIN customers c ON c.id = p.customer_id
               WHERE p.phone = ANY(ARRAY(SELECT substr(x, 1, i - 1) || substr(x, i + 1, 1) || substr(x, i, 1) || substr(x, i + 2)
                                         FROM (SELECT '199' || lpad(:n::text, 7, '0') || :c AS x) AS s, generate_series(1, 10) AS i
                                         WHERE substr(x, i, 1) <> substr(x, i + 1, 1)))
                 AND c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || :team AND c.merged_into IS NULL AND c.id <> 'b-' || :n));
INSERT INTO customers (id, name, name_key, address, address_key, district_id, kind, decision_maker_name, decision_maker_phone,
    decision_maker_notes, purchaser_name, purchaser_phone, purchaser_notes, grade, tags, phones, owner_account_id, team_path,
    created_by, origin, created_at, updated_at)
  VALUES ('b-' || :n, '压测客户' || :n, '压测客户' || :n, '压测地址' || :n, '压测地址' || :n, 'cq-o1-d3', 3, '', '', '', '', '', '',
          1, string_to_array('', E'\x1f'), string_to_array('199' || lpad(:n::text, 7, '0') || :c, E'\x1f'), 'bench-sales',
          '/hq/cq/cq-o1/cq-o1-d3/t' || :team, 'bench-sales', 'self', now(), now())
  ON CONFLICT DO NOTHING;
INSERT INTO customer_phones (phone, customer_id, kind)
  SELECT p, 'b-' || :n, k FROM unnest(string_to_array('199' || lpad(:n::text, 7, '0') || :c, E'\x1f'), string_to_array('mobile', E'\x1f')) AS t(p, k)
  ORDER BY p ON CONFLICT DO NOTHING;
COMMIT;
\endpipeline
