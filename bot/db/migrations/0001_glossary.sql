-- Glossary content (rebuilt from data/ whenever it changes) and lookup statistics.
-- Statistics reference terms by slug without a foreign key, so a reload never loses them.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE terms (
    slug       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    module     TEXT NOT NULL,
    definition TEXT NOT NULL,
    example    TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL
);
CREATE INDEX terms_module ON terms (module, position);

CREATE TABLE aliases (
    slug     TEXT NOT NULL REFERENCES terms (slug) ON DELETE CASCADE,
    alias    TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (slug, position)
) WITHOUT ROWID;

CREATE TABLE related (
    slug         TEXT NOT NULL REFERENCES terms (slug) ON DELETE CASCADE,
    related_slug TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (slug, position)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE terms_fts USING fts5 (
    slug UNINDEXED, name, aliases, definition, tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE lookups (
    slug      TEXT PRIMARY KEY,
    count     INTEGER NOT NULL DEFAULT 0,
    last_seen TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE misses (
    query_key TEXT PRIMARY KEY,
    query     TEXT NOT NULL,
    count     INTEGER NOT NULL DEFAULT 0,
    last_seen TEXT NOT NULL
) WITHOUT ROWID;
