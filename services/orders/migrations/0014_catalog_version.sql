-- The intake keeps routing and prices in process (OrderIntake, IntakeCatalogCache) so that a
-- new order is one statement. That cache is only as good as its version: every change to a
-- table the intake's catalog read touches bumps `orders_catalog_version` (a statement-level
-- trigger, so any writer counts: the admin RPCs, the directory feed, a person with psql), and
-- the intake's write statement checks the version its cache was read at
-- (`orders_catalog_is`), failing with SQLSTATE XSC01 when it is stale - nothing is written;
-- the intake reads the catalog again and retries. So a routing change, a new price or a
-- disabled lead takes effect on the next order, as when every order read the catalog.
CREATE TABLE orders_catalog_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO orders_catalog_version (one, version) VALUES (true, 1);

CREATE FUNCTION orders_catalog_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE orders_catalog_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION orders_catalog_is(expected bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT version FROM orders_catalog_version) IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'the catalog changed since version %', expected USING ERRCODE = 'XSC01';
    END IF;
    RETURN true;
END $$;

CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON skus
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON guided_prices
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region_prices
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON district_routing
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON district_routing_members
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region_settings
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON xsc_directory
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
