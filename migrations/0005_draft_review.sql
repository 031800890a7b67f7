-- What became of each draft: sent as written (approved), sent after editing (edited, with how
-- similar the sent text is to ours), deleted unsent (discarded), or not yet known (pending).
ALTER TABLE outbound ADD COLUMN review text;
ALTER TABLE outbound ADD COLUMN review_similarity real;
ALTER TABLE outbound ADD COLUMN reviewed_at timestamptz;
ALTER TABLE outbound ADD CONSTRAINT outbound_review_check
    CHECK (review IS NULL OR review IN ('pending', 'approved', 'edited', 'discarded'));
CREATE INDEX outbound_review_pending_idx ON outbound (id) WHERE review = 'pending';
