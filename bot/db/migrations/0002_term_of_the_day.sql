-- Term of the day: per-server settings, one row per server and local date, and skipped terms.
-- Rows reference terms by slug without a foreign key, so a glossary reload never loses history.
-- Instants are UTC ISO-8601 text; local dates are YYYY-MM-DD in the server's zone.
CREATE TABLE totd_settings (
    guild_id         INTEGER PRIMARY KEY,
    channel_id       INTEGER NOT NULL,
    post_time        TEXT    NOT NULL,            -- "HH:MM" on the wall clocks of `timezone`
    timezone         TEXT    NOT NULL,            -- an IANA name such as Europe/Berlin
    catch_up_minutes INTEGER NOT NULL DEFAULT 360,
    role_id          INTEGER,                     -- the one role a post may ping
    module           TEXT,                        -- module focus; NULL for the whole glossary
    threads          INTEGER NOT NULL DEFAULT 0,
    enabled          INTEGER NOT NULL DEFAULT 1,
    active_from      TEXT    NOT NULL,            -- scheduled instants before this are not owed
    problem          TEXT,                        -- the current delivery problem, for /totd status
    problem_since    TEXT,
    blocked_until    TEXT,                        -- after a 403/404: no attempt before this
    updated_at       TEXT    NOT NULL
);

-- The primary key is the exactly-once guarantee: the intent to post is this row, written
-- (status 'sending') before the message is sent, so a second post for the date cannot start.
CREATE TABLE totd_posts (
    guild_id        INTEGER NOT NULL,
    local_date      TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('sending', 'failed', 'posted', 'missed')),
    slug            TEXT,                         -- NULL for a day missed before a term was chosen
    cycle           INTEGER NOT NULL DEFAULT 0,
    channel_id      INTEGER,
    message_id      INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    posted_at       TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (guild_id, local_date)
) WITHOUT ROWID;
CREATE INDEX totd_posts_cycle ON totd_posts (guild_id, cycle);

-- Terms an admin skipped with /totd skip: they go to the end of their cycle.
CREATE TABLE totd_skips (
    guild_id   INTEGER NOT NULL,
    cycle      INTEGER NOT NULL,
    slug       TEXT    NOT NULL,
    local_date TEXT    NOT NULL,
    PRIMARY KEY (guild_id, cycle, slug)
) WITHOUT ROWID;
