-- Proposals (DOMAIN.md, "Proposals and team communication"). Times are timestamptz (UTC),
-- read and written as Unix ms. Every row names its team: reads are closed inside it.

-- A team's deadlines; a team without a row uses the defaults (decision window 30 minutes).
CREATE TABLE team_settings (
    team_path text PRIMARY KEY,
    decision_window_seconds integer NOT NULL CHECK (decision_window_seconds > 0),
    report_grace_seconds integer NOT NULL CHECK (report_grace_seconds > 0),
    review_window_seconds integer NOT NULL CHECK (review_window_seconds > 0),
    reminder_lead_seconds integer NOT NULL CHECK (reminder_lead_seconds >= 0),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE proposals (
    id text PRIMARY KEY,
    team_path text NOT NULL,
    proposer text NOT NULL,
    title text NOT NULL,
    purpose text NOT NULL,
    content text NOT NULL,
    resources text NOT NULL,
    start_at timestamptz NOT NULL,
    finish_at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('draft', 'submitted', 'executing', 'reviewing', 'closed', 'terminated')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    submitted_at timestamptz,
    -- How many levels of superiors were asked beyond the first (proposal_deciders.level).
    escalations integer NOT NULL DEFAULT 0,
    -- The first superior's deadline (a decision after it is late) and the current level's.
    first_decision_due_at timestamptz,
    decision_due_at timestamptz,
    first_opened_at timestamptz,
    first_opened_by text NOT NULL DEFAULT '',
    decision text NOT NULL DEFAULT '' CHECK (decision IN ('', 'execute', 'terminate')),
    decision_comment text NOT NULL DEFAULT '',
    decided_by text NOT NULL DEFAULT '',
    decided_at timestamptz,
    decision_late boolean NOT NULL DEFAULT false,
    analysis text NOT NULL DEFAULT '',
    analysis_at timestamptz,
    analysis_late boolean NOT NULL DEFAULT false,
    review_due_at timestamptz
);
CREATE INDEX proposals_team ON proposals (team_path, created_at DESC, id DESC);
CREATE INDEX proposals_proposer ON proposals (proposer) WHERE state IN ('draft', 'reviewing');

CREATE TABLE proposal_participants (
    proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    position integer NOT NULL,
    account_id text NOT NULL,
    PRIMARY KEY (proposal_id, account_id)
);
CREATE INDEX proposal_participants_account ON proposal_participants (account_id);

-- The superiors chain frozen at submission: level 0 decides first, escalations add levels.
CREATE TABLE proposal_deciders (
    proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    level integer NOT NULL,
    account_id text NOT NULL,
    PRIMARY KEY (proposal_id, level, account_id)
);
CREATE INDEX proposal_deciders_account ON proposal_deciders (account_id);

CREATE TABLE checkpoints (
    id text PRIMARY KEY,
    proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    position integer NOT NULL,
    at timestamptz NOT NULL,
    -- at + the team's report grace, fixed at submission.
    due_at timestamptz NOT NULL
);
CREATE INDEX checkpoints_proposal ON checkpoints (proposal_id, position);

CREATE TABLE checkpoint_reports (
    checkpoint_id text NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
    account_id text NOT NULL,
    result text NOT NULL,
    reported_at timestamptz NOT NULL,
    late boolean NOT NULL,
    PRIMARY KEY (checkpoint_id, account_id)
);

CREATE TABLE evaluations (
    proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    account_id text NOT NULL,
    score integer NOT NULL CHECK (score BETWEEN 1 AND 5),
    text text NOT NULL,
    submitted_at timestamptz NOT NULL,
    late boolean NOT NULL,
    PRIMARY KEY (proposal_id, account_id)
);

-- Every miss, once per (rule, person, reference); event_id is the settlements event's.
CREATE TABLE violations (
    event_id text PRIMARY KEY,
    rule text NOT NULL,
    person text NOT NULL,
    team_path text NOT NULL,
    proposal_id text NOT NULL DEFAULT '',
    reference text NOT NULL,
    due_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    detail text NOT NULL,
    UNIQUE (rule, person, reference)
);
CREATE INDEX violations_proposal ON violations (proposal_id) WHERE proposal_id <> '';
CREATE INDEX violations_team ON violations (team_path);

CREATE TABLE notices (
    id text PRIMARY KEY,
    team_path text NOT NULL,
    author text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    sms boolean NOT NULL,
    acknowledge_by timestamptz,
    published_at timestamptz NOT NULL
);
CREATE INDEX notices_team ON notices (team_path, published_at DESC, id DESC);

CREATE TABLE notice_reads (
    notice_id text NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    account_id text NOT NULL,
    read_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    PRIMARY KEY (notice_id, account_id)
);

CREATE TABLE notice_questions (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    notice_id text NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    asker text NOT NULL,
    text text NOT NULL,
    asked_at timestamptz NOT NULL,
    answer text NOT NULL DEFAULT '',
    answered_by text NOT NULL DEFAULT '',
    answered_at timestamptz
);
CREATE INDEX notice_questions_notice ON notice_questions (notice_id, seq);
