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

    /// Lifts a login lock and clears the failed-login count (admins only).
    pub async fn unlock_user(&self, actor: &Access, username: &str) -> Result<(), StoreError> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("只有系统管理员可以解除锁定".into()));
        }
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
}
