-- The partner feed's positions. `order_events.sequence` is taken when a transaction inserts
-- an event, but transactions commit in another order, so a reader paging by sequence could
-- pass an event that commits later with a smaller number and never see it. Feed positions
-- are instead given to events only once they are committed, by one sequencer at a time
-- (an advisory transaction lock), so a reader that sees position N has already been able to
-- see every position below N: resuming from a cursor loses nothing and repeats nothing.
ALTER TABLE order_events ADD COLUMN feed_position bigint UNIQUE;
CREATE SEQUENCE order_feed_position_seq;
CREATE INDEX order_events_unpositioned ON order_events (sequence) WHERE feed_position IS NULL;
