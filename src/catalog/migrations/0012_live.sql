-- The live list (`/api/live`) and Beranda ask for archived files by arrival
-- time, newest first: without this index every ask scanned the whole table.
CREATE INDEX assets_arrived ON assets(ingested_at_ms) WHERE status = 'archived';
