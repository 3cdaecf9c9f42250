//! 导入 and 导出 in the web UI.
//!
//! Import is four screens over one uploaded file: upload
//! (`/ledgers/{key}/import`, xlsx/xls/csv as `multipart/form-data`) → column mapping (`/imports/{id}/mapping`: the detected
//! field of each column, each one selectable) → preview (`/imports/{id}/preview`:
//! counts, the first rows with refused cells marked and their Chinese reasons,
//! every error) → confirm (all or nothing, or 跳过错误行) → result (counts, the
//! import's tag, the error copy as xlsx at `/imports/{id}/errors.xlsx`).
//! The uploaded file waits in memory between the screens (the server's
//! [`crate::service::staging`]: bound to the user who uploaded it, bounded, an hour each).
//! Checking and writing are `lvzhi_io`'s (`check_bytes`, `import::write`), so
//! the UI refuses exactly what `lvzhi import` refuses, and the store checks
//! every row again.
//!
//! Export (`/ledgers/{key}/export?format=xlsx|csv&<the list's filters>`) writes
//! exactly the rows the list shows with those filters, within the user's scope
//! and masked for the role (both by the store).
//!
//! Only roles that may create records in a ledger see its import screens.

use super::render::{Chrome, Names, PageResult, error_page, page, query, see_other, store_error};
use super::session::{UiUser, check_csrf, field};
use super::upload::{Unread, read_form};
use crate::AppState;
use crate::service::export::{XLSX, list_query, mime};
use crate::service::staging::Upload;
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::field::FieldType;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_io::export::{ExportFormat, error_workbook};
use lvzhi_io::import::{ImportOptions, ImportReport, make_tag, write};
use lvzhi_io::mapping::{EXTRA_TARGET, Layout, Mapping, STATE_TARGET, normalize_header};
use lvzhi_io::sheet::{Encoding, Sheet};
use lvzhi_io::{Checked, IoError, ReadOptions, Surface};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// The largest file the upload screen takes.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;

/// Errors listed on the preview.
const PREVIEW_ERRORS: usize = 200;

fn gone() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "导入已失效",
        "找不到这次上传的文件（超过一小时或服务已重启），请重新上传。",
    )
}

fn ledger_for_import<'a>(st: &'a AppState, u: &UiUser, key: &str) -> Result<&'a LedgerKind, Response> {
    let kind = st
        .store
        .pack()
        .ledger(key)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
    let role = u.session.access.role;
    if !role.writes() || !kind.create_roles.contains(&role) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "无权导入",
            &format!("{}不能在“{}”台账中登记记录，也不能导入。", role.label(), kind.name),
        ));
    }
    Ok(kind)
}

fn entry_for(st: &AppState, u: &UiUser, id: &str) -> Result<(Upload, LedgerKind), Response> {
    let e = st.staging.get(id, u.session.access.user_id).ok_or_else(gone)?;
    let kind = ledger_for_import(st, u, &e.ledger)?.clone();
    Ok((e, kind))
}

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    chrome: Chrome,
    title: String,
    key: String,
    ledger: String,
    columns: String,
    error: String,
}

async fn upload_page_with(
    st: &AppState,
    u: &UiUser,
    kind: &LedgerKind,
    status: StatusCode,
    error: String,
) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let columns = kind
        .fields
        .iter()
        .map(|f| {
            if f.required {
                format!("{}*", f.label)
            } else {
                f.label.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("、");
    Ok(page(
        status,
        &UploadPage {
            chrome: Chrome::new(&st.store, u, &names, &format!("/ledgers/{}", kind.key)),
            title: format!("导入{}", kind.name),
            key: kind.key.clone(),
            ledger: kind.name.clone(),
            columns,
            error,
        },
    ))
}

/// `GET /ledgers/{key}/import`: the upload form.
pub async fn upload_page(State(st): State<AppState>, u: UiUser, Path(key): Path<String>) -> PageResult {
    let kind = ledger_for_import(&st, &u, &key)?;
    upload_page_with(&st, &u, kind, StatusCode::OK, String::new()).await
}

/// `GET /ledgers/{key}/import/template`: the ledger's import template (xlsx:
/// headers, drop-down lists, one example row made for the user).
pub async fn template(State(st): State<AppState>, u: UiUser, Path(key): Path<String>) -> PageResult {
    let kind = ledger_for_import(&st, &u, &key)?;
    let bytes = lvzhi_io::template::template_for(&st.store, &u.session.access, &kind.key)
        .await
        .map_err(|e| match e {
            IoError::Store(s) => store_error(s),
            other => error_page(StatusCode::INTERNAL_SERVER_ERROR, "生成失败", &io_message(&other)),
        })?;
    Ok(download(bytes, XLSX, &lvzhi_io::template::file_name(kind)))
}

/// `POST /ledgers/{key}/import`: takes the file, then the mapping screen.
pub async fn upload(State(st): State<AppState>, u: UiUser, Path(key): Path<String>, req: Request) -> PageResult {
    let kind = ledger_for_import(&st, &u, &key)?;
    let form = match read_form(req, &st, UPLOAD_LIMIT).await {
        Ok(f) => f,
        Err(Unread::TooLarge) => {
            return Err(error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "文件过大",
                &format!("上传的文件超过{}MB上限，未作处理。", UPLOAD_LIMIT / 1024 / 1024),
            ));
        }
        Err(Unread::Malformed) => {
            return Err(error_page(StatusCode::BAD_REQUEST, "请求有误", "上传的表单无法读取。"));
        }
    };
    check_csrf(&u, &form.fields)?;
    let Some((name, data)) = form.file else {
        return upload_page_with(
            &st,
            &u,
            kind,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要导入的文件（xlsx、xls 或 csv）。".into(),
        )
        .await;
    };
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".csv")) {
        return upload_page_with(
            &st,
            &u,
            kind,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("“{name}”不是 xlsx、xls 或 csv 文件。"),
        )
        .await;
    }
    let id = st.staging.put(Upload {
        user: u.session.access.user_id,
        ledger: kind.key.clone(),
        name,
        bytes: Arc::new(data),
        mapping: Mapping::default(),
        set: Vec::new(),
        at: Instant::now(),
        report: None,
    });
    Ok(see_other(&format!("/imports/{id}/mapping")))
}

/// A choice of a select.
pub struct Choice {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

/// A column on the mapping screen.
pub struct MapRow {
    /// Letter.
    pub letter: String,
    /// The header as written.
    pub header: String,
    /// The form field's name.
    pub name: String,
    /// A few values of the column.
    pub sample: String,
    /// The fields to choose from.
    pub choices: Vec<Choice>,
    /// A suggested field the clerk may choose ("建议：整改期限（93分，以“整改期限”结尾）"), or "".
    pub hint: String,
    /// Whether the hint comes with a 采用 button (the suggestion is not chosen yet).
    pub accept: bool,
}

#[derive(Template)]
#[template(path = "import_mapping.html")]
struct MappingPage {
    chrome: Chrome,
    title: String,
    id: String,
    key: String,
    ledger: String,
    file: String,
    /// "第3行" or "第3—4行（两行表头）"; empty when the file could not be read.
    header: String,
    rows: Vec<MapRow>,
    /// Required fields without a column (the form is still shown).
    missing: String,
    /// Why the file cannot be read (no form), or why the choices were refused.
    error: String,
    /// Required fields no column fills: one value for the whole file (统一设定).
    sets: Vec<SetInput>,
}

/// A value set once for the whole file.
pub struct SetInput {
    /// The field key.
    pub key: String,
    /// The field's label.
    pub label: String,
    /// The value entered.
    pub value: String,
}

/// Reads and checks the stashed file with its mapping.
async fn check(st: &AppState, u: &UiUser, e: &Upload, kind: &LedgerKind) -> Result<Checked, IoError> {
    let org = lvzhi_io::org::OrgIndex::load(&st.store).await.map_err(IoError::Store)?;
    let bytes = e.bytes.clone();
    let (kind, access, name, mapping) = (
        kind.clone(),
        u.session.access.clone(),
        e.name.clone(),
        e.mapping.clone(),
    );
    let permit = crate::uploads::parse_permit().await;
    let (vocabulary, set) = (st.store.pack().vocabulary.clone(), e.set.clone());
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let read = ReadOptions {
            mapping,
            limits: lvzhi_io::sheet::SheetLimits::from_env(),
            vocabulary,
            set,
            surface: Surface::Web,
            ..ReadOptions::default()
        };
        lvzhi_io::check_bytes(&kind, &org, &access, &bytes, &name, &read)
    })
    .await
    .map_err(|e| IoError::Unreadable(format!("校验失败：{e}")))?
}

/// The stashed file's table and columns, for the mapping screen.
struct Detected {
    sheet: Sheet,
    layout: Layout,
    /// The rows (0-based) that are not data: 合计, notes under the table.
    not_data: HashSet<usize>,
    /// "缺少必填列：…" when required fields have no column yet.
    missing: String,
}

/// Finds the header and the columns of the stashed file, and the rows that
/// are not data. When required fields have no column the columns are still
/// given, so that the clerk can choose them by hand on the mapping screen.
async fn detect(st: &AppState, u: &UiUser, e: &Upload, kind: &LedgerKind) -> Result<Detected, IoError> {
    let org = lvzhi_io::org::OrgIndex::load(&st.store).await.map_err(IoError::Store)?;
    let access = u.session.access.clone();
    let (bytes, name, mapping, kind) = (e.bytes.clone(), e.name.clone(), e.mapping.clone(), kind.clone());
    let vocab = st.store.pack().vocabulary.clone();
    let permit = crate::uploads::parse_permit().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let limits = lvzhi_io::sheet::SheetLimits::from_env();
        let sheet = lvzhi_io::sheet::read_bytes_with(&bytes, &name, None, Encoding::default(), &limits)?;
        let (kind, missing) = match lvzhi_io::mapping::layout_with(&sheet, &kind, &vocab, &mapping) {
            Ok(_) => (kind, String::new()),
            Err(err @ IoError::MissingColumns(_)) => {
                let mut relaxed = kind;
                for f in &mut relaxed.fields {
                    f.required = false;
                }
                (relaxed, io_message(&err))
            }
            Err(err) => return Err(err),
        };
        let layout = lvzhi_io::mapping::layout_with(&sheet, &kind, &vocab, &mapping)?;
        let prepared = lvzhi_io::prepare::prepare(&kind, &sheet, layout.clone(), &org, &access)?;
        let not_data = prepared.skipped.iter().map(|x| x.row.saturating_sub(1)).collect();
        Ok(Detected {
            sheet,
            layout,
            not_data,
            missing,
        })
    })
    .await
    .map_err(|e| IoError::Unreadable(format!("读取失败：{e}")))?
}

fn io_message(e: &IoError) -> String {
    // The Chinese half of the bilingual messages, with the web page's hints.
    e.message_for(Surface::Web)
}

/// The longest sample value shown whole on the mapping screen (an 18-character
/// 统一社会信用代码 or 身份证号 is not cut).
const SAMPLE_CHARS: usize = 24;

/// `t` cut to `n` characters, with "…" when cut.
fn shorten(t: &str, n: usize) -> String {
    if t.chars().count() <= n {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(n - 1).collect();
        s.push('…');
        s
    }
}

/// The mapping screen's rows: every column, its samples and the field chosen
/// (`chosen` by column index: the clerk's choices of a refused form).
fn map_rows(kind: &LedgerKind, d: &Detected, chosen: &HashMap<usize, String>) -> Vec<MapRow> {
    let first = d.layout.first_data_row();
    d.layout
        .columns
        .iter()
        .map(|col| {
            let sample: Vec<String> = (first..d.sheet.rows.len())
                .filter(|r| !d.not_data.contains(r))
                .map(|r| d.sheet.cell(r, col.index).text())
                .filter(|t| !t.trim().is_empty())
                .take(3)
                .map(|t| shorten(t.trim(), SAMPLE_CHARS))
                .collect();
            let current = chosen
                .get(&col.index)
                .map(String::as_str)
                .or(col.field.as_deref())
                .unwrap_or(if col.extra { EXTRA_TARGET } else { "" });
            let mut choices = vec![
                Choice {
                    value: EXTRA_TARGET.into(),
                    label: "（作为附加信息保存）".into(),
                    selected: current == EXTRA_TARGET,
                },
                Choice {
                    value: String::new(),
                    label: "（不导入）".into(),
                    selected: current.is_empty(),
                },
            ];
            choices.extend(kind.fields.iter().map(|f| Choice {
                value: f.key.clone(),
                label: if f.required {
                    format!("{}（必填）", f.label)
                } else {
                    f.label.clone()
                },
                selected: current == f.key,
            }));
            if kind.workflow.is_some() {
                choices.push(Choice {
                    value: STATE_TARGET.into(),
                    label: "状态".into(),
                    selected: current == STATE_TARGET,
                });
            }
            let (hint, accept) = match col.suggestions.first() {
                Some(s) if col.field.is_none() && current == s.field => {
                    (format!("已采用建议：{}（{}分，{}）", s.label, s.score, s.reason), false)
                }
                Some(s) if col.field.is_none() => (format!("建议：{}（{}分，{}）", s.label, s.score, s.reason), true),
                _ => (String::new(), false),
            };
            MapRow {
                letter: col.letter.clone(),
                header: col.header.clone(),
                name: format!("col{}", col.index),
                sample: sample.join("；"),
                choices,
                hint,
                accept,
            }
        })
        .collect()
}

/// The mapping screen, with the clerk's `chosen` fields and an `error` when
/// their choices were refused.
async fn mapping_view(
    st: &AppState,
    u: &UiUser,
    id: String,
    e: &Upload,
    kind: &LedgerKind,
    chosen: &HashMap<usize, String>,
    error: String,
) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let chrome = Chrome::new(&st.store, u, &names, &format!("/ledgers/{}", kind.key));
    let mut p = MappingPage {
        chrome,
        title: format!("导入{}：核对列", kind.name),
        id,
        key: kind.key.clone(),
        ledger: kind.name.clone(),
        file: e.name.clone(),
        header: String::new(),
        rows: vec![],
        missing: String::new(),
        error,
        sets: vec![],
    };
    let status = match detect(st, u, e, kind).await {
        Ok(d) => {
            let l = &d.layout;
            p.header = if l.header_rows == 2 {
                format!("第{}—{}行（两行表头）", l.header_row + 1, l.header_row + 2)
            } else {
                format!("第{}行", l.header_row + 1)
            };
            p.rows = map_rows(kind, &d, chosen);
            p.sets = kind
                .fields
                .iter()
                .filter(|f| f.required && !l.columns.iter().any(|c| c.field.as_deref() == Some(f.key.as_str())))
                // Nor one the clerk has chosen a column for (e.g. by 采用).
                .filter(|f| !chosen.values().any(|v| *v == f.key))
                .map(|f| SetInput {
                    key: f.key.clone(),
                    label: f.label.clone(),
                    value: e
                        .set
                        .iter()
                        .find(|(k, _)| *k == f.key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                })
                .collect();
            // Only before the clerk has chosen: their choices say what is missing now.
            if chosen.is_empty() {
                p.missing = d.missing;
            }
            if p.error.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
        Err(err) => {
            p.error = io_message(&err);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(page(status, &p))
}

/// `GET /imports/{id}/mapping`: the detected mapping, each column selectable.
pub async fn mapping_page(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    let (e, kind) = entry_for(&st, &u, &id)?;
    mapping_view(&st, &u, id, &e, &kind, &HashMap::new(), String::new()).await
}

/// `POST /imports/{id}/mapping`: keeps the chosen mapping, then the preview.
/// A field chosen for two columns, or a required field for none, is refused
/// on the mapping screen with the choices kept.
pub async fn save_mapping(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let (e, kind) = entry_for(&st, &u, &id)?;
    let d = detect(&st, &u, &e, &kind)
        .await
        .map_err(|err| error_page(StatusCode::UNPROCESSABLE_ENTITY, "文件无法导入", &io_message(&err)))?;
    let l = &d.layout;
    let mut m = l.to_mapping(&kind.key);
    let mut chosen: HashMap<usize, String> = HashMap::new();
    let mut columns_of: Vec<(String, Vec<String>)> = Vec::new();
    for col in &l.columns {
        let value = field(&f, &format!("col{}", col.index)).unwrap_or("").to_string();
        let label = if value == STATE_TARGET {
            "状态".to_string()
        } else if value.is_empty() || value == EXTRA_TARGET {
            String::new()
        } else {
            match kind.field(&value) {
                Some(fd) => fd.label.clone(),
                None => return Err(error_page(StatusCode::BAD_REQUEST, "请求有误", "选择的字段不存在。")),
            }
        };
        if !label.is_empty() {
            match columns_of.iter_mut().find(|(l, _)| *l == label) {
                Some((_, cols)) => cols.push(col.letter.clone()),
                None => columns_of.push((label, vec![col.letter.clone()])),
            }
        }
        m.columns.insert(col.header.clone(), value.clone());
        chosen.insert(col.index, value);
    }
    // 采用: the clerk accepted a column's suggestion — the screen again, with
    // that field chosen and every other choice and value kept.
    if let Some(col) = field(&f, "accept").and_then(|a| a.strip_prefix("col")?.parse::<usize>().ok()) {
        let Some(s) = l
            .columns
            .iter()
            .find(|c| c.index == col)
            .and_then(|c| c.suggestions.first())
        else {
            return Err(error_page(
                StatusCode::BAD_REQUEST,
                "请求有误",
                "这一列没有建议的字段。",
            ));
        };
        chosen.insert(col, s.field.clone());
        let set = set_values(&kind, &f);
        st.staging.update(&id, |x| x.set = set);
        let e = entry_for(&st, &u, &id)?.0;
        return mapping_view(&st, &u, id, &e, &kind, &chosen, String::new()).await;
    }
    let mut problems: Vec<String> = columns_of
        .iter()
        .filter(|(_, cols)| cols.len() > 1)
        .map(|(label, cols)| format!("“{label}”选给了{}列，每个字段只能对应一列", cols.join("、")))
        .collect();
    // A required field without a column may be set once for the whole file
    // (统一设定), or, for 乡镇, be the clerk's own township.
    let set = set_values(&kind, &f);
    let own_division = u.session.access.division.is_some();
    let missing: Vec<&str> = kind
        .fields
        .iter()
        .filter(|fd| fd.required && !chosen.values().any(|v| *v == fd.key))
        .filter(|fd| !set.iter().any(|(k, _)| *k == fd.key))
        .filter(|fd| !(own_division && fd.role == Some(lvzhi_core::field::FieldRole::Division)))
        .map(|fd| fd.label.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(format!("必填字段“{}”还没有对应的列", missing.join("、")));
    }
    if !problems.is_empty() {
        let error = format!("{}。请修改后再继续。", problems.join("；"));
        return mapping_view(&st, &u, id, &e, &kind, &chosen, error).await;
    }
    st.staging.update(&id, |x| {
        x.mapping = m;
        x.set = set;
    });
    Ok(see_other(&format!("/imports/{id}/preview")))
}

/// The values set once for the whole file (统一设定: `set.<field>` of the form).
fn set_values(kind: &LedgerKind, f: &[(String, String)]) -> Vec<(String, String)> {
    kind.fields
        .iter()
        .filter_map(|fd| {
            field(f, &format!("set.{}", fd.key))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (fd.key.clone(), v.to_string()))
        })
        .collect()
}

/// A cell of the preview.
pub struct PCell {
    /// The text as read.
    pub text: String,
    /// The value it will be stored as, when that reads differently
    /// ("危化" → "危险化学品", "2026.3.6" → "2026-03-06"); "" otherwise.
    pub value: String,
    /// Why it was refused ("" when fine).
    pub error: String,
    /// Short enough to keep on one line (names of places, dates, grades).
    pub short: bool,
}

/// A column of the preview: the file's header, and the field it fills when
/// that is named otherwise.
pub struct PHead {
    /// "G 发现时间".
    pub header: String,
    /// "发现日期", or "" when the header is the field's label.
    pub field: String,
}

/// Whether a preview cell's text stays on one line: a short name (西洞镇,
/// 一般) or a short number or date; longer text wraps so the table fits.
fn is_short(t: &str) -> bool {
    let n = t.chars().count();
    n <= 6 || (n <= 10 && t.is_ascii())
}

/// How a validated value reads, for the fields whose file forms vary
/// (enums and their synonyms, dates, money in 元, yes/no); None for the
/// others (text as written, references stored as ids).
fn shown_value(ty: FieldType, v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (ty, v) {
        (FieldType::Enum | FieldType::Date | FieldType::Datetime | FieldType::Period, Value::String(s)) => {
            Some(s.clone())
        }
        (FieldType::MultiEnum, Value::Array(a)) => Some(a.iter().map(one).collect::<Vec<_>>().join("、")),
        (FieldType::Money, v) if !v.is_null() => Some(format!("{}元", one(v))),
        (FieldType::Bool, Value::Bool(b)) => Some(if *b { "是" } else { "否" }.to_string()),
        _ => None,
    }
}

/// A row of the preview.
pub struct PRow {
    /// The file's row number.
    pub row: usize,
    /// The mapped cells.
    pub cells: Vec<PCell>,
    /// A row-level note (skipped, refused).
    pub note: String,
    /// Has an error.
    pub bad: bool,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    title: String,
    id: String,
    key: String,
    ledger: String,
    file: String,
    headers: Vec<PHead>,
    rows: Vec<PRow>,
    errors: Vec<String>,
    more_errors: usize,
    good: usize,
    bad: usize,
    skipped: usize,
    /// Why rows were skipped: "合计行、表尾说明".
    skipped_why: String,
    /// Values the sheet lacked and where they came from ("行业 ← 统一设定值“工贸”（2行）").
    filled: Vec<String>,
    error: String,
}

/// `GET /imports/{id}/preview`: the first rows with their errors, and the confirm form.
pub async fn preview(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    let (e, kind) = entry_for(&st, &u, &id)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let chrome = Chrome::new(&st.store, &u, &names, &format!("/ledgers/{}", kind.key));
    let mut p = PreviewPage {
        chrome,
        title: format!("导入{}：预览", kind.name),
        id: id.clone(),
        key: kind.key.clone(),
        ledger: kind.name.clone(),
        file: e.name.clone(),
        headers: vec![],
        rows: vec![],
        errors: vec![],
        more_errors: 0,
        good: 0,
        bad: 0,
        skipped: 0,
        skipped_why: String::new(),
        filled: vec![],
        error: String::new(),
    };
    match check(&st, &u, &e, &kind).await {
        Err(err) => p.error = io_message(&err),
        Ok(c) => {
            let pr = &c.prepared;
            p.filled = pr.filled.iter().map(|f| f.chinese()).collect();
            let cols: Vec<_> = pr.layout.columns.iter().filter(|c| c.field.is_some()).collect();
            let label_of = |key: &str| {
                if key == STATE_TARGET {
                    "状态".to_string()
                } else {
                    kind.field(key).map(|f| f.label.clone()).unwrap_or_default()
                }
            };
            p.headers = cols
                .iter()
                .map(|c| {
                    let label = label_of(c.field.as_deref().unwrap_or(""));
                    PHead {
                        header: format!("{} {}", c.letter, c.header),
                        field: if normalize_header(&label) == normalize_header(&c.header) {
                            String::new()
                        } else {
                            label
                        },
                    }
                })
                .collect();
            let good: HashMap<usize, &lvzhi_io::prepare::GoodRow> = pr.rows.iter().map(|g| (g.row, g)).collect();
            let mut by_cell: HashMap<(usize, &str), Vec<&str>> = HashMap::new();
            let mut bad_rows = std::collections::HashSet::new();
            for er in &pr.errors {
                by_cell
                    .entry((er.row, er.letter.as_str()))
                    .or_default()
                    .push(&er.message);
                bad_rows.insert(er.row);
            }
            let skipped: HashMap<usize, &str> = pr.skipped.iter().map(|s| (s.row, s.reason.label())).collect();
            let first = pr.layout.first_data_row();
            for r in first..c.sheet.rows.len() {
                if p.rows.len() >= PREVIEW_ROWS {
                    break;
                }
                let row_no = r + 1;
                let cells: Vec<PCell> = cols
                    .iter()
                    .map(|col| {
                        let text = c.sheet.cell(r, col.index).text();
                        let value = col
                            .field
                            .as_deref()
                            .and_then(|k| Some((kind.field(k)?, good.get(&row_no)?.fields.get(k)?)))
                            .and_then(|(f, v)| shown_value(f.ty, v))
                            .filter(|v| v.trim() != text.trim())
                            .unwrap_or_default();
                        PCell {
                            short: is_short(&text),
                            error: by_cell
                                .get(&(row_no, col.letter.as_str()))
                                .map(|v| v.join("；"))
                                .unwrap_or_default(),
                            text,
                            value,
                        }
                    })
                    .collect();
                if cells.iter().all(|x| x.text.trim().is_empty()) {
                    continue;
                }
                let bad = bad_rows.contains(&row_no);
                p.rows.push(PRow {
                    row: row_no,
                    note: match skipped.get(&row_no) {
                        Some(why) => format!("跳过（{why}）"),
                        None if bad => "有误".into(),
                        None => "可导入".into(),
                    },
                    bad,
                    cells,
                });
            }
            p.errors = pr.errors.iter().take(PREVIEW_ERRORS).map(|x| x.chinese()).collect();
            p.more_errors = pr.errors.len().saturating_sub(PREVIEW_ERRORS);
            p.good = pr.rows.len();
            p.bad = pr.bad_rows;
            p.skipped = pr.skipped.len();
            let mut why: Vec<&str> = Vec::new();
            for x in &pr.skipped {
                if !why.contains(&x.reason.label()) {
                    why.push(x.reason.label());
                }
            }
            p.skipped_why = why.join("、");
        }
    }
    Ok(page(
        if p.error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &p,
    ))
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ResultPage {
    chrome: Chrome,
    title: String,
    id: String,
    key: String,
    ledger: String,
    file: String,
    written: bool,
    imported: usize,
    rejected: usize,
    tag: String,
    error: String,
}

/// `POST /imports/{id}/confirm`: writes (all or nothing, or the good rows with
/// `skip_invalid`), then the result.
pub async fn confirm(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let (e, kind) = entry_for(&st, &u, &id)?;
    if e.report.is_some() {
        return Ok(see_other(&format!("/imports/{id}/result")));
    }
    let skip = field(&f, "skip_invalid").is_some_and(|v| !v.is_empty());
    let (status, report, error) = match check(&st, &u, &e, &kind).await {
        Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, None, io_message(&err)),
        Ok(c) => {
            let opts = ImportOptions {
                skip_invalid: skip,
                tag: Some(make_tag(&kind.key, st.store.now(), &e.bytes)),
                ..ImportOptions::default()
            };
            let (store, access, prepared) = (st.store.clone(), u.session.access.clone(), c.prepared.clone());
            let rt = tokio::runtime::Handle::current();
            let written =
                tokio::task::spawn_blocking(move || rt.block_on(write(&store, &access, &prepared, &opts, &mut |_| {})))
                    .await
                    .map_err(|e| IoError::Unreadable(format!("导入失败：{e}")))
                    .and_then(|r| r);
            match written {
                Ok(r) if r.written || c.prepared.is_clean() => (StatusCode::OK, Some(r), String::new()),
                Ok(r) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(r),
                    format!(
                        "文件有{}行错误，未导入任何记录。可修改后重新上传，或勾选“跳过错误行”只导入正确的行。",
                        c.prepared.bad_rows
                    ),
                ),
                Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, None, io_message(&err)),
            }
        }
    };
    if let Some(r) = &report
        && r.written
    {
        st.staging.update(&id, |x| x.report = Some(r.clone()));
    }
    result_page(&st, &u, &id, &e, &kind, status, report, error).await
}

#[allow(clippy::too_many_arguments)]
async fn result_page(
    st: &AppState,
    u: &UiUser,
    id: &str,
    e: &Upload,
    kind: &LedgerKind,
    status: StatusCode,
    report: Option<ImportReport>,
    error: String,
) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    Ok(page(
        status,
        &ResultPage {
            chrome: Chrome::new(&st.store, u, &names, &format!("/ledgers/{}", kind.key)),
            title: format!("导入{}：结果", kind.name),
            id: id.to_string(),
            key: kind.key.clone(),
            ledger: kind.name.clone(),
            file: e.name.clone(),
            written: report.as_ref().is_some_and(|r| r.written),
            imported: report.as_ref().map_or(0, |r| r.imported),
            rejected: report.as_ref().map_or(0, |r| r.rejected_rows),
            tag: report.map(|r| r.tag).unwrap_or_default(),
            error,
        },
    ))
}

/// `GET /imports/{id}/result`: the result of a confirmed import (after a reload).
pub async fn result(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    let (e, kind) = entry_for(&st, &u, &id)?;
    let Some(r) = e.report.clone() else {
        return Ok(see_other(&format!("/imports/{id}/preview")));
    };
    result_page(&st, &u, &id, &e, &kind, StatusCode::OK, Some(r), String::new()).await
}

fn download(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let mut r = crate::download::file(bytes, mime, name);
    super::render::secure_headers(&mut r);
    r
}

type FormBody = Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>;

/// `GET /imports/{id}/errors.xlsx`: the uploaded file with a 错误说明 column.
pub async fn errors_xlsx(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    let (e, kind) = entry_for(&st, &u, &id)?;
    let c = check(&st, &u, &e, &kind)
        .await
        .map_err(|err| error_page(StatusCode::UNPROCESSABLE_ENTITY, "文件无法导入", &io_message(&err)))?;
    let bytes = error_workbook(&c.sheet, &c.prepared)
        .map_err(|err| error_page(StatusCode::INTERNAL_SERVER_ERROR, "生成失败", &io_message(&err)))?;
    let stem = e.name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&e.name);
    Ok(download(bytes, XLSX, &format!("{stem}.错误说明.xlsx")))
}

/// `GET /ledgers/{key}/export?format=xlsx|csv&…filters`: the filtered list as a file.
pub async fn export_page(
    State(st): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let a = &u.session.access;
    let kind = st
        .store
        .pack()
        .ledger(&key)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
    if !a.role.sees_ledgers() {
        return Err(error_page(StatusCode::FORBIDDEN, "无权访问", "测评人不能查看台账。"));
    }
    let format = match params.iter().find(|(k, _)| k == "format").map(|(_, v)| v.as_str()) {
        Some("csv") => ExportFormat::Csv,
        _ => ExportFormat::Xlsx,
    };
    let q = list_query(&params);
    let bytes = st.export_bytes(a, &key, &q, format).await.map_err(|e| match e {
        IoError::Store(s) => store_error(s),
        other => error_page(StatusCode::BAD_REQUEST, "导出失败", &io_message(&other)),
    })?;
    Ok(download(bytes, mime(format), &st.export_name(kind, format)))
}

/// The query string of the list's filters, for the 导出 links.
pub fn export_query(params: &[(&str, &str)]) -> String {
    query(params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn preview_helpers() {
        use serde_json::json;
        // An 18-character code is shown whole; longer text is cut with "…".
        assert_eq!(shorten("91350100M000100Y43", SAMPLE_CHARS), "91350100M000100Y43");
        let long = "消防通道堵塞，安全出口上锁，应急照明损坏，疏散指示缺失";
        let cut = shorten(long, SAMPLE_CHARS);
        assert_eq!(cut.chars().count(), SAMPLE_CHARS);
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')));
        // Short names and dates stay on one line; descriptions wrap.
        assert!(is_short("西洞镇") && is_short("2026-03-05") && !is_short("2026年3月5日星期四"));
        assert!(!is_short("西洞镇甲商贸有限公司"));
        // The stored forms that read differently from the file's.
        assert_eq!(
            shown_value(FieldType::Enum, &json!("危险化学品")).as_deref(),
            Some("危险化学品")
        );
        assert_eq!(
            shown_value(FieldType::Money, &json!("12000")).as_deref(),
            Some("12000元")
        );
        assert_eq!(
            shown_value(FieldType::MultiEnum, &json!(["甲", "乙"])).as_deref(),
            Some("甲、乙")
        );
        assert_eq!(shown_value(FieldType::Bool, &json!(true)).as_deref(), Some("是"));
        assert_eq!(shown_value(FieldType::Division, &json!("620902100")), None);
        assert_eq!(shown_value(FieldType::Text, &json!("x")), None);
    }
}
