-- The directory feed now also goes to orders (routing checked against the organisation,
-- disabled leads left out, escalation up the tree). Every account takes a new version so the
-- start-up backfill publishes it to orders too (the others get it again, newer and unchanged).
UPDATE accounts SET contact_version = nextval('contact_versions');
