-- Order codes always contain a letter. The six-character codes of 0002 are digits only for
-- about one order in 4,096 (8 of the 32 symbols are digits), and notifications refuses such a
-- code in an SMS prompt (a reply of digits alone is not read as a code), so that order's
-- prompt was dead-lettered and its lead never told. New codes are seven characters: a letter
-- chosen by the sequence number, then the six characters 0002 would have made. They cannot
-- collide with the six-character codes already issued, and stay unique among themselves
-- (the six-character part is a bijection of the sequence number below 2^30).
CREATE OR REPLACE FUNCTION order_short_code(n bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    letters constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ';
    alphabet constant text := '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
    mixed bigint := (n * 387420489) % 1073741824;
    code text := '';
BEGIN
    FOR i IN 1..6 LOOP
        code := substr(alphabet, (mixed % 32)::int + 1, 1) || code;
        mixed := mixed / 32;
    END LOOP;
    RETURN substr(letters, (n % 24)::int + 1, 1) || code;
END $$;
