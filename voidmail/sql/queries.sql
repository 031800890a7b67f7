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
