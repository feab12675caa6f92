-- The directory feed delivers an entry again (a late or repeated delivery, or a newer version of
-- an account whose name, role, node and enabled flag stay the same). Migration 0014's
-- statement-level trigger fired for those too - a statement trigger fires even when no row
-- changes - and each one emptied the intake's catalog cache (the next orders read the catalog
-- again, and one in flight failed its version check and was routed again) and sent every open
-- board watch a fresh snapshot. Now the directory bumps the version only when a row appears,
-- goes, or changes in what the intake and the board show.
DROP TRIGGER orders_catalog_bump ON xsc_directory;
CREATE TRIGGER orders_catalog_bump_added AFTER INSERT OR DELETE ON xsc_directory
    FOR EACH ROW EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump_changed AFTER UPDATE ON xsc_directory
    FOR EACH ROW
    WHEN ((OLD.name, OLD.domain_role, OLD.node_path, OLD.enabled) IS DISTINCT FROM
          (NEW.name, NEW.domain_role, NEW.node_path, NEW.enabled))
    EXECUTE FUNCTION orders_catalog_bump();
CREATE TRIGGER orders_catalog_bump_truncated AFTER TRUNCATE ON xsc_directory
    FOR EACH STATEMENT EXECUTE FUNCTION orders_catalog_bump();
