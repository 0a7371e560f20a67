-- Derived data follows the catalog: each asset says whether its thumbnail and
-- preview exist, and which of its versions the search index has seen. The
-- catalog is the work queue for both, so a crash or a full queue loses nothing.

-- NULL: not made yet; 'ok'; 'placeholder' (no image could be made: see derive_error).
ALTER TABLE assets ADD COLUMN derived TEXT;
ALTER TABLE assets ADD COLUMN derive_error TEXT;
-- Bumped on every change that the index should see; the index has seen indexed_version.
ALTER TABLE assets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE assets ADD COLUMN indexed_version INTEGER NOT NULL DEFAULT 0;

CREATE INDEX assets_to_derive ON assets(ingested_at_ms) WHERE derived IS NULL AND status = 'archived';
CREATE INDEX assets_to_index ON assets(ingested_at_ms) WHERE indexed_version < version AND status = 'archived';
