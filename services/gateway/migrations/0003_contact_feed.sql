-- The account directory the gateway publishes to the notifications service (SetContact through
-- the outbox, xsc_outbox of the platform migrations). Every change of an account's phone or
-- enabled flag takes a new contact_version from one sequence for all accounts, so versions
-- also order two accounts' claims on one phone (a number that moved: the newer claim wins).
-- contact_published is the version last queued in the outbox; an account where it lags
-- (every account that existed before this migration) is published by the start-up backfill.
CREATE SEQUENCE contact_versions;

ALTER TABLE accounts
    ADD COLUMN contact_version bigint NOT NULL DEFAULT nextval('contact_versions'),
    ADD COLUMN contact_published bigint NOT NULL DEFAULT 0;

CREATE INDEX accounts_contact_unpublished ON accounts (id) WHERE contact_published < contact_version;
