-- Study features: quizzes, spaced-repetition decks, study days and learner settings.
-- Terms are referenced by slug without a foreign key, so a glossary reload never loses study data.
-- Instants are UTC ISO-8601 text of fixed width (microseconds, "+00:00"), so text order is time order;
-- local dates are YYYY-MM-DD in the learner's zone at the time.

-- A learner's settings; a missing row means every default (and the server's zone until one is set).
CREATE TABLE study_settings (
    user_id         INTEGER PRIMARY KEY,
    timezone        TEXT,
    retention       REAL    NOT NULL DEFAULT 0.9 CHECK (retention BETWEEN 0.7 AND 0.97),
    new_per_day     INTEGER NOT NULL DEFAULT 20 CHECK (new_per_day BETWEEN 0 AND 500),
    reviews_per_day INTEGER NOT NULL DEFAULT 200 CHECK (reviews_per_day BETWEEN 0 AND 9999),
    updated_at      TEXT    NOT NULL
);

-- One card per learner and term. `reps` doubles as a version: a rating applies only to the
-- version its button names, so a double click or a stale message never reviews a card twice.
CREATE TABLE study_cards (
    card_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    slug        TEXT    NOT NULL,
    state       INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),  -- 0 new, then fsrs's State
    step        INTEGER,
    stability   REAL,
    difficulty  REAL,
    due         TEXT,                                                      -- NULL while new
    last_review TEXT,
    reps        INTEGER NOT NULL DEFAULT 0,
    lapses      INTEGER NOT NULL DEFAULT 0,
    leech       INTEGER NOT NULL DEFAULT 0,
    added_at    TEXT    NOT NULL,
    UNIQUE (user_id, slug)
);
CREATE INDEX study_cards_queue ON study_cards (user_id, state, due);

-- Every review, for daily limits (and a future FSRS optimisation of each learner's parameters).
CREATE TABLE study_reviews (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    card_id     INTEGER NOT NULL,
    slug        TEXT    NOT NULL,
    grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
    prev_state  INTEGER NOT NULL,
    state       INTEGER NOT NULL,
    reviewed_at TEXT    NOT NULL
);
CREATE INDEX study_reviews_user ON study_reviews (user_id, reviewed_at);

-- The local dates a learner reviewed or answered a quiz on: the streak.
CREATE TABLE study_days (
    user_id    INTEGER NOT NULL,
    local_date TEXT    NOT NULL,
    PRIMARY KEY (user_id, local_date)
) WITHOUT ROWID;

-- Terms a learner has met in a review or a quiz question.
CREATE TABLE study_seen (
    user_id    INTEGER NOT NULL,
    slug       TEXT    NOT NULL,
    first_seen TEXT    NOT NULL,
    PRIMARY KEY (user_id, slug)
) WITHOUT ROWID;

-- A quiz question. Public ones close at `closes_at` (the tally is revealed then, also after a
-- restart); practice ones are ephemeral, answered once by the learner who asked and never closed.
CREATE TABLE quiz_questions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER,                    -- NULL in direct messages
    channel_id INTEGER,
    message_id INTEGER,                    -- set once Discord has the message
    asked_by   INTEGER,                    -- NULL once that member used /forgetme
    public     INTEGER NOT NULL CHECK (public IN (0, 1)),
    mode       TEXT    NOT NULL CHECK (mode IN ('definition', 'term')),
    slug       TEXT    NOT NULL,
    options    TEXT    NOT NULL,           -- JSON array of the four slugs, in button order
    answer     INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 3),
    created_at TEXT    NOT NULL,
    closes_at  TEXT,
    closed_at  TEXT
);
CREATE INDEX quiz_questions_open ON quiz_questions (closes_at) WHERE closed_at IS NULL AND closes_at IS NOT NULL;
CREATE INDEX quiz_questions_practice ON quiz_questions (created_at) WHERE public = 0;

-- One answer per member and question, enforced here, not in memory.
CREATE TABLE quiz_answers (
    question_id INTEGER NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    guild_id    INTEGER,                   -- copied from the question for the leaderboard
    choice      INTEGER NOT NULL CHECK (choice BETWEEN 0 AND 3),
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points      INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT    NOT NULL,
    PRIMARY KEY (question_id, user_id)
) WITHOUT ROWID;
CREATE INDEX quiz_answers_board ON quiz_answers (guild_id, answered_at) WHERE points > 0;
CREATE INDEX quiz_answers_user ON quiz_answers (user_id);
