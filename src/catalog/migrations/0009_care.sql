-- Care of the archive: fixity runs (`liputan verify`, scheduled or by hand) and
-- replicas (full copies of the archive on other disks, kept caught up).

-- One row per finished verify run. `report` is the JSON report (lists capped),
-- what the panel shows as the last result.
CREATE TABLE verify_runs (
    id              INTEGER PRIMARY KEY,
    started_at_ms   INTEGER NOT NULL,
    finished_at_ms  INTEGER NOT NULL,
    origin          TEXT NOT NULL,             -- cli | schedule
    checked         INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    seconds         REAL NOT NULL,
    missing         INTEGER NOT NULL,          -- archive + replicas
    changed         INTEGER NOT NULL,
    unexpected      INTEGER NOT NULL,
    problems        INTEGER NOT NULL,          -- everything that makes the run fail
    ok              INTEGER NOT NULL,
    report          TEXT NOT NULL
);
CREATE INDEX verify_runs_finished ON verify_runs(finished_at_ms);

-- A replica root the daemon has initialised: the id written in its
-- `.liputan-replica` marker. A known replica without its marker is offline
-- (unmounted), never re-initialised.
CREATE TABLE replicas (
    path            BLOB PRIMARY KEY,          -- as configured, raw bytes
    marker          TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    online          INTEGER NOT NULL DEFAULT 0,
    note            TEXT,                      -- why offline, or the last copy error
    checked_at_ms   INTEGER
);

-- What is verified on each replica: the asset's content at `path` (relative,
-- the archive path it had when copied). A row whose path differs from the
-- asset's archive path is a re-filing the replica has still to follow.
CREATE TABLE replica_copies (
    replica         BLOB NOT NULL,
    asset_id        TEXT NOT NULL REFERENCES assets(id),
    path            BLOB NOT NULL,
    copied_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (replica, asset_id)
);
CREATE INDEX replica_copies_path ON replica_copies(replica, path);
