-- Community glossary: member suggestions, the moderators' queue, and each server's own terms.
-- Server terms are an overlay keyed by (server, slug): reloading the bundled glossary never touches them.
CREATE TABLE community_settings (
    guild_id          INTEGER PRIMARY KEY,
    review_channel_id INTEGER,
    moderator_role_id INTEGER,
    channel_problem   TEXT,
    updated_at        TEXT NOT NULL
);

CREATE TABLE suggestions (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    user_id          INTEGER,             -- NULL once the member ran /forgetme
    target_slug      TEXT,                -- the term a correction replaces; NULL for a new term
    name             TEXT NOT NULL,
    definition       TEXT NOT NULL,
    aliases          TEXT NOT NULL DEFAULT '[]',  -- JSON array
    example          TEXT NOT NULL DEFAULT '',
    module           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('draft', 'open', 'approved', 'rejected', 'discarded')),
    created_at       TEXT NOT NULL,
    decided_by       INTEGER,
    decided_at       TEXT,
    reason           TEXT,
    queue_channel_id INTEGER,
    queue_message_id INTEGER,
    notified         INTEGER NOT NULL DEFAULT 1  -- 0: the outcome still has to reach the member
);
CREATE INDEX suggestions_member ON suggestions (user_id, created_at);
CREATE INDEX suggestions_queue ON suggestions (guild_id, state);
CREATE INDEX suggestions_unnotified ON suggestions (user_id) WHERE notified = 0;

CREATE TABLE server_terms (
    guild_id       INTEGER NOT NULL,
    slug           TEXT NOT NULL,
    name           TEXT NOT NULL,
    module         TEXT NOT NULL,
    definition     TEXT NOT NULL,
    example        TEXT NOT NULL DEFAULT '',
    aliases        TEXT NOT NULL DEFAULT '[]',  -- JSON array
    related        TEXT NOT NULL DEFAULT '[]',  -- JSON array of slugs
    overrides      INTEGER NOT NULL DEFAULT 0,  -- 1: replaces the bundled term with this slug here
    base_hash      TEXT NOT NULL DEFAULT '',
    credit_user_id INTEGER,
    suggestion_id  INTEGER REFERENCES suggestions (id) ON DELETE SET NULL,
    approved_by    INTEGER NOT NULL,
    approved_at    TEXT NOT NULL,
    PRIMARY KEY (guild_id, slug)
);

-- Every name and alias key of a server's terms, so no two of them can ever share one.
CREATE TABLE server_term_keys (
    guild_id INTEGER NOT NULL,
    key      TEXT NOT NULL,
    slug     TEXT NOT NULL,
    PRIMARY KEY (guild_id, key),
    FOREIGN KEY (guild_id, slug) REFERENCES server_terms (guild_id, slug) ON DELETE CASCADE
) WITHOUT ROWID;

-- Lookups that matched nothing, per server and UTC day, for the gap report.
CREATE TABLE server_misses (
    guild_id  INTEGER NOT NULL,
    query_key TEXT NOT NULL,
    day       TEXT NOT NULL,
    query     TEXT NOT NULL,
    count     INTEGER NOT NULL DEFAULT 0,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (guild_id, query_key, day)
) WITHOUT ROWID;
CREATE INDEX server_misses_day ON server_misses (guild_id, day);
