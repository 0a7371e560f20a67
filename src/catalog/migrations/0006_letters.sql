-- Surat Tugas (SOP step 5): one row per letter ever issued. Numbers come from a
-- per-year sequence (year, seq) that never repeats or skips: a cancelled letter
-- keeps its row and its number, and the next letter takes the next number. At
-- most one live (not cancelled) letter per assignment. The PDF as issued is
-- kept with the row (re-issuing re-renders it under the same number).

CREATE TABLE letters (
    id              INTEGER PRIMARY KEY,
    assignment_id   INTEGER NOT NULL REFERENCES assignments(id),
    year            INTEGER NOT NULL,          -- of the issue date, in the configured zone
    seq             INTEGER NOT NULL,          -- 1, 2, ... within the year
    number          TEXT NOT NULL,             -- as printed, from letter.number_pattern
    signer          TEXT NOT NULL REFERENCES people(username),
    out_of_town     INTEGER NOT NULL,
    issued_by       TEXT NOT NULL,
    issued_at_ms    INTEGER NOT NULL,
    rendered_at_ms  INTEGER NOT NULL,
    pdf             BLOB NOT NULL,
    cancelled_at_ms INTEGER,
    cancelled_by    TEXT,
    cancel_reason   TEXT,
    UNIQUE (year, seq)
);
CREATE UNIQUE INDEX letters_live ON letters(assignment_id) WHERE cancelled_at_ms IS NULL;
CREATE INDEX letters_assignment ON letters(assignment_id);
