//! A record's page (fields, its loop, its change history, the actions the
//! user may take), the create and edit forms, and the POSTs behind them.
//!
//! Every POST checks the CSRF token first, then lets the store validate and
//! write. Field errors come back at their inputs with the entered values kept
//! (422); a stale version is a clear 409 banner; success redirects (303) to
//! the record's page.

use super::form::{self, Input};
use super::pages::kind_label;
use super::render::{Chrome, Names, PageResult, date, error_page, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Role;
use lvzhi_core::field::{FieldDef, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::StoreError;
use lvzhi_store::records::RecordView;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

fn parse_id(s: &str) -> Result<i64, Response> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("“{s}”不是有效的记录编号")))
}

/// A field of the record page.
pub struct Shown {
    /// Label.
    pub label: String,
    /// Value as shown.
    pub value: String,
    /// Long text (keeps line breaks).
    pub long: bool,
    /// Takes a whole row of the two-column grid.
    pub full: bool,
}

/// Lays facts out in two columns: long texts take a whole row, and so does a
/// short fact that would otherwise sit alone before one (no holes in the grid).
fn lay_out(facts: &mut [Shown]) {
    let mut col = 0;
    for i in 0..facts.len() {
        if facts[i].long {
            facts[i].full = true;
            col = 0;
            continue;
        }
        let next_long = facts.get(i + 1).is_none_or(|n| n.long);
        if col == 0 && next_long {
            facts[i].full = true;
            continue;
        }
        col = 1 - col;
    }
}

/// A state of the loop, in workflow order.
pub struct Step {
    /// State name.
    pub name: String,
    /// Passed through.
    pub done: bool,
    /// The current state.
    pub current: bool,
}

/// One field change of an event.
pub struct Change {
    /// Field label.
    pub label: String,
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

/// An event of the record's history.
pub struct Hist {
    /// When (Shanghai).
    pub at: String,
    /// Who.
    pub actor: String,
    /// 登记 / 修改 / 流转 / 作废 / 催办.
    pub kind: String,
    /// `交办：待交办 → 整改中`.
    pub title: String,
    /// Reason or note.
    pub reason: String,
    /// Field changes.
    pub changes: Vec<Change>,
    /// A loop event (create or transition).
    pub is_loop: bool,
}

/// The form of one transition.
pub struct ActionForm {
    /// Transition name.
    pub name: String,
    /// Target state.
    pub to: String,
    /// Inputs of the fields it requires.
    pub inputs: Vec<Input>,
    /// Asks for a reason.
    pub reason: bool,
    /// The reason entered.
    pub reason_value: String,
    /// The error at the reason.
    pub reason_error: String,
    /// Shown open (after an error).
    pub open: bool,
    /// Errors that belong to no input.
    pub errors: Vec<String>,
    /// File inputs of its evidence rules (`ui/evidence.rs`); the form is then multipart.
    pub uploads: Vec<super::evidence::FileInput>,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    title: String,
    id: i64,
    /// 隐患〔2026〕第123号, or 第{id}号 for a record without one.
    number: String,
    key: String,
    ledger: String,
    state: String,
    warn: &'static str,
    warn_label: &'static str,
    voided: bool,
    void_reason: String,
    version: i64,
    fields: Vec<Shown>,
    steps: Vec<Step>,
    history: Vec<Hist>,
    actions: Vec<ActionForm>,
    can_edit: bool,
    can_void: bool,
    can_urge: bool,
    void_open: bool,
    void_value: String,
    void_error: String,
    notice: String,
    banner: String,
    /// The users the reader may make 承办人 (empty: the reader may not assign).
    assignable: Vec<form::Opt>,
    /// 证据材料 (`ui/evidence.rs`, `templates/_evidence.html`).
    evidence: super::evidence::Evidence,
    /// 主办与协办 (issue 17); none on a ledger without 协办 units.
    co: Option<CoSection>,
}

/// The record page's 主办与协办 panel.
struct CoSection {
    /// 主办单位.
    lead: String,
    /// 协办单位, joined with 、 (empty: none).
    units: String,
    /// The 协办意见, oldest first.
    opinions: Vec<CoOpinion>,
    /// The units the reader may choose from (empty: the reader may not set them).
    choices: Vec<form::Opt>,
    /// Whether the reader gives a 协办意见 (a 协办 unit's clerk or head).
    may_opine: bool,
    /// The reader's 协办 unit (its name), when the reader reads as one.
    my_unit: String,
    /// The opinion typed before a refusal, and why.
    opinion_value: String,
    opinion_error: String,
}

/// One 协办意见 on the record page.
struct CoOpinion {
    at: String,
    unit: String,
    actor: String,
    text: String,
}

/// A submitted transition form: its name, its fields and the store's errors.
type Submitted = (String, Vec<(String, String)>, Vec<lvzhi_core::field::FieldError>);

/// What the record page shows besides the record: an open form after an error, a banner.
#[derive(Default)]
struct Extra {
    /// The transition whose form was submitted, its form, and its errors.
    action: Option<Submitted>,
    void_error: Option<(String, String)>,
    /// A refused 协办意见: the text typed and why.
    opinion_error: Option<(String, String)>,
    banner: String,
    notice: String,
}

fn transition_inputs(kind: &LedgerKind, view: &RecordView, name: &str, u: &UiUser, names: &Names) -> Vec<Input> {
    let t = kind.workflow.as_ref().and_then(|w| {
        w.transitions
            .iter()
            .find(|t| t.name == name && t.from.contains(&view.row.state))
    });
    let prefix = format!("t-{name}-");
    t.map(|t| {
        t.requires
            .iter()
            .filter_map(|k| kind.field(k))
            .map(|f| {
                // A step's branch value (回访's 评价) is chosen afresh, never pre-filled.
                let fresh = t.branch.as_ref().is_some_and(|b| b.field == f.key);
                let current = if fresh { None } else { view.row.fields.get(&f.key) };
                let mut i = form::input(f, current, &u.session.access, names, &prefix);
                // The transition needs it, whatever the field's own rule.
                i.required = true;
                if f.fill.is_some() {
                    // Who takes the step: the store fills it with this user's name.
                    i.value = u.session.display_name.clone();
                }
                i
            })
            .collect()
    })
    .unwrap_or_default()
}

async fn render_record(st: &AppState, u: &UiUser, id: i64, status: StatusCode, mut extra: Extra) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let view = store.record(a, id).await.map_err(store_error)?;
    let events = store.record_events(a, id).await.map_err(store_error)?;
    let names = u.names(store).await?;
    let kind = store
        .pack()
        .ledger(&view.row.ledger)
        .ok_or_else(|| store_error(StoreError::Internal("unknown ledger".into())))?;
    let display: HashMap<String, String> = store
        .users()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|x| (x.username, x.display_name))
        .collect();
    let show = |f: &FieldDef, v: &Value| names.show(f, v);
    let fact = |label: &str, value: String| Shown {
        label: label.to_string(),
        value,
        long: false,
        full: false,
    };
    let mut fields = vec![fact("编号", id.to_string()), fact("当前状态", view.row.state.clone())];
    let assignee = store.assignee(a, id).await.map_err(store_error)?;
    if let Some(x) = &assignee {
        fields.push(fact("承办人", x.name.clone()));
    }
    let assignable = if lvzhi_store::Store::may_assign(a, &view) {
        store
            .assignable(a, id)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|x| form::Opt {
                selected: assignee.as_ref().is_some_and(|y| y.user_id == x.user_id),
                value: x.user_id.to_string(),
                label: x.name,
            })
            .collect()
    } else {
        vec![]
    };
    if kind.role_field(lvzhi_core::field::FieldRole::Deadline).is_none() && view.row.deadline.is_some() {
        fields.push(fact("期限", date(view.row.deadline.as_deref())));
    }
    if view.row.urge_count > 0 {
        fields.push(fact("催办次数", view.row.urge_count.to_string()));
    }
    if let Some(note) = &view.deadline_note {
        fields.push(fact("期限说明", note.clone()));
    }
    fields.extend(super::steps::facts(kind, &view).into_iter().map(|(l, v)| fact(&l, v)));
    fields.extend(kind.fields.iter().map(|f| Shown {
        label: f.label.clone(),
        value: view.row.fields.get(&f.key).map(|v| show(f, v)).unwrap_or_default(),
        long: f.ty == FieldType::LongText,
        full: false,
    }));
    // Extra information kept from imported columns that are no field.
    if let Some(Value::Object(extra)) = view.row.fields.get(lvzhi_core::ledger::EXTRA_KEY) {
        fields.extend(extra.iter().map(|(name, v)| {
            let value = v.as_str().unwrap_or_default().to_string();
            Shown {
                label: format!("{name}（附加）"),
                long: value.chars().count() > 40,
                value,
                full: false,
            }
        }));
    }
    fields.push(fact("登记时间", when(&view.row.created_at)));
    fields.push(fact("最后更新", when(&view.row.updated_at)));
    lay_out(&mut fields);
    let mut visited: Vec<String> = Vec::new();
    let mut history = Vec::new();
    for e in &events {
        let d = &e.data;
        let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
        let mut changes = Vec::new();
        let before = d["before"].as_object();
        if let Some(after) = d["after"].as_object() {
            let mut keys: Vec<(&String, &Value)> = after.iter().collect();
            let pos = |k: &str| kind.fields.iter().position(|f| f.key == k).unwrap_or(usize::MAX);
            keys.sort_by_key(|(k, _)| pos(k));
            for (k, v) in keys {
                let (label, b, a) = match kind.field(k) {
                    Some(f) => (
                        f.label.clone(),
                        before.and_then(|m| m.get(k)).map(|x| show(f, x)).unwrap_or_default(),
                        show(f, v),
                    ),
                    None => (k.clone(), String::new(), v.to_string()),
                };
                changes.push(Change {
                    label,
                    before: b,
                    after: a,
                });
            }
        }
        let (title, reason, is_loop) = match e.kind.as_str() {
            "record.create" => {
                visited.push(s("state"));
                // Created by an import (`lvzhi import` or 导入; tags `import-<ledger>-…`):
                // say so, with the import's tag. Other batch tags (demo, targets) are not imports.
                let how = match d["import"].as_str().filter(|t| t.starts_with("import-")) {
                    Some(tag) => {
                        changes.insert(
                            0,
                            Change {
                                label: "导入标记".into(),
                                before: String::new(),
                                after: tag.to_string(),
                            },
                        );
                        "导入登记"
                    }
                    None => "登记",
                };
                (format!("{how}（{}）", s("state")), String::new(), true)
            }
            "record.transition" => {
                visited.push(s("to"));
                (
                    format!("{}：{} → {}", s("transition"), s("from"), s("to")),
                    s("reason"),
                    true,
                )
            }
            "record.void" => ("作废".to_string(), s("reason"), false),
            "record.urge" => (format!("第{}次催办", d["urge_count"]), s("note"), false),
            "record.assign" => (format!("指派承办人：{}", s("name")), String::new(), true),
            "record.co_units" => (
                format!("设置协办单位：{}", lvzhi_store::audit::unit_names(&d["co_units"])),
                String::new(),
                true,
            ),
            "record.opinion" => (format!("协办意见（{}）", s("unit_name")), s("text"), true),
            // A change with its reason (a deadline recomputed when the year's holiday arrangement was loaded).
            _ => (kind_label(&e.kind), s("reason"), false),
        };
        history.push(Hist {
            at: when(&e.at),
            actor: display
                .get(&e.actor_name)
                .filter(|n| !n.is_empty() && **n != e.actor_name)
                .map(|n| format!("{n}（{}）", e.actor_name))
                .unwrap_or_else(|| e.actor_name.clone()),
            kind: kind_label(&e.kind),
            title,
            reason,
            changes,
            is_loop,
        });
    }
    let steps = kind
        .workflow
        .as_ref()
        .map(|w| {
            w.states
                .iter()
                .map(|st| Step {
                    name: st.name.clone(),
                    done: visited.contains(&st.name) && st.name != view.row.state,
                    current: st.name == view.row.state,
                })
                .collect()
        })
        .unwrap_or_default();
    let evidence = super::evidence::section(st, u, &view, kind).await?;
    let mut actions = Vec::new();
    for name in &view.actions {
        let Some(t) = kind.workflow.as_ref().and_then(|w| {
            w.transitions
                .iter()
                .find(|t| &t.name == name && t.from.contains(&view.row.state))
        }) else {
            continue;
        };
        let mut inputs = transition_inputs(kind, &view, name, u, &names);
        let mut af = ActionForm {
            name: name.clone(),
            to: t.to.clone(),
            inputs: vec![],
            reason: t.reason,
            reason_value: String::new(),
            reason_error: String::new(),
            open: false,
            errors: vec![],
            uploads: super::evidence::step_inputs(kind, t, &evidence.live),
        };
        if let Some((n, f, errs)) = extra.action.take_if(|(n, _, _)| n == name) {
            let _ = n;
            form::refill(&mut inputs, &f);
            af.reason_value = field(&f, "reason").unwrap_or("").to_string();
            let (reason_errs, other): (Vec<_>, Vec<_>) = errs.into_iter().partition(|e| e.field == "reason");
            af.reason_error = reason_errs
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("；");
            af.errors = form::place_errors(&mut inputs, other);
            af.open = true;
        }
        af.inputs = inputs;
        actions.push(af);
    }
    let open = !view.row.closed && !view.row.voided;
    let co = co_section(store, a, id, &names, &display, extra.opinion_error.take()).await?;
    let (void_open, void_value, void_error) = match extra.void_error.take() {
        Some((v, e)) => (true, v, e),
        None => (false, String::new(), String::new()),
    };
    Ok(page(
        status,
        &RecordPage {
            chrome: Chrome::new(store, u, &names, &format!("/ledgers/{}", kind.key)),
            title: if view.row.title.is_empty() {
                format!("第{id}号记录")
            } else {
                view.row.title.clone()
            },
            id,
            number: view.row.number.clone().unwrap_or_else(|| format!("第{id}号")),
            key: kind.key.clone(),
            ledger: kind.name.clone(),
            state: view.row.state.clone(),
            warn: view.warning.key(),
            warn_label: view.warning.label(),
            voided: view.row.voided,
            void_reason: view.row.void_reason.clone().unwrap_or_default(),
            version: view.row.version,
            fields,
            steps,
            history,
            actions,
            can_edit: view.can_edit,
            can_void: view.can_void,
            can_urge: open
                && matches!(a.role, Role::Admin | Role::Office | Role::Leader)
                && a.handles(&view.row.scope()),
            void_open,
            void_value,
            void_error,
            notice: extra.notice,
            banner: extra.banner,
            assignable,
            evidence,
            co,
        },
    ))
}

/// The 主办与协办 panel of record `id`, or none when its ledger has no 协办 units.
async fn co_section(
    store: &lvzhi_store::Store,
    a: &lvzhi_store::Access,
    id: i64,
    names: &Names,
    display: &HashMap<String, String>,
    refused: Option<(String, String)>,
) -> Result<Option<CoSection>, Response> {
    let c = store.co_units(a, id).await.map_err(store_error)?;
    if !c.enabled {
        return Ok(None);
    }
    let lead_id = c.lead.as_ref().map(|u| u.id);
    let chosen: Vec<i64> = c.co_units.iter().map(|u| u.id).collect();
    let choices = if c.may_set {
        names
            .units
            .iter()
            .filter(|u| Some(u.id) != lead_id && (!names.disabled_units.contains(&u.id) || chosen.contains(&u.id)))
            .map(|u| form::Opt {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: chosen.contains(&u.id),
            })
            .collect()
    } else {
        vec![]
    };
    let (opinion_value, opinion_error) = refused.unwrap_or_default();
    Ok(Some(CoSection {
        lead: c.lead.map(|u| u.name).unwrap_or_default(),
        units: c
            .co_units
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        opinions: c
            .opinions
            .into_iter()
            .map(|o| CoOpinion {
                at: when(&o.at),
                unit: o.unit_name,
                actor: display
                    .get(&o.actor)
                    .filter(|n| !n.is_empty())
                    .cloned()
                    .unwrap_or(o.actor),
                text: o.text,
            })
            .collect(),
        choices,
        may_opine: c.may_opine,
        my_unit: c
            .my_co_unit
            .and_then(|u| names.units.iter().find(|x| x.id == u))
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        opinion_value,
        opinion_error,
    }))
}

/// `POST /records/{id}/co-units`: sets the record's 协办单位 (the `units` chosen;
/// none chosen removes them all) — the office, or whoever the ledger's
/// `[co_units]` names.
pub async fn set_co_units(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let mut units = Vec::new();
    for (k, v) in &f {
        if k == "units" {
            match v.parse::<i64>() {
                Ok(n) => units.push(n),
                Err(_) => return Err(store_error(StoreError::BadRequest(format!("单位编号“{v}”无效")))),
            }
        }
    }
    match st.store.set_co_units(&u.session.access, id, units).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=co_units"))),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_) | StoreError::Forbidden(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            page_with_banner(&st, &u, id, status, e.to_string()).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /records/{id}/opinion`: a 协办 unit's clerk or head gives its 协办意见.
pub async fn opinion(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let text = field(&f, "text").unwrap_or("").to_string();
    match st.store.add_opinion(&u.session.access, id, &text).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=opinion"))),
        Err(StoreError::Invalid(errs)) => {
            let why = errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；");
            let extra = Extra {
                opinion_error: Some((text, why)),
                ..Extra::default()
            };
            render_record(&st, &u, id, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(e @ (StoreError::Conflict(_) | StoreError::Forbidden(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            page_with_banner(&st, &u, id, status, e.to_string()).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// The record page with a banner (the attachment forms' refusals).
pub(super) async fn page_with_banner(
    st: &AppState,
    u: &UiUser,
    id: i64,
    status: StatusCode,
    banner: String,
) -> PageResult {
    let extra = Extra {
        banner,
        ..Extra::default()
    };
    render_record(st, u, id, status, extra).await
}

/// The query of a record page (the notice after a redirect).
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    msg: Option<String>,
}

/// `GET /records/{id}`.
pub async fn show(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, q: Query<ShowQuery>) -> PageResult {
    let id = parse_id(&id)?;
    let notice = match q.msg.as_deref() {
        Some("created") => "已登记。",
        Some("saved") => "已保存修改。",
        Some("unchanged") => "没有修改任何内容。",
        Some("moved") => "已办理，记录已进入新的环节。",
        Some("voided") => "已作废。",
        Some("urged") => "已催办。",
        Some("assigned") => "已指派承办人。",
        Some("co_units") => "已保存协办单位，新增的协办单位已收到站内信。",
        Some("opinion") => "已提交协办意见，主办单位可在办理过程中看到。",
        Some("attached") => "已上传附件，已记入变更日志。",
        Some("attachment_voided") => "附件已作废（文件保留，作废原因已记入变更日志）。",
        _ => "",
    };
    render_record(
        &st,
        &u,
        id,
        StatusCode::OK,
        Extra {
            notice: notice.into(),
            ..Extra::default()
        },
    )
    .await
}

fn conflict_banner(e: &StoreError) -> String {
    format!("操作未完成：{e}。页面已显示这条记录的最新内容（可能已被他人修改或办理），请核对后重新操作。")
}

/// `POST /records/{id}/transition`: takes a transition of the loop.
pub async fn transition(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    take_step(&st, &u, id, f, vec![]).await
}

/// What a refused form with files says about them (nothing was recorded).
fn files_note(files: usize) -> &'static str {
    if files == 0 {
        ""
    } else {
        "随本次办理选择的文件未保存，请重新选择后提交。"
    }
}

/// Takes the transition a submitted form (its CSRF checked) names, with the
/// files uploaded in the same form (`ui/attach.rs`), all or nothing.
pub(super) async fn take_step(
    st: &AppState,
    u: &UiUser,
    id: i64,
    f: Vec<(String, String)>,
    files: Vec<lvzhi_store::attachments::NewAttachment>,
) -> PageResult {
    let a = &u.session.access;
    let n_files = files.len();
    let name = field(&f, "transition").unwrap_or("").to_string();
    let version: i64 = field(&f, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let view = st.store.record(a, id).await.map_err(store_error)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let kind = st
        .store
        .pack()
        .ledger(&view.row.ledger)
        .ok_or_else(|| store_error(StoreError::Internal("unknown ledger".into())))?;
    let mut inputs = transition_inputs(kind, &view, &name, u, &names);
    form::refill(&mut inputs, &f);
    let changes = form::changes(&inputs);
    let reason = field(&f, "reason").map(str::to_string).filter(|r| !r.trim().is_empty());
    let done = if files.is_empty() {
        st.store.transition(a, id, version, &name, changes, reason).await
    } else {
        st.store
            .transition_with_files(a, id, version, &name, changes, reason, files)
            .await
    };
    match done {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=moved"))),
        Err(StoreError::Invalid(errs)) => {
            let extra = Extra {
                action: Some((name, f, errs)),
                banner: format!("请按提示修改后重新提交。{}", files_note(n_files)),
                ..Extra::default()
            };
            render_record(st, u, id, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(
            e @ (StoreError::Conflict(_)
            | StoreError::Forbidden(_)
            | StoreError::NotFound(_)
            | StoreError::BadRequest(_)),
        ) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            let extra = Extra {
                action: Some((name, f, vec![])),
                banner: format!("{}{}", conflict_banner(&e), files_note(n_files)),
                ..Extra::default()
            };
            render_record(st, u, id, status, extra).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// The record page with transition `name`'s form open and refilled from `f`,
/// and a banner (a file of the step's form refused before anything was written).
pub(super) async fn step_refused(
    st: &AppState,
    u: &UiUser,
    id: i64,
    status: StatusCode,
    f: Vec<(String, String)>,
    banner: String,
) -> PageResult {
    let name = field(&f, "transition").unwrap_or("").to_string();
    let extra = Extra {
        action: Some((name, f, vec![])),
        banner,
        ..Extra::default()
    };
    render_record(st, u, id, status, extra).await
}

/// `POST /records/{id}/void`: voids with a reason.
pub async fn void(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let version: i64 = field(&f, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let reason = field(&f, "reason").unwrap_or("").trim().to_string();
    if reason.is_empty() {
        let extra = Extra {
            void_error: Some((reason, "请填写作废原因".into())),
            ..Extra::default()
        };
        return render_record(&st, &u, id, StatusCode::UNPROCESSABLE_ENTITY, extra).await;
    }
    match st.store.void(&u.session.access, id, version, &reason).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=voided"))),
        Err(StoreError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；");
            let extra = Extra {
                void_error: Some((reason, msg)),
                ..Extra::default()
            };
            render_record(&st, &u, id, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(e @ (StoreError::Conflict(_) | StoreError::Forbidden(_) | StoreError::BadRequest(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            let extra = Extra {
                void_error: Some((reason, String::new())),
                banner: conflict_banner(&e),
                ..Extra::default()
            };
            render_record(&st, &u, id, status, extra).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /records/{id}/assign`: makes `user` the record's 承办人 (the unit head or the office).
pub async fn assign(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let user = field(&f, "user").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    match st.store.assign(&u.session.access, id, user).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=assigned"))),
        Err(e @ (StoreError::BadRequest(_) | StoreError::Forbidden(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            page_with_banner(&st, &u, id, status, e.to_string()).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /records/{id}/urge`: 催办 (office, leaders).
pub async fn urge(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let note = field(&f, "note").unwrap_or("");
    match st.store.urge(&u.session.access, id, note).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=urged"))),
        Err(e @ (StoreError::Conflict(_) | StoreError::Forbidden(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
            page_with_banner(&st, &u, id, status, conflict_banner(&e)).await
        }
        Err(e) => Err(store_error(e)),
    }
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    chrome: Chrome,
    title: String,
    heading: String,
    action: String,
    cancel: String,
    version: i64,
    inputs: Vec<Input>,
    errors: Vec<String>,
    banner: String,
    conflict: bool,
    /// File inputs (the create form's before photo); the form is then multipart.
    uploads: Vec<super::evidence::FileInput>,
}

/// Fields the create form asks for: all but those only a later step of the
/// loop fills in (整改措施, 验收意见…), unless required.
fn create_fields(kind: &LedgerKind) -> Vec<&FieldDef> {
    let later: Vec<&str> = kind
        .workflow
        .as_ref()
        .map(|w| {
            w.transitions
                .iter()
                .filter(|t| !t.from.iter().any(|s| s == &w.initial))
                .flat_map(|t| t.requires.iter().map(String::as_str))
                .collect()
        })
        .unwrap_or_default();
    let first: Vec<&str> = kind
        .workflow
        .as_ref()
        .map(|w| {
            w.transitions
                .iter()
                .filter(|t| t.from.iter().any(|s| s == &w.initial))
                .flat_map(|t| t.requires.iter().map(String::as_str))
                .collect()
        })
        .unwrap_or_default();
    kind.fields
        .iter()
        .filter(|f| f.required || first.contains(&f.key.as_str()) || !later.contains(&f.key.as_str()))
        .collect()
}

fn ledger_for_create<'a>(st: &'a AppState, u: &UiUser, key: &str) -> Result<&'a LedgerKind, Response> {
    let kind = st
        .store
        .pack()
        .ledger(key)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
    let role = u.session.access.role;
    if !role.writes() || !kind.create_roles.contains(&role) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "无权登记",
            &format!("{}不能在“{}”台账中登记记录。", role.label(), kind.name),
        ));
    }
    Ok(kind)
}

fn new_inputs(kind: &LedgerKind, u: &UiUser, names: &Names) -> Vec<Input> {
    create_fields(kind)
        .into_iter()
        .map(|f| form::input(f, None, &u.session.access, names, "f-"))
        .collect()
}

/// `GET /ledgers/{key}/new`: the create form.
pub async fn new_page(State(st): State<AppState>, u: UiUser, Path(key): Path<String>) -> PageResult {
    let kind = ledger_for_create(&st, &u, &key)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let inputs = new_inputs(kind, &u, &names);
    Ok(page(
        StatusCode::OK,
        &FormPage {
            chrome: Chrome::new(&st.store, &u, &names, &format!("/ledgers/{key}")),
            title: format!("新建{}", kind.name),
            heading: format!("新建：{}", kind.name),
            action: format!("/ledgers/{key}/new"),
            cancel: format!("/ledgers/{key}"),
            version: 0,
            inputs,
            errors: vec![],
            banner: String::new(),
            conflict: false,
            uploads: super::evidence::create_inputs(kind),
        },
    ))
}

/// `POST /ledgers/{key}/new`: creates the record, or shows the errors at their fields.
pub async fn create(State(st): State<AppState>, u: UiUser, Path(key): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    ledger_for_create(&st, &u, &key)?;
    create_with(&st, &u, &key, f, Ok(vec![])).await
}

/// Creates a record from a submitted form (its CSRF checked) with the files
/// uploaded in the same form (`ui/attach.rs`), all or nothing; `files` is the
/// refusal when a file was refused before anything was written.
pub(super) async fn create_with(
    st: &AppState,
    u: &UiUser,
    key: &str,
    f: Vec<(String, String)>,
    files: Result<Vec<lvzhi_store::attachments::NewAttachment>, (StatusCode, String)>,
) -> PageResult {
    let kind = ledger_for_create(st, u, key)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let mut inputs = new_inputs(kind, u, &names);
    form::refill(&mut inputs, &f);
    let values = form::changes(&inputs);
    let photos = if files.as_ref().is_ok_and(|f| !f.is_empty()) {
        "随登记选择的照片未保存，请重新选择后提交。"
    } else {
        ""
    };
    let created = match files {
        Ok(files) if files.is_empty() => st.store.create(&u.session.access, key, values).await,
        Ok(files) => st.store.create_with_files(&u.session.access, key, values, files).await,
        Err((status, banner)) => {
            return Ok(page(
                status,
                &FormPage {
                    chrome: Chrome::new(&st.store, u, &names, &format!("/ledgers/{key}")),
                    title: format!("新建{}", kind.name),
                    heading: format!("新建：{}", kind.name),
                    action: format!("/ledgers/{key}/new"),
                    cancel: format!("/ledgers/{key}"),
                    version: 0,
                    inputs,
                    errors: vec![],
                    banner,
                    conflict: false,
                    uploads: super::evidence::create_inputs(kind),
                },
            ));
        }
    };
    let (status, errors, banner) = match created {
        Ok(row) => return Ok(see_other(&format!("/records/{}?msg=created", row.id))),
        Err(StoreError::Invalid(errs)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form::place_errors(&mut inputs, errs),
            format!("有填写不正确的地方，请按各项下方的提示修改后重新提交。{photos}"),
        ),
        Err(e @ (StoreError::Forbidden(_) | StoreError::BadRequest(_) | StoreError::Conflict(_))) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            vec![],
            format!("未能登记：{e}。{photos}"),
        ),
        Err(e) => return Err(store_error(e)),
    };
    Ok(page(
        status,
        &FormPage {
            chrome: Chrome::new(&st.store, u, &names, &format!("/ledgers/{key}")),
            title: format!("新建{}", kind.name),
            heading: format!("新建：{}", kind.name),
            action: format!("/ledgers/{key}/new"),
            cancel: format!("/ledgers/{key}"),
            version: 0,
            inputs,
            errors,
            banner,
            conflict: false,
            uploads: super::evidence::create_inputs(kind),
        },
    ))
}

async fn edit_context(st: &AppState, u: &UiUser, id: i64) -> Result<(RecordView, Names, Vec<Input>), Response> {
    let view = st.store.record(&u.session.access, id).await.map_err(store_error)?;
    if !view.can_edit {
        let why = if view.row.voided || view.row.closed {
            "这条记录已办结或已作废，不能再修改。"
        } else {
            "您的角色不能修改这个台账的记录。"
        };
        return Err(error_page(StatusCode::FORBIDDEN, "无权修改", why));
    }
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let kind = st
        .store
        .pack()
        .ledger(&view.row.ledger)
        .ok_or_else(|| store_error(StoreError::Internal("unknown ledger".into())))?;
    let inputs = kind
        .fields
        .iter()
        .map(|f| form::input(f, view.row.fields.get(&f.key), &u.session.access, &names, "f-"))
        .collect();
    Ok((view, names, inputs))
}

fn ledger_name(st: &AppState, key: &str) -> String {
    st.store.pack().ledger(key).map(|k| k.name.clone()).unwrap_or_default()
}

/// `GET /records/{id}/edit`: the edit form.
pub async fn edit_page(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let (view, names, inputs) = edit_context(&st, &u, id).await?;
    let name = ledger_name(&st, &view.row.ledger);
    Ok(page(
        StatusCode::OK,
        &FormPage {
            chrome: Chrome::new(&st.store, &u, &names, &format!("/ledgers/{}", view.row.ledger)),
            title: format!("编辑第{id}号记录"),
            heading: format!("编辑：{name} 第{id}号"),
            action: format!("/records/{id}/edit"),
            cancel: format!("/records/{id}"),
            version: view.row.version,
            inputs,
            errors: vec![],
            banner: String::new(),
            conflict: false,
            uploads: vec![],
        },
    ))
}

/// `POST /records/{id}/edit`: saves the changed fields.
pub async fn update(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let (view, names, mut inputs) = edit_context(&st, &u, id).await?;
    let version: i64 = field(&f, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
    form::refill(&mut inputs, &f);
    let changes = form::changes(&inputs);
    if changes.is_empty() && version == view.row.version {
        return Ok(see_other(&format!("/records/{id}?msg=unchanged")));
    }
    let (status, errors, banner, conflict) = match st.store.update(&u.session.access, id, version, changes).await {
        Ok(_) => return Ok(see_other(&format!("/records/{id}?msg=saved"))),
        Err(StoreError::Invalid(errs)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form::place_errors(&mut inputs, errs),
            "有填写不正确的地方，请按各项下方的提示修改后重新提交。".to_string(),
            false,
        ),
        Err(e @ StoreError::Conflict(_)) => (
            StatusCode::CONFLICT,
            vec![],
            format!(
                "保存失败：{e}。这条记录在您编辑期间已被他人修改或办理。您填写的内容仍保留在下方，\
                 请先打开记录查看最新内容，再重新编辑。"
            ),
            true,
        ),
        Err(e @ (StoreError::Forbidden(_) | StoreError::BadRequest(_))) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            vec![],
            format!("未能保存：{e}"),
            false,
        ),
        Err(e) => return Err(store_error(e)),
    };
    let name = ledger_name(&st, &view.row.ledger);
    Ok(page(
        status,
        &FormPage {
            chrome: Chrome::new(&st.store, &u, &names, &format!("/ledgers/{}", view.row.ledger)),
            title: format!("编辑第{id}号记录"),
            heading: format!("编辑：{name} 第{id}号"),
            action: format!("/records/{id}/edit"),
            cancel: format!("/records/{id}"),
            version,
            inputs,
            errors,
            banner,
            conflict,
            uploads: vec![],
        },
    ))
}
