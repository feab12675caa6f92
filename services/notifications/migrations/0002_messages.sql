-- Messages, the inbox that mirrors them, the phone directory and inbound replies.

-- One row per SMS; the inbox is the rows that have a recipient account.
CREATE TABLE messages (
    id                   text PRIMARY KEY,
    -- Send's idempotency key: one message per key, whatever happens (never two sends).
    idempotency_key      text NOT NULL UNIQUE,
    recipient_account_id text,
    phone                text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    template             text NOT NULL,
    body                 text NOT NULL,
    category             text NOT NULL CHECK (category IN ('staff_sla', 'customer')),
    region_code          text NOT NULL,
    segments             integer NOT NULL CHECK (segments >= 1),
    encoding             text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    state                text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'delivered', 'failed')),
    attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL,
    -- Set while a delivery worker holds the row (its lease ends at next_attempt_at).
    lease_token          text,
    -- First hand-over to the provider: what the per-recipient rate limit counts.
    dispatched_at        timestamptz,
    sent_at              timestamptz,
    delivered_at         timestamptz,
    failure_reason       text,
    last_error           text,
    provider             text,
    provider_message_id  text UNIQUE,
    subject_kind         text NOT NULL DEFAULT '',
    subject_id           text NOT NULL DEFAULT '',
    subject_code         text NOT NULL DEFAULT '',
    -- An order prompt answered by an inbound reply.
    replied_at           timestamptz,
    read_at              timestamptz,
    created_at           timestamptz NOT NULL,
    -- Inbox order and WatchInbox resume point (ids are random).
    inbox_seq            bigserial NOT NULL UNIQUE
);

CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_recent_dispatch ON messages (phone, dispatched_at) WHERE dispatched_at IS NOT NULL;
CREATE INDEX messages_inbox ON messages (recipient_account_id, inbox_seq) WHERE recipient_account_id IS NOT NULL;
CREATE INDEX messages_open_prompts ON messages (phone, created_at)
    WHERE subject_kind = 'order' AND replied_at IS NULL;
CREATE INDEX messages_usage ON messages (region_code, sent_at) WHERE sent_at IS NOT NULL;

-- Which account a phone belongs to, for inbound replies. Filled by Send when it knows both
-- (and later by the gateway's account directory).
CREATE TABLE account_phones (
    phone      text PRIMARY KEY CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    account_id text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX account_phones_account ON account_phones (account_id, updated_at);

-- Every inbound SMS, with what it led to (the audit trail of SMS acknowledgements).
CREATE TABLE inbound_messages (
    id                  text PRIMARY KEY,
    provider_message_id text UNIQUE,
    phone               text NOT NULL,
    account_id          text,
    body                text NOT NULL,
    received_at         timestamptz NOT NULL,
    outcome             text NOT NULL,
    order_id            text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL
);
