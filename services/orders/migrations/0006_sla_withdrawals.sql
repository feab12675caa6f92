-- A recorded SLA miss can be withdrawn: when the step turns out to have been done in time (an
-- SMS reply sent before the deadline that reached orders only after the deadline timer fired),
-- the miss no longer counts and settlements is told to reverse its penalty. The row stays, so
-- the register shows what was recorded, when, and why it was withdrawn.
ALTER TABLE sla_violations
    -- The SlaViolation event's id (what settlements knows the miss by); '' for misses recorded
    -- before this migration.
    ADD COLUMN event_id text NOT NULL DEFAULT '',
    ADD COLUMN withdrawn_at timestamptz,
    -- The SlaViolationWithdrawn event's id and a sentence for people; set with withdrawn_at.
    ADD COLUMN withdrawal_event_id text,
    ADD COLUMN withdrawal_reason text NOT NULL DEFAULT '';
