-- The near-duplicate lookup alone, against the loaded customers: the name+address key of a
-- loaded customer of a random team and the ten neighbour swaps of a loaded phone.
\set g random(1, 1000000)
SELECT c.id, 'same_name_address' AS reason, c.created_at FROM customers c
  WHERE c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || (:g % 200) AND c.name_key = '客户' || :g
    AND c.address_key = '重庆市渝中区' || (:g % 50000) || '号' AND c.merged_into IS NULL AND c.id <> 'x'
UNION
SELECT c.id, 'phone_transposition', c.created_at FROM customer_phones p JOIN customers c ON c.id = p.customer_id
  WHERE p.phone = ANY(ARRAY['31' || lpad(:g::text, 9, '0'), '1' || substr(lpad(:g::text, 9, '0'), 1, 1) || '3' || substr(lpad(:g::text, 9, '0'), 2),
                            '13' || substr(lpad(:g::text, 9, '0'), 2, 1) || substr(lpad(:g::text, 9, '0'), 1, 1) || substr(lpad(:g::text, 9, '0'), 3),
                            '13' || substr(lpad(:g::text, 9, '0'), 1, 7) || substr(lpad(:g::text, 9, '0'), 9, 1) || substr(lpad(:g::text, 9, '0'), 8, 1)])
    AND c.team_path = '/hq/cq/cq-o1/cq-o1-d3/t' || (:g % 200) AND c.merged_into IS NULL AND c.id <> 'x'
ORDER BY 3, 1 LIMIT 20;
