-- 1,000,000 customers (:n) over 200 teams, one mobile each, as the customers role in its schema.
INSERT INTO customers (id, name, name_key, address, address_key, district_id, kind, grade, tags, phones,
                       owner_account_id, team_path, created_by, origin, created_at, updated_at)
SELECT 'seed-' || g, '客户' || g, '客户' || g, '重庆市渝中区' || (g % 50000) || '号', '重庆市渝中区' || (g % 50000) || '号',
       'cq-o1-d3', 1 + g % 4, 1 + g % 3, CASE WHEN g % 5 = 0 THEN ARRAY['宴请'] ELSE '{}' END, ARRAY['13' || lpad(g::text, 9, '0')],
       'sales-' || (g % 2000), '/hq/cq/cq-o1/cq-o1-d3/t' || (g % 200), 'sales-' || (g % 2000), 'import',
       now() - make_interval(secs => g), now() - make_interval(secs => g)
FROM generate_series(1, :n) AS g;
INSERT INTO customer_phones (phone, customer_id, kind)
SELECT '13' || lpad(g::text, 9, '0'), 'seed-' || g, 'mobile' FROM generate_series(1, :n) AS g;
ANALYZE customers;
ANALYZE customer_phones;
-- Settled before measuring: no autovacuum of the load's million rows inside a measured window.
VACUUM (ANALYZE) customers;
VACUUM (ANALYZE) customer_phones;
