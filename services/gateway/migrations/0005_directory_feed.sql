-- The directory feed now also goes to customers, proposals and settlements (DirectoryEntry:
-- name, role, node, enabled). Every account takes a new version so the start-up backfill
-- publishes it to them (notifications gets its SetContact again, newer and unchanged).
UPDATE accounts SET contact_version = nextval('contact_versions');
