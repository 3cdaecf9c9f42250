//! Report templates edited in the UI (issue 5): every saved version is a row
//! of `report_templates` — never updated, never deleted — written by the single
//! writer together with its `report.template.save` event (the event carries the
//! name, the version, the SHA-256 of the text and the text itself, so the hash
//! chain alone can rebuild every version). A restore is a new version with an
//! older version's text.
//!
//! The store keeps the text; whether a text is a valid template (it parses,
//! every indicator it names exists) is checked before saving by
//! `lvzhi_report::custom::save`, which is the only caller the API and the UI use.

use crate::db::P;
use crate::writer::{Cmd, Expect, SqlStep};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The event kind of a saved version.
pub const SAVE_KIND: &str = "report.template.save";

/// The longest template text accepted (characters).
pub const MAX_SOURCE_CHARS: usize = 200_000;

/// One saved version of a custom template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateVersion {
    /// The template's name.
    pub name: String,
    /// 1, 2, 3…
    pub version: i64,
    /// The text (minijinja source).
    pub source: String,
    /// The shipped template it was copied from, if any.
    pub base: Option<String>,
    /// The saver's note (恢复自第1版…); may be empty.
    pub note: String,
    /// Who saved it (user name).
    pub author: String,
    /// When (UTC stamp, RFC 3339).
    pub at: String,
}

/// Who may edit templates: the office and the administrator.
pub fn may_edit(a: &Access) -> bool {
    matches!(a.role, Role::Admin | Role::Office)
}

/// Checks a custom template's name: 1–40 characters, no path or markup characters.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let n = name.chars().count();
    if n == 0 {
        return Err(StoreError::BadRequest("模板名称不能为空".into()));
    }
    if n > 40 {
        return Err(StoreError::BadRequest("模板名称不能超过40个字".into()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "/\\<>\"'&?#%{}".contains(*c))
    {
        return Err(StoreError::BadRequest(format!("模板名称不能包含“{c}”")));
    }
    Ok(())
}

fn row_to_version(r: &crate::db::Row) -> TemplateVersion {
    TemplateVersion {
        name: r.t(0),
        version: r.i(1),
        source: r.t(2),
        base: r.ot(3),
        note: r.t(4),
        author: r.t(5),
        at: r.t(6),
    }
}

const COLS: &str = "name, version, source, base, note, author_name, created_at";

impl Store {
    /// Saves version `parent + 1` of custom template `name` (`parent` = the
    /// version the editor started from, 0 for a new template). Refused with
    /// 409 when a version after `parent` exists already (someone saved in
    /// between), 403 unless office or admin. The row and its event are one
    /// transaction. Returns the new version number.
    pub async fn save_template(
        &self,
        actor: &Access,
        name: &str,
        parent: i64,
        source: &str,
        base: Option<&str>,
        note: &str,
    ) -> Result<i64, StoreError> {
        if !may_edit(actor) {
            return Err(StoreError::Forbidden(
                "只有政府办（督查室）和系统管理员可以修改报告模板".into(),
            ));
        }
        check_name(name)?;
        if source.chars().count() > MAX_SOURCE_CHARS {
            return Err(StoreError::BadRequest(format!(
                "模板内容过长（不能超过{MAX_SOURCE_CHARS}个字）"
            )));
        }
        if parent < 0 {
            return Err(StoreError::BadRequest("版本号无效".into()));
        }
        // A parent past the last version is refused below, as one saved over is (409).
        let version = parent.saturating_add(1);
        let at = lvzhi_core::time::stamp(self.now());
        let sha = hex::encode(Sha256::digest(source.as_bytes()));
        let step = SqlStep {
            sql:
                "INSERT INTO report_templates (name, version, source, base, note, author_id, author_name, created_at) \
                  SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
                  WHERE COALESCE((SELECT MAX(version) FROM report_templates WHERE name = $1), 0) = $2 - 1"
                    .into(),
            params: vec![
                P::T(name.into()),
                P::I(version),
                P::T(source.into()),
                P::OT(base.map(str::to_string)),
                P::T(note.into()),
                P::OI((actor.user_id > 0).then_some(actor.user_id)),
                P::T(actor.username.clone()),
                P::T(at),
            ],
            expect: Expect::One(format!(
                "模板“{name}”在您编辑期间已被保存了新版本，请重新打开最新版本后再修改"
            )),
        };
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps: vec![step],
                kind: SAVE_KIND.into(),
                entity: "report_template".into(),
                entity_id: Some(name.into()),
                data: json!({"name": name, "version": version, "base": base, "note": note,
                             "sha256": sha, "source": source}),
                coarse_time: false,
            })
            .await?;
        Ok(version)
    }

    /// Every version of custom template `name`, newest first (empty if none).
    pub async fn template_versions(&self, name: &str) -> Result<Vec<TemplateVersion>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!("SELECT {COLS} FROM report_templates WHERE name = $1 ORDER BY version DESC"),
                &[P::T(name.into())],
            )
            .await?;
        Ok(rows.iter().map(row_to_version).collect())
    }

    /// Version `version` of `name`, or the latest when `None`.
    pub async fn template_version(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<TemplateVersion>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row = match version {
            Some(v) => {
                c.conn()
                    .row(
                        &format!("SELECT {COLS} FROM report_templates WHERE name = $1 AND version = $2"),
                        &[P::T(name.into()), P::I(v)],
                    )
                    .await?
            }
            None => {
                c.conn()
                    .row(
                        &format!("SELECT {COLS} FROM report_templates WHERE name = $1 ORDER BY version DESC LIMIT 1"),
                        &[P::T(name.into())],
                    )
                    .await?
            }
        };
        Ok(row.as_ref().map(row_to_version))
    }

    /// The latest version of every custom template, by name.
    pub async fn custom_templates(&self) -> Result<Vec<TemplateVersion>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT {COLS} FROM report_templates t WHERE version = \
                     (SELECT MAX(version) FROM report_templates m WHERE m.name = t.name) ORDER BY name"
                ),
                &[],
            )
            .await?;
        Ok(rows.iter().map(row_to_version).collect())
    }
}
