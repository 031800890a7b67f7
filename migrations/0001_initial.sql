-- voidmail's first schema: tasks, the outbound ledger, conversation turns, limiter usage,
-- alerts and incidents. Applied by voidmail/migrate.py inside one transaction.

-- Where the IMAP listener stands in each mailbox.
CREATE TABLE mailbox_state (
    mailbox      text PRIMARY KEY,
    uidvalidity  bigint NOT NULL,
    last_uid     bigint NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per inbound message: the unit of work.
CREATE TABLE tasks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailbox           text NOT NULL,
    uidvalidity       bigint NOT NULL,
    uid               bigint NOT NULL,
    message_id        text,
    -- What identifies the message across UIDVALIDITY changes: its Message-ID, or for mail
    -- without one a hash of its Date, From, Subject and size.
    message_key       text NOT NULL,
    -- A message already recorded under another UID points at the first copy.
    duplicate_of      bigint REFERENCES tasks (id) ON DELETE SET NULL,
    sender            text NOT NULL DEFAULT '',
    reply_to          text,
    subject           text NOT NULL DEFAULT '',
    size_bytes        bigint,
    body_hash         text,
    status            text NOT NULL DEFAULT 'pending',
    route             text,
    intent            text,
    attempts          integer NOT NULL DEFAULT 0,
    error_message     text,
    last_attempt_at   timestamptz,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    -- The daemon working on it (its advisory-lock id); dead daemons' claims are released.
    claimed_by        integer,
    -- IMAP flags still to be set on the message ('\Seen \Answered', '\Flagged', '\Seen').
    imap_flags        text,
    prompt_tokens     integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    received_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    CONSTRAINT tasks_uid_key UNIQUE (mailbox, uidvalidity, uid),
    CONSTRAINT tasks_status_check CHECK (status IN (
        'pending', 'processing', 'done', 'failed', 'dead_letter', 'reprocessing', 'human',
        'ignored')),
    CONSTRAINT tasks_route_check CHECK (
        route IS NULL OR route IN ('llm', 'human', 'ignored') OR route ~ '^faq:[a-z0-9_-]+$'),
    CONSTRAINT tasks_attempts_check CHECK (attempts >= 0),
    CONSTRAINT tasks_tokens_check CHECK (prompt_tokens >= 0 AND completion_tokens >= 0)
);

-- Deduplication: at most one original per message.
CREATE UNIQUE INDEX tasks_message_key_key ON tasks (message_key) WHERE duplicate_of IS NULL;
CREATE INDEX tasks_message_id_idx ON tasks (message_id);
CREATE INDEX tasks_flags_pending_idx ON tasks (mailbox, uidvalidity) WHERE imap_flags IS NOT NULL;
-- Claiming: runnable tasks in due order.
CREATE INDEX tasks_runnable_idx ON tasks (next_attempt_at, id)
    WHERE status IN ('pending', 'failed', 'reprocessing');
CREATE INDEX tasks_processing_idx ON tasks (claimed_by) WHERE status = 'processing';
CREATE INDEX tasks_status_idx ON tasks (status, created_at);
CREATE INDEX tasks_sender_idx ON tasks (lower(sender), created_at);

-- The raw message as fetched (BODY.PEEK[]), kept apart so task listings stay light.
CREATE TABLE task_bodies (
    task_id  bigint PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    raw      bytea NOT NULL
);

-- Every mail we send, written before SMTP and updated after: the at-most-once ledger.
CREATE TABLE outbound (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id        bigint REFERENCES tasks (id) ON DELETE SET NULL,
    kind           text NOT NULL,
    message_id     text NOT NULL,
    recipient      text NOT NULL,
    subject        text NOT NULL,
    body           text NOT NULL,
    status         text NOT NULL DEFAULT 'pending',
    attempts       integer NOT NULL DEFAULT 0,
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    CONSTRAINT outbound_message_id_key UNIQUE (message_id),
    CONSTRAINT outbound_kind_check CHECK (kind IN ('reply', 'alert', 'handoff_digest')),
    CONSTRAINT outbound_status_check CHECK (status IN (
        'pending', 'sending', 'sent', 'failed', 'abandoned'))
);
-- A task gets at most one reply, whatever happens.
CREATE UNIQUE INDEX outbound_one_reply_per_task ON outbound (task_id) WHERE kind = 'reply';
-- Per-sender caps count recent replies to a recipient.
CREATE INDEX outbound_recipient_idx ON outbound (lower(recipient), created_at);

-- Conversation memory: customer messages and our replies, keyed by customer and thread.
CREATE TABLE turns (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer    text NOT NULL,
    thread      text NOT NULL,
    role        text NOT NULL,
    task_id     bigint REFERENCES tasks (id) ON DELETE SET NULL,
    message_id  text,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT turns_role_check CHECK (role IN ('customer', 'shop'))
);
CREATE INDEX turns_customer_idx ON turns (customer, thread, id DESC);
-- A retried task records its turns once.
CREATE UNIQUE INDEX turns_task_role_key ON turns (task_id, role) WHERE task_id IS NOT NULL;

-- LLM use per day and model: the limiter's daily budgets survive restarts.
CREATE TABLE llm_usage (
    day                date NOT NULL,
    model              text NOT NULL,
    requests           integer NOT NULL DEFAULT 0,
    prompt_tokens      bigint NOT NULL DEFAULT 0,
    completion_tokens  bigint NOT NULL DEFAULT 0,
    rate_limited       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, model)
);

-- An incident groups failures of one kind (a bad API key, an SMTP outage) so that the admin
-- gets one mail per incident, not one per task.
CREATE TABLE incidents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    last_error   text NOT NULL,
    task_count   integer NOT NULL DEFAULT 0,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    notified_at  timestamptz,
    closed_at    timestamptz
);
CREATE UNIQUE INDEX incidents_one_open_per_kind ON incidents (kind) WHERE closed_at IS NULL;

-- Notes for a person (handoffs, dead letters) waiting to be batched into one mail.
CREATE TABLE admin_notes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    task_id      bigint REFERENCES tasks (id) ON DELETE CASCADE,
    note         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    outbound_id  bigint REFERENCES outbound (id) ON DELETE SET NULL
);
CREATE INDEX admin_notes_unsent_idx ON admin_notes (created_at) WHERE outbound_id IS NULL;
