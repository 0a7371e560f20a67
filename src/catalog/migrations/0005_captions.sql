-- Captions (issue 5): what the file says about itself (EXIF ImageDescription,
-- untrusted), the caption a person writes in the panel, and the picks for the
-- assignment's report.
ALTER TABLE assets ADD COLUMN description TEXT;
ALTER TABLE assets ADD COLUMN caption TEXT;
ALTER TABLE assets ADD COLUMN caption_by TEXT;
ALTER TABLE assets ADD COLUMN picked INTEGER NOT NULL DEFAULT 0;
