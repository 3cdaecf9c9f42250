//! 通知渠道 (管理 → 通知渠道), the system administrator's page for the
//! outbound channels (issue 17 item 3): add or change a 企业微信/钉钉 robot, an
//! SMS gateway (its request template) or an SMTP server; turn one off or on;
//! send a test message now; read the delivery log (times in Shanghai).
//! Each channel has an audience (接收范围): every notice, or those to the
//! accounts of the units ticked and/or to the 县级领导, optionally only some
//! kinds of notice; the list says it in Chinese.
//! Secrets are never shown back: the page says "已设置", and a blank secret
//! field on a change keeps the one set. Everything goes through the store,
//! which refuses anyone but the admin.

use super::admin::Tab;
use super::render::{Chrome, PageResult, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field, form};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use lvzhi_store::outbox::{Channel, ChannelInput, Delivery, KINDS, NOTICE_KINDS, kind_label};

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// 管理's tabs with this page's (the system administrator's).
fn tabs() -> Vec<Tab> {
    [
        ("/admin/units", "单位"),
        ("/admin/people", "人员与分管"),
        ("/admin/users", "用户与角色"),
        ("/admin/targets", "年度目标任务"),
        ("/admin/channels", "通知渠道"),
    ]
    .into_iter()
    .map(|(href, label)| Tab {
        href,
        label,
        active: href == "/admin/channels",
    })
    .collect()
}

/// Deliveries the page lists.
const LOG: i64 = 100;

/// One option of a select.
struct Opt {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// One unit's checkbox in the audience.
struct UnitOpt {
    id: i64,
    name: String,
    checked: bool,
}

/// A delivery as the log shows it.
struct LogRow {
    at: String,
    title: String,
    channel: String,
    status: &'static str,
    class: &'static str,
    attempts: i64,
    detail: String,
    key: String,
}

/// The add/change form's values.
#[derive(Default, Clone)]
struct Values {
    kind: String,
    name: String,
    url: String,
    method: String,
    body_template: String,
    phone: String,
    ca_file: String,
    smtp_user: String,
    mail_from: String,
    mail_to: String,
    /// `all` or `units` (the radio).
    audience: String,
    units: Vec<i64>,
    leaders: bool,
    notice_kinds: Vec<String>,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    problem: String,
    channels: Vec<Channel>,
    log: Vec<LogRow>,
    /// The channel being changed (its form instead of the add form).
    edit: Option<i64>,
    /// Whether the channel being changed has a secret set.
    edit_secret: bool,
    kinds: Vec<Opt>,
    methods: Vec<Opt>,
    /// The units to tick for the audience.
    units: Vec<UnitOpt>,
    /// The kinds of notice to tick.
    notice_kinds: Vec<Opt>,
    v: Values,
}

impl ChannelsPage {
    /// The form's action.
    fn action(&self) -> String {
        match self.edit {
            Some(id) => format!("/admin/channels/{id}"),
            None => "/admin/channels".into(),
        }
    }
}

fn status(d: &Delivery) -> (&'static str, &'static str) {
    match d.status.as_str() {
        "delivered" => ("已送达", "ok"),
        "failed" => ("发送失败", "red"),
        _ if d.attempts > 0 => ("待重试", "yellow"),
        _ => ("待发送", "none"),
    }
}

/// The page's query: `edit=ID` opens a channel's form; `ok=…` says what was done.
#[derive(Debug, serde::Deserialize, Default)]
pub struct ChannelsQuery {
    #[serde(default)]
    edit: Option<i64>,
    #[serde(default)]
    ok: Option<String>,
}

fn done(ok: Option<&str>) -> String {
    match ok.unwrap_or("") {
        "added" => "已添加渠道：此后写入的站内信会同时经此渠道外发。",
        "saved" => "已保存渠道设置。",
        "enabled" => "已启用该渠道。",
        "disabled" => "已停用该渠道：此后的通知不再经它外发，已在发送队列中的照常发送。",
        _ => "",
    }
    .to_string()
}

/// Renders the page.
#[allow(clippy::too_many_arguments)]
async fn view(
    st: &AppState,
    u: &UiUser,
    code: StatusCode,
    notice: String,
    problem: String,
    edit: Option<i64>,
    values: Option<Values>,
) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let names = u.names(store).await?;
    let channels = store.channels(a).await.map_err(store_error)?;
    let log = store
        .deliveries(a, LOG)
        .await
        .map_err(store_error)?
        .iter()
        .map(|d| {
            let (status, class) = status(d);
            let detail = match (&d.delivered_at, d.status.as_str()) {
                (Some(t), _) => format!("送达于{}", when(t)),
                (None, "pending") if d.attempts > 0 => {
                    format!("{}；下次尝试{}", d.last_error, when(&d.next_at))
                }
                (None, _) => d.last_error.clone(),
            };
            LogRow {
                at: when(&d.created_at),
                title: d.title.clone(),
                channel: d.channel.clone(),
                status,
                class,
                attempts: d.attempts,
                detail,
                key: d.idem_key.clone(),
            }
        })
        .collect();
    let edited = edit.and_then(|id| channels.iter().find(|c| c.id == id));
    let edit = edited.map(|c| c.id);
    let v = values.unwrap_or_else(|| match edited {
        Some(c) => Values {
            kind: c.kind.clone(),
            name: c.name.clone(),
            // The stored address may hold a key: the form starts empty for it.
            url: String::new(),
            method: c.method.clone(),
            body_template: c.body_template.clone(),
            phone: String::new(),
            ca_file: c.ca_file.clone(),
            smtp_user: String::new(),
            mail_from: c.mail_from.clone(),
            mail_to: String::new(),
            audience: c.audience.clone(),
            units: c.units.clone(),
            leaders: c.leaders,
            notice_kinds: c.notice_kinds.clone(),
        },
        None => Values {
            kind: "wecom".into(),
            method: "POST".into(),
            audience: "all".into(),
            ..Values::default()
        },
    });
    let units = store
        .units()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|unit| UnitOpt {
            checked: v.units.contains(&unit.id),
            id: unit.id,
            name: unit.name,
        })
        .collect();
    let notice_kinds = NOTICE_KINDS
        .iter()
        .map(|k| Opt {
            value: k,
            label: lvzhi_store::notices::kind_label(k),
            selected: v.notice_kinds.iter().any(|n| n == k),
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|k| Opt {
            value: k,
            label: kind_label(k),
            selected: v.kind == *k,
        })
        .collect();
    let methods = ["POST", "GET"]
        .into_iter()
        .map(|m| Opt {
            value: m,
            label: m,
            selected: v.method.eq_ignore_ascii_case(m),
        })
        .collect();
    Ok(page(
        code,
        &ChannelsPage {
            chrome: Chrome::new(store, u, &names, "/admin/channels"),
            title: "通知渠道".into(),
            tabs: tabs(),
            notice,
            problem,
            edit_secret: edited.is_some_and(|c| c.secret_set),
            channels,
            log,
            edit,
            kinds,
            methods,
            units,
            notice_kinds,
            v,
        },
    ))
}

/// `GET /admin/channels`.
pub async fn show(State(st): State<AppState>, u: UiUser, Query(q): Query<ChannelsQuery>) -> PageResult {
    view(
        &st,
        &u,
        StatusCode::OK,
        done(q.ok.as_deref()),
        String::new(),
        q.edit,
        None,
    )
    .await
}

fn values(f: &[(String, String)]) -> Values {
    let g = |k: &str| field(f, k).unwrap_or("").to_string();
    fn all<'a>(f: &'a [(String, String)], k: &'a str) -> impl Iterator<Item = &'a str> {
        f.iter().filter(move |(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    Values {
        audience: if g("audience") == "units" { "units" } else { "all" }.into(),
        // A value that is no number names no unit: the store is not asked.
        units: all(f, "units").filter_map(|v| v.trim().parse().ok()).collect(),
        leaders: g("leaders") == "1",
        notice_kinds: all(f, "notice_kinds").map(str::to_string).collect(),
        kind: g("kind"),
        name: g("name"),
        url: g("url"),
        method: g("method"),
        body_template: g("body_template"),
        phone: g("phone"),
        ca_file: g("ca_file"),
        smtp_user: g("smtp_user"),
        mail_from: g("mail_from"),
        mail_to: g("mail_to"),
    }
}

fn input(v: &Values, secret: String) -> ChannelInput {
    ChannelInput {
        kind: v.kind.clone(),
        name: v.name.clone(),
        url: v.url.clone(),
        secret,
        method: v.method.clone(),
        body_template: v.body_template.clone(),
        phone: v.phone.clone(),
        ca_file: v.ca_file.clone(),
        smtp_user: v.smtp_user.clone(),
        mail_from: v.mail_from.clone(),
        mail_to: v.mail_to.clone(),
        // 全部通知: the units and the leaders' box, if ticked, do not count.
        units: if v.audience == "units" {
            v.units.clone()
        } else {
            Vec::new()
        },
        leaders: v.audience == "units" && v.leaders,
        notice_kinds: v.notice_kinds.clone(),
    }
}

/// The form's own check: "指定单位或县级领导" with nothing ticked.
fn audience_problem(v: &Values) -> Option<String> {
    (v.audience == "units" && v.units.is_empty() && !v.leaders)
        .then(|| "接收范围选择了“指定单位或县级领导”，请至少勾选一个单位或“县级领导”".to_string())
}

/// A refusal of the store shown on the form (400), other errors as pages.
async fn refused(st: &AppState, u: &UiUser, e: lvzhi_store::StoreError, edit: Option<i64>, v: Values) -> PageResult {
    match e {
        lvzhi_store::StoreError::BadRequest(m) => {
            view(st, u, StatusCode::UNPROCESSABLE_ENTITY, String::new(), m, edit, Some(v)).await
        }
        e => Err(store_error(e)),
    }
}

/// `POST /admin/channels`: adds a channel.
pub async fn add(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let v = values(&f);
    if let Some(m) = audience_problem(&v) {
        return view(
            &st,
            &u,
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            m,
            None,
            Some(v),
        )
        .await;
    }
    let secret = field(&f, "secret").unwrap_or("").to_string();
    match st.store.add_channel(&u.session.access, input(&v, secret)).await {
        Ok(_) => Ok(see_other("/admin/channels?ok=added")),
        Err(e) => refused(&st, &u, e, None, v).await,
    }
}

/// `POST /admin/channels/{id}`: changes a channel (a blank secret, address,
/// phone, login or recipient list keeps the one set: the page never shows them in full).
pub async fn save(State(st): State<AppState>, u: UiUser, Path(id): Path<i64>, f: FormBody) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let v = values(&f);
    if let Some(m) = audience_problem(&v) {
        return view(
            &st,
            &u,
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            m,
            Some(id),
            Some(v),
        )
        .await;
    }
    let secret = field(&f, "secret").unwrap_or("").to_string();
    match st.store.update_channel(a, id, input(&v, secret)).await {
        Ok(()) => Ok(see_other("/admin/channels?ok=saved")),
        Err(e) => refused(&st, &u, e, Some(id), v).await,
    }
}

/// `POST /admin/channels/{id}/state`: `enabled=1` turns a channel on, else off.
pub async fn state(State(st): State<AppState>, u: UiUser, Path(id): Path<i64>, f: FormBody) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let on = field(&f, "enabled") == Some("1");
    st.store
        .set_channel_enabled(&u.session.access, id, on)
        .await
        .map_err(store_error)?;
    Ok(see_other(if on {
        "/admin/channels?ok=enabled"
    } else {
        "/admin/channels?ok=disabled"
    }))
}

/// `POST /admin/channels/{id}/test`: sends a test message now and says how it went.
pub async fn test(State(st): State<AppState>, u: UiUser, Path(id): Path<i64>, f: FormBody) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let name = st
        .store
        .channels(a)
        .await
        .map_err(store_error)?
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.name)
        .unwrap_or_default();
    match st.store.test_channel(a, id).await.map_err(store_error)? {
        Ok(()) => {
            view(
                &st,
                &u,
                StatusCode::OK,
                format!("测试消息已发送到“{name}”，接收方已确认收到。"),
                String::new(),
                None,
                None,
            )
            .await
        }
        Err(e) => {
            view(
                &st,
                &u,
                StatusCode::OK,
                String::new(),
                format!("测试消息未能发送到“{name}”：{e}"),
                None,
                None,
            )
            .await
        }
    }
}
