-- Second factor (issue 18): a TOTP secret per user (RFC 6238), the secret of
-- an enrolment not yet confirmed, the last time step accepted (no code is
-- accepted twice), one-time recovery codes (only their SHA-256 kept), and the
-- second factor a session still owes ('totp': the code; 'enrol': enrolment).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE sessions ADD COLUMN pending TEXT;
