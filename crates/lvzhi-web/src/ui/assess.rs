//! 考核测评 pages (issue 9): the office's campaign list, set-up form, code
//! sheet, live turnout, open/close and results with downloads; and the
//! evaluator's ballot at `/vote` (no login, mobile-first), the receipt and
//! the receipt check.
//!
//! The office's forms carry the session's CSRF token like every form. The
//! ballot form has no session: the one-time code in it is the credential
//! (unguessable, limited per IP by [`crate::service::assess::Guard`]), and a POST
//! whose `Origin` or `Sec-Fetch-Site` says it came from another site is
//! refused before anything is looked up.

use super::render::{Chrome, Names, PageResult, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use crate::auth::ClientIp;
use crate::service::assess::chinese;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lvzhi_core::Decimal;
use lvzhi_core::access::Role;
use lvzhi_core::assess::{CampaignDef, Grade, GroupDef, Item, SubjectDef};
use lvzhi_store::StoreError;
use lvzhi_store::assess::{CLOSED, DRAFT, OPEN};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

fn state_label(s: &str) -> &'static str {
    match s {
        DRAFT => "未开始",
        OPEN => "进行中",
        CLOSED => "已结束",
        _ => "未知",
    }
}

fn manager(u: &UiUser) -> bool {
    matches!(u.session.access.role, Role::Admin | Role::Office)
}

fn reader(u: &UiUser) -> Result<(), Response> {
    if matches!(u.session.access.role, Role::Admin | Role::Office | Role::Auditor) {
        Ok(())
    } else {
        Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "只有管理员、政府办或审计监督可以查看民主测评。",
        ))
    }
}

fn assess_css() -> String {
    super::asset_url("assess.css")
}

/// A row of the campaign list.
pub struct CampaignRow {
    id: i64,
    year: i64,
    title: String,
    state: &'static str,
    opens: String,
    closes: String,
}

#[derive(Template)]
#[template(path = "assess_list.html")]
struct ListPage {
    chrome: Chrome,
    extra_css: String,
    title: String,
    can_manage: bool,
    rows: Vec<CampaignRow>,
}

/// `GET /assess`
pub async fn list(State(st): State<AppState>, u: UiUser) -> PageResult {
    reader(&u)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let rows = st
        .store
        .campaigns(&u.session.access)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            year: c.year,
            title: c.title,
            state: state_label(&c.state),
            opens: when(&c.opens_at),
            closes: when(&c.closes_at),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &ListPage {
            chrome: Chrome::new(&st.store, &u, &names, "/assess"),
            extra_css: assess_css(),
            title: "考核测评".into(),
            can_manage: manager(&u),
            rows,
        },
    ))
}

/// A leader offered as a subject.
pub struct LeaderOption {
    id: i64,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "assess_new.html")]
struct NewPage {
    chrome: Chrome,
    extra_css: String,
    title: String,
    csrf: String,
    errors: Vec<String>,
    year: String,
    name: String,
    groups: String,
    leaders: Vec<LeaderOption>,
    others: String,
    opens: String,
    closes: String,
    min_ballots: String,
}

/// The minimum number of ballots the set-up form offers.
const DEFAULT_MIN_BALLOTS: u32 = 10;

const DEFAULT_GROUPS: &str = "县级领导 30\n部门主要负责人 40\n乡镇党政正职 30";

async fn new_page_with(
    st: &AppState,
    u: &UiUser,
    form: &[(String, String)],
    errors: Vec<String>,
) -> Result<Response, Response> {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let people = st.store.people().await.map_err(store_error)?;
    let submitted = !form.is_empty();
    let chosen: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "leader")
        .map(|(_, v)| v.as_str())
        .collect();
    let leaders = people
        .iter()
        .filter(|p| p.is_leader)
        .map(|p| LeaderOption {
            id: p.id,
            label: if p.post.is_empty() {
                p.name.clone()
            } else {
                format!("{}（{}）", p.name, p.post)
            },
            checked: !submitted || chosen.contains(&p.id.to_string().as_str()),
        })
        .collect();
    let today = st.store.today();
    let get = |k: &str, d: String| field(form, k).map(str::to_string).unwrap_or(d);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(
        status,
        &NewPage {
            chrome: Chrome::new(&st.store, u, &names, "/assess"),
            extra_css: assess_css(),
            title: "新建民主测评".into(),
            csrf: u.session.csrf.clone(),
            errors,
            year: get("year", today.year().to_string()),
            name: get("name", format!("{}年度县级领导干部述职述廉述德民主测评", today.year())),
            groups: get("groups", DEFAULT_GROUPS.into()),
            leaders,
            others: get("others", String::new()),
            opens: get("opens", format!("{today}T08:00")),
            closes: get("closes", format!("{today}T18:00")),
            min_ballots: get("min_ballots", DEFAULT_MIN_BALLOTS.to_string()),
        },
    ))
}

/// `GET /assess/new`
pub async fn new_page(State(st): State<AppState>, u: UiUser) -> PageResult {
    if !manager(&u) {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "只有管理员或政府办可以新建民主测评。",
        ));
    }
    new_page_with(&st, &u, &[], vec![]).await
}

fn local_time(s: &str, label: &str, errors: &mut Vec<String>) -> Option<jiff::Timestamp> {
    let t = s
        .trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(lvzhi_core::time::shanghai()).ok())
        .map(|z| z.timestamp());
    if t.is_none() {
        errors.push(format!("{label}“{s}”不是有效时间"));
    }
    t
}

/// Parses the set-up form into a campaign; every problem at once.
fn parse_def(f: &[(String, String)], people: &[lvzhi_store::org::Person]) -> Result<CampaignDef, Vec<String>> {
    let mut errors = Vec::new();
    let year = field(f, "year")
        .unwrap_or("")
        .trim()
        .parse::<i32>()
        .unwrap_or_else(|_| {
            errors.push("年度应为四位数字".into());
            0
        });
    let mut groups = Vec::new();
    for line in field(f, "groups")
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let line = line.trim_end_matches(['%', '％']);
        let split = line.rfind(|c: char| c.is_whitespace() || c == '：' || c == ':');
        match split.map(|i| {
            (
                line[..i].trim(),
                line[i..].trim_start_matches([' ', '：', ':', '\t']).trim(),
            )
        }) {
            Some((name, w)) if !name.is_empty() => match w.trim_end_matches(['%', '％']).parse::<Decimal>() {
                Ok(weight) => groups.push(GroupDef {
                    name: name.to_string(),
                    weight,
                }),
                Err(_) => errors.push(format!("测评组“{line}”的权重不是数字")),
            },
            _ => errors.push(format!("测评组“{line}”应写成“名称 权重”，如“县级领导 30”")),
        }
    }
    let mut subjects = Vec::new();
    for (_, v) in f.iter().filter(|(k, _)| k == "leader") {
        if let Some(p) = v.parse::<i64>().ok().and_then(|id| people.iter().find(|p| p.id == id)) {
            subjects.push(SubjectDef {
                name: p.name.clone(),
                post: p.post.clone(),
                person_id: Some(p.id),
            });
        }
    }
    for line in field(f, "others")
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let mut parts = line.splitn(2, char::is_whitespace);
        let name = parts.next().unwrap_or("").trim().to_string();
        let post = parts.next().unwrap_or("").trim().to_string();
        subjects.push(SubjectDef {
            name,
            post,
            person_id: None,
        });
    }
    // Empty: no minimum.
    let min_ballots = match field(f, "min_ballots").map(str::trim).unwrap_or("") {
        "" => 0,
        t => t.parse::<u32>().unwrap_or_else(|_| {
            errors.push(format!("最少有效票数“{t}”应为非负整数"));
            0
        }),
    };
    let opens = local_time(field(f, "opens").unwrap_or(""), "开始时间", &mut errors);
    let closes = local_time(field(f, "closes").unwrap_or(""), "结束时间", &mut errors);
    let (Some(opens_at), Some(closes_at)) = (opens, closes) else {
        return Err(errors);
    };
    let def = CampaignDef {
        min_ballots,
        year,
        title: field(f, "name").unwrap_or("").trim().to_string(),
        groups,
        subjects,
        opens_at,
        closes_at,
    };
    if let Err(es) = def.validate() {
        errors.extend(es.into_iter().map(|e| format!("{}：{}", e.label, e.message)));
    }
    if errors.is_empty() { Ok(def) } else { Err(errors) }
}

/// `POST /assess/new`
pub async fn create(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let people = st.store.people().await.map_err(store_error)?;
    let def = match parse_def(&f, &people) {
        Ok(d) => d,
        Err(errors) => return new_page_with(&st, &u, &f, errors).await,
    };
    match st.store.create_campaign(&u.session.access, &def).await {
        Ok(id) => Ok(see_other(&format!("/assess/{id}"))),
        Err(StoreError::Invalid(es)) => {
            let errors = es.into_iter().map(|e| format!("{}：{}", e.label, e.message)).collect();
            new_page_with(&st, &u, &f, errors).await
        }
        Err(e) => Err(store_error(e)),
    }
}

/// A group row of the campaign page.
pub struct GroupRow {
    id: i64,
    name: String,
    weight: String,
    issued: i64,
    voted: i64,
    rate: String,
}

#[derive(Template)]
#[template(path = "assess_show.html")]
struct ShowPage {
    chrome: Chrome,
    extra_css: String,
    title: String,
    csrf: String,
    id: i64,
    year: i64,
    state: &'static str,
    is_draft: bool,
    is_open: bool,
    is_closed: bool,
    can_manage: bool,
    opens: String,
    closes: String,
    min_ballots: i64,
    subjects: Vec<String>,
    groups: Vec<GroupRow>,
    issued: i64,
    voted: i64,
    notice: String,
    refresh: bool,
}

/// The query of the campaign page.
#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    msg: Option<String>,
}

fn parse_id(s: &str) -> Result<i64, Response> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| super::render::error_page(StatusCode::NOT_FOUND, "未找到", "没有这个测评。"))
}

/// `GET /assess/{id}` — the campaign, live turnout and actions.
pub async fn show(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    reader(&u)?;
    let id = parse_id(&id)?;
    let c = st.store.campaign(id).await.map_err(store_error)?;
    let turnout = st.store.turnout(&u.session.access, id).await.map_err(store_error)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let groups: Vec<GroupRow> = c
        .groups
        .iter()
        .map(|g| {
            let t = turnout.iter().find(|t| t.group_id == g.id);
            GroupRow {
                id: g.id,
                name: g.name.clone(),
                weight: format!("{}%", g.weight.normalize()),
                issued: t.map(|t| t.issued).unwrap_or(0),
                voted: t.map(|t| t.voted).unwrap_or(0),
                rate: t
                    .and_then(|t| t.rate)
                    .map(|r| format!("{r}%"))
                    .unwrap_or_else(|| "—".into()),
            }
        })
        .collect();
    let notice = match q.msg.as_deref() {
        Some("opened") => "测评已开启，测评人可凭选票码在 /vote 投票。",
        Some("closed") => "测评已结束，计票结果已公布。",
        _ => "",
    };
    Ok(page(
        StatusCode::OK,
        &ShowPage {
            chrome: Chrome::new(&st.store, &u, &names, "/assess"),
            extra_css: assess_css(),
            title: c.title.clone(),
            csrf: u.session.csrf.clone(),
            id,
            year: c.year,
            state: state_label(&c.state),
            is_draft: c.state == DRAFT,
            is_open: c.state == OPEN,
            is_closed: c.state == CLOSED,
            can_manage: manager(&u),
            opens: when(&c.opens_at),
            closes: when(&c.closes_at),
            min_ballots: c.min_ballots,
            subjects: c
                .subjects
                .iter()
                .map(|s| {
                    if s.post.is_empty() {
                        s.name.clone()
                    } else {
                        format!("{}（{}）", s.name, s.post)
                    }
                })
                .collect(),
            issued: groups.iter().map(|g| g.issued).sum(),
            voted: groups.iter().map(|g| g.voted).sum(),
            groups,
            notice: notice.into(),
            refresh: c.state == OPEN,
        },
    ))
}

/// `POST /assess/{id}/open`
pub async fn open(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    st.store
        .open_campaign(&u.session.access, id)
        .await
        .map_err(store_error)?;
    Ok(see_other(&format!("/assess/{id}?msg=opened")))
}

/// `POST /assess/{id}/close` — closes and publishes.
pub async fn close(State(st): State<AppState>, u: UiUser, Path(id): Path<String>, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    st.store
        .close_campaign(&u.session.access, id)
        .await
        .map_err(store_error)?;
    Ok(see_other(&format!("/assess/{id}/results")))
}

/// A cut-out cell of the code sheet.
pub struct CodeCell {
    n: usize,
    code: String,
    /// The code as a QR code (inline SVG).
    qr: String,
}

/// `text` as a QR code, an inline SVG drawn here (no network, no image
/// library). The QR code holds the ballot code only, never a URL: a scanner
/// at the voting desk types it into the code form, which POSTs it.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(q) => {
            let svg = q
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(120, 120)
                .quiet_zone(true)
                .build();
            // Inline in HTML: without the XML declaration.
            svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_string())
        }
        Err(_) => String::new(),
    }
}

#[derive(Template)]
#[template(path = "assess_tokens.html")]
struct TokensPage {
    css: String,
    extra_css: String,
    js: String,
    title: String,
    group: String,
    id: i64,
    vote_url: String,
    cells: Vec<CodeCell>,
}

/// `POST /assess/{id}/tokens` — issues codes and shows them once, as a
/// printable sheet (one code per cut-out cell).
pub async fn tokens(
    State(st): State<AppState>,
    u: UiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    f: FormBody,
) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let group = field(&f, "group").and_then(|g| g.parse::<i64>().ok()).unwrap_or(0);
    let count = field(&f, "count")
        .and_then(|g| g.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let c = st.store.campaign(id).await.map_err(store_error)?;
    let codes = st
        .store
        .issue_tokens(&u.session.access, id, group, count)
        .await
        .map_err(store_error)?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("本系统地址");
    Ok(page(
        StatusCode::OK,
        &TokensPage {
            css: super::asset_url("app.css"),
            extra_css: assess_css(),
            js: super::asset_url("assess.js"),
            title: c.title.clone(),
            group: c
                .groups
                .iter()
                .find(|g| g.id == group)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            id,
            vote_url: format!("http://{host}/vote"),
            cells: codes
                .into_iter()
                .enumerate()
                .map(|(i, code)| CodeCell {
                    n: i + 1,
                    qr: qr_svg(&code),
                    code,
                })
                .collect(),
        },
    ))
}

/// A line of the results table.
pub struct ResultRow {
    subject: String,
    first: bool,
    span: usize,
    item: String,
    shares: Vec<String>,
    good: String,
}

#[derive(Template)]
#[template(path = "assess_results.html")]
struct ResultsPage {
    chrome: Chrome,
    extra_css: String,
    title: String,
    id: i64,
    intro: Vec<String>,
    turnout: Vec<[String; 5]>,
    rows: Vec<ResultRow>,
    objective: Vec<[String; 5]>,
    duty: Vec<(String, String)>,
    recount_ok: bool,
    recount_problems: Vec<String>,
    recount_ballots: u64,
}

/// `GET /assess/{id}/results`
pub async fn results(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    reader(&u)?;
    let id = parse_id(&id)?;
    let a = &u.session.access;
    let r = st.store.campaign_results(a, id).await.map_err(store_error)?;
    let objective = lvzhi_report::assess_sheet::objective(&st.store, st.engine(), a, &r.campaign, st.store.today())
        .await
        .map_err(|e| super::render::error_page(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", &e.to_string()))?;
    let urls: Vec<String> = objective
        .iter()
        .map(|o| o.duty_report_url.clone().unwrap_or_default())
        .collect();
    let sheet = lvzhi_report::assess_sheet::Sheet::new(&r, objective, st.store.today());
    let duty: Vec<(String, String)> = sheet.duty_lines().into_iter().zip(urls).collect();
    let mut rows = Vec::new();
    for line in sheet.result_rows().into_iter().skip(1) {
        let first = rows.last().map(|p: &ResultRow| p.subject != line[0]).unwrap_or(true);
        rows.push(ResultRow {
            subject: line[0].clone(),
            first,
            span: Item::ALL.len(),
            item: line[1].clone(),
            shares: line[2..6].to_vec(),
            good: line[6].clone(),
        });
    }
    let rc = st.store.recount(a, id).await.map_err(store_error)?;
    let names = Names::load(&st.store).await.map_err(store_error)?;
    Ok(page(
        StatusCode::OK,
        &ResultsPage {
            chrome: Chrome::new(&st.store, &u, &names, "/assess"),
            extra_css: assess_css(),
            title: format!("{} 测评结果", r.campaign.title),
            id,
            intro: sheet.intro(),
            turnout: sheet.turnout_rows().into_iter().skip(1).collect(),
            rows,
            objective: sheet.objective_rows().into_iter().skip(1).collect(),
            duty,
            recount_ok: rc.ok(),
            recount_problems: rc.problems.clone(),
            recount_ballots: rc.ballots,
        },
    ))
}

/// `GET /assess/{id}/sheet.docx` and `.xlsx` — the result sheet for the browser.
pub async fn sheet(State(st): State<AppState>, u: UiUser, Path((id, ext)): Path<(String, String)>) -> PageResult {
    reader(&u)?;
    let id = parse_id(&id)?;
    let (bytes, ctype, name) = st
        .result_sheet(&u.session.access, id, &ext)
        .await
        .map_err(|e| super::render::error_page(e.status, "无法生成测评结果表", &e.message))?;
    let mut r = crate::download::file(bytes, ctype, &name);
    super::render::secure_headers(&mut r);
    Ok(r)
}

// ---------------------------------------------------------------- evaluators

/// One grade choice of a ballot row.
pub struct Choice {
    name: String,
    value: &'static str,
    id: String,
    checked: bool,
}

/// One item of a subject on the ballot.
pub struct BallotItem {
    label: &'static str,
    choices: Vec<Choice>,
    missing: bool,
}

/// One subject on the ballot.
pub struct BallotSubject {
    name: String,
    post: String,
    items: Vec<BallotItem>,
}

#[derive(Template)]
#[template(path = "assess_vote.html")]
struct VotePage {
    css: String,
    extra_css: String,
    title: String,
    error: String,
    code: String,
    campaign: i64,
    subjects: Vec<BallotSubject>,
}

#[derive(Template)]
#[template(path = "assess_vote_code.html")]
struct CodePage {
    css: String,
    extra_css: String,
    error: String,
    code: String,
}

#[derive(Template)]
#[template(path = "assess_receipt.html")]
struct ReceiptPage {
    css: String,
    extra_css: String,
    receipt: String,
    just_voted: bool,
    checked: bool,
    counted: bool,
    campaigns: Vec<String>,
}

fn code_page(status: StatusCode, error: &str, code: &str) -> Response {
    page(
        status,
        &CodePage {
            css: super::asset_url("app.css"),
            extra_css: assess_css(),
            error: error.into(),
            code: code.into(),
        },
    )
}

fn evaluator_status(e: &StoreError) -> (StatusCode, String) {
    if let StoreError::BadRequest(_) = e {
        // The guard's refusal (the only BadRequest on this path).
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "输入错误的选票码次数过多，请一分钟后再试。".into(),
        );
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        return (status, "服务器内部错误，请稍后重试。".into());
    }
    (status, format!("{}。", chinese(&e.to_string())))
}

/// `GET /vote` — enter the code.
pub async fn vote_home() -> Response {
    code_page(StatusCode::OK, "", "")
}

async fn ballot_page(
    st: &AppState,
    ip: Option<std::net::IpAddr>,
    code: &str,
    chosen: &HashMap<String, String>,
    error: &str,
) -> Response {
    let b = match st.ballot(ip, code).await {
        Ok(b) => b,
        Err(e) => {
            let (status, msg) = evaluator_status(&e);
            return code_page(status, &msg, code);
        }
    };
    let submitted = !chosen.is_empty();
    let subjects = b["subjects"]
        .as_array()
        .map(|v| v.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let sid = s["id"].as_i64().unwrap_or(0);
            BallotSubject {
                name: s["name"].as_str().unwrap_or("").into(),
                post: s["post"].as_str().unwrap_or("").into(),
                items: Item::ALL
                    .iter()
                    .enumerate()
                    .map(|(k, item)| {
                        let name = format!("g{sid}_{k}");
                        let current = chosen.get(&name).map(String::as_str);
                        BallotItem {
                            label: item.label(),
                            missing: submitted && current.is_none(),
                            choices: Grade::ALL
                                .iter()
                                .enumerate()
                                .map(|(gi, g)| Choice {
                                    id: format!("{name}_{gi}"),
                                    name: name.clone(),
                                    value: g.label(),
                                    checked: current == Some(g.label()),
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        status,
        &VotePage {
            css: super::asset_url("app.css"),
            extra_css: assess_css(),
            title: b["campaign"]["title"].as_str().unwrap_or("").into(),
            error: error.into(),
            code: lvzhi_core::assess::display_code(
                &lvzhi_core::assess::normalize_code(code, lvzhi_core::assess::TOKEN_LEN).unwrap_or_default(),
            ),
            campaign: b["campaign"]["id"].as_i64().unwrap_or(0),
            subjects,
        },
    )
}

/// The query of `/vote/receipt`.
#[derive(serde::Deserialize, Default)]
pub struct CodeQuery {
    code: Option<String>,
}

/// `POST /vote/open` (the code form) — the ballot. The code travels in the
/// body only: never in a URL, so never in a browser's history, a proxy's or
/// the server's access log.
pub async fn vote_open(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    f: FormBody,
) -> Response {
    if !same_site(&headers) {
        return code_page(StatusCode::FORBIDDEN, "请从本系统的投票页面输入选票码。", "");
    }
    let f = match super::session::form(f) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let code = field(&f, "code").unwrap_or("").to_string();
    if code.trim().is_empty() {
        return code_page(StatusCode::BAD_REQUEST, "请输入选票上的选票码。", "");
    }
    ballot_page(&st, ip, &code, &HashMap::new(), "").await
}

/// Whether a POST came from this site (no `Origin`/`Sec-Fetch-Site` from elsewhere).
fn same_site(headers: &HeaderMap) -> bool {
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (
        headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest == host).unwrap_or(false),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// `POST /vote` — casts the ballot (all or nothing) and shows the receipt.
pub async fn vote_cast(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    f: FormBody,
) -> Response {
    if !same_site(&headers) {
        return code_page(StatusCode::FORBIDDEN, "请从本系统的投票页面提交选票。", "");
    }
    let f = match super::session::form(f) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let code = field(&f, "code").unwrap_or("").to_string();
    let campaign = field(&f, "campaign").and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
    let chosen: HashMap<String, String> = f
        .iter()
        .filter(|(k, _)| k.starts_with('g'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // g{subject}_{item} → {"subject": {"德": "优秀", …}}
    let mut grades: Map<String, Value> = Map::new();
    for (k, v) in &chosen {
        let Some((s, i)) = k[1..].split_once('_') else { continue };
        let Some(item) = i.parse::<usize>().ok().and_then(|i| Item::ALL.get(i)) else {
            continue;
        };
        let entry = grades.entry(s.to_string()).or_insert_with(|| json!({}));
        entry[item.label()] = json!(v);
    }
    match st.cast(ip, campaign, &code, &Value::Object(grades)).await {
        Ok(receipt) => page(
            StatusCode::CREATED,
            &ReceiptPage {
                css: super::asset_url("app.css"),
                extra_css: assess_css(),
                receipt,
                just_voted: true,
                checked: false,
                counted: true,
                campaigns: vec![],
            },
        ),
        Err(StoreError::Invalid(es)) => {
            let missing = es.len();
            let msg =
                format!("还有{missing}项未选择等次，请为每位测评对象的每一项选择一个等次后再提交。选票尚未投出。");
            ballot_page(&st, ip, &code, &chosen, &msg).await
        }
        Err(e) => {
            let (status, msg) = evaluator_status(&e);
            code_page(status, &msg, "")
        }
    }
}

/// `GET /vote/receipt?code=…` — whether a receipt was counted.
pub async fn receipt(State(st): State<AppState>, Query(q): Query<CodeQuery>) -> Response {
    let code = q.code.unwrap_or_default();
    let checked = !code.trim().is_empty();
    let found = if checked {
        st.store.find_receipt(&code).await.unwrap_or_default()
    } else {
        vec![]
    };
    page(
        StatusCode::OK,
        &ReceiptPage {
            css: super::asset_url("app.css"),
            extra_css: assess_css(),
            receipt: code.trim().to_uppercase(),
            just_voted: false,
            checked,
            counted: !found.is_empty(),
            campaigns: found.into_iter().map(|(_, t)| t).collect(),
        },
    )
}
