//! Templates copied and edited in the UI (issue 5).
//!
//! A custom template has its own name (never a shipped template's name, so
//! the pack's templates stay as shipped) and versions 1, 2, 3… kept by the
//! store ([`lvzhi_store::templates`]), each an event on the hash chain. Saving
//! first checks the text with [`crate::template::validate`]: it must parse and
//! every indicator it names must exist; otherwise nothing is saved and the
//! error names the line. Restoring an older version is saving its text again.
//! Rendering ([`crate::render`]) finds a name among the pack's templates
//! first, then among the custom ones (latest version).

use crate::{ReportError, template, templates};
use lvzhi_core::access::Access;
use lvzhi_metrics::Engine;
use lvzhi_store::Store;
use lvzhi_store::templates::TemplateVersion;
use serde::Serialize;

/// A template as listed: shipped with the pack, or custom with its latest version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateInfo {
    /// Name.
    pub name: String,
    /// Shipped with the pack (read-only; copy it to edit).
    pub shipped: bool,
    /// Latest version (custom templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The shipped template it was copied from (custom templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Who saved the latest version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When (UTC stamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// A template's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Name.
    pub name: String,
    /// Shipped with the pack.
    pub shipped: bool,
    /// The version (custom templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The text.
    pub source: String,
}

/// Every template: the pack's, then the custom ones, each by name.
pub async fn list(store: &Store, files: &[(String, String)]) -> Result<Vec<TemplateInfo>, ReportError> {
    let mut out: Vec<TemplateInfo> = templates(files)
        .into_keys()
        .map(|name| TemplateInfo {
            name,
            shipped: true,
            version: None,
            base: None,
            author: None,
            at: None,
        })
        .collect();
    for v in store.custom_templates().await? {
        out.push(TemplateInfo {
            name: v.name,
            shipped: false,
            version: Some(v.version),
            base: v.base,
            author: Some(v.author),
            at: Some(v.at),
        });
    }
    Ok(out)
}

/// The text of template `name`: the pack's, or a custom one's `version`
/// (latest when `None`).
pub async fn source(
    store: &Store,
    files: &[(String, String)],
    name: &str,
    version: Option<i64>,
) -> Result<Source, ReportError> {
    if let Some(text) = templates(files).remove(name) {
        return Ok(Source {
            name: name.into(),
            shipped: true,
            version: None,
            source: text,
        });
    }
    let v = store
        .template_version(name, version)
        .await?
        .ok_or_else(|| match version {
            Some(n) => ReportError::NoTemplate(format!("{name}（第{n}版）")),
            None => ReportError::NoTemplate(name.into()),
        })?;
    Ok(Source {
        name: v.name,
        shipped: false,
        version: Some(v.version),
        source: v.source,
    })
}

/// Every version of custom template `name`, newest first.
pub async fn versions(store: &Store, name: &str) -> Result<Vec<TemplateVersion>, ReportError> {
    let v = store.template_versions(name).await?;
    if v.is_empty() {
        return Err(ReportError::NoTemplate(name.into()));
    }
    Ok(v)
}

/// What to save.
#[derive(Debug, Clone)]
pub struct Save<'a> {
    /// The custom template's name.
    pub name: &'a str,
    /// The version the editor started from (0 for a new copy).
    pub parent: i64,
    /// The text.
    pub source: &'a str,
    /// The shipped template it was copied from.
    pub base: Option<&'a str>,
    /// A note (恢复自第1版…).
    pub note: &'a str,
}

/// Checks the text (it parses; every indicator it names exists — the error
/// names the line) and saves it as the next version. Nothing is saved on any
/// error. Returns the new version number.
pub async fn save(
    store: &Store,
    engine: &Engine,
    files: &[(String, String)],
    actor: &Access,
    s: &Save<'_>,
) -> Result<i64, ReportError> {
    if !lvzhi_store::templates::may_edit(actor) {
        return Err(ReportError::Store(lvzhi_store::StoreError::Forbidden(
            "只有政府办（督查室）和系统管理员可以修改报告模板".into(),
        )));
    }
    let shipped = templates(files);
    if shipped.contains_key(s.name) {
        return Err(ReportError::Bad(format!(
            "“{}”是内置模板，不能直接修改；请复制后以新名称保存",
            s.name
        )));
    }
    lvzhi_store::templates::check_name(s.name)?;
    if let Some(b) = s.base
        && !shipped.contains_key(b)
    {
        return Err(ReportError::NoTemplate(b.into()));
    }
    if s.source.trim().is_empty() {
        return Err(ReportError::Bad("模板内容不能为空".into()));
    }
    template::validate(s.source, &|n| engine.defs().find(n).is_some())?;
    Ok(store
        .save_template(actor, s.name, s.parent, s.source, s.base, s.note)
        .await?)
}

/// The line an error points at, if any (for showing it in the editor).
pub fn error_line(e: &ReportError) -> Option<usize> {
    match e {
        ReportError::UnknownIndicator { line, .. }
        | ReportError::Syntax { line, .. }
        | ReportError::Runtime { line, .. } => Some(*line),
        _ => None,
    }
}
