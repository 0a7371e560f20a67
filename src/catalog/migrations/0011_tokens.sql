-- API tokens expire and can be revoked (kept, with when and why, so
-- `liputan token list` shows what happened to each).
ALTER TABLE api_tokens ADD COLUMN expires_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN revoked_at_ms INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_why TEXT;
-- Tokens made before expiry existed get the default lifetime from their creation.
UPDATE api_tokens SET expires_at_ms = created_at_ms + 90 * 86400000;
CREATE INDEX api_tokens_by_user ON api_tokens (username);
