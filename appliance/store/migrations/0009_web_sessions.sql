-- Migration 9: server-side web sessions. The session cookie carries a random id; the database keeps
-- its sha256, so logging out or changing the password ends a session even for a copy of the cookie.

CREATE TABLE web_sessions (
    session_hash TEXT PRIMARY KEY,  -- sha256 of the session id in the cookie; the id itself is never stored
    username TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
) WITHOUT ROWID;

CREATE INDEX web_sessions_created ON web_sessions(created_at);
