-- Collages (SOP step 9): print-ready photo collages of the leaders' activities
-- over a period. The images live under <data>/collages/<id>.jpg and .pdf; this
-- row is what was asked, who asked, what went in and what came out.
-- The row commits only after its files are written (Catalog::add_collage);
-- AUTOINCREMENT: a deleted collage's id is never given to a new one.
CREATE TABLE collages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at_ms INTEGER NOT NULL,
    created_by    TEXT NOT NULL,             -- username
    from_day      TEXT NOT NULL,             -- YYYY-MM-DD (configured zone)
    to_day        TEXT NOT NULL,             -- YYYY-MM-DD, inclusive
    leader        TEXT,                      -- gubernur | wakil_gubernur | sekda | kadis | lainnya
    title         TEXT NOT NULL,
    subtitle      TEXT NOT NULL,             -- leader and period as printed
    params        TEXT NOT NULL,             -- JSON: the request as understood
    asset_ids     TEXT NOT NULL,             -- JSON list, in layout order
    cells         TEXT NOT NULL,             -- JSON: [{asset_id, x, y, w, h}] in pixels
    fallback      TEXT,                      -- why not approved picks only, if so
    width_px      INTEGER NOT NULL,
    height_px     INTEGER NOT NULL,
    jpeg_bytes    INTEGER NOT NULL,
    pdf_bytes     INTEGER,                   -- NULL: no PDF was made
    render_ms     INTEGER NOT NULL
);
CREATE INDEX collages_created ON collages(created_at_ms);
