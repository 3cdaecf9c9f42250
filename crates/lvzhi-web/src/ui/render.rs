//! The layout, error pages and the small pieces every page shows: names of
//! units, divisions and people, times in Asia/Shanghai, security headers.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use lvzhi_core::access::Role;
use lvzhi_core::field::{FieldDef, FieldType};
use lvzhi_store::auth::Session;
use lvzhi_store::org::{Division, Person, Unit};
use lvzhi_store::{Store, StoreError};
use serde_json::Value;
use std::collections::HashMap;

/// The result of a page handler: the page, or an error page / redirect.
pub type PageResult = Result<Response, Response>;

/// A link of the left menu.
pub struct MenuItem {
    /// Where it goes.
    pub href: String,
    /// What it says.
    pub label: String,
    /// The current page.
    pub active: bool,
}

/// A group of the left menu (台账 by category).
pub struct MenuGroup {
    /// The category.
    pub name: String,
    /// Its ledgers.
    pub items: Vec<MenuItem>,
}

/// What the layout shows around every page: the user, the menu, the assets.
pub struct Chrome {
    /// The user's display name.
    pub user: String,
    /// The role's Chinese name.
    pub role: &'static str,
    /// The user's unit, if any.
    pub unit: String,
    /// The session's CSRF token (the logout form).
    pub csrf: String,
    /// 首页 is the current page.
    pub home_active: bool,
    /// 督查督办 link (the supervision page; everyone but 测评人).
    pub supervision: Option<MenuItem>,
    /// 指标 link (everyone but 测评人).
    pub indicators: Option<MenuItem>,
    /// 台账 by category.
    pub groups: Vec<MenuGroup>,
    /// 审计 link (auditors and admins).
    pub audit: Option<MenuItem>,
    /// 报告 link (every role but the evaluator).
    pub reports: Option<MenuItem>,
    /// The 报告 pages' stylesheet URL.
    pub reports_css: String,
    /// 考核测评 link (office, admin, auditor).
    pub assess: Option<MenuItem>,
    /// The stylesheet URL.
    pub css: String,
    /// The script URL.
    pub js: String,
    /// The path of the page (the 核查/管理 links' active state).
    pub path: String,
    /// 管理 link shown (admins and the office).
    pub manage: bool,
    /// Unread notices (站内信), the header's badge.
    pub unread: i64,
    /// 我的待办 link shown (roles that act on records).
    pub todo: bool,
}

/// What the page chrome needs of the signed-in user (implemented by the
/// session's `UiUser`; a trait so this module does not import the session's).
pub trait Viewer {
    /// The user's session.
    fn session(&self) -> &Session;
    /// Unread notices (站内信), for the header's badge.
    fn unread(&self) -> i64;
}

impl Chrome {
    /// The chrome of a page at `path` for the signed-in user `u`.
    pub fn new(store: &Store, u: &impl Viewer, names: &Names, path: &str) -> Chrome {
        let session: &Session = u.session();
        let a = &session.access;
        let mut groups: Vec<MenuGroup> = Vec::new();
        let mut supervision = None;
        let mut indicators = None;
        if a.role.sees_ledgers() {
            for l in &store.pack().ledgers {
                let href = format!("/ledgers/{}", l.key);
                let active = path == href || path.starts_with(&format!("{href}/"));
                let item = MenuItem {
                    href,
                    label: l.name.clone(),
                    active,
                };
                match groups.iter_mut().find(|g| g.name == l.category) {
                    Some(g) => g.items.push(item),
                    None => groups.push(MenuGroup {
                        name: l.category.clone(),
                        items: vec![item],
                    }),
                }
            }
        }
        if a.role.sees_ledgers() {
            supervision = Some(MenuItem {
                href: "/supervise".into(),
                label: "督查督办".into(),
                active: path.starts_with("/supervise"),
            });
            indicators = Some(MenuItem {
                href: "/indicators".into(),
                label: "指标".into(),
                active: path.starts_with("/indicators"),
            });
        }
        let audit = a.role.reads_audit_log().then(|| MenuItem {
            href: "/audit".into(),
            label: "审计".into(),
            active: path.starts_with("/audit"),
        });
        let reports = a.role.sees_ledgers().then(|| MenuItem {
            href: "/reports".into(),
            label: "报告".into(),
            active: path.starts_with("/reports"),
        });
        let assess = matches!(a.role, Role::Office | Role::Admin | Role::Auditor).then(|| MenuItem {
            href: "/assess".into(),
            label: "考核测评".into(),
            active: path.starts_with("/assess"),
        });
        Chrome {
            assess,
            user: session.display_name.clone(),
            role: a.role.label(),
            unit: a.unit.map(|id| names.unit(id)).unwrap_or_default(),
            csrf: session.csrf.clone(),
            home_active: path == "/",
            unread: u.unread(),
            supervision,
            indicators,
            groups,
            audit,
            reports,
            reports_css: super::asset_url("reports.css"),
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            path: path.to_string(),
            manage: matches!(a.role, Role::Admin | Role::Office | Role::SecAdmin),
            todo: a.role.writes(),
        }
    }
}

/// Adds the headers every HTML page carries.
pub fn secure_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Renders a template as an HTML response with `status`.
pub fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(s) => {
            let mut r = (status, Html(s)).into_response();
            secure_headers(&mut r);
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "template error");
            let mut r = (StatusCode::INTERNAL_SERVER_ERROR, Html("服务器内部错误")).into_response();
            secure_headers(&mut r);
            r
        }
    }
}

/// A 303 to `to` (after a POST).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: u16,
    title: &'a str,
    message: &'a str,
    css: String,
}

/// A stand-alone error page.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        &ErrorPage {
            code: status.as_u16(),
            title,
            message,
            css: super::asset_url("app.css"),
        },
    )
}

/// The page for a store error: 403 无权访问, 404 不存在, 401 → 登录…
pub fn store_error(e: StoreError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        StatusCode::UNAUTHORIZED => see_other("/login?expired=1"),
        StatusCode::FORBIDDEN => error_page(status, "无权访问", &e.to_string()),
        StatusCode::NOT_FOUND => error_page(status, "未找到", &e.to_string()),
        s if s.is_server_error() => {
            // Logged once per interval; the page says what users may know (507: disk full…).
            e.report();
            let title = match s.as_u16() {
                503 => "服务暂不可用",
                507 => "存储空间已满",
                _ => "服务器内部错误",
            };
            error_page(status, title, &e.public_message())
        }
        _ => error_page(status, "请求有误", &e.to_string()),
    }
}

/// An error page as the error of a memoised computation (`UiUser::memo`).
pub struct PageError(pub Response);

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        PageError(store_error(e))
    }
}

/// Names of units, divisions and people, for showing ids and codes.
pub struct Names {
    /// Units in display order.
    pub units: Vec<Unit>,
    /// Divisions in code order.
    pub divisions: Vec<Division>,
    /// People in display order.
    pub people: Vec<Person>,
    /// Disabled units (forms do not offer them).
    pub disabled_units: Vec<i64>,
    unit_names: HashMap<i64, String>,
    division_names: HashMap<String, String>,
    person_names: HashMap<i64, String>,
}

impl Names {
    /// Loads the organisation.
    pub async fn load(store: &Store) -> Result<Names, StoreError> {
        let units = store.units().await?;
        let divisions = store.divisions("").await?;
        let people = store.people().await?;
        let disabled_units = store.disabled_units().await?;
        let unit_names = units.iter().map(|u| (u.id, u.name.clone())).collect();
        let short: HashMap<&str, &Division> = divisions.iter().map(|d| (d.code.as_str(), d)).collect();
        let division_names = divisions
            .iter()
            .map(|d| {
                let full = match (d.level, d.parent.as_deref().and_then(|p| short.get(p))) {
                    (3, Some(p)) => format!("{}{}", p.name, d.name),
                    _ => d.name.clone(),
                };
                (d.code.clone(), full)
            })
            .collect();
        let person_names = people
            .iter()
            .map(|p| {
                let s = if p.post.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}（{}）", p.name, p.post)
                };
                (p.id, s)
            })
            .collect();
        Ok(Names {
            units,
            divisions,
            people,
            disabled_units,
            unit_names,
            division_names,
            person_names,
        })
    }

    /// A unit's name (or its id when unknown).
    pub fn unit(&self, id: i64) -> String {
        self.unit_names.get(&id).cloned().unwrap_or_else(|| format!("单位{id}"))
    }

    /// A division's full name (西洞镇西洞村), or its code when unknown.
    pub fn division(&self, code: &str) -> String {
        self.division_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// A person's name and post.
    pub fn person(&self, id: i64) -> String {
        self.person_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("人员{id}"))
    }

    /// A field value as a page shows it.
    pub fn show(&self, f: &FieldDef, v: &Value) -> String {
        match (f.ty, v) {
            (FieldType::Unit, Value::Number(n)) => n.as_i64().map(|i| self.unit(i)).unwrap_or_default(),
            (FieldType::Person, Value::Number(n)) => n.as_i64().map(|i| self.person(i)).unwrap_or_default(),
            (FieldType::Division, Value::String(s)) => self.division(s),
            (FieldType::Record, Value::Number(n)) => format!("第{n}号记录"),
            (FieldType::Datetime, Value::String(s)) => when(s),
            _ => f.display(v),
        }
    }
}

/// A stored UTC stamp as Shanghai time: 2026年11月25日 10:00.
pub fn when(stamp: &str) -> String {
    match stamp.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let z = t.to_zoned(lvzhi_core::time::shanghai());
            format!(
                "{}年{}月{}日 {:02}:{:02}",
                z.year(),
                z.month(),
                z.day(),
                z.hour(),
                z.minute()
            )
        }
        Err(_) => stamp.to_string(),
    }
}

/// A `YYYY-MM-DD` date as 2026年11月25日 (empty stays empty).
pub fn date(d: Option<&str>) -> String {
    match d.map(|s| s.parse::<jiff::civil::Date>()) {
        Some(Ok(d)) => lvzhi_core::time::date_cn(d),
        Some(Err(_)) => d.unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// Builds a query string (`a=1&b=2`) from pairs, skipping empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).copied().collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}
