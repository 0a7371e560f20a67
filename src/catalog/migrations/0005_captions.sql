-- Captions (issue 5): what the file says about itself (EXIF ImageDescription,
-- untrusted), the caption a person writes in the panel, and the picks for the
-- assignment's report.
ALTER TABLE assets ADD COLUMN description TEXT;
ALTER TABLE assets ADD COLUMN caption TEXT;
ALTER TABLE assets ADD COLUMN caption_by TEXT;
ALTER TABLE assets ADD COLUMN picked INTEGER NOT NULL DEFAULT 0;

-- Nearly every asset is 'archived', so an index on status made SQLite walk
-- the whole table for `status = 'archived' AND id IN (...)` (the archive
-- page at 100,000 assets: 45 ms a query). Only unfinished placements need
-- finding by status.
DROP INDEX assets_status;
CREATE INDEX assets_placing ON assets(id) WHERE status = 'placing';
