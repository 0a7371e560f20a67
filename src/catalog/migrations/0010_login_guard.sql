-- Login guard (issue 12). Device cookies: a browser that logged in as a
-- person gets a random cookie bound to that username (stored as a blake3
-- hash, like sessions); attempts presenting it are counted apart from the
-- address's, so guesses from a shared office address cannot lock its owner
-- out. And failed logins are pruned by time, which needs an index on it.

CREATE TABLE login_devices (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES people(username) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX login_devices_user ON login_devices(username, created_at_ms);

CREATE INDEX login_failures_time ON login_failures(at_ms);
