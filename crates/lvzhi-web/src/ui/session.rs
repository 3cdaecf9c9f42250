//! Signing in and out of the web UI, the page's user, and the CSRF check of forms.
//!
//! The session cookie is the API's (`lvzhi_session`: HttpOnly, SameSite=Strict,
//! Secure behind TLS). Forms carry the session's CSRF token as the hidden
//! field `csrf`; the login form, which has no session yet, carries a token that
//! is also set as the `lvzhi_login` cookie (double submit).

use super::render::{Names, PageResult, page, see_other, store_error};
use crate::AppState;
use crate::auth::{COOKIE, constant_time_eq, cookie};
use crate::service::cache::{PageCache, Version};
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::{Form, extract::Request};
use lvzhi_store::auth::Session;
use lvzhi_store::{Store, StoreError};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The cookie holding the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "lvzhi_login";

/// The signed-in user of a page. Without a live session the page answers
/// with a redirect to `/login` (remembering where the user was going).
#[derive(Debug, Clone)]
pub struct UiUser {
    /// The session.
    pub session: Session,
    /// The raw session token (for logout).
    pub token: String,
    /// The server's page cache ([`crate::service::cache`]).
    pub cache: PageCache,
    /// The store's version, read once per request at the first memoised value.
    version: Arc<OnceCell<Version>>,
    /// The user's unread notices (站内信), counted once per request for the header.
    pub unread: i64,
}

impl AsRef<Session> for UiUser {
    fn as_ref(&self) -> &Session {
        &self.session
    }
}

impl super::render::Viewer for UiUser {
    fn session(&self) -> &Session {
        &self.session
    }
    fn unread(&self) -> i64 {
        self.unread
    }
}

impl UiUser {
    /// The store's version as this request first saw it.
    pub async fn version(&self, store: &Store) -> Result<Version, StoreError> {
        self.version.get_or_try_init(|| Version::of(store)).await.cloned()
    }

    /// `f()`'s value memoised under `key` at this request's version (see
    /// [`crate::service::cache`]: the key must name everything the value depends on,
    /// including the reader's access for anything scoped).
    pub async fn memo<T, E, F, Fut>(&self, store: &Store, key: String, f: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let v = self.version(store).await?;
        self.cache.get(&v, key, f).await
    }

    /// The same as [`UiUser::memo`], scoped to the reader: the key is
    /// prefixed with the reader's whole access.
    pub async fn memo_scoped<T, E, F, Fut>(&self, store: &Store, key: &str, f: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let k = format!("{}|{key}", PageCache::access_key(&self.session.access));
        self.memo(store, k, f).await
    }

    /// The organisation's names (memoised until the next event: renames,
    /// new units and people are events).
    pub async fn names(&self, store: &Store) -> Result<Arc<Names>, Response> {
        self.memo(store, "names".into(), || Names::load(store))
            .await
            .map_err(store_error)
    }
}

fn login_redirect(parts: &Parts, expired: bool) -> Response {
    let mut q: Vec<(&str, &str)> = Vec::new();
    if expired {
        q.push(("expired", "1"));
    }
    let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if parts.method == Method::GET && next != "/" {
        q.push(("next", next));
    }
    let qs = super::render::query(&q);
    let to = if qs.is_empty() {
        "/login".to_string()
    } else {
        format!("/login?{qs}")
    };
    let mut r = see_other(&to);
    if expired {
        r.headers_mut().append(header::SET_COOKIE, clear_cookie(COOKIE, "/"));
    }
    r
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<UiUser, Response> {
        let Some(token) = cookie(parts, COOKIE).map(str::to_string) else {
            return Err(login_redirect(parts, false));
        };
        let path = parts.uri.path();
        match state.store.session(&token).await {
            // A login that owes its second factor: only giving it, enrolling and logout.
            Ok(session)
                if session.second_factor.is_some()
                    && ![
                        "/login/totp",
                        "/account/totp",
                        "/account/totp/begin",
                        "/account/totp/confirm",
                        "/logout",
                    ]
                    .contains(&path) =>
            {
                Err(see_other(second_factor_page(&session)))
            }
            // A password that must be changed: only the change page and logout.
            Ok(session)
                if session.second_factor.is_none()
                    && session.must_change.is_some()
                    && !["/password", "/logout"].contains(&path) =>
            {
                Err(see_other("/password"))
            }
            Ok(session) => Ok(UiUser {
                // A failed count shows no badge; the page itself still works.
                unread: state.store.unread_notices(&session.access).await.unwrap_or(0),
                session,
                token,
                cache: state.cache.clone(),
                version: Arc::new(OnceCell::new()),
            }),
            Err(StoreError::Unauthorized(_)) => Err(login_redirect(parts, true)),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// Where a session that owes its second factor goes.
fn second_factor_page(s: &Session) -> &'static str {
    if s.second_factor.as_deref() == Some(lvzhi_store::second_factor::PENDING_ENROL) {
        "/account/totp"
    } else {
        "/login/totp"
    }
}

/// The value of the form field `name` (the first one).
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Refuses a form without the session's CSRF token: 403, nothing written.
pub fn check_csrf(u: &UiUser, form: &[(String, String)]) -> Result<(), Response> {
    let sent = field(form, "csrf").unwrap_or("");
    if constant_time_eq(sent.as_bytes(), u.session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "请求已失效",
            "表单缺少或带有错误的安全令牌（CSRF），未作任何修改。请返回并刷新页面后重试。",
        ))
    }
}

/// The submitted form, or a 400 page.
pub fn form(f: Result<Form<Vec<(String, String)>>, FormRejection>) -> Result<Vec<(String, String)>, Response> {
    match f {
        Ok(Form(v)) => Ok(v),
        Err(e) => Err(super::render::error_page(
            StatusCode::BAD_REQUEST,
            "请求有误",
            &format!("表单无法读取：{}", e.body_text()),
        )),
    }
}

pub(crate) fn clear_cookie(name: &str, path: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0"))
        .unwrap_or(HeaderValue::from_static(""))
}

/// A path to go to after login: only a local path, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login")
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    css: String,
    js: String,
    csrf: String,
    username: String,
    next: String,
    error: String,
    notice: String,
}

/// The query of `/login`.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
    changed: Option<String>,
}

fn login_form(status: StatusCode, username: &str, next: &str, error: &str, notice: &str, secure: bool) -> Response {
    let token = lvzhi_store::auth::random_token();
    let mut r = page(
        status,
        &LoginPage {
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            csrf: token.clone(),
            username: username.to_string(),
            next: next.to_string(),
            error: error.to_string(),
            notice: notice.to_string(),
        },
    );
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /login`: the form (or home, when already signed in).
pub async fn login_page(State(st): State<AppState>, Query(q): Query<LoginQuery>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if let Some(t) = cookie(&parts, COOKIE)
        && st.store.session(t).await.is_ok()
    {
        return see_other(&safe_next(q.next.as_deref()));
    }
    let notice = if q.expired.is_some() {
        "登录已过期，请重新登录。"
    } else if q.out.is_some() {
        "您已安全退出。"
    } else if q.changed.is_some() {
        "密码已修改，请用新密码登录。"
    } else {
        ""
    };
    login_form(
        StatusCode::OK,
        "",
        &safe_next(q.next.as_deref()),
        "",
        notice,
        st.secure_cookies,
    )
}

/// `POST /login`: checks the password, sets the session cookie, goes on.
pub async fn login(State(st): State<AppState>, addr: crate::auth::ClientAddr, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    let login_token = cookie(&parts, LOGIN_COOKIE).unwrap_or("").to_string();
    let f = Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), &st).await;
    let f = form(f)?;
    let username = field(&f, "username").unwrap_or("").trim().to_string();
    let password = field(&f, "password").unwrap_or("");
    let next = safe_next(field(&f, "next"));
    let sent = field(&f, "csrf").unwrap_or("");
    if login_token.is_empty() || !constant_time_eq(sent.as_bytes(), login_token.as_bytes()) {
        return Ok(login_form(
            StatusCode::FORBIDDEN,
            &username,
            &next,
            "登录页面已过期，请重新输入用户名和密码。",
            "",
            st.secure_cookies,
        ));
    }
    if username.is_empty() || password.is_empty() {
        return Ok(login_form(
            StatusCode::UNAUTHORIZED,
            &username,
            &next,
            "请输入用户名和密码。",
            "",
            st.secure_cookies,
        ));
    }
    match st.store.login_from(&username, password, "web", addr.get()).await {
        Ok((token, s)) => {
            let secure = if st.secure_cookies { "; Secure" } else { "" };
            let to = if s.second_factor.is_some() {
                let page = second_factor_page(&s);
                if page == "/login/totp" && next != "/" {
                    format!("{page}?{}", super::render::query(&[("next", next.as_str())]))
                } else {
                    page.to_string()
                }
            } else if s.must_change.is_some() {
                "/password".to_string()
            } else {
                next.clone()
            };
            let mut r = see_other(&to);
            let c = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                st.store.policy().session_hours * 3600
            );
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r.headers_mut()
                .append(header::SET_COOKIE, clear_cookie(LOGIN_COOKIE, "/login"));
            Ok(r)
        }
        Err(e @ (StoreError::Unauthorized(_) | StoreError::Locked { .. })) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let mut r = login_form(status, &username, &next, &e.to_string(), "", st.secure_cookies);
            if status == StatusCode::TOO_MANY_REQUESTS {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
            }
            Ok(r)
        }
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /logout` (with `csrf`): ends the session, clears the cookie.
pub async fn logout(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    st.store.logout_from(&u.token, addr.get()).await.map_err(store_error)?;
    let mut r = see_other("/login?out=1");
    r.headers_mut().append(header::SET_COOKIE, clear_cookie(COOKIE, "/"));
    Ok(r.into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    css: String,
    js: String,
    csrf: String,
    username: String,
    display_name: String,
    reason: String,
    error: String,
    min_length: usize,
    min_classes: usize,
    history: usize,
}

fn password_form(st: &AppState, u: &UiUser, status: StatusCode, error: &str) -> Response {
    let p = st.store.policy();
    page(
        status,
        &PasswordPage {
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            csrf: u.session.csrf.clone(),
            username: u.session.access.username.clone(),
            display_name: u.session.display_name.clone(),
            reason: u.session.must_change.clone().unwrap_or_default(),
            error: error.to_string(),
            min_length: p.min_length,
            min_classes: p.min_classes,
            history: p.history,
        },
    )
}

/// `GET /password`: the self-service password change (also where a forced change lands).
pub async fn password_page(State(st): State<AppState>, u: UiUser) -> Response {
    password_form(&st, &u, StatusCode::OK, "")
}

/// `POST /password` (`old`, `new`, `new2`, `csrf`): changes the password;
/// every session of the user ends, so it goes back to the login page.
pub async fn password_change(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let (old, new, new2) = (
        field(&f, "old").unwrap_or(""),
        field(&f, "new").unwrap_or(""),
        field(&f, "new2").unwrap_or(""),
    );
    if new != new2 {
        return Ok(password_form(
            &st,
            &u,
            StatusCode::BAD_REQUEST,
            "两次输入的新密码不一致",
        ));
    }
    match st.store.change_password(&u.session.access, old, new, addr.get()).await {
        Ok(()) => {
            let mut r = see_other("/login?changed=1");
            r.headers_mut().append(header::SET_COOKIE, clear_cookie(COOKIE, "/"));
            Ok(r)
        }
        Err(e @ StoreError::BadRequest(_)) => Ok(password_form(&st, &u, StatusCode::BAD_REQUEST, &e.to_string())),
        Err(e) => Err(store_error(e)),
    }
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpPage {
    css: String,
    js: String,
    csrf: String,
    username: String,
    display_name: String,
    next: String,
    error: String,
}

fn totp_form(u: &UiUser, status: StatusCode, next: &str, error: &str) -> Response {
    page(
        status,
        &TotpPage {
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            csrf: u.session.csrf.clone(),
            username: u.session.access.username.clone(),
            display_name: u.session.display_name.clone(),
            next: next.to_string(),
            error: error.to_string(),
        },
    )
}

/// The query of `/login/totp`.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login/totp`: the second step of a login (a code or a recovery code).
pub async fn totp_page(u: UiUser, Query(q): Query<NextQuery>) -> Response {
    if u.session.second_factor.as_deref() != Some(lvzhi_store::second_factor::PENDING_CODE) {
        return see_other("/");
    }
    totp_form(&u, StatusCode::OK, &safe_next(q.next.as_deref()), "")
}

/// `POST /login/totp` (`code`, `next`, `csrf`).
pub async fn totp_submit(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let next = safe_next(field(&f, "next"));
    match st
        .store
        .totp_verify(&u.token, field(&f, "code").unwrap_or(""), addr.get())
        .await
    {
        Ok(s) => Ok(see_other(if s.must_change.is_some() { "/password" } else { &next })),
        // Locked by wrong codes: the session has ended; back to the login form.
        Err(e @ StoreError::Locked { .. }) => {
            let mut r = login_form(
                StatusCode::TOO_MANY_REQUESTS,
                &u.session.access.username,
                "/",
                &e.to_string(),
                "",
                st.secure_cookies,
            );
            r.headers_mut().append(header::SET_COOKIE, clear_cookie(COOKIE, "/"));
            Ok(r)
        }
        Err(e @ (StoreError::Unauthorized(_) | StoreError::Conflict(_))) => {
            Ok(totp_form(&u, StatusCode::UNAUTHORIZED, &next, &e.to_string()))
        }
        Err(e) => Err(store_error(e)),
    }
}

#[derive(Template)]
#[template(path = "account_totp.html")]
struct EnrolPage {
    css: String,
    js: String,
    csrf: String,
    username: String,
    display_name: String,
    role: &'static str,
    /// The role requires a second factor.
    required: bool,
    /// Set up already.
    enabled: bool,
    /// Recovery codes left.
    left: i64,
    /// An enrolment under way: its secret and QR code.
    secret: String,
    qr_svg: String,
    /// Just confirmed: the recovery codes, shown once.
    codes: Vec<String>,
    next: String,
    error: String,
}

async fn enrol_view(st: &AppState, u: &UiUser, status: StatusCode, codes: Vec<String>, error: &str) -> PageResult {
    let a = &u.session.access;
    let enabled = st
        .store
        .totp_secret_of(&a.username)
        .await
        .map_err(store_error)?
        .is_some();
    let pending = if enabled || !codes.is_empty() {
        None
    } else {
        st.store.totp_pending(a).await.map_err(store_error)?
    };
    let left = if enabled {
        st.store.recovery_codes_left(a).await.map_err(store_error)?
    } else {
        0
    };
    let next = if u.session.must_change.is_some() {
        "/password"
    } else {
        "/"
    };
    Ok(page(
        status,
        &EnrolPage {
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            csrf: u.session.csrf.clone(),
            username: a.username.clone(),
            display_name: u.session.display_name.clone(),
            role: a.role.label(),
            required: st.store.policy().totp_roles.contains(&a.role),
            enabled: enabled && codes.is_empty(),
            left,
            qr_svg: pending
                .as_ref()
                .map(|e| crate::auth::qr_svg(&e.uri))
                .unwrap_or_default(),
            secret: pending.map(|e| e.secret).unwrap_or_default(),
            codes,
            next: next.into(),
            error: error.to_string(),
        },
    ))
}

/// `GET /account/totp`: the second factor: status, or enrolment.
pub async fn enrol_page(State(st): State<AppState>, u: UiUser) -> PageResult {
    enrol_view(&st, &u, StatusCode::OK, vec![], "").await
}

/// `POST /account/totp/begin`: a new secret and its QR code.
pub async fn enrol_begin(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    match st.store.totp_begin(&u.session.access, addr.get()).await {
        Ok(_) => Ok(see_other("/account/totp")),
        Err(e @ StoreError::Conflict(_)) => enrol_view(&st, &u, StatusCode::CONFLICT, vec![], &e.to_string()).await,
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /account/totp/confirm` (`code`): the first code; shows the recovery codes once.
pub async fn enrol_confirm(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    match st
        .store
        .totp_confirm(&u.session.access, &u.token, field(&f, "code").unwrap_or(""), addr.get())
        .await
    {
        Ok(codes) => enrol_view(&st, &u, StatusCode::OK, codes, "").await,
        Err(e @ (StoreError::BadRequest(_) | StoreError::Conflict(_))) => {
            enrol_view(&st, &u, StatusCode::BAD_REQUEST, vec![], &e.to_string()).await
        }
        Err(e) => Err(store_error(e)),
    }
}
