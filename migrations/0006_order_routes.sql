-- Answers from the shop's order data: a status template, or the reply that asks for the
-- purchase address and number (an order that is not the sender's, or not found).
ALTER TABLE tasks DROP CONSTRAINT tasks_route_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_route_check CHECK (
    route IS NULL OR route IN ('llm', 'human', 'ignored', 'order:status', 'order:unmatched')
    OR route ~ '^faq:[a-z0-9_-]+$');
