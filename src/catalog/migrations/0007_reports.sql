-- Reports (SOP steps 7 and 8): every submitted version of an assignment's
-- report, and every approval, return and publication of one, with who, when
-- and why. History: rows are only ever added (the triggers refuse the rest).

CREATE TABLE report_versions (
    id              INTEGER PRIMARY KEY,
    assignment_id   INTEGER NOT NULL REFERENCES assignments(id),
    version         INTEGER NOT NULL,          -- 1, 2, ... per assignment
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    items           TEXT NOT NULL,             -- JSON: [{asset_id, caption}] in order
    submitted_by    TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL,
    status_before   TEXT NOT NULL,             -- the assignment's status before the first report
    UNIQUE (assignment_id, version)
);

CREATE TABLE report_actions (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments(id),
    version       INTEGER NOT NULL,            -- the report version acted on
    action        TEXT NOT NULL,               -- approved | returned | published
    note          TEXT,
    url           TEXT,                        -- published: where
    by_username   TEXT NOT NULL,
    at_ms         INTEGER NOT NULL
);
CREATE INDEX report_actions_assignment ON report_actions(assignment_id, id);

CREATE TRIGGER report_versions_keep_update BEFORE UPDATE ON report_versions
BEGIN SELECT RAISE(ABORT, 'report versions are never changed'); END;
CREATE TRIGGER report_versions_keep_delete BEFORE DELETE ON report_versions
BEGIN SELECT RAISE(ABORT, 'report versions are never deleted'); END;
CREATE TRIGGER report_actions_keep_update BEFORE UPDATE ON report_actions
BEGIN SELECT RAISE(ABORT, 'report history is never changed'); END;
CREATE TRIGGER report_actions_keep_delete BEFORE DELETE ON report_actions
BEGIN SELECT RAISE(ABORT, 'report history is never deleted'); END;
