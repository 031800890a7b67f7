-- How a reply leaves: sent over SMTP, or written as a draft in the mailbox for a person.
ALTER TABLE outbound ADD COLUMN channel text NOT NULL DEFAULT 'smtp';
ALTER TABLE outbound ADD CONSTRAINT outbound_channel_check CHECK (channel IN ('smtp', 'draft'));
