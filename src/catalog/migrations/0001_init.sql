-- The catalog: the truth about every file liputan has seen.

-- One row per distinct content (blake3). `status` is 'placing' between the
-- moment a verified copy is about to be renamed into the archive and the commit
-- that says it is there; start-up recovery settles every 'placing' row.
CREATE TABLE assets (
    id              TEXT PRIMARY KEY,          -- blake3, 64 hex digits
    size            INTEGER NOT NULL,
    kind            TEXT NOT NULL,             -- photo | raw | video | audio | document | other
    file_name       TEXT NOT NULL,             -- original name, for display (lossy if not UTF-8)
    archive_path    BLOB NOT NULL UNIQUE,      -- relative to the archive root, raw bytes
    staging_path    BLOB,                      -- while placing: the verified copy waiting to be renamed
    status          TEXT NOT NULL,             -- placing | archived
    damaged         TEXT,                      -- the decoder's reason when the file is broken
    captured_at_ms  INTEGER,                   -- capture instant, unix milliseconds UTC
    captured_offset INTEGER,                   -- UTC offset of the camera's wall clock, seconds
    time_source     TEXT,                      -- exif_with_offset | exif_zoneless | container | file_mtime
    make            TEXT,
    model           TEXT,
    serial          TEXT,
    lens            TEXT,
    lat             REAL,
    lon             REAL,
    alt             REAL,
    orientation     INTEGER,
    width           INTEGER,
    height          INTEGER,
    duration_ms     INTEGER,
    metadata        TEXT NOT NULL,             -- everything read, as JSON
    drop_folder     TEXT,                      -- first folder under the inbox root (maybe a username)
    photographer    TEXT,                      -- username, once matching knows it
    assignment_id   INTEGER,                   -- null: untagged
    match_reason    TEXT,
    ingested_at_ms  INTEGER NOT NULL
);
CREATE INDEX assets_size ON assets(size);
CREATE INDEX assets_captured ON assets(captured_at_ms);
CREATE INDEX assets_status ON assets(status);

-- Every place a file was seen at. The same content dropped twice has one asset
-- and two sources. (path, size, mtime) known here is not hashed again.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    path          BLOB NOT NULL,               -- absolute, raw bytes
    asset_id      TEXT NOT NULL REFERENCES assets(id),
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,  -- removed after verify (delete_source_after_verify)
    UNIQUE (path, asset_id)
);
CREATE INDEX sources_path ON sources(path);
CREATE INDEX sources_asset ON sources(asset_id);

-- Files that were seen and not archived, with the reason a person can read.
-- A permanent rejection of the same (path, size, mtime) is not retried.
CREATE TABLE rejections (
    id            INTEGER PRIMARY KEY,
    path          BLOB NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    permanent     INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    UNIQUE (path, size, mtime_ns)
);
