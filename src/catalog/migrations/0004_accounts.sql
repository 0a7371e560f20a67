-- Logins (issue 5): server-side sessions, API tokens, failed-login counts
-- for throttling, and the audit log KADIS/KABID read. Session ids and tokens
-- are stored as blake3 hashes, so a copy of the catalog cannot log anyone in.

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES people(username) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    seen_at_ms    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(username);

CREATE TABLE api_tokens (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES people(username) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE login_failures (
    username TEXT NOT NULL,
    addr     TEXT NOT NULL,
    at_ms    INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(username, addr, at_ms);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    username TEXT,                 -- NULL: not logged in (a failed login)
    action   TEXT NOT NULL,        -- e.g. "POST /api/events"
    target   TEXT NOT NULL,        -- the concrete path or the username concerned
    status   INTEGER NOT NULL      -- the HTTP status the request got
);
CREATE INDEX audit_time ON audit(at_ms);

ALTER TABLE people ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
