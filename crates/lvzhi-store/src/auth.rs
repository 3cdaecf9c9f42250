//! Users, passwords (argon2id), sessions and tokens, login lockout.
//!
//! Session tokens are 256-bit random values; the database keeps only their
//! SHA-256, so a copy of the database does not yield live sessions.

use crate::db::P;
use crate::writer::{Cmd, Expect, Out, SqlStep};
use crate::{Store, StoreError};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use jiff::{Span, Timestamp};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::time::stamp;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Failed logins before the account locks (the default of [`Policy::max_failed`]).
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts, in minutes (the default of [`Policy::lock_minutes`]).
pub const LOCK_MINUTES: i64 = 15;
/// How long a session lasts at most, in hours (the default of [`Policy::session_hours`]).
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
    /// A second factor (TOTP) is set up.
    pub totp: bool,
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
    /// When it ends at the latest (UTC stamp); it ends sooner after
    /// [`Policy::idle_minutes`] without a request.
    pub expires_at: String,
    /// Why the password must be changed before anything else, if it must
    /// (first login, an administrator's reset, expiry). The web layer lets
    /// such a session do nothing but change the password and log out.
    pub must_change: Option<String>,
    /// The second factor the session still owes, if any:
    /// [`crate::second_factor::PENDING_CODE`] (a code) or
    /// [`crate::second_factor::PENDING_ENROL`] (enrolment, required by the
    /// role). The web layer lets such a session do nothing else.
    pub second_factor: Option<String>,
}
/// The identification and authentication policy (GB/T 22239-2019 8.1.4.1).
/// Kept in the `meta` table as JSON; changed only through [`Store::set_policy`] (evented).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Shortest password, in characters.
    pub min_length: usize,
    /// Of the four classes (lower case, upper case, digits, other), how many a password needs.
    pub min_classes: usize,
    /// A new password may not be any of the last this many.
    pub history: usize,
    /// Days a password lasts; 0: no expiry.
    pub expiry_days: i64,
    /// New accounts must change their password at first login.
    pub first_login_change: bool,
    /// Failed logins of one account name before it locks.
    pub max_failed: i64,
    /// Failed logins from one source address before it locks.
    pub max_failed_per_address: i64,
    /// Minutes a lock lasts (and after which old failures are forgotten).
    pub lock_minutes: i64,
    /// Minutes a session lives without a request.
    pub idle_minutes: i64,
    /// Hours a session lives at most.
    pub session_hours: i64,
    /// Roles whose users must log in with a second factor (TOTP).
    pub totp_roles: Vec<Role>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_length: 8,
            min_classes: 3,
            history: 5,
            expiry_days: 90,
            first_login_change: true,
            max_failed: MAX_FAILED_LOGINS,
            max_failed_per_address: 20,
            lock_minutes: LOCK_MINUTES,
            idle_minutes: 30,
            session_hours: SESSION_HOURS,
            totp_roles: vec![Role::Admin, Role::SecAdmin, Role::AuditAdmin, Role::Auditor],
        }
    }
}

impl Policy {
    /// Refuses settings that would switch a control off or make no sense.
    pub fn check(&self) -> Result<(), StoreError> {
        let bad = |m: &str| Err(StoreError::BadRequest(m.into()));
        if !(8..=64).contains(&self.min_length) {
            return bad("密码最短长度应在8到64位之间");
        }
        if !(1..=4).contains(&self.min_classes) {
            return bad("密码字符类别数应在1到4之间");
        }
        if self.history > 24 {
            return bad("密码历史记录数不能超过24");
        }
        if !(0..=3650).contains(&self.expiry_days) {
            return bad("密码有效期应在0到3650天之间");
        }
        if !(1..=100).contains(&self.max_failed) || !(1..=10_000).contains(&self.max_failed_per_address) {
            return bad("登录失败锁定次数无效");
        }
        if !(1..=1440).contains(&self.lock_minutes) {
            return bad("锁定时长应在1到1440分钟之间");
        }
        if !(1..=1440).contains(&self.idle_minutes) || !(1..=720).contains(&self.session_hours) {
            return bad("会话超时设置无效");
        }
        Ok(())
    }
}

/// A live session as its owner or the security administrator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    /// Its id (the SHA-256 of the token: naming it does not let one use it).
    pub id: String,
    /// `web` or `api`.
    pub kind: String,
    /// Opened at (UTC stamp).
    pub created_at: String,
    /// Last request (UTC stamp).
    pub last_seen: String,
    /// Ends at the latest (UTC stamp).
    pub expires_at: String,
    /// The source address it was opened from.
    pub address: Option<String>,
}

/// Passwords too common to allow, compared after lower-casing, undoing
/// look-alike digits and symbols and dropping leading and trailing digits
/// and symbols (so `P@ssw0rd1!` is `password`).
const WEAK_PASSWORDS: &[&str] = &[
    "password",
    "passw",
    "passwd",
    "pass",
    "admin",
    "administrator",
    "root",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "qweasd",
    "qazwsx",
    "abc",
    "abcd",
    "abcdef",
    "abcdefg",
    "abcdefgh",
    "letmein",
    "welcome",
    "iloveyou",
    "monkey",
    "dragon",
    "master",
    "login",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "trustno",
    "whatever",
    "changeme",
    "default",
    "guest",
    "test",
    "tester",
    "user",
    "system",
    "secret",
    "server",
    "oracle",
    "mysql",
    "postgres",
    "manager",
    "woaini",
    "wodemima",
    "mima",
    "aini",
    "nihao",
    "zhongguo",
    "china",
    "beijing",
    "shanghai",
    "lvzhi",
    "huawei",
    "baidu",
    "tencent",
    "a",
    "aa",
    "aaa",
    "",
];

/// The character classes a password uses (of lower, upper, digit, other).
fn classes(pw: &str) -> usize {
    let lower = pw.chars().any(|c| c.is_ascii_lowercase());
    let upper = pw.chars().any(|c| c.is_ascii_uppercase());
    let digit = pw.chars().any(|c| c.is_ascii_digit());
    let other = pw.chars().any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace());
    [lower, upper, digit, other].iter().filter(|b| **b).count()
}

/// Whether a password is a common one, perhaps dressed up (`P@ssw0rd!`,
/// `Admin@123`), a keyboard run or one repeated character.
fn is_weak(pw: &str) -> bool {
    let leet = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '@' | '4' => 'a',
                '0' => 'o',
                '1' | '!' | '|' => 'i',
                '3' => 'e',
                '$' | '5' => 's',
                '7' => 't',
                c => c,
            })
            .collect()
    };
    let raw = pw.trim().to_lowercase();
    let plain = leet(&raw);
    // The stem: what lies between leading and trailing digits and symbols.
    let stem = raw
        .trim_end_matches(|c: char| !c.is_ascii_alphabetic())
        .trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    let plain_stem = leet(stem);
    let plain_stem = plain_stem.as_str();
    let few_chars = raw.chars().collect::<std::collections::BTreeSet<_>>().len() <= 2;
    let runs = [
        "01234567890",
        "09876543210",
        "abcdefghijklmnopqrstuvwxyz",
        "zyxwvutsrqponmlkjihgfedcba",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "1qaz2wsx3edc4rfv",
        "!qaz@wsx#edc",
        "1q2w3e4r5t6y",
    ];
    let keyboard = raw.len() >= 6 && runs.iter().any(|r| r.contains(raw.as_str()));
    few_chars
        || keyboard
        || [stem, plain_stem, plain.as_str(), raw.as_str()]
            .iter()
            .any(|s| WEAK_PASSWORDS.contains(s))
}

/// Checks a new password against the policy (the history is checked by the store).
pub fn check_password(policy: &Policy, username: &str, pw: &str) -> Result<(), StoreError> {
    let bad = |m: String| Err(StoreError::BadRequest(m));
    if pw.chars().count() < policy.min_length {
        return bad(format!("密码至少{}位", policy.min_length));
    }
    if pw.chars().count() > 128 {
        return bad("密码不能超过128位".into());
    }
    if pw.trim() != pw {
        return bad("密码首尾不能是空格".into());
    }
    if classes(pw) < policy.min_classes {
        return bad(format!(
            "密码须包含小写字母、大写字母、数字、符号中的至少{}类",
            policy.min_classes
        ));
    }
    let name = username.trim().to_lowercase();
    let lower = pw.to_lowercase();
    let reversed: String = lower.chars().rev().collect();
    if name.chars().count() >= 3 && (lower.contains(&name) || reversed.contains(&name)) {
        return bad("密码不能包含用户名".into());
    }
    if is_weak(pw) {
        return bad("密码过于常见，容易被猜中，请换一个".into());
    }
    Ok(())
}

/// A random password that meets the default policy: `len` characters (at
/// least 12) without look-alikes, with lower case, upper case and digits.
pub fn generate_password(len: usize) -> String {
    const LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let all: Vec<u8> = [LOWER, UPPER, DIGIT].concat();
    let mut pick = |set: &[u8]| set[(rng.next_u32() as usize) % set.len()];
    let mut out: Vec<u8> = vec![pick(LOWER), pick(UPPER), pick(DIGIT)];
    while out.len() < len.max(12) {
        out.push(pick(&all));
    }
    // Shuffle, so the classes are not always in front.
    let mut rng = rand::rng();
    for i in (1..out.len()).rev() {
        let j = (rng.next_u32() as usize) % (i + 1);
        out.swap(i, j);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A lock's end in Shanghai time, for messages (no leading zeros in the date).
pub(crate) fn lock_text(until: &str) -> String {
    until
        .parse::<Timestamp>()
        .map(|t| {
            t.to_zoned(lvzhi_core::time::shanghai())
                .strftime("%Y年%-m月%-d日 %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| until.to_string())
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

/// The hash checked for an unknown user name: the same argon2id work as a
/// real check, so the time of the answer does not tell which names exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$3Vx0m9Yg1d4U5Ou6KNgXlS+eg7KlP0NqSBSMfO6lqGo";

/// A random token, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The id of the session a token opened ([`SessionInfo::id`]): its hash,
/// so a page can mark "this session" without the token leaving the server.
pub fn session_id(token: &str) -> String {
    token_hash(token)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn later(now: Timestamp, minutes: i64) -> String {
    stamp(now.checked_add(Span::new().minutes(minutes)).unwrap_or(now))
}

fn earlier(now: Timestamp, minutes: i64) -> String {
    stamp(now.checked_sub(Span::new().minutes(minutes)).unwrap_or(now))
}

/// The access an event of a login attempt is written under: the user when
/// the name exists, else nobody (id 0) with the name as typed.
fn attempt_actor(id: Option<i64>, username: &str) -> Access {
    Access {
        user_id: id.unwrap_or(0),
        username: username.chars().take(64).collect(),
        role: Role::Evaluator,
        unit: None,
        division: None,
        person: None,
        oversees: vec![],
    }
}

/// Whether `a` is the system itself (CLI set-up, demo generation), which
/// acts outside the separation of duties.
pub(crate) fn is_system(a: &Access) -> bool {
    a.user_id == 0 && a.username == "system"
}

/// 三员分立: refuses everyone but the holder of `role` (and the system itself).
pub(crate) fn duty(a: &Access, role: Role, what: &str) -> Result<(), StoreError> {
    if a.role == role || is_system(a) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!("只有{}可以{what}", role.label())))
    }
}

/// Who may act on an account: the three administrators' accounts are the
/// security administrator's, everyone else's the system administrator's
/// (or the security administrator's).
fn account_duty(a: &Access, target: Role, what: &str) -> Result<(), StoreError> {
    if target.is_administrator() {
        duty(a, Role::SecAdmin, &format!("{what}管理员账号"))
    } else if target.reads_audit_log() {
        // Whoever could reset such an account could read the audit log through it.
        duty(a, Role::SecAdmin, &format!("{what}可查阅审计日志的账号"))
    } else if matches!(a.role, Role::Admin | Role::SecAdmin) || is_system(a) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "只有系统管理员或安全管理员可以{what}用户"
        )))
    }
}

impl Store {
    /// The identification and authentication policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Loads the policy kept in the database (at open).
    pub(crate) async fn load_policy(&self) -> Result<(), StoreError> {
        let p = match self.meta(POLICY_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Config(format!("安全策略无效 / bad security policy: {e}")))?,
            None => Policy::default(),
        };
        self.cache_policy(p);
        Ok(())
    }

    fn cache_policy(&self, p: Policy) {
        match self.policy.write() {
            Ok(mut g) => *g = p,
            Err(e) => *e.into_inner() = p,
        }
    }

    /// Changes the policy (administrators only); evented as a configuration change.
    pub async fn set_policy(&self, actor: &Access, p: &Policy) -> Result<(), StoreError> {
        duty(actor, Role::SecAdmin, "修改安全策略")?;
        p.check()?;
        let before = self.policy();
        let text = serde_json::to_string(p).map_err(|e| StoreError::Internal(e.to_string()))?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                        .into(),
                    vec![P::T(POLICY_KEY.into()), P::T(text)],
                )],
                kind: "config.policy".into(),
                entity: "config".into(),
                entity_id: Some(POLICY_KEY.into()),
                data: json!({"before": before, "after": p, "result": "ok"}),
            })
            .await?;
        self.cache_policy(p.clone());
        Ok(())
    }

    /// Adds a user; returns the id. The password must meet the policy; the
    /// user must change it at first login when the policy says so.
    pub async fn add_user(&self, actor: &Access, u: &NewUser) -> Result<i64, StoreError> {
        duty(actor, Role::Admin, "添加用户")?;
        if u.role.is_administrator() && !is_system(actor) {
            return Err(StoreError::Forbidden(format!(
                "系统管理员不能创建“{}”账号：请先创建普通账号，再由安全管理员分配管理员角色",
                u.role.label()
            )));
        }
        if u.role.reads_audit_log() && !is_system(actor) {
            // The system administrator would know the password of an account that reads the log.
            return Err(StoreError::Forbidden(format!(
                "系统管理员不能创建“{}”账号（可查阅审计日志）：请先创建普通账号，再由安全管理员分配该角色",
                u.role.label()
            )));
        }
        let name = u.username.trim();
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
            return Err(StoreError::BadRequest(format!(
                "用户名“{name}”无效：只能使用字母、数字和 _ . -"
            )));
        }
        let policy = self.policy();
        check_password(&policy, name, &u.password)?;
        if matches!(u.role, Role::UnitClerk | Role::UnitHead) && u.unit_id.is_none() {
            return Err(StoreError::BadRequest("经办人和单位负责人必须指定所属单位".into()));
        }
        if u.role == Role::Leader && u.person_id.is_none() {
            return Err(StoreError::BadRequest("县级领导账号必须关联人员".into()));
        }
        let hash = hash_password(&u.password)?;
        let now = stamp(self.now());
        let out = self
            .writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps: vec![
                    SqlStep {
                        sql: "INSERT INTO users (username, display_name, password_hash, role, unit_id, division, \
                              person_id, created_at, must_change, password_changed_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id"
                            .into(),
                        params: vec![
                            P::T(name.into()),
                            P::T(u.display_name.clone()),
                            P::T(hash.clone()),
                            P::T(u.role.key().into()),
                            P::OI(u.unit_id),
                            P::OT(u.division.clone()),
                            P::OI(u.person_id),
                            P::T(now.clone()),
                            P::B(policy.first_login_change),
                        ],
                        expect: Expect::Id,
                    },
                    SqlStep {
                        sql: "INSERT INTO password_history (user_id, password_hash, changed_at) VALUES ($ID, $1, $2)"
                            .into(),
                        params: vec![P::T(hash), P::T(now)],
                        expect: Expect::Any,
                    },
                ],
                kind: "user.add".into(),
                entity: "user".into(),
                entity_id: None,
                data: json!({"username": name, "role": u.role.key(), "unit": u.unit_id, "division": u.division, "person": u.person_id}),
                coarse_time: false,
            })
            .await?;
        match out {
            Out::Ids(ids) => ids.first().copied().ok_or_else(|| StoreError::Internal("no id".into())),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }

    /// Refuses a password that is one of the user's last [`Policy::history`].
    async fn check_history(&self, id: i64, pw: &str, history: usize) -> Result<(), StoreError> {
        if history == 0 {
            return Ok(());
        }
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT {history}"
                ),
                &[P::I(id)],
            )
            .await?;
        drop(c);
        let hashes: Vec<String> = rows.iter().map(|r| r.t(0)).collect();
        let pw = pw.to_string();
        let reused = tokio::task::spawn_blocking(move || hashes.iter().any(|h| verify_password(&pw, h)))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        if reused {
            return Err(StoreError::BadRequest(format!(
                "新密码不能与最近{history}次使用过的密码相同"
            )));
        }
        Ok(())
    }

    /// Sets a user's password and ends their sessions. Set by someone else
    /// (an administrator's reset), it must be changed at the next login.
    pub async fn set_password(&self, actor: &Access, username: &str, pw: &str) -> Result<(), StoreError> {
        let own = actor.username == username;
        if !own {
            account_duty(actor, self.role_of(username).await?, "重置密码：")?;
        }
        self.write_password(actor, username, pw, !own, None).await
    }

    /// Self-service change: the current password, then a new one meeting the
    /// policy and not among the last ones. Ends every session of the user
    /// (the caller logs in again).
    pub async fn change_password(
        &self,
        actor: &Access,
        old: &str,
        new: &str,
        address: Option<&str>,
    ) -> Result<(), StoreError> {
        let hash = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row("SELECT password_hash FROM users WHERE id = $1", &[P::I(actor.user_id)])
                .await?
                .map(|r| r.t(0))
                .ok_or_else(|| StoreError::Unauthorized("用户不存在或已停用".into()))?
        };
        let old_pw = old.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&old_pw, &hash))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        if !ok {
            self.audit_event(
                actor,
                "user.password",
                "user",
                Some(actor.user_id.to_string()),
                json!({"username": actor.username, "self": true, "address": address, "result": "bad_password"}),
            )
            .await?;
            return Err(StoreError::BadRequest("当前密码不正确".into()));
        }
        if old == new {
            return Err(StoreError::BadRequest("新密码不能与当前密码相同".into()));
        }
        self.write_password(actor, &actor.username, new, false, address).await
    }

    async fn write_password(
        &self,
        actor: &Access,
        username: &str,
        pw: &str,
        reset: bool,
        address: Option<&str>,
    ) -> Result<(), StoreError> {
        let policy = self.policy();
        check_password(&policy, username, pw)?;
        let id = self.user_id(username).await?;
        self.check_history(id, pw, policy.history).await?;
        let hash = hash_password(pw)?;
        let now = stamp(self.now());
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, \
                         must_change = $3, password_changed_at = $4 WHERE id = $2"
                            .into(),
                        vec![P::T(hash.clone()), P::I(id), P::B(reset), P::T(now.clone())],
                    ),
                    (
                        "INSERT INTO password_history (user_id, password_hash, changed_at) VALUES ($1, $2, $3)".into(),
                        vec![P::I(id), P::T(hash), P::T(now)],
                    ),
                    ("DELETE FROM sessions WHERE user_id = $1".into(), vec![P::I(id)]),
                    (
                        "DELETE FROM login_attempts WHERE key = $1".into(),
                        vec![P::T(format!("user:{}", username.to_lowercase()))],
                    ),
                ],
                kind: "user.password".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({"username": username, "self": !reset, "reset": reset, "address": address, "result": "ok"}),
            })
            .await?;
        Ok(())
    }

    /// Writes one audit event (exports, downloads, configuration and other
    /// acts that change no row): `data` should carry `address` and `result`.
    pub async fn audit_event(
        &self,
        actor: &Access,
        kind: &str,
        entity: &str,
        entity_id: Option<String>,
        data: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![],
                kind: kind.into(),
                entity: entity.into(),
                entity_id,
                data,
            })
            .await?;
        Ok(())
    }

    /// Changes a user's role and scope (unit, division subtree); ends their
    /// sessions, so the new rights apply at once. Evented with before and after.
    pub async fn set_role(
        &self,
        actor: &Access,
        username: &str,
        role: Role,
        unit_id: Option<i64>,
        division: Option<String>,
    ) -> Result<(), StoreError> {
        duty(actor, Role::SecAdmin, "变更用户角色和范围")?;
        if actor.username == username {
            return Err(StoreError::Forbidden("不能变更本人的角色".into()));
        }
        if matches!(role, Role::UnitClerk | Role::UnitHead) && unit_id.is_none() {
            return Err(StoreError::BadRequest("经办人和单位负责人必须指定所属单位".into()));
        }
        let before = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT id, role, unit_id, division, person_id FROM users WHERE username = $1",
                    &[P::T(username.into())],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("用户“{username}”不存在")))?
        };
        if role == Role::Leader && before.oi(4).is_none() {
            return Err(StoreError::BadRequest("县级领导账号必须关联人员".into()));
        }
        // Each of the three administrators keeps at least one enabled holder.
        if let Some(old) = Role::parse(&before.t(1))
            && old.is_administrator()
            && old != role
        {
            let mut c = self.pool.acquire().await?;
            let holders = c
                .conn()
                .row(
                    "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = FALSE",
                    &[P::T(old.key().into())],
                )
                .await?
                .map(|r| r.i(0))
                .unwrap_or(0);
            if holders <= 1 {
                return Err(StoreError::Conflict(format!(
                    "“{username}”是唯一的{}，不能变更其角色",
                    old.label()
                )));
            }
        }
        let id = before.i(0);
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET role = $1, unit_id = $2, division = $3 WHERE id = $4".into(),
                        vec![
                            P::T(role.key().into()),
                            P::OI(unit_id),
                            P::OT(division.clone()),
                            P::I(id),
                        ],
                    ),
                    ("DELETE FROM sessions WHERE user_id = $1".into(), vec![P::I(id)]),
                ],
                kind: "user.role".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({
                    "username": username,
                    "before": {"role": before.t(1), "unit": before.oi(2), "division": before.ot(3)},
                    "after": {"role": role.key(), "unit": unit_id, "division": division},
                    "result": "ok",
                }),
            })
            .await?;
        Ok(())
    }

    /// Disables or enables a user; disabling ends their sessions.
    pub async fn set_disabled(&self, actor: &Access, username: &str, disabled: bool) -> Result<(), StoreError> {
        account_duty(
            actor,
            self.role_of(username).await?,
            if disabled { "停用" } else { "启用" },
        )?;
        if disabled && actor.username == username {
            return Err(StoreError::Forbidden("不能停用本人的账号".into()));
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

    /// The role of a user (for the separation of duties).
    pub(crate) async fn role_of(&self, username: &str) -> Result<Role, StoreError> {
        let mut c = self.pool.acquire().await?;
        c.conn()
            .row("SELECT role FROM users WHERE username = $1", &[P::T(username.into())])
            .await?
            .and_then(|r| Role::parse(&r.t(0)))
            .ok_or_else(|| StoreError::NotFound(format!("用户“{username}”不存在")))
    }

    pub(crate) async fn user_id(&self, username: &str) -> Result<i64, StoreError> {
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
                "SELECT id, username, display_name, role, unit_id, division, person_id, disabled, \
                 totp_secret IS NOT NULL FROM users ORDER BY id",
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
                totp: r.b(8),
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

    /// Takes one attempt from a login-failure counter, atomically (one
    /// `INSERT … ON CONFLICT DO UPDATE … RETURNING`): returns the attempts
    /// counted so far, this one included, and the lock in force. A lock that
    /// has run out, or failures older than the lock time, start over at 1.
    pub(crate) async fn take_attempt(
        &self,
        key: &str,
        now: Timestamp,
        p: &Policy,
    ) -> Result<(i64, Option<String>), StoreError> {
        let mut c = self.pool.acquire().await?;
        let now_s = stamp(now);
        let r = c
            .conn()
            .row(
                "INSERT INTO login_attempts (key, count, locked_until, updated_at) VALUES ($1, 1, NULL, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN (login_attempts.locked_until IS NOT NULL AND login_attempts.locked_until <= $2) \
                   OR (login_attempts.locked_until IS NULL AND login_attempts.updated_at < $3) \
                   THEN 1 ELSE login_attempts.count + 1 END, \
                 locked_until = CASE WHEN login_attempts.locked_until IS NOT NULL AND login_attempts.locked_until <= $2 \
                   THEN NULL ELSE login_attempts.locked_until END, \
                 updated_at = $2 \
                 RETURNING count, locked_until",
                &[P::T(key.into()), P::T(now_s), P::T(earlier(now, p.lock_minutes))],
            )
            .await?
            .ok_or_else(|| StoreError::Internal("login_attempts returned nothing".into()))?;
        Ok((r.i(0), r.ot(1)))
    }

    /// Checks a password and opens a session; returns the token (shown once).
    /// See [`Store::login_from`]; this one knows no source address.
    pub async fn login(&self, username: &str, password: &str, kind: &str) -> Result<(String, Session), StoreError> {
        self.login_from(username, password, kind, None).await
    }

    /// Checks a password and opens a session; returns the token (shown once).
    ///
    /// Each attempt first takes a slot from two counters, atomically: the
    /// account name's and the source address's. Past [`Policy::max_failed`]
    /// (or [`Policy::max_failed_per_address`]) the answer is 429 without a
    /// password check, so however many attempts race, exactly the configured
    /// number are checked. Unknown names count and lock exactly like real
    /// ones and their attempt costs the same argon2id work: neither the answer
    /// nor its timing tells which names exist. Every attempt is an event.
    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        kind: &str,
        address: Option<&str>,
    ) -> Result<(String, Session), StoreError> {
        let now = self.now();
        let p = self.policy();
        let bad = || StoreError::Unauthorized("用户名或密码错误".into());
        let name = username.trim().to_lowercase();
        let user_key = format!("user:{}", name.chars().take(64).collect::<String>());
        let addr_key = address.map(|a| format!("addr:{a}"));
        let row = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT id, password_hash, disabled, must_change, password_changed_at, totp_secret IS NOT NULL \
                     FROM users WHERE username = $1",
                    &[P::T(username.into())],
                )
                .await?
        };
        let id = row.as_ref().map(|r| r.i(0));
        let actor = attempt_actor(id, username);
        let event = |result: &str| json!({"username": username.chars().take(64).collect::<String>(), "address": address, "kind": kind, "result": result});
        // Reserve the attempt on both counters before any check.
        let (count, lock) = self.take_attempt(&user_key, now, &p).await?;
        let (addr_count, addr_lock) = match &addr_key {
            Some(k) => self.take_attempt(k, now, &p).await?,
            None => (0, None),
        };
        let locked = |until: Option<String>| StoreError::Locked {
            until: lock_text(&until.unwrap_or_else(|| later(now, p.lock_minutes))),
        };
        let now_s = stamp(now);
        if lock.as_deref().is_some_and(|u| u > now_s.as_str()) || count > p.max_failed {
            self.audit_event(
                &actor,
                "auth.login_failed",
                "user",
                id.map(|i| i.to_string()),
                event("locked"),
            )
            .await?;
            return Err(locked(lock));
        }
        if addr_lock.as_deref().is_some_and(|u| u > now_s.as_str()) || addr_count > p.max_failed_per_address {
            self.audit_event(
                &actor,
                "auth.login_failed",
                "user",
                id.map(|i| i.to_string()),
                event("address_locked"),
            )
            .await?;
            return Err(locked(addr_lock));
        }
        let hash = row.as_ref().map(|r| r.t(1)).unwrap_or_else(|| DUMMY_HASH.to_string());
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?
            && row.is_some();
        if !ok {
            let result = if row.is_some() { "bad_password" } else { "unknown_user" };
            self.audit_event(
                &actor,
                "auth.login_failed",
                "user",
                id.map(|i| i.to_string()),
                event(result),
            )
            .await?;
            // The attempt that reaches a limit sets the lock.
            let mut until = None;
            for (k, n, max) in [
                (Some(&user_key), count, p.max_failed),
                (addr_key.as_ref(), addr_count, p.max_failed_per_address),
            ] {
                let Some(k) = k else { continue };
                if n == max {
                    let u = later(now, p.lock_minutes);
                    let mut c = self.pool.acquire().await?;
                    c.conn()
                        .exec(
                            "UPDATE login_attempts SET locked_until = $1 WHERE key = $2",
                            &[P::T(u.clone()), P::T(k.clone())],
                        )
                        .await?;
                    drop(c);
                    let scope = if k.starts_with("user:") { "account" } else { "address" };
                    self.audit_event(
                        &actor,
                        "auth.lockout",
                        "user",
                        id.map(|i| i.to_string()),
                        json!({"username": username.chars().take(64).collect::<String>(), "address": address,
                               "scope": scope, "until": u, "result": "locked"}),
                    )
                    .await?;
                    until = Some(u);
                }
            }
            return Err(match until {
                Some(u) => locked(Some(u)),
                None => bad(),
            });
        }
        let Some(row) = row else { return Err(bad()) };
        let id = row.i(0);
        // A success clears the account's count and gives back the address's slot.
        {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .exec("DELETE FROM login_attempts WHERE key = $1", &[P::T(user_key.clone())])
                .await?;
            if let Some(k) = &addr_key {
                c.conn()
                    .exec(
                        "UPDATE login_attempts SET count = count - 1 WHERE key = $1 AND count > 0",
                        &[P::T(k.clone())],
                    )
                    .await?;
            }
        }
        if row.b(2) {
            self.audit_event(
                &actor,
                "auth.login_failed",
                "user",
                Some(id.to_string()),
                event("disabled"),
            )
            .await?;
            return Err(StoreError::Unauthorized("账号已停用，请联系管理员".into()));
        }
        let (access, display_name) = self.access_for(id).await?;
        let must_change = must_change_reason(&p, row.b(3), row.ot(4).as_deref(), now);
        // The second factor: a code when one is set up, enrolment when the role requires one.
        let second_factor = if row.b(5) {
            Some(crate::second_factor::PENDING_CODE.to_string())
        } else if p.totp_roles.contains(&access.role) {
            Some(crate::second_factor::PENDING_ENROL.to_string())
        } else {
            None
        };
        let token = random_token();
        let csrf = random_token();
        let expires = later(now, p.session_hours * 60);
        self.writer
            .send(Cmd::Plain {
                actor: access.clone(),
                statements: vec![(
                    "INSERT INTO sessions (token_hash, user_id, csrf, kind, created_at, expires_at, last_seen, address, \
                     pending) VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)"
                        .into(),
                    vec![
                        P::T(token_hash(&token)),
                        P::I(id),
                        P::T(csrf.clone()),
                        P::T(kind.into()),
                        P::T(now_s),
                        P::T(expires.clone()),
                        P::OT(address.map(str::to_string)),
                        P::OT(second_factor.clone()),
                    ],
                )],
                kind: "auth.login".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: event(if second_factor.is_some() { "password_ok" } else { "ok" }),
            })
            .await?;
        Ok((
            token,
            Session {
                access,
                display_name,
                csrf,
                expires_at: expires,
                must_change,
                second_factor,
            },
        ))
    }

    /// The session of a token, if it is live: not past its absolute end and
    /// used within [`Policy::idle_minutes`]. Marks it used (at most once a minute).
    pub async fn session(&self, token: &str) -> Result<Session, StoreError> {
        let none = || StoreError::Unauthorized("未登录或登录已过期".into());
        if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(none());
        }
        let now = self.now();
        let p = self.policy();
        let th = token_hash(token);
        let mut c = self.pool.acquire().await?;
        let r = c
            .conn()
            .row(
                "SELECT s.user_id, s.csrf, s.expires_at, COALESCE(s.last_seen, s.created_at), u.must_change, \
                 u.password_changed_at, s.address, s.pending FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1",
                &[P::T(th.clone())],
            )
            .await?
            .ok_or_else(none)?;
        let now_s = stamp(now);
        if r.t(2) <= now_s {
            return Err(none());
        }
        if r.t(3) < earlier(now, p.idle_minutes) {
            drop(c);
            let (access, _) = self.access_for(r.i(0)).await?;
            self.writer
                .send(Cmd::Plain {
                    actor: access.clone(),
                    statements: vec![("DELETE FROM sessions WHERE token_hash = $1".into(), vec![P::T(th)])],
                    kind: "auth.timeout".into(),
                    entity: "user".into(),
                    entity_id: Some(access.user_id.to_string()),
                    data: json!({"username": access.username, "address": r.ot(6), "idle_minutes": p.idle_minutes, "result": "ended"}),
                })
                .await?;
            return Err(StoreError::Unauthorized("长时间未操作，登录已超时，请重新登录".into()));
        }
        if r.t(3) < earlier(now, 1) {
            c.conn()
                .exec(
                    "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2",
                    &[P::T(now_s), P::T(th)],
                )
                .await?;
        }
        drop(c);
        let (access, display_name) = self.access_for(r.i(0)).await?;
        Ok(Session {
            access,
            display_name,
            csrf: r.t(1),
            expires_at: r.t(2),
            must_change: must_change_reason(&p, r.b(4), r.ot(5).as_deref(), now),
            second_factor: r.ot(7),
        })
    }

    /// Ends a session (evented as a logout).
    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        self.logout_from(token, None).await
    }

    /// Ends a session, naming the source address in its event.
    pub async fn logout_from(&self, token: &str, address: Option<&str>) -> Result<(), StoreError> {
        let th = token_hash(token);
        let user = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT user_id FROM sessions WHERE token_hash = $1",
                    &[P::T(th.clone())],
                )
                .await?
                .map(|r| r.i(0))
        };
        let Some(user) = user else { return Ok(()) };
        let actor = match self.access_for(user).await {
            Ok((a, _)) => a,
            Err(_) => attempt_actor(Some(user), ""),
        };
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![("DELETE FROM sessions WHERE token_hash = $1".into(), vec![P::T(th)])],
                kind: "auth.logout".into(),
                entity: "user".into(),
                entity_id: Some(user.to_string()),
                data: json!({"username": actor.username, "address": address, "result": "ok"}),
            })
            .await?;
        Ok(())
    }

    /// A user's live sessions (their own, or any user's for an administrator), newest first.
    pub async fn sessions_of(&self, actor: &Access, username: &str) -> Result<Vec<SessionInfo>, StoreError> {
        if actor.username != username && actor.role != Role::SecAdmin {
            return Err(StoreError::Forbidden("只能查看本人的登录会话".into()));
        }
        let id = self.user_id(username).await?;
        let now = self.now();
        let p = self.policy();
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT token_hash, kind, created_at, COALESCE(last_seen, created_at), expires_at, address FROM sessions \
                 WHERE user_id = $1 AND expires_at > $2 AND COALESCE(last_seen, created_at) >= $3 \
                 ORDER BY created_at DESC, token_hash",
                &[P::I(id), P::T(stamp(now)), P::T(earlier(now, p.idle_minutes))],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SessionInfo {
                id: r.t(0),
                kind: r.t(1),
                created_at: r.t(2),
                last_seen: r.t(3),
                expires_at: r.t(4),
                address: r.ot(5),
            })
            .collect())
    }

    /// Ends one session by its id ([`SessionInfo::id`]): the owner's own, or any for an administrator.
    pub async fn revoke_session(
        &self,
        actor: &Access,
        session_id: &str,
        address: Option<&str>,
    ) -> Result<(), StoreError> {
        let owner = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT s.user_id, u.username FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                    &[P::T(session_id.into())],
                )
                .await?
        };
        let Some(owner) = owner else {
            return Err(StoreError::NotFound("会话不存在或已结束".into()));
        };
        if owner.i(0) != actor.user_id && actor.role != Role::SecAdmin {
            return Err(StoreError::Forbidden("只能结束本人的登录会话".into()));
        }
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "DELETE FROM sessions WHERE token_hash = $1".into(),
                    vec![P::T(session_id.into())],
                )],
                kind: "auth.revoke".into(),
                entity: "user".into(),
                entity_id: Some(owner.i(0).to_string()),
                data: json!({"username": owner.t(1), "address": address, "result": "ok"}),
            })
            .await?;
        Ok(())
    }
}

/// The meta key of the policy.
const POLICY_KEY: &str = "security.policy";

/// Why a password must be changed now, if it must.
fn must_change_reason(p: &Policy, flagged: bool, changed_at: Option<&str>, now: Timestamp) -> Option<String> {
    if flagged {
        return Some("首次登录或管理员重置后，请先修改密码".into());
    }
    // Only an account from before the password policy (migration 0016) has no
    // change time: its password was never checked against the policy.
    let Some(changed_at) = changed_at else {
        return Some("密码设置于密码策略启用之前，请按新的密码规则修改密码".into());
    };
    let changed_at = Some(changed_at);
    let expired = p.expiry_days > 0 && changed_at.is_some_and(|at| at < earlier(now, p.expiry_days * 24 * 60).as_str());
    expired.then(|| format!("密码已超过{}天未修改，请修改密码", p.expiry_days))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        let p = Policy::default();
        for pw in [
            "12345678",
            "aaaaaaaa",
            "password",
            "        ",
            "Password1",
            "P@ssw0rd!",
            "Admin@123",
            "Qwerty123!",
            "abcDEF12",
            "Abcd1234",
            "zhangsan#2026",
            "Aa1Aa1Aa1",
        ] {
            assert!(check_password(&p, "zhangsan", pw).is_err(), "{pw} was accepted");
        }
        for pw in ["Lvzhi#county7", "k9Vt-q3ra", "Tq7mX2pLw8"] {
            check_password(&p, "zhangsan", pw).unwrap();
        }
        assert!(
            check_password(&p, "kvt9", "xKvt9-Quay").is_err(),
            "contains the user name"
        );
        for _ in 0..200 {
            let g = generate_password(12);
            check_password(&p, "zhangsan", &g).unwrap();
        }
    }

    #[test]
    fn policy_settings_are_checked() {
        assert!(Policy::default().check().is_ok());
        let p = Policy {
            min_length: 4,
            ..Policy::default()
        };
        assert!(p.check().is_err());
        let p: Policy = serde_json::from_str(r#"{"expiry_days": 30}"#).unwrap();
        assert_eq!((p.expiry_days, p.history), (30, 5));
    }
}
