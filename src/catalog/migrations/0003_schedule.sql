-- The schedule (SOP steps 1, 2 and 4): people, their cameras, the monthly
-- roster, the leaders' agenda (events) and the crews assigned to cover them.
-- Matching reads it to tag files; tags live on the asset rows.

CREATE TABLE people (
    username      TEXT PRIMARY KEY,          -- lowercase; also the inbox folder name
    name          TEXT NOT NULL,
    nip           TEXT,                      -- 18 digits for ASN; none for tenaga ahli
    role          TEXT NOT NULL,             -- kadis | kabid | kasi | staf | tenaga_ahli
    crew_roles    TEXT NOT NULL DEFAULT '[]',-- JSON: fotografer | kameraman | reporter
    is_admin      INTEGER NOT NULL DEFAULT 0,
    pangkat       TEXT,
    jabatan       TEXT,
    password_hash TEXT,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE cameras (
    serial               TEXT PRIMARY KEY,   -- as registered
    serial_key           TEXT NOT NULL UNIQUE, -- normalised for matching (trimmed, upper case, no leading zeros)
    make                 TEXT,
    model                TEXT,
    owner                TEXT NOT NULL REFERENCES people(username),
    clock_offset_seconds INTEGER NOT NULL DEFAULT 0,  -- camera clock minus true time
    offset_source        TEXT,              -- manual | proposal | clock_shot
    offset_learned_at_ms INTEGER
);

CREATE TABLE roster (
    day      TEXT NOT NULL,                  -- YYYY-MM-DD (WITA)
    username TEXT NOT NULL REFERENCES people(username),
    PRIMARY KEY (day, username)
);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    leader        TEXT NOT NULL,             -- gubernur | wakil_gubernur | sekda | kadis | lainnya
    location      TEXT NOT NULL,
    starts_at_ms  INTEGER NOT NULL,
    ends_at_ms    INTEGER NOT NULL,
    zone_seconds  INTEGER NOT NULL,          -- the offset the times were given in
    out_of_town   INTEGER NOT NULL,
    source        TEXT,
    lat           REAL,
    lon           REAL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX events_time ON events(starts_at_ms, ends_at_ms);

CREATE TABLE assignments (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES events(id),
    status        TEXT NOT NULL,             -- planned | assigned | letter_issued | covered | reported | approved | published
    folder        TEXT NOT NULL,             -- archive folder label, fixed at creation
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE crew (
    assignment_id INTEGER NOT NULL REFERENCES assignments(id),
    username      TEXT NOT NULL REFERENCES people(username),
    role          TEXT NOT NULL,             -- fotografer | kameraman | reporter
    PRIMARY KEY (assignment_id, username)
);
CREATE INDEX crew_user ON crew(username);

-- Tags: who decided (NULL = matching; a username = by hand, never undone by
-- re-matching), how sure, and why a file waits in triage.
ALTER TABLE assets ADD COLUMN tagged_by TEXT;
ALTER TABLE assets ADD COLUMN match_confidence REAL;
ALTER TABLE assets ADD COLUMN triage_reason TEXT;
ALTER TABLE assets ADD COLUMN triage_suggestions TEXT;   -- JSON list
ALTER TABLE assets ADD COLUMN serial_key TEXT;           -- schedule::serial_key(serial)
CREATE INDEX assets_serial_key ON assets(serial_key);
CREATE INDEX assets_assignment ON assets(assignment_id);

-- A re-filing in progress: written before the rename, removed with the commit
-- that records the new place. Start-up finishes or forgets what a crash left.
CREATE TABLE refiles (
    asset_id      TEXT PRIMARY KEY REFERENCES assets(id),
    from_path     BLOB NOT NULL,
    to_path       BLOB NOT NULL,
    assignment_id INTEGER,
    match_reason  TEXT,
    confidence    REAL,
    tagged_by     TEXT,
    photographer  TEXT
);
