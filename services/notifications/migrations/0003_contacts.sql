-- The gateway's account directory (SetContact), fed through the gateway's outbox. It is the
-- authority for every account and phone it names; account_phones (pairs learned from Send)
-- only answers for phones and accounts the directory does not know.
CREATE TABLE contacts (
    account_id text PRIMARY KEY,
    -- NULL once the gateway forgot the account's phone.
    phone      text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    enabled    boolean NOT NULL,
    -- The gateway's version of this entry: one sequence over all accounts, so that of two
    -- entries naming one phone (a number moved between accounts) the higher is the owner.
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX contacts_phone ON contacts (phone, version DESC) WHERE phone IS NOT NULL;
