-- Migration 4: the local UI's admin account and the API's bearer tokens (stored hashed).

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,  -- hashlib.scrypt, with salt and parameters in the string
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE api_tokens (
    token_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,  -- unique among tokens not revoked (index below)
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'sync')),
    token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the token; the token itself is shown once
    prefix TEXT NOT NULL,  -- the first characters, to recognise a token in a list
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at TEXT,
    revoked_at TEXT
);

-- A revoked token keeps its row (audit: who had access until when), so its name may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens(name) WHERE revoked_at IS NULL;
