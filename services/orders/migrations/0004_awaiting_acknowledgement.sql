-- Finding the orders that wait for a lead's acknowledgement (an SMS reply "1" without a code)
-- looks only at received and assigned orders.
CREATE INDEX orders_awaiting_acknowledgement ON orders (updated_at DESC, id DESC) WHERE state IN ('received', 'assigned');
