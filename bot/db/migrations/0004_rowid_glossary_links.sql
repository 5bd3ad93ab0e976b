-- SQLite 3.40 reports false "NULL value in aliases.alias" / "related.related_slug" lines from
-- PRAGMA integrity_check on these WITHOUT ROWID tables, which would hide real corruption.
-- Rebuild them as ordinary tables with the same key; their rows come from data/ on every reload.
CREATE TABLE aliases_new (
    slug     TEXT NOT NULL REFERENCES terms (slug) ON DELETE CASCADE,
    alias    TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (slug, position)
);
INSERT INTO aliases_new (slug, alias, position) SELECT slug, alias, position FROM aliases;
DROP TABLE aliases;
ALTER TABLE aliases_new RENAME TO aliases;

CREATE TABLE related_new (
    slug         TEXT NOT NULL REFERENCES terms (slug) ON DELETE CASCADE,
    related_slug TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (slug, position)
);
INSERT INTO related_new (slug, related_slug, position) SELECT slug, related_slug, position FROM related;
DROP TABLE related;
ALTER TABLE related_new RENAME TO related;
