//! The admin pages' changes that [`crate::org`] and [`crate::auth`] do not
//! cover: renaming and disabling units, editing a person, unlocking a user
//! locked out by failed logins. Each change is one evented command through
//! the writer, like every other change.

use crate::db::P;
use crate::writer::Cmd;
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use serde::Serialize;
use serde_json::json;

/// A user's login lock state, for the admin's user list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserLock {
    /// Login name.
    pub username: String,
    /// Failed logins since the last success.
    pub failed_logins: i64,
    /// Locked until (UTC stamp), when locked now.
    pub locked_until: Option<String>,
}

fn org_admin(a: &Access) -> Result<(), StoreError> {
    if matches!(a.role, Role::Admin | Role::Office) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("只有管理员或政府办可以维护组织机构".into()))
    }
}

impl Store {
    async fn unit_exists(&self, id: i64) -> Result<(), StoreError> {
        let mut c = self.pool.acquire().await?;
        c.conn()
            .row("SELECT id FROM units WHERE id = $1", &[P::I(id)])
            .await?
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound(format!("单位{id}不存在")))
    }

    /// Renames a unit (the name must stay unique).
    pub async fn rename_unit(&self, actor: &Access, id: i64, name: &str) -> Result<(), StoreError> {
        org_admin(actor)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::BadRequest("单位名称不能为空".into()));
        }
        if name.chars().count() > 60 {
            return Err(StoreError::BadRequest("单位名称不能超过60个字".into()));
        }
        self.unit_exists(id).await?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "UPDATE units SET name = $1 WHERE id = $2".into(),
                    vec![P::T(name.into()), P::I(id)],
                )],
                kind: "org.unit.rename".into(),
                entity: "unit".into(),
                entity_id: Some(id.to_string()),
                data: json!({"name": name}),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => StoreError::Conflict(format!("已有名为“{name}”的单位")),
                e => e,
            })?;
        Ok(())
    }

    /// Disables (停用) or enables a unit. A disabled unit keeps its records;
    /// forms stop offering it.
    pub async fn set_unit_disabled(&self, actor: &Access, id: i64, disabled: bool) -> Result<(), StoreError> {
        org_admin(actor)?;
        self.unit_exists(id).await?;
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "UPDATE units SET disabled = $1 WHERE id = $2".into(),
                    vec![P::B(disabled), P::I(id)],
                )],
                kind: if disabled {
                    "org.unit.disable"
                } else {
                    "org.unit.enable"
                }
                .into(),
                entity: "unit".into(),
                entity_id: Some(id.to_string()),
                data: json!({"disabled": disabled}),
            })
            .await?;
        Ok(())
    }

    /// The ids of disabled units.
    pub async fn disabled_units(&self) -> Result<Vec<i64>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows("SELECT id FROM units WHERE disabled = TRUE ORDER BY id", &[])
            .await?;
        Ok(rows.iter().map(|r| r.i(0)).collect())
    }

    /// Changes a person's name, post, unit and leader flag.
    pub async fn update_person(
        &self,
        actor: &Access,
        id: i64,
        name: &str,
        post: &str,
        unit: Option<i64>,
        is_leader: bool,
    ) -> Result<(), StoreError> {
        org_admin(actor)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::BadRequest("姓名不能为空".into()));
        }
        {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row("SELECT id FROM people WHERE id = $1", &[P::I(id)])
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("人员{id}不存在")))?;
        }
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![(
                    "UPDATE people SET name = $1, post = $2, unit_id = $3, is_leader = $4 WHERE id = $5".into(),
                    vec![
                        P::T(name.into()),
                        P::T(post.trim().into()),
                        P::OI(unit),
                        P::B(is_leader),
                        P::I(id),
                    ],
                )],
                kind: "org.person.update".into(),
                entity: "person".into(),
                entity_id: Some(id.to_string()),
                data: json!({"name": name, "post": post.trim(), "unit": unit, "leader": is_leader}),
            })
            .await?;
        Ok(())
    }

    /// Lifts a login lock and clears the failed-login count (the security administrator only).
    pub async fn unlock_user(&self, actor: &Access, username: &str) -> Result<(), StoreError> {
        crate::auth::duty(actor, Role::SecAdmin, "解除锁定")?;
        let id = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row("SELECT id FROM users WHERE username = $1", &[P::T(username.into())])
                .await?
                .map(|r| r.i(0))
                .ok_or_else(|| StoreError::NotFound(format!("用户“{username}”不存在")))?
        };
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements: vec![
                    (
                        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1".into(),
                        vec![P::I(id)],
                    ),
                    (
                        "DELETE FROM login_attempts WHERE key = $1".into(),
                        vec![P::T(format!("user:{}", username.to_lowercase()))],
                    ),
                ],
                kind: "user.unlock".into(),
                entity: "user".into(),
                entity_id: Some(id.to_string()),
                data: json!({"username": username}),
            })
            .await?;
        Ok(())
    }

    /// Every user's failed-login count and lock (a lock in the past is none).
    pub async fn user_locks(&self) -> Result<Vec<UserLock>, StoreError> {
        let now = lvzhi_core::time::stamp(self.now());
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT u.username, COALESCE(a.count, 0), a.locked_until FROM users u \
                 LEFT JOIN login_attempts a ON a.key = 'user:' || LOWER(u.username) ORDER BY u.id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| UserLock {
                username: r.t(0),
                failed_logins: r.i(1),
                locked_until: r.ot(2).filter(|t| *t > now),
            })
            .collect())
    }
}

/// One row of a bulk account sheet (单位, 角色, 姓名, 手机号), as typed.
#[derive(Debug, Clone, Default)]
pub struct BulkUser {
    /// The sheet's row number (1-based, as Excel shows it).
    pub row: usize,
    /// Unit name.
    pub unit: String,
    /// Role: its Chinese name (经办人) or key (unit_clerk).
    pub role: String,
    /// The person's name (the display name).
    pub name: String,
    /// Mobile number: the login name.
    pub phone: String,
}

/// An account made by [`Store::add_users_bulk`], with its one-time password.
#[derive(Debug, Clone, Serialize)]
pub struct BulkCreated {
    /// The sheet's row.
    pub row: usize,
    /// Login name (the mobile number).
    pub username: String,
    /// Display name.
    pub name: String,
    /// Unit name.
    pub unit: String,
    /// Role (Chinese).
    pub role: &'static str,
    /// The one-time password (shown once; must be changed at first login).
    pub password: String,
}

/// The roles a bulk sheet may give: ordinary accounts with no person behind them.
fn bulk_role(text: &str) -> Option<Role> {
    let t = text.trim();
    Role::parse(t)
        .or_else(|| Role::ALL.into_iter().find(|r| r.label() == t))
        .or(match t {
            "政府办" | "督查室" => Some(Role::Office),
            "单位负责人" | "负责人" => Some(Role::UnitHead),
            "审计" | "纪委" => Some(Role::Auditor),
            _ => None,
        })
}

/// A bad cell of a bulk account sheet: its row, the column (单位, 角色,
/// 姓名, 手机号) and what is wrong, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkProblem {
    /// The sheet's row (1-based, as Excel shows it).
    pub row: usize,
    /// The column: 单位, 角色, 姓名 or 手机号.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for BulkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第{}行：{}", self.row, self.message)
    }
}

/// A row that passed the checks: (row, phone, name, unit, role).
type BulkRow = (usize, String, String, Option<(i64, String)>, Role);

impl Store {
    /// Checks a bulk account sheet without creating anything: every bad cell
    /// as (row, column, message); empty when [`Store::add_users_bulk`] would
    /// create them all. The system administrator's.
    pub async fn check_users_bulk(&self, actor: &Access, rows: &[BulkUser]) -> Result<Vec<BulkProblem>, StoreError> {
        crate::auth::duty(actor, Role::Admin, "批量创建用户")?;
        Ok(self.bulk_rows(rows).await?.1)
    }

    /// The rows that pass and the problems of those that do not.
    async fn bulk_rows(&self, rows: &[BulkUser]) -> Result<(Vec<BulkRow>, Vec<BulkProblem>), StoreError> {
        if rows.is_empty() {
            return Err(StoreError::BadRequest(
                "表格中没有用户行（表头下应逐行填写单位、角色、姓名、手机号）".into(),
            ));
        }
        if rows.len() > 5000 {
            return Err(StoreError::BadRequest(format!(
                "一次最多导入5000个用户（本表{}行）",
                rows.len()
            )));
        }
        let units = self.units().await?;
        let disabled = self.disabled_units().await?;
        let existing: std::collections::HashSet<String> = self
            .users()
            .await?
            .into_iter()
            .map(|u| u.username.to_lowercase())
            .collect();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut errors = Vec::new();
        let mut ok = Vec::new();
        for r in rows {
            let mut bad = |field: &'static str, message: String| {
                errors.push(BulkProblem {
                    row: r.row,
                    field,
                    message,
                })
            };
            let phone: String = r.phone.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
            let name = r.name.trim();
            let unit_name = r.unit.trim();
            if name.is_empty() {
                bad("姓名", "姓名为空".into());
            } else if name.chars().count() > 30 {
                bad("姓名", format!("姓名“{name}”超过30个字"));
            }
            if !(phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit())) {
                bad("手机号", format!("手机号“{}”不是11位手机号码", r.phone.trim()));
            } else if existing.contains(&phone) {
                bad("手机号", format!("手机号{phone}已是用户名，该用户已存在"));
            } else if let Some(first) = seen.insert(phone.clone(), r.row) {
                bad("手机号", format!("手机号{phone}与第{first}行重复"));
            }
            let role = match bulk_role(&r.role) {
                None => {
                    bad(
                        "角色",
                        format!(
                            "角色“{}”无效（可填：经办人、单位负责人、政府办（督查室）、测评人）",
                            r.role.trim()
                        ),
                    );
                    None
                }
                Some(role) if role.is_administrator() => {
                    bad("角色", format!("不能批量创建“{}”账号", role.label()));
                    None
                }
                Some(role) if role.reads_audit_log() => {
                    bad(
                        "角色",
                        format!(
                            "不能批量创建“{}”账号：该角色可查阅审计日志，须由安全管理员分配",
                            role.label()
                        ),
                    );
                    None
                }
                Some(Role::Leader) => {
                    bad("角色", "县级领导账号须关联人员，请在“用户与角色”中逐个添加".into());
                    None
                }
                Some(role) => Some(role),
            };
            let unit = if unit_name.is_empty() {
                if matches!(role, Some(Role::UnitClerk | Role::UnitHead)) {
                    bad("单位", "经办人和单位负责人须填写所属单位".into());
                }
                None
            } else {
                match units.iter().find(|u| u.name == unit_name) {
                    None => {
                        bad("单位", format!("单位“{unit_name}”不存在（请先在“单位”中添加）"));
                        None
                    }
                    Some(u) if disabled.contains(&u.id) => {
                        bad("单位", format!("单位“{unit_name}”已停用"));
                        None
                    }
                    Some(u) => Some(u),
                }
            };
            if let Some(role) = role {
                ok.push((
                    r.row,
                    phone,
                    name.to_string(),
                    unit.map(|u| (u.id, u.name.clone())),
                    role,
                ));
            }
        }
        Ok((ok, errors))
    }

    /// Creates accounts in bulk (the system administrator): each row a unit,
    /// an ordinary role, a name and a mobile number (the login name), with a
    /// one-time password that must be changed at first login. Every row is
    /// checked first ([`Store::check_users_bulk`]); any error, and nothing is
    /// created — the message names each bad row. One writer command, one
    /// `user.import` event (without the passwords).
    pub async fn add_users_bulk(&self, actor: &Access, rows: &[BulkUser]) -> Result<Vec<BulkCreated>, StoreError> {
        crate::auth::duty(actor, Role::Admin, "批量创建用户")?;
        let (ok, problems) = self.bulk_rows(rows).await?;
        if !problems.is_empty() {
            let n = problems.len();
            let mut errors: Vec<String> = problems.iter().take(50).map(ToString::to_string).collect();
            if n > 50 {
                errors.push("……".into());
            }
            return Err(StoreError::BadRequest(format!(
                "{}处错误，未创建任何用户：{}",
                n,
                errors.join("；")
            )));
        }
        let now = lvzhi_core::time::stamp(self.now());
        let mut created = Vec::new();
        let mut steps = Vec::new();
        // argon2id for every account, off the async threads.
        let passwords: Vec<String> = ok.iter().map(|_| crate::auth::generate_password(12)).collect();
        let hashes = {
            let pws = passwords.clone();
            tokio::task::spawn_blocking(move || {
                pws.iter()
                    .map(|p| crate::auth::hash_password(p))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))??
        };
        for (((row, phone, name, unit, role), password), hash) in ok.into_iter().zip(passwords).zip(hashes) {
            steps.push(crate::writer::SqlStep {
                sql:
                    "INSERT INTO users (username, display_name, password_hash, role, unit_id, created_at, must_change, \
                      password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $6) RETURNING id"
                        .into(),
                params: vec![
                    P::T(phone.clone()),
                    P::T(name.clone()),
                    P::T(hash.clone()),
                    P::T(role.key().into()),
                    P::OI(unit.as_ref().map(|u| u.0)),
                    P::T(now.clone()),
                ],
                expect: crate::writer::Expect::Id,
            });
            steps.push(crate::writer::SqlStep {
                sql: "INSERT INTO password_history (user_id, password_hash, changed_at) VALUES ($ID, $1, $2)".into(),
                params: vec![P::T(hash), P::T(now.clone())],
                expect: crate::writer::Expect::Any,
            });
            created.push(BulkCreated {
                row,
                username: phone,
                name,
                unit: unit.map(|u| u.1).unwrap_or_default(),
                role: role.label(),
                password,
            });
        }
        let names: Vec<&str> = created.iter().map(|c| c.username.as_str()).collect();
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps,
                kind: "user.import".into(),
                entity: "user".into(),
                entity_id: None,
                data: json!({"count": created.len(), "usernames": names, "result": "ok"}),
                coarse_time: false,
            })
            .await?;
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn only_admin_and_office_maintain_units() {
        let mut a = Access {
            user_id: 1,
            username: "x".into(),
            role: Role::UnitClerk,
            unit: None,
            division: None,
            person: None,
            oversees: vec![],
        };
        assert!(org_admin(&a).is_err());
        a.role = Role::Office;
        assert!(org_admin(&a).is_ok());
    }

    #[test]
    fn bulk_roles_by_chinese_name_or_key() {
        assert_eq!(bulk_role("经办人"), Some(Role::UnitClerk));
        assert_eq!(bulk_role(" unit_head "), Some(Role::UnitHead));
        assert_eq!(bulk_role("政府办"), Some(Role::Office));
        assert_eq!(bulk_role("安全管理员"), Some(Role::SecAdmin));
        assert_eq!(bulk_role("科员"), None);
    }
}
