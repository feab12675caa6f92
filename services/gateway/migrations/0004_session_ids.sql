-- Sessions get an opaque id of their own, so an account can list and end its sessions
-- (AuthService/ListSessions, RevokeSession) without the token or its hash ever leaving the
-- gateway.
ALTER TABLE sessions ADD COLUMN id text NOT NULL DEFAULT gen_random_uuid()::text;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
