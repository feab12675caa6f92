-- Issue 20, the operations board (GetBoard / WatchBoard). Numbered 0013 after the channel
-- conflicts' 0012 (0009-0011 stay the campaigns work's).
--
-- The board reads the orders still on it - received, acknowledged, assigned, accepted, delivered
-- - oldest first; this index holds only those, so its size follows the open work, not history.
CREATE INDEX orders_on_board ON orders (created_at, id)
    WHERE state IN ('received', 'acknowledged', 'assigned', 'accepted', 'delivered');

-- Today's violations (recorded in the organisation day).
CREATE INDEX sla_violations_recorded ON sla_violations (recorded_at, id);
