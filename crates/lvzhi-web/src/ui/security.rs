//! 管理 → 安全策略: the security administrator views and edits the
//! identification and authentication policy ([`lvzhi_store::auth::Policy`]):
//! password rules, lockout, session time limits and the roles that must use a
//! second factor. Saving goes through [`lvzhi_store::Store::set_policy`], so it
//! is refused to anyone else and written to the audit log as a configuration
//! change (`config.policy`, the policy before and after). Others get 403: the
//! password rules themselves are shown to every user on the password page.

use super::admin::{Fe, Tab, tabs};
use super::form::Opt;
use super::render::{Chrome, Names, PageResult, error_page, page, see_other, store_error};
use super::session::{UiUser, check_csrf, field, form};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Role;
use lvzhi_store::StoreError;
use lvzhi_store::auth::Policy;

/// A number of the policy on the form: name, label, unit, allowed range, help.
pub struct NumberField {
    /// The form field's name (the policy's field).
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// Unit after the box (位, 次, 分钟…).
    pub unit: &'static str,
    /// Smallest allowed.
    pub min: i64,
    /// Largest allowed.
    pub max: i64,
    /// One line of help.
    pub help: &'static str,
    /// The value shown (the entered one after an error).
    pub value: String,
    /// Its error, if any.
    pub error: String,
}

/// The numbers of the policy: (field, label, unit, min, max, help).
const NUMBERS: [(&str, &str, &str, i64, i64, &str); 9] = [
    ("min_length", "密码最短长度", "位", 8, 64, "不少于8位"),
    (
        "min_classes",
        "密码字符类别",
        "类",
        1,
        4,
        "大写字母、小写字母、数字、其他符号四类中至少包含几类",
    ),
    ("history", "不得与最近几次密码相同", "次", 0, 24, "0 表示不检查"),
    (
        "expiry_days",
        "密码有效期",
        "天",
        0,
        3650,
        "到期后登录须修改密码；0 表示不过期",
    ),
    (
        "max_failed",
        "同一账号连续登录失败锁定次数",
        "次",
        1,
        100,
        "达到次数即锁定账号",
    ),
    (
        "max_failed_per_address",
        "同一来源地址登录失败锁定次数",
        "次",
        1,
        10000,
        "防止对多个账号逐一试探",
    ),
    (
        "lock_minutes",
        "锁定时长",
        "分钟",
        1,
        1440,
        "锁定期满自动解除，安全管理员也可提前解锁",
    ),
    (
        "idle_minutes",
        "无操作自动退出",
        "分钟",
        1,
        1440,
        "登录后超过此时长无操作即须重新登录",
    ),
    (
        "session_hours",
        "单次登录最长有效期",
        "小时",
        1,
        720,
        "无论是否操作，超过此时长须重新登录",
    ),
];

#[derive(Template)]
#[template(path = "admin_security.html")]
struct SecurityPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    fe: Fe,
    numbers: Vec<NumberField>,
    first_login_change: bool,
    roles: Vec<Opt>,
}

fn value_of(p: &Policy, name: &str) -> i64 {
    let u = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    match name {
        "min_length" => u(p.min_length),
        "min_classes" => u(p.min_classes),
        "history" => u(p.history),
        "expiry_days" => p.expiry_days,
        "max_failed" => p.max_failed,
        "max_failed_per_address" => p.max_failed_per_address,
        "lock_minutes" => p.lock_minutes,
        "idle_minutes" => p.idle_minutes,
        "session_hours" => p.session_hours,
        _ => 0,
    }
}

fn set_value(p: &mut Policy, name: &str, v: i64) {
    let u = |v: i64| usize::try_from(v).unwrap_or(0);
    match name {
        "min_length" => p.min_length = u(v),
        "min_classes" => p.min_classes = u(v),
        "history" => p.history = u(v),
        "expiry_days" => p.expiry_days = v,
        "max_failed" => p.max_failed = v,
        "max_failed_per_address" => p.max_failed_per_address = v,
        "lock_minutes" => p.lock_minutes = v,
        "idle_minutes" => p.idle_minutes = v,
        "session_hours" => p.session_hours = v,
        _ => {}
    }
}

/// Refuses everyone but the security administrator.
fn security_admin(u: &UiUser) -> Result<(), Response> {
    if u.session.access.role == Role::SecAdmin {
        Ok(())
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "安全策略只能由安全管理员查看和修改。",
        ))
    }
}

async fn view(st: &AppState, u: &UiUser, status: StatusCode, fe: Fe, shown: &Policy, notice: String) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let entered = fe.any();
    let numbers = NUMBERS
        .iter()
        .map(|&(name, label, unit, min, max, help)| NumberField {
            name,
            label,
            unit,
            min,
            max,
            help,
            value: if entered {
                fe.val(name).to_string()
            } else {
                value_of(shown, name).to_string()
            },
            error: fe.err(name).to_string(),
        })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .map(|r| Opt {
            value: r.key().into(),
            label: r.label().into(),
            selected: shown.totp_roles.contains(&r),
        })
        .collect();
    Ok(page(
        status,
        &SecurityPage {
            chrome: Chrome::new(&st.store, u, &names, "/admin/security"),
            title: "管理：安全策略".into(),
            tabs: tabs("/admin/security", u.session.access.role),
            notice,
            first_login_change: shown.first_login_change,
            fe,
            numbers,
            roles,
        },
    ))
}

/// `GET /admin/security`: the policy in force, as a form.
pub async fn show(State(st): State<AppState>, u: UiUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    security_admin(&u)?;
    let notice = if q.iter().any(|(k, v)| k == "ok" && v == "saved") {
        "已保存安全策略，即时生效；本次修改（修改前后的设置）已记入审计日志。".to_string()
    } else {
        String::new()
    };
    view(&st, &u, StatusCode::OK, Fe::default(), &st.store.policy(), notice).await
}

/// `POST /admin/security`: saves the whole policy (the numbers,
/// `first_login_change`, the `totp_roles` ticked). Each number is checked
/// against its range at its field; the store checks the whole.
pub async fn save(
    State(st): State<AppState>,
    u: UiUser,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    security_admin(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let mut fe = Fe::keep(&f);
    let mut p = st.store.policy();
    for &(name, label, unit, min, max, _) in &NUMBERS {
        let raw = field(&f, name).unwrap_or("").trim();
        match raw.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => set_value(&mut p, name, v),
            Ok(_) => fe.set(name, format!("{label}应在{min}到{max}{unit}之间")),
            Err(_) if raw.is_empty() => fe.set(name, format!("请填写{label}")),
            Err(_) => fe.set(name, format!("{label}应为整数（{unit}）")),
        }
    }
    p.first_login_change = field(&f, "first_login_change") == Some("1");
    p.totp_roles = f
        .iter()
        .filter(|(k, _)| k == "totp_roles")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    if !fe.any() {
        match st.store.set_policy(&u.session.access, &p).await {
            Ok(()) => return Ok(see_other("/admin/security?ok=saved")),
            Err(StoreError::BadRequest(m)) => fe.banner = m,
            Err(e) => return Err(store_error(e)),
        }
    }
    if fe.banner.is_empty() {
        fe.banner = "安全策略未保存：请按提示修改标红的项目。".into();
    }
    view(&st, &u, StatusCode::UNPROCESSABLE_ENTITY, fe, &p, String::new()).await
}
