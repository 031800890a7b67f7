-- A purged dead letter keeps its row, without its body, as a tombstone: the message is still
-- in the mailbox (unread), and without the row the next sweep would record it again.
ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_status_check CHECK (status IN (
    'pending', 'processing', 'done', 'failed', 'dead_letter', 'reprocessing', 'human',
    'ignored', 'purged'));
