//! The second factor: TOTP (RFC 6238, the `totp-rs` crate: SHA-1, 6 digits,
//! 30-second steps, one step of skew) with one-time recovery codes.
//!
//! **Invariants.** A code is accepted once: the step it matched is stored and
//! only later steps pass (`UPDATE … WHERE totp_last_step < step`, so two racing
//! submissions of one code cannot both win). Recovery codes are kept as SHA-256
//! only and each is marked used in the same statement that checks it. The
//! TOTP secret, which must be read back to check codes, is sealed at rest
//! like a personal field (SM4-GCM under the field key, bound to the account:
//! [`crate::crypt::totp_aad`]); a database from before is sealed at its
//! first start with a key, and `lvzhi key rotate` re-seals it. Wrong
//! codes take a slot from the account's login-failure counter, so guessing
//! locks the account like guessing passwords. Time is the store's clock.
//!
//! A session opened by a password alone owes its second factor
//! (`sessions.pending`): `totp` (enter a code) or `enrol` (the role requires a
//! second factor the user has not set up). The web layer lets such a session
//! do nothing else.

use crate::auth::{Session, lock_text, token_hash};
use crate::crypt::totp_aad;
use crate::db::P;
use crate::writer::{Cmd, Expect, SqlStep};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::time::stamp;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "履职";
/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// What a session owes: a code.
pub const PENDING_CODE: &str = "totp";
/// What a session owes: enrolment.
pub const PENDING_ENROL: &str = "enrol";

/// An enrolment begun: the secret to type in, or the URI to scan.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The secret in base32 (for typing into an app).
    pub secret: String,
    /// The `otpauth://totp/…` URI (for the QR code).
    pub uri: String,
}

fn totp(secret: &Secret, account: &str) -> Result<Totp, StoreError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.clone())
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| StoreError::Internal(format!("totp: {e}")))
}

fn parse_secret(b32: &str) -> Result<Secret, StoreError> {
    Secret::try_from_base32(b32).map_err(|e| StoreError::Internal(format!("totp secret: {e:?}")))
}

/// The step a six-digit `code` matches at `unix` seconds, if any.
pub fn check_code(secret_b32: &str, account: &str, code: &str, unix: u64) -> Result<Option<u64>, StoreError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(&parse_secret(secret_b32)?, account)?.check(&code, unix))
}

/// The code of `secret_b32` at `unix` seconds (tests and the CLI's check).
pub fn code_at(secret_b32: &str, unix: u64) -> Result<String, StoreError> {
    Ok(totp(&parse_secret(secret_b32)?, "x")?.generate(unix).to_string())
}

/// A recovery code as the user types it (`abcd-efgh-jk`), normalised.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn recovery_hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalise_recovery(code).as_bytes()))
}

/// Ten fresh recovery codes (`xxxx-xxxx-xx`, 50 bits each, no look-alikes).
fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::new();
            for i in 0..10 {
                if i == 4 || i == 8 {
                    s.push('-');
                }
                s.push(ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char);
            }
            s
        })
        .collect()
}

fn unix(t: jiff::Timestamp) -> u64 {
    u64::try_from(t.as_second()).unwrap_or(0)
}

impl Store {
    /// Starts (or restarts) the caller's own enrolment: a new secret, kept
    /// aside until a code from it is confirmed. Refused when a second factor
    /// is already set up (the security administrator resets it).
    pub async fn totp_begin(&self, actor: &Access, address: Option<&str>) -> Result<Enrolment, StoreError> {
        let row = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row("SELECT totp_secret FROM users WHERE id = $1", &[P::I(actor.user_id)])
                .await?
                .ok_or_else(|| StoreError::Unauthorized("用户不存在或已停用".into()))?
        };
        if row.ot(0).is_some() {
            return Err(StoreError::Conflict(
                "已启用双因素认证；如需更换手机，请联系安全管理员重置".into(),
            ));
        }
        let mut bytes = [0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        let secret = Secret::new_stack(bytes);
        let t = totp(&secret, &actor.username)?;
        let b32 = secret.to_base32();
        let uri = t.to_url().map_err(|e| StoreError::Internal(format!("totp url: {e}")))?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "UPDATE users SET totp_pending = $1 WHERE id = $2".into(),
                    vec![
                        P::T(self.keys.seal_secret(&totp_aad(actor.user_id), &b32)),
                        P::I(actor.user_id),
                    ],
                )],
                kind: "user.2fa.begin".into(),
                entity: "user".into(),
                entity_id: Some(actor.user_id.to_string()),
                data: json!({"username": actor.username, "address": address, "result": "pending"}),
            })
            .await?;
        Ok(Enrolment { secret: b32, uri })
    }

    /// Confirms the caller's enrolment with a code from the new secret: the
    /// second factor is on from now, the session (`token`) owes nothing more,
    /// and the recovery codes are returned — shown once, kept only hashed.
    pub async fn totp_confirm(
        &self,
        actor: &Access,
        token: &str,
        code: &str,
        address: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let (stored, pending) = self
            .pending_secret(actor)
            .await?
            // Conflicts with the account's state (no enrolment begun), as a wrong code below does with
            // the pending secret: the request itself is well formed (409, not 400).
            .ok_or_else(|| StoreError::Conflict("请先生成二维码（密钥），再输入验证码".into()))?;
        let Some(step) = check_code(&pending, &actor.username, code, unix(self.now()))? else {
            self.audit_event(
                actor,
                "user.2fa.enable",
                "user",
                Some(actor.user_id.to_string()),
                json!({"username": actor.username, "address": address, "result": "bad_code"}),
            )
            .await?;
            return Err(StoreError::Conflict(
                "验证码不正确：请核对手机时间，输入验证器当前显示的6位数字".into(),
            ));
        };
        let codes = new_recovery_codes();
        let mut steps = vec![
            SqlStep {
                sql: "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 \
                      WHERE id = $2 AND totp_pending = $3"
                    .into(),
                params: vec![
                    P::I(i64::try_from(step).unwrap_or(i64::MAX)),
                    P::I(actor.user_id),
                    P::T(stored),
                ],
                expect: Expect::One("二维码已更新，请重新扫描后再试".into()),
            },
            SqlStep {
                sql: "DELETE FROM recovery_codes WHERE user_id = $1".into(),
                params: vec![P::I(actor.user_id)],
                expect: Expect::Any,
            },
            SqlStep {
                sql: "UPDATE sessions SET pending = NULL WHERE token_hash = $1".into(),
                params: vec![P::T(token_hash(token))],
                expect: Expect::Any,
            },
        ];
        for c in &codes {
            steps.push(SqlStep {
                sql: "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)".into(),
                params: vec![P::I(actor.user_id), P::T(recovery_hash(c))],
                expect: Expect::Any,
            });
        }
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps,
                kind: "user.2fa.enable".into(),
                entity: "user".into(),
                entity_id: Some(actor.user_id.to_string()),
                data: json!({"username": actor.username, "address": address, "recovery_codes": RECOVERY_CODES, "result": "ok"}),
                coarse_time: false,
            })
            .await?;
        Ok(codes)
    }

    /// The second step of a login: a session that owes a code (`totp`) gives
    /// a six-digit code or a recovery code. A wrong one takes a slot from the
    /// account's failure counter; at the limit the account locks and the
    /// session ends.
    pub async fn totp_verify(&self, token: &str, code: &str, address: Option<&str>) -> Result<Session, StoreError> {
        let th = token_hash(token);
        let row = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT s.user_id, s.pending, u.totp_secret, COALESCE(u.totp_last_step, -1), u.username \
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                    &[P::T(th.clone())],
                )
                .await?
                .ok_or_else(|| StoreError::Unauthorized("未登录或登录已过期".into()))?
        };
        let (access, _) = self.access_for(row.i(0)).await?;
        let username = row.t(4);
        if row.ot(1).as_deref() != Some(PENDING_CODE) {
            return Err(StoreError::Conflict("本次登录无需输入动态验证码".into()));
        }
        let secret = row
            .ot(2)
            .ok_or_else(|| StoreError::Conflict("该账号未启用双因素认证".into()))?;
        let secret = self.open_totp(access.user_id, &secret)?;
        let now = self.now();
        let p = self.policy();
        let user_key = format!("user:{}", username.to_lowercase());
        let (count, lock) = self.take_attempt(&user_key, now, &p).await?;
        let now_s = stamp(now);
        let event = |result: &str, method: &str| json!({"username": username, "address": address, "method": method, "result": result});
        let end_session = |kind: &str, data: serde_json::Value| Cmd::Plain {
            actor: access.clone(),
            statements: vec![(
                "DELETE FROM sessions WHERE token_hash = $1".into(),
                vec![P::T(th.clone())],
            )],
            kind: kind.into(),
            entity: "user".into(),
            entity_id: Some(access.user_id.to_string()),
            data,
        };
        if lock.as_deref().is_some_and(|u| u > now_s.as_str()) || count > p.max_failed {
            self.writer
                .send(end_session("auth.2fa_failed", event("locked", "")))
                .await?;
            return Err(StoreError::Locked {
                until: lock_text(&lock.unwrap_or_else(|| now_s.clone())),
            });
        }
        let digits = code.chars().filter(|c| !c.is_whitespace()).count() == 6;
        let accepted = if digits {
            match check_code(&secret, &username, code, unix(now))? {
                Some(step) if i64::try_from(step).unwrap_or(i64::MAX) > row.i(3) => {
                    let step = i64::try_from(step).unwrap_or(i64::MAX);
                    Some((
                        "totp",
                        SqlStep {
                            sql: "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                                  AND (totp_last_step IS NULL OR totp_last_step < $1)"
                                .into(),
                            params: vec![P::I(step), P::I(access.user_id)],
                            expect: Expect::One("该验证码已使用过，请等待下一个验证码".into()),
                        },
                    ))
                }
                _ => None,
            }
        } else {
            let h = recovery_hash(code);
            let mut c = self.pool.acquire().await?;
            let unused = c
                .conn()
                .row(
                    "SELECT code_hash FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                    &[P::I(access.user_id), P::T(h.clone())],
                )
                .await?
                .is_some();
            unused.then(|| {
                (
                    "recovery",
                    SqlStep {
                        sql: "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
                              AND used_at IS NULL"
                            .into(),
                        params: vec![P::T(now_s.clone()), P::I(access.user_id), P::T(h)],
                        expect: Expect::One("该恢复码已使用过".into()),
                    },
                )
            })
        };
        let Some((method, step)) = accepted else {
            let method = if digits { "totp" } else { "recovery" };
            if count == p.max_failed {
                let until = crate::auth::later(now, p.lock_minutes);
                {
                    let mut c = self.pool.acquire().await?;
                    c.conn()
                        .exec(
                            "UPDATE login_attempts SET locked_until = $1 WHERE key = $2",
                            &[P::T(until.clone()), P::T(user_key.clone())],
                        )
                        .await?;
                }
                self.writer
                    .send(end_session("auth.lockout", event("locked", method)))
                    .await?;
                return Err(StoreError::Locked {
                    until: lock_text(&until),
                });
            }
            self.audit_event(
                &access,
                "auth.2fa_failed",
                "user",
                Some(access.user_id.to_string()),
                event("bad_code", method),
            )
            .await?;
            return Err(StoreError::Unauthorized("动态验证码或恢复码不正确".into()));
        };
        self.writer
            .send(Cmd::Steps {
                actor: access.clone(),
                steps: vec![
                    step,
                    SqlStep {
                        sql: "UPDATE sessions SET pending = NULL WHERE token_hash = $1".into(),
                        params: vec![P::T(th)],
                        expect: Expect::Any,
                    },
                    SqlStep {
                        sql: "DELETE FROM login_attempts WHERE key = $1".into(),
                        params: vec![P::T(user_key)],
                        expect: Expect::Any,
                    },
                ],
                kind: "auth.2fa".into(),
                entity: "user".into(),
                entity_id: Some(access.user_id.to_string()),
                data: event("ok", method),
                coarse_time: false,
            })
            .await?;
        self.session(token).await
    }

    /// Removes a user's second factor and recovery codes and ends their
    /// sessions (a lost phone): the security administrator only, never for
    /// themselves. At the next login the user enrols again where the role requires it.
    pub async fn totp_reset(&self, actor: &Access, username: &str, address: Option<&str>) -> Result<(), StoreError> {
        crate::auth::duty(actor, Role::SecAdmin, "重置双因素认证")?;
        if actor.username == username {
            return Err(StoreError::Forbidden("不能重置本人的双因素认证".into()));
        }
        let id = self.user_id(username).await?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1"
                            .into(),
                        vec![P::I(id)],
                    ),
                    ("DELETE FROM recovery_codes WHERE user_id = $1".into(), vec![P::I(id)]),
                    ("DELETE FROM sessions WHERE user_id = $1".into(), vec![P::I(id)]),
                ],
                kind: "user.2fa.reset".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({"username": username, "address": address, "result": "ok"}),
            })
            .await?;
        Ok(())
    }

    /// The secret of the caller's enrolment under way, if any: (as stored,
    /// opened to base32).
    async fn pending_secret(&self, actor: &Access) -> Result<Option<(String, String)>, StoreError> {
        let stored = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row("SELECT totp_pending FROM users WHERE id = $1", &[P::I(actor.user_id)])
                .await?
                .and_then(|r| r.ot(0))
        };
        match stored {
            None => Ok(None),
            Some(s) => {
                let plain = self.open_totp(actor.user_id, &s)?;
                Ok(Some((s, plain)))
            }
        }
    }

    /// Opens a stored TOTP secret (sealed under the field key, or plaintext
    /// in a database that has no key); refused when no loaded key opens it.
    fn open_totp(&self, user_id: i64, stored: &str) -> Result<String, StoreError> {
        self.keys.open_secret(&totp_aad(user_id), stored).ok_or_else(|| {
            StoreError::Conflict(
                "双因素认证密钥无法解密（密钥文件中没有加密它的密钥），请联系安全管理员重置双因素认证".into(),
            )
        })
    }

    /// The caller's enrolment under way (begun, not yet confirmed), if any.
    pub async fn totp_pending(&self, actor: &Access) -> Result<Option<Enrolment>, StoreError> {
        let Some((_, b32)) = self.pending_secret(actor).await? else {
            return Ok(None);
        };
        let uri = totp(&parse_secret(&b32)?, &actor.username)?
            .to_url()
            .map_err(|e| StoreError::Internal(format!("totp url: {e}")))?;
        Ok(Some(Enrolment { secret: b32, uri }))
    }

    /// Recovery codes the caller has left unused.
    pub async fn recovery_codes_left(&self, actor: &Access) -> Result<i64, StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
                &[P::I(actor.user_id)],
            )
            .await?
            .map(|r| r.i(0))
            .unwrap_or(0))
    }

    /// The TOTP secret of a user (tests and the operator's CLI only: the
    /// secret never leaves the server otherwise).
    pub async fn totp_secret_of(&self, username: &str) -> Result<Option<String>, StoreError> {
        let row = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT id, totp_secret FROM users WHERE username = $1",
                    &[P::T(username.into())],
                )
                .await?
        };
        match row.and_then(|r| r.ot(1).map(|s| (r.i(0), s))) {
            None => Ok(None),
            Some((id, s)) => self.open_totp(id, &s).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // its last six digits are the 6-digit code.
        let secret = Secret::new_stack(*b"12345678901234567890").to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(check_code(&secret, "u", "287082", 59).unwrap(), Some(1));
        assert_eq!(check_code(&secret, "u", "287 082", 59).unwrap(), Some(1));
        assert_eq!(check_code(&secret, "u", "287083", 59).unwrap(), None);
        // One step of skew either side, not two.
        assert!(check_code(&secret, "u", "287082", 89).unwrap().is_some());
        assert!(check_code(&secret, "u", "287082", 120).unwrap().is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        assert_eq!(recovery_hash("ABCD-efgh-23"), recovery_hash("abcdefgh23"));
    }
}
