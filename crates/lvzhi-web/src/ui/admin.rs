//! 管理: units, people and 分管, users and roles, 年度目标任务; and the audit
//! page's chain verification.
//!
//! Who: the pages are for the 系统管理员 and the 政府办. The organisation
//! (units, people, 分管) and the annual targets may be changed by both, as the
//! store allows. Users under 三员分立: the 系统管理员 adds ordinary accounts,
//! disables them and resets their passwords; the 安全管理员 (who sees only
//! this tab) changes roles and scopes, unlocks, resets second factors, and
//! alone acts on the administrators' accounts; the 政府办 sees the list
//! read-only. The store decides every refusal. Every change goes through the store's functions, so it is
//! one evented, hash-chained change like any other.
//!
//! Targets: an indicator with `mode = "target"` reads the 统计报表 row of the
//! year (state 已审核, the county's division). Setting a target here writes
//! exactly such a row through `Store::create_many` (placed in 已审核, tagged
//! `target:<indicator>`), after voiding the year's previous row with the old
//! and new figures as the reason — so the metrics engine reads the new target
//! at once and the history of every change stays in the records and the log.
//!
//! Errors are shown at the field that caused them, in Chinese, with the
//! entered values kept.

use super::form::Opt;
use super::render::{Chrome, Names, PageResult, error_page, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field, form};
use crate::AppState;
use crate::service::targets::NewTarget;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Role;
use lvzhi_metrics::def::{Source, StatMode};
use lvzhi_store::StoreError;
use lvzhi_store::auth::NewUser;
use lvzhi_store::org::{DEPARTMENT, TOWNSHIP};
use std::collections::HashMap;

type F = Result<Form<Vec<(String, String)>>, FormRejection>;

/// Field errors and entered values of a form.
#[derive(Default)]
pub struct Fe {
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
    /// An error that belongs to no field.
    pub banner: String,
}

impl Fe {
    /// The error of field `k` (empty when none).
    pub fn err(&self, k: &str) -> &str {
        self.errors.get(k).map(String::as_str).unwrap_or("")
    }
    /// The entered value of field `k` (empty when none).
    pub fn val(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
    /// Whether field `k` had the value `v` (selects, checkboxes).
    pub fn is(&self, k: &str, v: &str) -> bool {
        self.val(k) == v
    }
    pub(crate) fn set(&mut self, k: &str, msg: impl Into<String>) {
        self.errors.insert(k.to_string(), msg.into());
    }
    pub(crate) fn any(&self) -> bool {
        !self.errors.is_empty() || !self.banner.is_empty()
    }
    pub(crate) fn keep(form: &[(String, String)]) -> Fe {
        let mut fe = Fe::default();
        for (k, v) in form {
            if k != "csrf" {
                fe.values.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        fe
    }
}

/// A tab of the admin pages.
pub struct Tab {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// The current tab.
    pub active: bool,
}

/// The admin tabs `role` sees, `path` the current one: the security
/// administrator sees users and the security policy; the others the rest.
pub(crate) fn tabs(path: &str, role: Role) -> Vec<Tab> {
    [
        ("/admin/units", "单位"),
        ("/admin/people", "人员与分管"),
        ("/admin/users", "用户与角色"),
        ("/admin/targets", "年度目标任务"),
        ("/admin/channels", "通知渠道"),
        ("/admin/security", "安全策略"),
    ]
    .into_iter()
    .filter(|(href, _)| {
        if role == Role::SecAdmin {
            matches!(*href, "/admin/users" | "/admin/security")
        } else {
            // The channels page is the system administrator's alone.
            *href != "/admin/security" && (*href != "/admin/channels" || role == Role::Admin)
        }
    })
    .map(|(href, label)| Tab {
        href,
        label,
        active: path == href,
    })
    .collect()
}

/// Refuses everyone but the 系统管理员 and the 政府办.
fn manager(u: &UiUser) -> Result<(), Response> {
    if matches!(u.session.access.role, Role::Admin | Role::Office) {
        Ok(())
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "管理页面只对系统管理员和政府办开放。",
        ))
    }
}

fn notice(q: &[(String, String)]) -> String {
    let ok = q.iter().find(|(k, _)| k == "ok").map(|(_, v)| v.as_str()).unwrap_or("");
    match ok {
        "unit_added" => "已添加单位。",
        "unit_renamed" => "已修改单位名称。",
        "unit_disabled" => "已停用该单位：新登记的记录不能再选择它，已有记录不受影响。",
        "unit_enabled" => "已恢复启用该单位。",
        "person_added" => "已添加人员。",
        "person_saved" => "已保存人员信息和分管单位。",
        "user_added" => "已添加用户。",
        "password_set" => "已重置密码，该用户需用新密码重新登录。",
        "user_disabled" => "已停用该用户，其登录已全部失效。",
        "user_enabled" => "已恢复启用该用户。",
        "user_unlocked" => "已解除锁定。",
        "totp_reset" => "已重置双因素认证，该用户的登录已全部失效；下次登录时须重新绑定（其角色要求时）。",
        "role_set" => "已变更角色与范围，该用户的登录已全部失效，新权限在重新登录后生效。",
        "target_set" => "已设定年度目标，指标计算随即采用新目标。",
        _ => "",
    }
    .to_string()
}

fn opt(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
        selected,
    }
}

/// `GET /admin`: the first tab (the security administrator's only one: users).
pub async fn index(u: UiUser) -> PageResult {
    if u.session.access.role == Role::SecAdmin {
        return Ok(see_other("/admin/users"));
    }
    manager(&u)?;
    Ok(see_other("/admin/units"))
}

// ---------------------------------------------------------------- units

/// A unit as a row.
pub struct UnitRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 部门 / 乡镇.
    pub kind: String,
    /// The township's name, for a township government.
    pub division: String,
    /// Users of the unit.
    pub users: usize,
    /// Disabled.
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    fe: Fe,
    /// The row whose rename failed, and why.
    row_id: i64,
    row_error: String,
    units: Vec<UnitRow>,
    townships: Vec<Opt>,
    kinds: Vec<Opt>,
}

async fn units_view(
    st: &AppState,
    u: &UiUser,
    status: StatusCode,
    fe: Fe,
    notice: String,
    row: (i64, String),
) -> PageResult {
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let disabled = store.disabled_units().await.map_err(store_error)?;
    let users = store.users().await.map_err(store_error)?;
    let units = names
        .units
        .iter()
        .map(|x| UnitRow {
            id: x.id,
            name: x.name.clone(),
            kind: x.kind.clone(),
            division: x.division.as_deref().map(|d| names.division(d)).unwrap_or_default(),
            users: users.iter().filter(|us| us.unit_id == Some(x.id)).count(),
            disabled: disabled.contains(&x.id),
        })
        .collect();
    let townships = names
        .divisions
        .iter()
        .filter(|d| d.level == 2)
        .map(|d| opt(d.code.clone(), d.name.clone(), fe.is("division", &d.code)))
        .collect();
    let kinds = [DEPARTMENT, TOWNSHIP]
        .into_iter()
        .map(|k| opt(k, k, fe.is("kind", k)))
        .collect();
    Ok(page(
        status,
        &UnitsPage {
            chrome: Chrome::new(store, u, &names, "/admin/units"),
            title: "管理：单位".into(),
            tabs: tabs("/admin/units", u.session.access.role),
            notice,
            fe,
            row_id: row.0,
            row_error: row.1,
            units,
            townships,
            kinds,
        },
    ))
}

/// `GET /admin/units`.
pub async fn units(State(st): State<AppState>, u: UiUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    manager(&u)?;
    units_view(&st, &u, StatusCode::OK, Fe::default(), notice(&q), (0, String::new())).await
}

/// `POST /admin/units`: adds a unit.
pub async fn unit_add(State(st): State<AppState>, u: UiUser, f: F) -> PageResult {
    manager(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let mut fe = Fe::keep(&f);
    let name = field(&f, "name").unwrap_or("").trim().to_string();
    let kind = field(&f, "kind").unwrap_or("");
    let division = field(&f, "division").unwrap_or("").trim();
    if name.is_empty() {
        fe.set("name", "请填写单位名称");
    } else if name.chars().count() > 60 {
        fe.set("name", "单位名称不能超过60个字");
    }
    if kind != DEPARTMENT && kind != TOWNSHIP {
        fe.set("kind", "请选择单位类型");
    }
    if kind == TOWNSHIP && division.is_empty() {
        fe.set("division", "乡镇人民政府须选择所属乡镇");
    }
    if kind == DEPARTMENT && !division.is_empty() {
        fe.set("division", "部门不属于某个乡镇，请留空");
    }
    if !fe.any() {
        let div = (!division.is_empty()).then_some(division);
        match st.store.add_unit(&u.session.access, &name, kind, div).await {
            Ok(_) => return Ok(see_other("/admin/units?ok=unit_added")),
            Err(StoreError::Conflict(_)) => fe.set("name", format!("已有名为“{name}”的单位")),
            Err(StoreError::BadRequest(m)) => fe.set("division", m),
            Err(e) => return Err(store_error(e)),
        }
    }
    units_view(
        &st,
        &u,
        StatusCode::UNPROCESSABLE_ENTITY,
        fe,
        String::new(),
        (0, String::new()),
    )
    .await
}

/// `POST /admin/units/{id}`: `action` = `rename` (with `name`), `disable` or `enable`.
pub async fn unit_change(State(st): State<AppState>, u: UiUser, Path(id): Path<i64>, f: F) -> PageResult {
    manager(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let r = match field(&f, "action").unwrap_or("") {
        "rename" => {
            let name = field(&f, "name").unwrap_or("").trim();
            match st.store.rename_unit(a, id, name).await {
                Ok(()) => "unit_renamed",
                Err(e @ (StoreError::BadRequest(_) | StoreError::Conflict(_))) => {
                    return units_view(
                        &st,
                        &u,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Fe::default(),
                        String::new(),
                        (id, e.to_string()),
                    )
                    .await;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        "disable" => {
            st.store.set_unit_disabled(a, id, true).await.map_err(store_error)?;
            "unit_disabled"
        }
        "enable" => {
            st.store.set_unit_disabled(a, id, false).await.map_err(store_error)?;
            "unit_enabled"
        }
        _ => return Err(error_page(StatusCode::BAD_REQUEST, "请求有误", "未知的操作")),
    };
    Ok(see_other(&format!("/admin/units?ok={r}")))
}

// ---------------------------------------------------------------- people

/// A person as a row, with the edit form's choices.
pub struct PersonRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Post.
    pub post: String,
    /// Unit name.
    pub unit: String,
    /// The unit choices (the person's selected).
    pub unit_opts: Vec<Opt>,
    /// County leader.
    pub is_leader: bool,
    /// Names of the units overseen.
    pub oversees: String,
    /// The 分管 checkboxes.
    pub oversee_opts: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    fe: Fe,
    row_id: i64,
    row_error: String,
    people: Vec<PersonRow>,
    unit_opts: Vec<Opt>,
}

async fn people_view(
    st: &AppState,
    u: &UiUser,
    status: StatusCode,
    fe: Fe,
    notice: String,
    row: (i64, String),
) -> PageResult {
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let people = names
        .people
        .iter()
        .map(|p| PersonRow {
            id: p.id,
            name: p.name.clone(),
            post: p.post.clone(),
            unit: p.unit_id.map(|i| names.unit(i)).unwrap_or_default(),
            unit_opts: names
                .units
                .iter()
                .map(|x| opt(x.id.to_string(), x.name.clone(), p.unit_id == Some(x.id)))
                .collect(),
            is_leader: p.is_leader,
            oversees: p.oversees.iter().map(|i| names.unit(*i)).collect::<Vec<_>>().join("、"),
            oversee_opts: names
                .units
                .iter()
                .filter(|x| x.kind == DEPARTMENT)
                .map(|x| opt(x.id.to_string(), x.name.clone(), p.oversees.contains(&x.id)))
                .collect(),
        })
        .collect();
    let unit_opts = names
        .units
        .iter()
        .map(|x| opt(x.id.to_string(), x.name.clone(), fe.is("unit", &x.id.to_string())))
        .collect();
    Ok(page(
        status,
        &PeoplePage {
            chrome: Chrome::new(store, u, &names, "/admin/people"),
            title: "管理：人员与分管".into(),
            tabs: tabs("/admin/people", u.session.access.role),
            notice,
            fe,
            row_id: row.0,
            row_error: row.1,
            people,
            unit_opts,
        },
    ))
}

/// `GET /admin/people`.
pub async fn people(State(st): State<AppState>, u: UiUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    manager(&u)?;
    people_view(&st, &u, StatusCode::OK, Fe::default(), notice(&q), (0, String::new())).await
}

fn unit_of(f: &[(String, String)], key: &str, fe: &mut Fe, units: &[lvzhi_store::org::Unit]) -> Option<i64> {
    let raw = field(f, key).unwrap_or("").trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>().ok().filter(|i| units.iter().any(|x| x.id == *i)) {
        Some(i) => Some(i),
        None => {
            fe.set(key, "所选单位不存在");
            None
        }
    }
}

/// `POST /admin/people`: adds a person.
pub async fn person_add(State(st): State<AppState>, u: UiUser, f: F) -> PageResult {
    manager(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let mut fe = Fe::keep(&f);
    let units = st.store.units().await.map_err(store_error)?;
    let name = field(&f, "name").unwrap_or("").trim().to_string();
    let post = field(&f, "post").unwrap_or("").trim().to_string();
    if name.is_empty() {
        fe.set("name", "请填写姓名");
    } else if name.chars().count() > 30 {
        fe.set("name", "姓名不能超过30个字");
    }
    if post.chars().count() > 60 {
        fe.set("post", "职务不能超过60个字");
    }
    let unit = unit_of(&f, "unit", &mut fe, &units);
    let leader = field(&f, "is_leader") == Some("1");
    if !fe.any() {
        match st.store.add_person(&u.session.access, &name, &post, unit, leader).await {
            Ok(_) => return Ok(see_other("/admin/people?ok=person_added")),
            Err(StoreError::BadRequest(m)) => fe.banner = m,
            Err(e) => return Err(store_error(e)),
        }
    }
    people_view(
        &st,
        &u,
        StatusCode::UNPROCESSABLE_ENTITY,
        fe,
        String::new(),
        (0, String::new()),
    )
    .await
}

/// `POST /admin/people/{id}`: saves name, post, unit, leader flag and 分管 units.
pub async fn person_save(State(st): State<AppState>, u: UiUser, Path(id): Path<i64>, f: F) -> PageResult {
    manager(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let units = st.store.units().await.map_err(store_error)?;
    let people = st.store.people().await.map_err(store_error)?;
    let Some(before) = people.iter().find(|p| p.id == id) else {
        return Err(error_page(StatusCode::NOT_FOUND, "未找到", &format!("人员{id}不存在")));
    };
    let mut fe = Fe::default();
    let name = field(&f, "name").unwrap_or("").trim();
    let post = field(&f, "post").unwrap_or("").trim();
    let unit = unit_of(&f, "unit", &mut fe, &units);
    let leader = field(&f, "is_leader") == Some("1");
    let mut oversees: Vec<i64> = f
        .iter()
        .filter(|(k, _)| k == "oversees")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .filter(|i| units.iter().any(|x| x.id == *i))
        .collect();
    oversees.sort_unstable();
    oversees.dedup();
    let fail = |m: String| (id, m);
    if name.is_empty() {
        let e = fail("请填写姓名".into());
        return people_view(&st, &u, StatusCode::UNPROCESSABLE_ENTITY, fe, String::new(), e).await;
    }
    if !leader && !oversees.is_empty() {
        let e = fail("只有县级领导才有分管单位：请勾选“县级领导”或取消分管单位".into());
        return people_view(&st, &u, StatusCode::UNPROCESSABLE_ENTITY, fe, String::new(), e).await;
    }
    if let Some(m) = fe.errors.values().next().cloned() {
        return people_view(
            &st,
            &u,
            StatusCode::UNPROCESSABLE_ENTITY,
            Fe::default(),
            String::new(),
            fail(m),
        )
        .await;
    }
    if before.name != name || before.post != post || before.unit_id != unit || before.is_leader != leader {
        st.store
            .update_person(a, id, name, post, unit, leader)
            .await
            .map_err(store_error)?;
    }
    if before.oversees != oversees {
        st.store.set_oversight(a, id, &oversees).await.map_err(store_error)?;
    }
    Ok(see_other("/admin/people?ok=person_saved"))
}

// ---------------------------------------------------------------- users

/// A user as a row.
pub struct UserRow {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role (Chinese).
    pub role: &'static str,
    /// Unit name.
    pub unit: String,
    /// Division restriction (name).
    pub division: String,
    /// Person name.
    pub person: String,
    /// Disabled.
    pub disabled: bool,
    /// Locked until (Shanghai time), when locked.
    pub locked: String,
    /// Failed logins.
    pub failed: i64,
    /// The signed-in user's own row.
    pub me: bool,
    /// A second factor is set up.
    pub totp: bool,
    /// Role key (the role form's current value).
    pub role_key: &'static str,
    /// What the signed-in administrator may do to this account (三员分立).
    pub can_reset: bool,
    /// Disable or enable.
    pub can_state: bool,
    /// Unlock (the security administrator).
    pub can_unlock: bool,
    /// Change role and scope (the security administrator).
    pub can_role: bool,
    /// Reset the second factor (the security administrator).
    pub can_totp_reset: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    /// Only the 系统管理员 adds users.
    can_edit: bool,
    /// The actions column (system and security administrators).
    can_act: bool,
    fe: Fe,
    row_user: String,
    row_error: String,
    users: Vec<UserRow>,
    roles: Vec<Opt>,
    unit_opts: Vec<Opt>,
    division_opts: Vec<Opt>,
    person_opts: Vec<Opt>,
}

async fn users_view(
    st: &AppState,
    u: &UiUser,
    status: StatusCode,
    fe: Fe,
    notice: String,
    row: (String, String),
) -> PageResult {
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let locks = store.user_locks().await.map_err(store_error)?;
    let users = store
        .users()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|x| {
            let lock = locks.iter().find(|l| l.username == x.username);
            let me = x.username == u.session.access.username;
            let my = u.session.access.role;
            let sec = my == Role::SecAdmin && !me;
            // Administrators' accounts, and those that read the audit log, are the security
            // administrator's; the others the system administrator's too.
            let mine = sec || (my == Role::Admin && !me && !x.role.is_administrator() && !x.role.reads_audit_log());
            UserRow {
                me,
                totp: x.totp,
                role_key: x.role.key(),
                can_reset: mine,
                can_state: mine,
                can_unlock: sec,
                can_role: sec,
                can_totp_reset: sec && x.totp,
                display_name: x.display_name,
                role: x.role.label(),
                unit: x.unit_id.map(|i| names.unit(i)).unwrap_or_default(),
                division: x.division.as_deref().map(|d| names.division(d)).unwrap_or_default(),
                person: x.person_id.map(|i| names.person(i)).unwrap_or_default(),
                disabled: x.disabled,
                locked: lock
                    .and_then(|l| l.locked_until.as_deref())
                    .map(when)
                    .unwrap_or_default(),
                failed: lock.map(|l| l.failed_logins).unwrap_or(0),
                username: x.username,
            }
        })
        .collect();
    // The system administrator adds ordinary accounts only; the security
    // administrator assigns any role (the role form).
    let roles = Role::ALL
        .into_iter()
        .filter(|r| u.session.access.role == Role::SecAdmin || !(r.is_administrator() || r.reads_audit_log()))
        .map(|r| opt(r.key(), r.label(), fe.is("role", r.key())))
        .collect();
    let unit_opts = names
        .units
        .iter()
        .map(|x| opt(x.id.to_string(), x.name.clone(), fe.is("unit", &x.id.to_string())))
        .collect();
    let division_opts = names
        .divisions
        .iter()
        .filter(|d| d.level == 2)
        .map(|d| opt(d.code.clone(), d.name.clone(), fe.is("division", &d.code)))
        .collect();
    let person_opts = names
        .people
        .iter()
        .map(|p| opt(p.id.to_string(), names.person(p.id), fe.is("person", &p.id.to_string())))
        .collect();
    Ok(page(
        status,
        &UsersPage {
            chrome: Chrome::new(store, u, &names, "/admin/users"),
            title: "管理：用户与角色".into(),
            tabs: tabs("/admin/users", u.session.access.role),
            notice,
            can_edit: u.session.access.role == Role::Admin,
            can_act: matches!(u.session.access.role, Role::Admin | Role::SecAdmin),
            fe,
            row_user: row.0,
            row_error: row.1,
            users,
            roles,
            unit_opts,
            division_opts,
            person_opts,
        },
    ))
}

fn admin_only(u: &UiUser) -> Result<(), Response> {
    if u.session.access.role == Role::Admin {
        Ok(())
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "无权操作",
            "只有系统管理员可以添加用户。",
        ))
    }
}

/// The users' list: the system and the security administrator, the 政府办 read-only.
fn users_viewer(u: &UiUser) -> Result<(), Response> {
    if matches!(u.session.access.role, Role::Admin | Role::Office | Role::SecAdmin) {
        Ok(())
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "用户列表只对系统管理员、安全管理员和政府办开放。",
        ))
    }
}

/// `GET /admin/users`.
pub async fn users(State(st): State<AppState>, u: UiUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    users_viewer(&u)?;
    users_view(&st, &u, StatusCode::OK, Fe::default(), notice(&q), Default::default()).await
}

/// `POST /admin/users`: adds a user with a role and its scope.
pub async fn user_add(State(st): State<AppState>, u: UiUser, f: F) -> PageResult {
    admin_only(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let mut fe = Fe::keep(&f);
    fe.values.remove("password");
    fe.values.remove("password2");
    let store = &st.store;
    let units = store.units().await.map_err(store_error)?;
    let people = store.people().await.map_err(store_error)?;
    let username = field(&f, "username").unwrap_or("").trim().to_string();
    let display = field(&f, "display_name").unwrap_or("").trim().to_string();
    let pw = field(&f, "password").unwrap_or("");
    let pw2 = field(&f, "password2").unwrap_or("");
    let role = Role::parse(field(&f, "role").unwrap_or(""));
    if username.is_empty() {
        fe.set("username", "请填写用户名");
    } else if username.len() > 64 || !username.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        fe.set("username", "用户名只能使用字母、数字和 _ . -，不超过64个字符");
    } else if store
        .users()
        .await
        .map_err(store_error)?
        .iter()
        .any(|x| x.username == username)
    {
        fe.set("username", format!("用户名“{username}”已被使用"));
    }
    if display.is_empty() {
        fe.set("display_name", "请填写姓名或显示名称");
    }
    if pw.chars().count() < 8 {
        fe.set("password", "密码至少8位");
    } else if pw != pw2 {
        fe.set("password2", "两次输入的密码不一致");
    }
    let unit = unit_of(&f, "unit", &mut fe, &units);
    let division = field(&f, "division").unwrap_or("").trim().to_string();
    let person = match field(&f, "person").unwrap_or("").trim() {
        "" => None,
        p => match p.parse::<i64>().ok().filter(|i| people.iter().any(|x| x.id == *i)) {
            Some(i) => Some(i),
            None => {
                fe.set("person", "所选人员不存在");
                None
            }
        },
    };
    match role {
        None => fe.set("role", "请选择角色"),
        Some(Role::UnitClerk | Role::UnitHead) if unit.is_none() && fe.err("unit").is_empty() => {
            fe.set("unit", "经办人和单位负责人须选择所属单位")
        }
        Some(Role::Leader) if person.is_none() && fe.err("person").is_empty() => {
            fe.set("person", "县级领导账号须关联人员（在“人员与分管”中先添加）")
        }
        _ => {}
    }
    if !fe.any()
        && let Some(role) = role
    {
        let nu = NewUser {
            username: username.clone(),
            display_name: display,
            password: pw.to_string(),
            role,
            unit_id: unit,
            division: (!division.is_empty()).then_some(division),
            person_id: person,
        };
        match store.add_user(&u.session.access, &nu).await {
            Ok(_) => return Ok(see_other("/admin/users?ok=user_added")),
            Err(StoreError::Conflict(_)) => fe.set("username", format!("用户名“{username}”已被使用")),
            Err(StoreError::BadRequest(m) | StoreError::Forbidden(m)) => fe.banner = m,
            Err(e) => return Err(store_error(e)),
        }
    }
    users_view(
        &st,
        &u,
        StatusCode::UNPROCESSABLE_ENTITY,
        fe,
        String::new(),
        Default::default(),
    )
    .await
}

/// `POST /admin/users/{name}/password`: sets a new password (`password`, `password2`).
pub async fn user_password(State(st): State<AppState>, u: UiUser, Path(name): Path<String>, f: F) -> PageResult {
    users_viewer(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let pw = field(&f, "password").unwrap_or("");
    let pw2 = field(&f, "password2").unwrap_or("");
    let problem = if pw.chars().count() < 8 {
        Some("新密码至少8位")
    } else if pw != pw2 {
        Some("两次输入的密码不一致")
    } else {
        None
    };
    if let Some(m) = problem {
        return users_view(
            &st,
            &u,
            StatusCode::UNPROCESSABLE_ENTITY,
            Fe::default(),
            String::new(),
            (name, m.into()),
        )
        .await;
    }
    st.store
        .set_password(&u.session.access, &name, pw)
        .await
        .map_err(store_error)?;
    Ok(see_other("/admin/users?ok=password_set"))
}

/// `POST /admin/users/{name}/state`: `action` = `disable`, `enable`, `unlock` or `totp_reset`.
pub async fn user_state(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    Path(name): Path<String>,
    f: F,
) -> PageResult {
    users_viewer(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let ok = match field(&f, "action").unwrap_or("") {
        "disable" if name == a.username => {
            return users_view(
                &st,
                &u,
                StatusCode::UNPROCESSABLE_ENTITY,
                Fe::default(),
                String::new(),
                (name, "不能停用自己的账号".into()),
            )
            .await;
        }
        "disable" => {
            st.store.set_disabled(a, &name, true).await.map_err(store_error)?;
            "user_disabled"
        }
        "enable" => {
            st.store.set_disabled(a, &name, false).await.map_err(store_error)?;
            "user_enabled"
        }
        "unlock" => {
            st.store.unlock_user(a, &name).await.map_err(store_error)?;
            "user_unlocked"
        }
        "totp_reset" => {
            st.store.totp_reset(a, &name, addr.get()).await.map_err(store_error)?;
            "totp_reset"
        }
        _ => return Err(error_page(StatusCode::BAD_REQUEST, "请求有误", "未知的操作")),
    };
    Ok(see_other(&format!("/admin/users?ok={ok}")))
}

/// `POST /admin/users/{name}/role` (`role`, `unit`, `division`): the
/// security administrator changes a role and its scope.
pub async fn user_role(State(st): State<AppState>, u: UiUser, Path(name): Path<String>, f: F) -> PageResult {
    users_viewer(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let units = st.store.units().await.map_err(store_error)?;
    let mut fe = Fe::default();
    let unit = unit_of(&f, "unit", &mut fe, &units);
    let division = field(&f, "division").unwrap_or("").trim().to_string();
    let problem = match Role::parse(field(&f, "role").unwrap_or("")) {
        None => "请选择角色".to_string(),
        Some(_) if fe.any() => fe.err("unit").to_string(),
        Some(role) => match st
            .store
            .set_role(
                &u.session.access,
                &name,
                role,
                unit,
                (!division.is_empty()).then_some(division),
            )
            .await
        {
            Ok(()) => return Ok(see_other("/admin/users?ok=role_set")),
            Err(e @ (StoreError::BadRequest(_) | StoreError::Conflict(_))) => e.to_string(),
            Err(e) => return Err(store_error(e)),
        },
    };
    users_view(
        &st,
        &u,
        StatusCode::UNPROCESSABLE_ENTITY,
        Fe::default(),
        String::new(),
        (name, problem),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin_users_created.html")]
struct CreatedPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    /// The day, as 2026年12月5日.
    day: String,
    created: Vec<lvzhi_store::manage::BulkCreated>,
}

/// `POST /admin/users/import` (multipart: `csrf`, `file`): the system
/// administrator creates accounts from an xlsx (单位, 角色, 姓名, 手机号);
/// the one-time passwords are shown once, on the answer page.
pub async fn users_import(State(st): State<AppState>, u: UiUser, req: axum::extract::Request) -> PageResult {
    admin_only(&u)?;
    let sub = super::upload::read_form(req, &st, crate::BODY_LIMIT)
        .await
        .map_err(|_| {
            error_page(
                StatusCode::BAD_REQUEST,
                "请求有误",
                "表单无法读取，请重新选择文件上传。",
            )
        })?;
    check_csrf(&u, &sub.fields)?;
    let fail = |m: String| {
        let fe = Fe {
            banner: m,
            ..Fe::default()
        };
        users_view(
            &st,
            &u,
            StatusCode::UNPROCESSABLE_ENTITY,
            fe,
            String::new(),
            Default::default(),
        )
    };
    let Some((name, bytes)) = sub.file else {
        return fail("请选择要导入的xlsx文件".into()).await;
    };
    let rows = match crate::service::accounts::bulk_sheet(&bytes, &name) {
        Ok(rows) => rows,
        Err(m) => return fail(m).await,
    };
    match st.store.add_users_bulk(&u.session.access, &rows).await {
        Ok(created) => {
            let names = Names::load(&st.store).await.map_err(store_error)?;
            let day = lvzhi_core::time::date_cn(lvzhi_core::time::local_date(st.store.now()));
            Ok(page(
                StatusCode::OK,
                &CreatedPage {
                    chrome: Chrome::new(&st.store, &u, &names, "/admin/users"),
                    title: "管理：批量创建用户".into(),
                    tabs: tabs("/admin/users", u.session.access.role),
                    notice: format!("{day}已从“{name}”创建{}个账号，用户名为手机号。", created.len()),
                    day,
                    created,
                },
            ))
        }
        Err(e @ StoreError::BadRequest(_)) => fail(format!("“{name}”：{e}")).await,
        Err(e) => Err(store_error(e)),
    }
}

// ---------------------------------------------------------------- targets

/// A target indicator of a year, as a row.
pub struct TargetRow {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub name: String,
    /// The 统计报表 row name it reads (empty for pack targets).
    pub statistic: String,
    /// Category.
    pub category: String,
    /// The target as the indicators show it (18.92亿元), or why none.
    pub current: String,
    /// Set.
    pub set: bool,
    /// The record behind it.
    pub href: String,
    /// Set in the pack (read-only here).
    pub pack: bool,
    /// Measure choices for the form.
    pub measures: Vec<Opt>,
    /// Value in the form (the current one's, in its measure).
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin_targets.html")]
struct TargetsPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    notice: String,
    year: i16,
    years: Vec<Opt>,
    row_id: String,
    row_error: String,
    rows: Vec<TargetRow>,
}

const MEASURES: [&str; 3] = ["亿元", "万元", "元"];

fn year_of(q: &[(String, String)], default: i16) -> i16 {
    q.iter()
        .find(|(k, _)| k == "year")
        .and_then(|(_, v)| v.trim().parse::<i16>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(default)
}

async fn targets_view(
    st: &AppState,
    u: &UiUser,
    status: StatusCode,
    year: i16,
    notice: String,
    row: (String, String),
) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let names = Names::load(store).await.map_err(store_error)?;
    let engine = st.engine();
    let county = st.county_code().await.map_err(store_error)?;
    let today = store.today();
    let mut rows = Vec::new();
    for ind in &engine.defs().list {
        let (statistic, pack) = match &ind.source {
            Source::Statistic {
                name,
                mode: StatMode::Target,
            } => (name.clone(), false),
            Source::Targets(_) => (String::new(), true),
            _ => continue,
        };
        let v = engine
            .evaluate(
                store,
                a,
                &ind.id,
                lvzhi_core::period::Period::Year(year),
                &lvzhi_metrics::Scope::County,
                today,
            )
            .await
            .ok();
        let current = match &v {
            Some(v) if v.value.is_some() => v.display.clone(),
            Some(v) => v.note.clone().unwrap_or_else(|| "未设定".into()),
            None => "未设定".into(),
        };
        let found = if pack {
            None
        } else {
            st.target_row(a, &statistic, year, &county).await.map_err(store_error)?
        };
        let measure = found
            .as_ref()
            .map(|f| f.measure.clone())
            .unwrap_or_else(|| "万元".into());
        rows.push(TargetRow {
            id: ind.id.clone(),
            name: ind.name.clone(),
            statistic,
            category: ind.category.clone(),
            set: v.as_ref().is_some_and(|v| v.value.is_some()),
            current,
            href: found.as_ref().map(|f| format!("/records/{}", f.id)).unwrap_or_default(),
            pack,
            measures: MEASURES.iter().map(|m| opt(*m, *m, *m == measure)).collect(),
            value: found.map(|f| f.value).unwrap_or_default(),
        });
    }
    let this = today.year();
    let years = (this - 2..=this + 1)
        .rev()
        .map(|y| opt(y.to_string(), format!("{y}年"), y == year))
        .collect();
    Ok(page(
        status,
        &TargetsPage {
            chrome: Chrome::new(store, u, &names, "/admin/targets"),
            title: "管理：年度目标任务".into(),
            tabs: tabs("/admin/targets", u.session.access.role),
            notice,
            year,
            years,
            row_id: row.0,
            row_error: row.1,
            rows,
        },
    ))
}

/// `GET /admin/targets?year=2026`.
pub async fn targets(State(st): State<AppState>, u: UiUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    manager(&u)?;
    let year = year_of(&q, st.store.today().year());
    targets_view(&st, &u, StatusCode::OK, year, notice(&q), Default::default()).await
}

/// `POST /admin/targets`: sets `indicator`'s target for `year` to `value` `measure`.
pub async fn target_set(State(st): State<AppState>, u: UiUser, f: F) -> PageResult {
    manager(&u)?;
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    let year = year_of(&f, st.store.today().year());
    let id = field(&f, "indicator").unwrap_or("").to_string();
    let engine = st.engine();
    let Some(ind) = engine.defs().get(&id) else {
        return Err(error_page(
            StatusCode::NOT_FOUND,
            "未找到",
            &format!("指标“{id}”不存在"),
        ));
    };
    let Source::Statistic {
        name: statistic,
        mode: StatMode::Target,
    } = &ind.source
    else {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "请求有误",
            &format!("“{}”不是可在此设定的年度目标", ind.name),
        ));
    };
    let raw = field(&f, "value").unwrap_or("").trim().replace([',', '，'], "");
    let measure = field(&f, "measure").unwrap_or("");
    let value = raw.parse::<rust_decimal::Decimal>().ok();
    let problem = if raw.is_empty() {
        Some("请填写目标数值".to_string())
    } else if value.is_none() {
        Some(format!("“{raw}”不是数字，请填写如 18.92 或 189200 的数值"))
    } else if value.is_some_and(|v| v <= rust_decimal::Decimal::ZERO) {
        Some("目标数值应大于0".to_string())
    } else if !MEASURES.contains(&measure) {
        Some("请选择计量单位".to_string())
    } else {
        None
    };
    if let Some(m) = problem {
        return targets_view(&st, &u, StatusCode::UNPROCESSABLE_ENTITY, year, String::new(), (id, m)).await;
    }
    let target = NewTarget {
        indicator: &ind.id,
        statistic,
        category: &ind.category,
        year,
        value: &raw,
        measure,
        who: &u.session.display_name,
    };
    match st.set_target(a, &target).await {
        Ok(_) => Ok(see_other(&format!("/admin/targets?year={year}&ok=target_set"))),
        Err(StoreError::Invalid(errs)) => {
            let m = errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；");
            targets_view(&st, &u, StatusCode::UNPROCESSABLE_ENTITY, year, String::new(), (id, m)).await
        }
        Err(e) => Err(store_error(e)),
    }
}

// ---------------------------------------------------------------- audit

#[derive(Template)]
#[template(path = "audit_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    title: String,
    ok: bool,
    verified: i64,
    broken_at: i64,
    error: String,
}

/// `GET /audit/verify`: recomputes the whole hash chain (the audit administrator and auditors).
pub async fn audit_verify(State(st): State<AppState>, u: UiUser) -> PageResult {
    if !u.session.access.role.reads_audit_log() {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "只有审计管理员和审计监督人员可以校验变更日志。",
        ));
    }
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let v = store.verify_chain().await.map_err(store_error)?;
    Ok(page(
        StatusCode::OK,
        &VerifyPage {
            chrome: Chrome::new(store, &u, &names, "/audit"),
            title: "审计：校验哈希链".into(),
            ok: v.error.is_none(),
            verified: v.verified,
            broken_at: v.broken_at.unwrap_or(0),
            error: v.error.unwrap_or_default(),
        },
    ))
}
