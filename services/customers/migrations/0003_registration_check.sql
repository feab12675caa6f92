-- CreateCustomer's one-round-trip path (Sources/Customers/Flow/CustomerFlow+Create.swift): BEGIN,
-- this check, the customer, its phone rows, the idempotency answer and COMMIT go out as one
-- pipeline, with an answer the service made before sending it. That answer is only right when no
-- referral waits for the phones and the team has no look-alike; otherwise the check fails the
-- transaction with its own SQLSTATE, nothing is written, and the service takes the path that
-- binds and flags (two round trips and more). A taken phone fails the phone INSERT as before.
CREATE FUNCTION registration_is_plain(referral_waits boolean, look_alike boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF referral_waits OR look_alike THEN
        RAISE EXCEPTION 'the registration needs the full path (a referral waits or a look-alike exists)'
            USING ERRCODE = 'XC001';
    END IF;
    RETURN true;
END
$$;
