-- Named queries, loaded by voidmail/store.py. Parameters are $1, $2, ...; never string-built.

-- name: list_tasks --
-- Newest first; $1 is a status or NULL for all, $2 the row limit.
SELECT id, message_id, sender, subject, status, route, intent, attempts,
       error_message AS error, prompt_tokens, completion_tokens,
       created_at, finished_at, last_attempt_at
FROM tasks
WHERE $1::text IS NULL OR status = $1
ORDER BY id DESC
LIMIT $2;

-- name: count_tasks_by_status --
SELECT status, count(*) AS n FROM tasks GROUP BY status ORDER BY status;

-- name: get_mailbox_state --
SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = $1;

-- name: set_mailbox_state --
-- A new UIDVALIDITY starts again from $3; under the same one last_uid only moves forward.
INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES ($1, $2, $3)
ON CONFLICT (mailbox) DO UPDATE
SET last_uid = CASE WHEN mailbox_state.uidvalidity = EXCLUDED.uidvalidity
                    THEN greatest(mailbox_state.last_uid, EXCLUDED.last_uid)
                    ELSE EXCLUDED.last_uid END,
    uidvalidity = EXCLUDED.uidvalidity,
    updated_at = now();

-- name: known_uids --
SELECT uid FROM tasks WHERE mailbox = $1 AND uidvalidity = $2 AND uid = ANY($3::bigint[]);

-- name: insert_task --
-- Nothing is inserted if this UID or this message (message_key) is already recorded.
INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key, sender, reply_to,
                   subject, size_bytes, received_at, status, route, error_message, finished_at,
                   imap_flags)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
        CASE WHEN $11 IN ('pending') THEN NULL ELSE now() END, $14)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: insert_duplicate --
-- A second copy of a recorded message (another UID, another UIDVALIDITY): kept, not answered.
INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key, duplicate_of, sender,
                   reply_to, subject, size_bytes, received_at, status, route, error_message,
                   finished_at)
SELECT $1, $2, $3, $4, $5, original.id, $6, $7, $8, $9, $10, 'ignored', 'ignored',
       'duplicate of task ' || original.id, now()
FROM tasks AS original
WHERE original.message_key = $5 AND original.duplicate_of IS NULL
ON CONFLICT DO NOTHING
RETURNING id;

-- name: insert_body --
INSERT INTO task_bodies (task_id, raw) VALUES ($1, $2) ON CONFLICT (task_id) DO NOTHING;

-- name: get_body --
SELECT raw FROM task_bodies WHERE task_id = $1;

-- name: runnable_ids --
-- Due tasks this daemon does not already hold, oldest first.
SELECT id FROM tasks
WHERE status IN ('pending', 'failed', 'reprocessing') AND next_attempt_at <= now()
  AND NOT (id = ANY($1::bigint[]))
ORDER BY next_attempt_at, id
LIMIT $2;

-- name: next_due_in --
-- Seconds until the next runnable task this daemon does not already hold falls due, or NULL.
-- Queued ids ($1) are left out: they are due but taken, and counting them would wake the
-- dispatcher again at once for as long as a backlog lasts.
SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 FROM tasks
WHERE status IN ('pending', 'failed', 'reprocessing') AND NOT (id = ANY($1::bigint[]));

-- name: claim --
-- Take task $1 for daemon $2 if it is runnable and nobody else holds it. Counts the attempt.
UPDATE tasks SET status = 'processing', claimed_by = $2, attempts = attempts + 1,
                 last_attempt_at = now()
WHERE id = (SELECT id FROM tasks
            WHERE id = $1 AND status IN ('pending', 'failed', 'reprocessing')
              AND next_attempt_at <= now()
            FOR UPDATE SKIP LOCKED)
RETURNING id, mailbox, uidvalidity, uid, message_id, sender, reply_to, subject, size_bytes,
          attempts, received_at, created_at;

-- name: release_dead_claims --
-- Tasks held by daemons that are gone (their advisory lock $1/claimed_by is no longer held)
-- become runnable again. The interrupted attempt still counts, so a message that kills the
-- daemon ends in the dead-letter queue instead of crashing it forever.
UPDATE tasks t SET status = 'pending', claimed_by = NULL
WHERE t.status = 'processing'
  AND (t.claimed_by IS NULL OR NOT EXISTS (
        SELECT 1 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.classid = $1::int4::oid AND l.objid = t.claimed_by::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))
RETURNING id;

-- name: release_claim --
-- Give back a task this daemon holds without spending its attempt (shutdown, breaker open).
UPDATE tasks SET status = CASE WHEN attempts <= 1 AND error_message IS NULL
                               THEN 'pending' ELSE 'failed' END,
                 attempts = greatest(attempts - 1, 0), claimed_by = NULL
WHERE id = $1 AND status = 'processing' AND claimed_by = $2;

-- name: finish --
-- A terminal state: done, human, ignored or dead_letter.
UPDATE tasks SET status = $2, route = $3, intent = $4, error_message = $5, imap_flags = $6,
                 prompt_tokens = prompt_tokens + $7, completion_tokens = completion_tokens + $8,
                 claimed_by = NULL, finished_at = now()
WHERE id = $1;

-- name: schedule_retry --
-- $6: give the attempt back (the provider was unavailable; the message itself was not tried).
UPDATE tasks SET status = 'failed', error_message = $2,
                 attempts = CASE WHEN $6 THEN greatest(attempts - 1, 0) ELSE attempts END,
                 next_attempt_at = now() + make_interval(secs => $3), claimed_by = NULL,
                 prompt_tokens = prompt_tokens + $4, completion_tokens = completion_tokens + $5
WHERE id = $1;

-- name: pending_flags --
SELECT id, uid, imap_flags FROM tasks
WHERE mailbox = $1 AND uidvalidity = $2 AND imap_flags IS NOT NULL
ORDER BY id
LIMIT $3;

-- name: clear_flags --
UPDATE tasks SET imap_flags = NULL WHERE id = $1;

-- name: drop_stale_flags --
-- After a UIDVALIDITY change the old UIDs name nothing; their flags cannot be set any more.
UPDATE tasks SET imap_flags = NULL WHERE mailbox = $1 AND uidvalidity <> $2
  AND imap_flags IS NOT NULL;

-- name: lock_recipient --
-- Held to the end of the transaction: one reservation at a time per address (any case).
SELECT pg_advisory_xact_lock($1::int4, hashtext(lower($2)));

-- name: insert_reply --
-- Write the reply to the ledger before it leaves (one per task: a unique index). $6: 'smtp' or
-- 'draft'.
INSERT INTO outbound (task_id, kind, message_id, recipient, subject, body, channel)
VALUES ($1, 'reply', $2, $3, $4, $5, $6)
RETURNING id, message_id, status, body, channel;

-- name: shop_wrote_to --
SELECT EXISTS (SELECT 1 FROM turns WHERE customer = lower($1) AND role = 'shop');

-- name: reply_of --
SELECT id, message_id, status, body, channel FROM outbound WHERE task_id = $1 AND kind = 'reply';

-- name: add_outbound --
INSERT INTO outbound (task_id, kind, message_id, recipient, subject, body)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- name: mark_sending --
-- Returns a row only if the message was waiting: from here on its fate may be unknown.
UPDATE outbound SET status = 'sending', attempts = attempts + 1
WHERE id = $1 AND status IN ('pending', 'failed')
RETURNING id;

-- name: mark_drafting --
-- A draft may be written again after an interruption: writing it looks for it first.
UPDATE outbound SET status = 'sending', attempts = attempts + 1
WHERE id = $1 AND channel = 'draft' AND status IN ('pending', 'failed', 'sending')
RETURNING id;

-- name: mark_drafted --
-- The draft is in the mailbox: what a person does with it is looked for from now on.
UPDATE outbound SET status = 'sent', sent_at = now(), error_message = NULL, review = 'pending'
WHERE id = $1;

-- name: pending_drafts --
SELECT o.id, o.message_id, o.body, o.recipient, o.task_id, t.message_id AS parent, t.subject
FROM outbound o JOIN tasks t ON t.id = o.task_id
WHERE o.review = 'pending' ORDER BY o.id LIMIT $1;

-- name: draft_answered --
-- A person sent the draft (as written or edited): the message is answered.
UPDATE tasks SET status = 'done', error_message = NULL, finished_at = now()
WHERE id = $1 AND status = 'human';

-- name: set_review --
UPDATE outbound SET review = $2, review_similarity = $3, reviewed_at = now()
WHERE id = $1 AND review = 'pending';

-- name: stats_reviews --
-- Drafts written since $1 by route and intent: what people did with them, and how long it took.
SELECT coalesce(split_part(t.route, ':', 1), '-') AS route, coalesce(t.intent, '-') AS intent,
       count(*) AS drafts,
       count(*) FILTER (WHERE o.review = 'approved') AS approved,
       count(*) FILTER (WHERE o.review = 'edited') AS edited,
       count(*) FILTER (WHERE o.review = 'discarded') AS discarded,
       count(*) FILTER (WHERE o.review = 'pending') AS pending,
       avg(o.review_similarity) FILTER (WHERE o.review = 'edited') AS edited_similarity,
       avg(extract(epoch FROM o.reviewed_at - o.sent_at))
           FILTER (WHERE o.review IN ('approved', 'edited')) AS wait_seconds
FROM outbound o JOIN tasks t ON t.id = o.task_id
WHERE o.channel = 'draft' AND o.review IS NOT NULL AND o.created_at >= $1
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: mark_sent --
UPDATE outbound SET status = 'sent', sent_at = now(), error_message = NULL WHERE id = $1;

-- name: mark_send_failed --
-- $2: 'failed' (certainly not sent; may be tried again) or 'abandoned'.
UPDATE outbound SET status = $2, error_message = $3 WHERE id = $1;

-- name: replies_to --
-- Automatic replies sent (or on their way) to one address in the last $2 hours.
SELECT count(*) FROM outbound
WHERE kind = 'reply' AND lower(recipient) = lower($1)
  AND status IN ('pending', 'sending', 'sent')
  AND created_at > now() - make_interval(hours => $2);

-- name: repeated_body --
-- Record the body hash of task $1; true if the same sender sent the same text before and it
-- was answered or is being answered (within a week).
WITH marked AS (UPDATE tasks SET body_hash = $3 WHERE id = $1)
SELECT EXISTS (
    SELECT 1 FROM tasks
    WHERE id <> $1 AND lower(sender) = lower($2) AND body_hash = $3
      AND status IN ('done', 'processing')
      AND created_at > now() - interval '7 days');

-- name: add_note --
INSERT INTO admin_notes (task_id, kind, note) VALUES ($1, $2, $3);

-- name: unsent_notes --
SELECT id, kind, task_id, note, created_at FROM admin_notes
WHERE outbound_id IS NULL ORDER BY id LIMIT $1;

-- name: oldest_unsent_note_age --
SELECT extract(epoch FROM now() - min(created_at))::float8 FROM admin_notes
WHERE outbound_id IS NULL;

-- name: attach_notes --
UPDATE admin_notes SET outbound_id = $1 WHERE id = ANY($2::bigint[]) AND outbound_id IS NULL;

-- name: unsent_outbound --
-- Notes to the admin that were written but not (certainly) sent: try them again.
SELECT id, kind, message_id, recipient, subject, body FROM outbound
WHERE kind <> 'reply' AND status IN ('pending', 'failed') ORDER BY id LIMIT $1;

-- name: clear_flags_many --
UPDATE tasks SET imap_flags = NULL WHERE id = ANY($1::bigint[]);

-- name: dlq_list --
SELECT id, message_id, sender, subject, attempts, error_message AS error, last_attempt_at,
       finished_at, created_at
FROM tasks WHERE status = 'dead_letter' ORDER BY id LIMIT $1;

-- name: task_detail --
SELECT id, mailbox, uidvalidity, uid, message_id, duplicate_of, sender, reply_to, subject,
       size_bytes, status, route, intent, attempts, error_message AS error, last_attempt_at,
       next_attempt_at, prompt_tokens, completion_tokens, received_at, created_at, finished_at
FROM tasks WHERE id = $1;

-- name: task_outbound --
SELECT id, kind, message_id, recipient, subject, status, attempts, error_message AS error,
       created_at, sent_at
FROM outbound WHERE task_id = $1 ORDER BY id;

-- name: dlq_retry --
-- Dead letters back to the queue as 'reprocessing' with their attempts reset. $1 NULL: all.
UPDATE tasks SET status = 'reprocessing', attempts = 0, next_attempt_at = now(),
                 finished_at = NULL, claimed_by = NULL
WHERE status = 'dead_letter' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
RETURNING id;

-- name: reopen_refused_replies --
-- A reply the SMTP server refused for good was certainly not sent: a replay may send it.
UPDATE outbound SET status = 'failed'
WHERE kind = 'reply' AND status = 'abandoned' AND task_id = ANY($1::bigint[]);

-- name: dlq_purge --
-- Old dead letters become tombstones: status 'purged', their raw message dropped. The row
-- stays so the message (still unread in the mailbox) is known and never recorded again.
WITH purged AS (
    UPDATE tasks SET status = 'purged', imap_flags = NULL, finished_at = now()
    WHERE status = 'dead_letter'
      AND coalesce(finished_at, created_at) < now() - make_interval(secs => $1)
    RETURNING id
), bodies AS (
    DELETE FROM task_bodies WHERE task_id IN (SELECT id FROM purged)
)
SELECT id FROM purged;

-- name: notify_work --
SELECT pg_notify('voidmail_work', '');

-- name: stats_totals --
-- Everything recorded since $1 (a timestamp), by outcome.
SELECT count(*) FILTER (WHERE duplicate_of IS NULL) AS mails_in,
       count(*) FILTER (WHERE status = 'done' AND route LIKE 'faq:%') AS answered_faq,
       count(*) FILTER (WHERE status = 'done' AND route = 'llm') AS answered_llm,
       count(*) FILTER (WHERE status = 'done' AND route LIKE 'order:%') AS answered_order,
       count(*) FILTER (WHERE status = 'human') AS handed_to_people,
       count(*) FILTER (WHERE status = 'ignored') AS ignored,
       count(*) FILTER (WHERE status = 'dead_letter') AS dead_letters,
       count(*) FILTER (WHERE status IN ('pending', 'processing', 'failed', 'reprocessing'))
           AS waiting,
       coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
       coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens
FROM tasks WHERE created_at >= $1;

-- name: stats_latency --
-- Seconds from recording a message to its reply leaving: p50 and p95.
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - t.created_at))
           AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - t.created_at))
           AS p95,
       count(*) AS replies
FROM outbound o JOIN tasks t ON t.id = o.task_id
WHERE o.kind = 'reply' AND o.status = 'sent' AND t.created_at >= $1;

-- name: set_lane_class --
UPDATE tasks SET lane_class = $2 WHERE id = $1;

-- name: stats_lanes --
-- LLM-bound mail since $1 by lane class: how many, how they ended, the tokens they spent.
SELECT lane_class,
       count(*) AS mails,
       count(*) FILTER (WHERE status = 'done' AND route = 'llm') AS answered,
       count(*) FILTER (WHERE status = 'ignored') AS ignored,
       count(*) FILTER (WHERE status IN ('pending', 'processing', 'failed', 'reprocessing'))
           AS waiting,
       coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint AS tokens
FROM tasks WHERE created_at >= $1 AND lane_class IS NOT NULL
GROUP BY 1 ORDER BY 1;

-- name: stats_rate_limited --
SELECT coalesce(sum(rate_limited), 0)::bigint AS rate_limited,
       coalesce(sum(requests), 0)::bigint AS llm_requests
FROM llm_usage WHERE day >= ($1::timestamptz)::date;

-- name: stats_hourly --
SELECT date_trunc('hour', created_at) AS hour,
       count(*) FILTER (WHERE duplicate_of IS NULL) AS mails_in,
       count(*) FILTER (WHERE status = 'done' AND route LIKE 'faq:%') AS faq,
       count(*) FILTER (WHERE status = 'done' AND route = 'llm') AS llm,
       count(*) FILTER (WHERE status = 'human') AS human,
       count(*) FILTER (WHERE status = 'ignored') AS ignored,
       count(*) FILTER (WHERE status = 'dead_letter') AS dead
FROM tasks WHERE created_at >= $1
GROUP BY 1 ORDER BY 1;

-- name: add_llm_usage --
INSERT INTO llm_usage (day, model, requests, prompt_tokens, completion_tokens, rate_limited)
VALUES (current_date, $1, $2, $3, $4, $5)
ON CONFLICT (day, model) DO UPDATE
SET requests = llm_usage.requests + EXCLUDED.requests,
    prompt_tokens = llm_usage.prompt_tokens + EXCLUDED.prompt_tokens,
    completion_tokens = llm_usage.completion_tokens + EXCLUDED.completion_tokens,
    rate_limited = llm_usage.rate_limited + EXCLUDED.rate_limited;

-- name: llm_usage_today --
SELECT coalesce(sum(requests), 0)::bigint AS requests,
       coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint AS tokens
FROM llm_usage WHERE day = current_date AND model = $1;

-- name: add_turn --
INSERT INTO turns (customer, thread, role, task_id, message_id, body)
VALUES (lower($1), $2, $3, $4, $5, $6)
ON CONFLICT (task_id, role) WHERE task_id IS NOT NULL DO NOTHING;

-- name: recent_turns --
-- The last $4 turns of this customer's thread, oldest first, without task $3's own message.
SELECT role, body FROM (
    SELECT id, role, body FROM turns
    WHERE customer = lower($1) AND thread = $2
      AND NOT (role = 'customer' AND task_id IS NOT DISTINCT FROM $3)
    ORDER BY id DESC LIMIT $4) AS recent
ORDER BY id;
