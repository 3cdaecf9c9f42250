//! Users, passwords (argon2id), sessions and tokens, login lockout.
//!
//! Session tokens are 256-bit random values; the database keeps only their
//! SHA-256, so a copy of the database does not yield live sessions.

use crate::db::P;
use crate::writer::{Cmd, Out};
use crate::{Store, StoreError};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use jiff::{Span, Timestamp};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::time::stamp;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Failed logins before the account locks.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts, in minutes.
pub const LOCK_MINUTES: i64 = 15;
/// How long a session lasts, in hours.
pub const SESSION_HOURS: i64 = 12;

/// A user as the admin sees it (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Division subtree.
    pub division: Option<String>,
    /// Person.
    pub person_id: Option<i64>,
    /// Disabled.
    pub disabled: bool,
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (letters, digits, `_ . -`).
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Role.
    pub role: Role,
    /// Unit (clerks and unit heads need one).
    pub unit_id: Option<i64>,
    /// Division subtree to restrict a county-wide role to.
    pub division: Option<String>,
    /// The person behind a leader.
    pub person_id: Option<i64>,
}

/// A signed-in session.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// What the user may do.
    pub access: Access,
    /// Display name.
    pub display_name: String,
    /// The CSRF token of forms in this session.
    pub csrf: String,
    /// When it ends (UTC stamp).
    pub expires_at: String,
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(pw: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(e.to_string()))
}

fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A random token, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_new_password(pw: &str) -> Result<(), StoreError> {
    if pw.chars().count() < 8 {
        return Err(StoreError::BadRequest("密码至少8位".into()));
    }
    Ok(())
}

impl Store {
    /// Adds a user; returns the id.
    pub async fn add_user(&self, actor: &Access, u: &NewUser) -> Result<i64, StoreError> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("只有系统管理员可以添加用户".into()));
        }
        let name = u.username.trim();
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
            return Err(StoreError::BadRequest(format!(
                "用户名“{name}”无效：只能使用字母、数字和 _ . -"
            )));
        }
        check_new_password(&u.password)?;
        if matches!(u.role, Role::UnitClerk | Role::UnitHead) && u.unit_id.is_none() {
            return Err(StoreError::BadRequest("经办人和单位负责人必须指定所属单位".into()));
        }
        if u.role == Role::Leader && u.person_id.is_none() {
            return Err(StoreError::BadRequest("县级领导账号必须关联人员".into()));
        }
        let hash = hash_password(&u.password)?;
        let out = self
            .writer
            .send(Cmd::Insert {
                actor: actor.clone(),
                sql: "INSERT INTO users (username, display_name, password_hash, role, unit_id, division, person_id, \
                      created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
                    .into(),
                params: vec![
                    P::T(name.into()),
                    P::T(u.display_name.clone()),
                    P::T(hash),
                    P::T(u.role.key().into()),
                    P::OI(u.unit_id),
                    P::OT(u.division.clone()),
                    P::OI(u.person_id),
                    P::T(stamp(self.now())),
                ],
                kind: "user.add".into(),
                entity: "user".into(),
                data: json!({"username": name, "role": u.role.key(), "unit": u.unit_id, "division": u.division, "person": u.person_id}),
            })
            .await?;
        match out {
            Out::Ids(ids) => ids.first().copied().ok_or_else(|| StoreError::Internal("no id".into())),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }

    /// Sets a user's password and ends their sessions.
    pub async fn set_password(&self, actor: &Access, username: &str, pw: &str) -> Result<(), StoreError> {
        if actor.role != Role::Admin && actor.username != username {
            return Err(StoreError::Forbidden("只能修改本人密码".into()));
        }
        check_new_password(pw)?;
        let id = self.user_id(username).await?;
        let hash = hash_password(pw)?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2"
                            .into(),
                        vec![P::T(hash), P::I(id)],
                    ),
                    ("DELETE FROM sessions WHERE user_id = $1".into(), vec![P::I(id)]),
                ],
                kind: "user.password".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({"username": username}),
            })
            .await?;
        Ok(())
    }

    /// Disables or enables a user; disabling ends their sessions.
    pub async fn set_disabled(&self, actor: &Access, username: &str, disabled: bool) -> Result<(), StoreError> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("只有系统管理员可以停用用户".into()));
        }
        let id = self.user_id(username).await?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET disabled = $1 WHERE id = $2".into(),
                        vec![P::B(disabled), P::I(id)],
                    ),
                    ("DELETE FROM sessions WHERE user_id = $1".into(), vec![P::I(id)]),
                ],
                kind: if disabled { "user.disable" } else { "user.enable" }.into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({"username": username}),
            })
            .await?;
        Ok(())
    }

    async fn user_id(&self, username: &str) -> Result<i64, StoreError> {
        let mut c = self.pool.acquire().await?;
        c.conn()
            .row("SELECT id FROM users WHERE username = $1", &[P::T(username.into())])
            .await?
            .map(|r| r.i(0))
            .ok_or_else(|| StoreError::NotFound(format!("用户“{username}”不存在")))
    }

    /// All users.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT id, username, display_name, role, unit_id, division, person_id, disabled FROM users ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| User {
                id: r.i(0),
                username: r.t(1),
                display_name: r.t(2),
                role: Role::parse(&r.t(3)).unwrap_or(Role::Evaluator),
                unit_id: r.oi(4),
                division: r.ot(5),
                person_id: r.oi(6),
                disabled: r.b(7),
            })
            .collect())
    }

    /// What a user may do: role, unit, township, 分管.
    pub async fn access_for(&self, user_id: i64) -> Result<(Access, String), StoreError> {
        let mut c = self.pool.acquire().await?;
        let r = c
            .conn()
            .row(
                "SELECT u.id, u.username, u.role, u.unit_id, u.division, u.person_id, n.kind, n.division, u.display_name \
                 FROM users u LEFT JOIN units n ON n.id = u.unit_id WHERE u.id = $1 AND u.disabled = FALSE",
                &[P::I(user_id)],
            )
            .await?
            .ok_or_else(|| StoreError::Unauthorized("用户不存在或已停用".into()))?;
        let role = Role::parse(&r.t(2)).ok_or_else(|| StoreError::Internal("unknown role".into()))?;
        let person = r.oi(5);
        // A township government's staff see their township's records.
        let division = r
            .ot(4)
            .or_else(|| if r.t(6) == crate::org::TOWNSHIP { r.ot(7) } else { None });
        let oversees = match (role, person) {
            (Role::Leader, Some(p)) => c
                .conn()
                .rows(
                    "SELECT unit_id FROM oversight WHERE person_id = $1 ORDER BY unit_id",
                    &[P::I(p)],
                )
                .await?
                .iter()
                .map(|r| r.i(0))
                .collect(),
            _ => vec![],
        };
        Ok((
            Access {
                user_id: r.i(0),
                username: r.t(1),
                role,
                unit: r.oi(3),
                division,
                person,
                oversees,
            },
            r.t(8),
        ))
    }

    /// Checks a password and opens a session; returns the token (shown once).
    /// Five failures lock the account for 15 minutes (HTTP 429).
    pub async fn login(&self, username: &str, password: &str, kind: &str) -> Result<(String, Session), StoreError> {
        let now = self.now();
        let bad = || StoreError::Unauthorized("用户名或密码错误".into());
        let mut c = self.pool.acquire().await?;
        let row = c
            .conn()
            .row(
                "SELECT id, password_hash, disabled, failed_logins, locked_until FROM users WHERE username = $1",
                &[P::T(username.into())],
            )
            .await?;
        let Some(row) = row else {
            // Same work as a real check, so timing does not tell which names exist.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$3Vx0m9Yg1d4U5Ou6KNgXlS+eg7KlP0NqSBSMfO6lqGo",
            );
            return Err(bad());
        };
        let id = row.i(0);
        if let Some(until) = row.ot(4).and_then(|s| s.parse::<Timestamp>().ok())
            && until > now
        {
            let local = until.to_zoned(lvzhi_core::time::shanghai());
            return Err(StoreError::Locked {
                until: local.strftime("%Y年%m月%d日 %H:%M").to_string(),
            });
        }
        if !verify_password(password, &row.t(1)) {
            let fails = row.i(3) + 1;
            let lock = if fails >= MAX_FAILED_LOGINS {
                now.checked_add(Span::new().minutes(LOCK_MINUTES)).ok().map(stamp)
            } else {
                None
            };
            c.conn()
                .exec(
                    "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                    &[
                        P::I(if lock.is_some() { 0 } else { fails }),
                        P::OT(lock.clone()),
                        P::I(id),
                    ],
                )
                .await?;
            if let Some(until) = lock.and_then(|s| s.parse::<Timestamp>().ok()) {
                let local = until.to_zoned(lvzhi_core::time::shanghai());
                return Err(StoreError::Locked {
                    until: local.strftime("%Y年%m月%d日 %H:%M").to_string(),
                });
            }
            return Err(bad());
        }
        if row.b(2) {
            return Err(StoreError::Unauthorized("账号已停用，请联系管理员".into()));
        }
        c.conn()
            .exec(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[P::I(id)],
            )
            .await?;
        let token = random_token();
        let csrf = random_token();
        let expires = stamp(now.checked_add(Span::new().hours(SESSION_HOURS)).unwrap_or(now));
        c.conn()
            .exec(
                "INSERT INTO sessions (token_hash, user_id, csrf, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[P::T(token_hash(&token)), P::I(id), P::T(csrf.clone()), P::T(kind.into()), P::T(stamp(now)), P::T(expires.clone())],
            )
            .await?;
        drop(c);
        let (access, display_name) = self.access_for(id).await?;
        Ok((
            token,
            Session {
                access,
                display_name,
                csrf,
                expires_at: expires,
            },
        ))
    }

    /// The session of a token, if it is live.
    pub async fn session(&self, token: &str) -> Result<Session, StoreError> {
        let none = || StoreError::Unauthorized("未登录或登录已过期".into());
        if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(none());
        }
        let mut c = self.pool.acquire().await?;
        let r = c
            .conn()
            .row(
                "SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1",
                &[P::T(token_hash(token))],
            )
            .await?
            .ok_or_else(none)?;
        if r.t(2) <= stamp(self.now()) {
            return Err(none());
        }
        drop(c);
        let (access, display_name) = self.access_for(r.i(0)).await?;
        Ok(Session {
            access,
            display_name,
            csrf: r.t(1),
            expires_at: r.t(2),
        })
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        let mut c = self.pool.acquire().await?;
        c.conn()
            .exec("DELETE FROM sessions WHERE token_hash = $1", &[P::T(token_hash(token))])
            .await?;
        Ok(())
    }
}
