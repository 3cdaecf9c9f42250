//! Outbound channels and the outbox (issue 17 item 3, migration 0020).
//!
//! The admin configures channels: a 企业微信 group robot, a 钉钉 robot with its
//! signing secret, a generic SMS HTTP gateway, e-mail over SMTP (migration
//! 0027). Each notice inserted gets one
//! outbox row per enabled channel from a database trigger, i.e. in the same
//! transaction as the notice and the change it reports. The sender
//! ([`Store::deliver_due`], run by `lvzhi serve`) delivers pending rows after
//! commit, at least once: a row stays `pending` until a receiver answers 2xx
//! (and, for the robots, `errcode` 0), so rows left by a crash are sent after
//! the restart. Failures are retried with exponential backoff (30 s doubling,
//! at most one hour) and the same idempotency key (`X-Idempotency-Key`
//! header); after [`MAX_ATTEMPTS`] the row is `failed`. Texts are Chinese,
//! masked (mobile and ID numbers in free text) and cut to the channel's limit.
//!
//! The transports are in [`crate::transport`]: HTTP/1.1 over TCP or TLS
//! (rustls on ring, certificates checked against the channel's CA file or the
//! system bundle) and SMTP (`lettre` on the same rustls). Before sending, a
//! server claims the row for [`LEASE_SECS`] (a conditional update), so two
//! servers on one database do not both send it; a server killed after its
//! claim leaves the row to be sent when the lease runs out.
//!
//! A channel has an audience (migration 0030): every notice (the default),
//! or the notices addressed to the accounts of some units and/or to the
//! 县级领导 (a unit's own robot group, a leaders' group); and optionally only
//! some kinds of notice (an SMS channel carrying 超期升级 and 催办 only). The
//! trigger applies it when the notice is written; the sender applies the same
//! rule ([`AUDIENCE_SQL`]) when it lists the items of a merged message.

use crate::db::P;
pub use crate::transport::Request;
use crate::transport::{Mail, TlsCache, send_http, send_mail};
use crate::writer::Cmd;
use crate::{Store, StoreError};
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::time::stamp;
use serde::Serialize;

/// After this many failed attempts a message is `failed` and no longer sent.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long a server's claim on a message lasts (longer than one delivery's
/// time limit); after it, another pass — on any server — may send it.
pub const LEASE_SECS: i64 = 45;

/// The kinds of channel.
pub const KINDS: &[&str] = &["wecom", "dingtalk", "sms", "email"];

/// The kinds of notice a channel may be narrowed to (labels:
/// [`crate::notices::kind_label`]).
pub const NOTICE_KINDS: &[&str] = crate::notices::KINDS;

/// Whether notice `n` (its `user_id`, `kind`) is in the audience of channel
/// `c` — the trigger's rule (migration 0030) in SQL both backends run;
/// `$L` is bound to `true` (booleans are bound, not written, across backends).
pub const AUDIENCE_SQL: &str = "(c.audience = 'all' \
     OR EXISTS (SELECT 1 FROM users u JOIN channel_units cu ON cu.unit_id = u.unit_id WHERE u.id = n.user_id AND cu.channel_id = c.id) \
     OR (c.leaders = $L AND EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.role = 'leader'))) \
     AND (NOT EXISTS (SELECT 1 FROM channel_kinds ck WHERE ck.channel_id = c.id) \
     OR EXISTS (SELECT 1 FROM channel_kinds ck WHERE ck.channel_id = c.id AND ck.kind = n.kind))";

/// A channel as the admin configures it.
#[derive(Debug, Clone, Default)]
pub struct ChannelInput {
    /// `wecom` (企业微信群机器人), `dingtalk` (钉钉机器人), `sms` (短信网关),
    /// `email` (电子邮件).
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The webhook or gateway address (`http://` or `https://`); for e-mail
    /// the SMTP server (`smtp://host:port`, `smtps://host:port`).
    pub url: String,
    /// 钉钉's signing secret (`SEC…`), the SMTP password; empty for the others.
    pub secret: String,
    /// `POST` or `GET` (SMS gateway).
    pub method: String,
    /// The SMS body template with `{phone}` and `{text}` (a JSON template gets
    /// JSON-escaped values, any other URL-encoded ones).
    pub body_template: String,
    /// The phone the SMS gateway sends to (the duty phone).
    pub phone: String,
    /// A PEM file of the CAs to trust for `https://`/`smtps://` (empty: the
    /// system's CA bundle).
    pub ca_file: String,
    /// The SMTP login.
    pub smtp_user: String,
    /// The sender's address.
    pub mail_from: String,
    /// The recipients, comma-separated.
    pub mail_to: String,
    /// The units whose accounts' notices the channel carries. With
    /// `leaders` false and no unit, the channel carries every notice.
    pub units: Vec<i64>,
    /// Whether the channel carries the notices addressed to the 县级领导.
    pub leaders: bool,
    /// The kinds of notice it carries ([`NOTICE_KINDS`]); empty: every kind.
    pub notice_kinds: Vec<String>,
}

/// A channel as the admin reads it back: secrets never in full.
#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_label: &'static str,
    /// Name.
    pub name: String,
    /// The address with its key/token values masked.
    pub url: String,
    /// Whether a signing secret is set ("已设置").
    pub secret_set: bool,
    /// Method.
    pub method: String,
    /// The phone, masked.
    pub phone: String,
    /// Enabled.
    pub enabled: bool,
    /// The SMS body template (no secret in it).
    pub body_template: String,
    /// The CA file's path.
    pub ca_file: String,
    /// The SMTP login, masked.
    pub smtp_user: String,
    /// The sender's address.
    pub mail_from: String,
    /// The recipients, each masked.
    pub mail_to: String,
    /// `all` (every notice) or `units` (the units' and/or the leaders').
    pub audience: String,
    /// The units of a `units` audience, by id.
    pub units: Vec<i64>,
    /// Their names, in the units' order.
    pub unit_names: Vec<String>,
    /// Whether the notices to the 县级领导 are carried.
    pub leaders: bool,
    /// The kinds of notice carried; empty: every kind.
    pub notice_kinds: Vec<String>,
    /// The audience in Chinese: "全部通知", "应急管理局、县级领导的催办、超期升级通知".
    pub audience_label: String,
}

/// One row of the delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The notice.
    pub notice_id: i64,
    /// The notice's title.
    pub title: String,
    /// The channel's name.
    pub channel: String,
    /// The idempotency key.
    pub idem_key: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error (empty when none).
    pub last_error: String,
    /// When the next attempt is due.
    pub next_at: String,
    /// When delivered.
    pub delivered_at: Option<String>,
    /// When written (with its notice).
    pub created_at: String,
}

/// What one sender pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Delivered.
    pub delivered: u64,
    /// Failed this time (to be retried, or given up).
    pub failed: u64,
}

/// A channel kind in Chinese.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "wecom" => "企业微信群机器人",
        "dingtalk" => "钉钉机器人",
        "sms" => "短信网关",
        "email" => "电子邮件",
        _ => "未知渠道",
    }
}

/// The most a channel's text may hold: 企业微信 text content 2048 bytes,
/// 钉钉 text 20000 bytes (kept at 4000 characters), one 70-character SMS,
/// an e-mail 10000 characters.
fn limit(kind: &str) -> Limit {
    match kind {
        "wecom" => Limit::Bytes(2048),
        "dingtalk" => Limit::Chars(4000),
        "email" => Limit::Chars(10000),
        _ => Limit::Chars(70),
    }
}

enum Limit {
    Bytes(usize),
    Chars(usize),
}

/// Cuts `s` to the limit, ending with "…" when cut.
fn cut(s: &str, l: Limit) -> String {
    let fits = |t: &str, extra: usize| match l {
        Limit::Bytes(n) => t.len() + extra <= n,
        Limit::Chars(n) => t.chars().count() + extra <= n,
    };
    if fits(s, 0) {
        return s.to_string();
    }
    let ell = match l {
        Limit::Bytes(_) => '…'.len_utf8(),
        Limit::Chars(_) => 1,
    };
    let mut out = String::new();
    for c in s.chars() {
        let mut t = out.clone();
        t.push(c);
        if !fits(&t, ell) {
            break;
        }
        out = t;
    }
    out.push('…');
    out
}

/// Masks personal numbers in free text: runs of 11 digits (mobiles) and of
/// 18 characters of ID numbers, with the project's masking helpers.
pub fn mask_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || (j - i == 17 && matches!(chars[j], 'X' | 'x'))) {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            out.push_str(&match run.len() {
                11 => lvzhi_core::ids::mask_phone(&run),
                18 => lvzhi_core::ids::mask_id_card(&run),
                _ => run,
            });
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Masks the values of an address's query (`key=abcd…` → `key=abcd****`).
fn mask_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let q: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{k}={}****", v.chars().take(4).collect::<String>()),
            None => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", q.join("&"))
}

/// Masks an e-mail address's local part (`zhangsan@x.cn` → `zh****@x.cn`).
fn mask_mail(a: &str) -> String {
    match a.trim().split_once('@') {
        Some((l, d)) => format!("{}****@{d}", l.chars().take(2).collect::<String>()),
        None if a.trim().is_empty() => String::new(),
        None => format!("{}****", a.trim().chars().take(2).collect::<String>()),
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// 钉钉's signature: base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)).
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The request a channel makes for `text` (already masked and cut).
#[allow(clippy::too_many_arguments)]
fn request(
    kind: &str,
    url: &str,
    secret: &str,
    method: &str,
    template: &str,
    phone: &str,
    text: &str,
    now: Timestamp,
) -> Request {
    match kind {
        "wecom" | "dingtalk" => {
            let mut url = url.to_string();
            if kind == "dingtalk" && !secret.is_empty() {
                let ts = now.as_millisecond();
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{sep}timestamp={ts}&sign={}",
                    url_encode(&dingtalk_sign(ts, secret))
                );
            }
            Request {
                method: "POST".into(),
                url,
                content_type: "application/json; charset=utf-8",
                body: serde_json::json!({"msgtype": "text", "text": {"content": text}}).to_string(),
            }
        }
        _ => {
            let json = template.trim_start().starts_with('{');
            let esc = |v: &str| {
                if json {
                    let q = serde_json::Value::String(v.to_string()).to_string();
                    q[1..q.len() - 1].to_string()
                } else {
                    url_encode(v)
                }
            };
            let fill = |t: &str| t.replace("{phone}", &esc(phone)).replace("{text}", &esc(text));
            if method.eq_ignore_ascii_case("GET") {
                let fill_url = url
                    .replace("{phone}", &url_encode(phone))
                    .replace("{text}", &url_encode(text));
                Request {
                    method: "GET".into(),
                    url: fill_url,
                    content_type: "text/plain",
                    body: String::new(),
                }
            } else {
                Request {
                    method: "POST".into(),
                    url: url.to_string(),
                    content_type: if json {
                        "application/json; charset=utf-8"
                    } else {
                        "application/x-www-form-urlencoded; charset=utf-8"
                    },
                    body: fill(template),
                }
            }
        }
    }
}

fn admin(a: &Access) -> Result<(), StoreError> {
    if a.role == Role::Admin {
        Ok(())
    } else {
        Err(StoreError::Forbidden("只有系统管理员可以设置通知渠道".into()))
    }
}

/// The columns a delivery needs of a channel, in this order.
const CHANNEL_COLS: &str =
    "c.kind, c.url, c.secret, c.method, c.body_template, c.phone, c.ca_file, c.smtp_user, c.mail_from, c.mail_to";

/// What binds a sealed channel secret (the 钉钉 signing secret, the SMTP
/// password) to its column.
pub(crate) const SECRET_AAD: &str = "channels.secret";

/// A channel secret as stored: sealed when a key is loaded, empty kept empty
/// (so "已设置" stays true only for a secret that was given).
fn seal(keys: &crate::crypt::Keys, secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        keys.seal_secret(SECRET_AAD, secret)
    }
}

/// A channel's settings as the sender uses them (secrets in full).
struct Dest {
    kind: String,
    url: String,
    secret: String,
    method: String,
    template: String,
    phone: String,
    ca_file: String,
    smtp_user: String,
    mail_from: String,
    mail_to: String,
}

impl Dest {
    /// From the [`CHANNEL_COLS`] starting at column `at`, the secret opened
    /// with `keys` (sealed at rest, issue 18); a secret no loaded key opens
    /// reads as empty, so the delivery fails visibly instead of signing wrong.
    fn from_row(r: &crate::db::Row, at: usize, keys: &crate::crypt::Keys) -> Dest {
        Dest {
            kind: r.t(at),
            url: r.t(at + 1),
            secret: keys.open_secret(SECRET_AAD, &r.t(at + 2)).unwrap_or_default(),
            method: r.t(at + 3),
            template: r.t(at + 4),
            phone: r.t(at + 5),
            ca_file: r.t(at + 6),
            smtp_user: r.t(at + 7),
            mail_from: r.t(at + 8),
            mail_to: r.t(at + 9),
        }
    }

    /// Delivers one notice (title and body masked and cut here) with `idem`.
    async fn deliver(
        &self,
        title: &str,
        body: &str,
        idem: &str,
        now: Timestamp,
        tls: &mut TlsCache,
    ) -> Result<(), String> {
        if self.kind == "email" {
            let subject = cut(&mask_text(&format!("【履职】{title}")), Limit::Chars(120));
            let text = cut(
                &mask_text(&format!(
                    "{title}\n\n{body}\n\n——履职系统自动发送，请登录系统查看详情。"
                )),
                limit("email"),
            );
            let m = Mail {
                url: &self.url,
                user: &self.smtp_user,
                password: &self.secret,
                from: &self.mail_from,
                to: &self.mail_to,
                ca_file: &self.ca_file,
            };
            return send_mail(&m, &subject, &text, idem).await;
        }
        let text = cut(&mask_text(&format!("【履职】{title}\n{body}")), limit(&self.kind));
        let req = request(
            &self.kind,
            &self.url,
            &self.secret,
            &self.method,
            &self.template,
            &self.phone,
            &text,
            now,
        );
        send_http(&req, idem, &self.ca_file, tls).await
    }
}

/// At most this many items are named in a merged message (the rest counted).
const GROUP_NAMED: usize = 20;

/// The title and body of a merged message: "催办共104项（office）", the items numbered.
fn group_compose(kind: &str, actor: &str, lines: &[String]) -> (String, String) {
    let label = crate::notices::kind_label(kind);
    let unit = if kind == "digest" { "人" } else { "项" };
    let by = if actor.is_empty() {
        String::new()
    } else {
        format!("（{actor}）")
    };
    let title = format!("{label}共{}{unit}{by}", lines.len());
    let mut body = String::new();
    for (i, l) in lines.iter().take(GROUP_NAMED).enumerate() {
        if i > 0 {
            body.push('\n');
        }
        body.push_str(&format!("{}. {l}", i + 1));
    }
    if lines.len() > GROUP_NAMED {
        body.push_str(&format!("\n……等共{}{unit}，详见履职系统站内信。", lines.len()));
    }
    (title, body)
}

/// Checks a channel's settings; answers the method to store.
fn check(c: &ChannelInput) -> Result<&'static str, StoreError> {
    let bad = |m: &str| Err(StoreError::BadRequest(m.into()));
    if !KINDS.contains(&c.kind.as_str()) {
        return bad("渠道类型须为企业微信群机器人、钉钉机器人、短信网关或电子邮件");
    }
    if c.name.trim().is_empty() {
        return bad("渠道名称不能为空");
    }
    if c.kind == "email" {
        crate::transport::smtp_address(c.url.trim()).map_err(StoreError::BadRequest)?;
        if c.mail_from.trim().parse::<lettre::message::Mailbox>().is_err() {
            return bad("请填写有效的发件人地址");
        }
        crate::transport::recipients(&c.mail_to).map_err(StoreError::BadRequest)?;
        return Ok("POST");
    }
    if !(c.url.starts_with("http://") || c.url.starts_with("https://")) {
        return bad("地址须以http://或https://开头");
    }
    let method = if c.method.eq_ignore_ascii_case("GET") {
        "GET"
    } else {
        "POST"
    };
    if c.kind == "sms" && (c.phone.trim().is_empty() || (method == "POST" && !c.body_template.contains("{text}"))) {
        return bad("短信网关须填写接收手机号，POST方式的请求体模板须含{text}");
    }
    Ok(method)
}

/// A channel's audience in Chinese: "全部通知", "应急管理局、县级领导的全部通知",
/// "全部人员的催办、超期升级通知".
pub fn audience_label(unit_names: &[String], leaders: bool, notice_kinds: &[String]) -> String {
    let mut who: Vec<&str> = unit_names.iter().map(String::as_str).collect();
    if leaders {
        who.push("县级领导");
    }
    let kinds: Vec<&str> = NOTICE_KINDS
        .iter()
        .filter(|k| notice_kinds.iter().any(|n| n == *k))
        .map(|k| crate::notices::kind_label(k))
        .collect();
    match (who.is_empty(), kinds.is_empty()) {
        (true, true) => "全部通知".into(),
        (true, false) => format!("全部人员的{}通知", kinds.join("、")),
        (false, true) => format!("{}的全部通知", who.join("、")),
        (false, false) => format!("{}的{}通知", who.join("、"), kinds.join("、")),
    }
}

/// A channel's audience as stored: units (each once, ascending) and kinds
/// (each once, in [`NOTICE_KINDS`] order), checked.
struct Audience {
    units: Vec<i64>,
    leaders: bool,
    kinds: Vec<String>,
}

impl Audience {
    /// `all` or `units`.
    fn name(&self) -> &'static str {
        if self.units.is_empty() && !self.leaders {
            "all"
        } else {
            "units"
        }
    }

    /// The statements that replace channel `id`'s units and kinds (`id` is
    /// SQL: a literal, or a subquery finding a channel just inserted).
    fn statements(&self, id: &str, id_params: &[P]) -> Vec<(String, Vec<P>)> {
        let n = id_params.len();
        let mut out = vec![
            (
                format!("DELETE FROM channel_units WHERE channel_id = {id}"),
                id_params.to_vec(),
            ),
            (
                format!("DELETE FROM channel_kinds WHERE channel_id = {id}"),
                id_params.to_vec(),
            ),
        ];
        for u in &self.units {
            let mut p = id_params.to_vec();
            p.push(P::I(*u));
            out.push((
                format!(
                    "INSERT INTO channel_units (channel_id, unit_id) VALUES ({id}, ${})",
                    n + 1
                ),
                p,
            ));
        }
        for k in &self.kinds {
            let mut p = id_params.to_vec();
            p.push(P::T(k.clone()));
            out.push((
                format!("INSERT INTO channel_kinds (channel_id, kind) VALUES ({id}, ${})", n + 1),
                p,
            ));
        }
        out
    }
}

impl Store {
    /// Checks a channel's audience: every unit must exist (the error names
    /// the id), every kind be one of [`NOTICE_KINDS`].
    async fn audience(&self, c: &ChannelInput) -> Result<Audience, StoreError> {
        let mut kinds = Vec::new();
        for k in &c.notice_kinds {
            if !NOTICE_KINDS.contains(&k.as_str()) {
                return Err(StoreError::BadRequest(format!(
                    "通知类型“{k}”无效，须为交办、退回、催办、临期、超期、超期升级、延期、进展、办结、测评或每日提醒"
                )));
            }
        }
        for k in NOTICE_KINDS {
            if c.notice_kinds.iter().any(|n| n == k) {
                kinds.push((*k).to_string());
            }
        }
        let mut units = c.units.clone();
        units.sort_unstable();
        units.dedup();
        if !units.is_empty() {
            let mut conn = self.pool.acquire().await?;
            let known: std::collections::HashSet<i64> = conn
                .conn()
                .rows("SELECT id FROM units", &[])
                .await?
                .iter()
                .map(|r| r.i(0))
                .collect();
            if let Some(u) = units.iter().find(|u| !known.contains(u)) {
                return Err(StoreError::BadRequest(format!("接收范围中的单位（编号{u}）不存在")));
            }
        }
        Ok(Audience {
            units,
            leaders: c.leaders,
            kinds,
        })
    }

    /// Adds a channel (admin only); messages of notices written from now on
    /// go to it.
    pub async fn add_channel(&self, a: &Access, c: ChannelInput) -> Result<i64, StoreError> {
        admin(a)?;
        let method = check(&c)?;
        let aud = self.audience(&c).await?;
        let created = stamp(self.now());
        // The writer runs these in one transaction, one at a time: the
        // newest channel of this name and time is the one just inserted.
        let mut statements = aud.statements(
            "(SELECT MAX(id) FROM channels WHERE name = $1 AND created_at = $2)",
            &[P::T(c.name.trim().into()), P::T(created.clone())],
        );
        statements.drain(..2);
        self.writer
            .send(Cmd::QuietEach {
                statements: [(
                    "INSERT INTO channels (kind, name, url, secret, method, body_template, phone, enabled, created_at, \
                     ca_file, smtp_user, mail_from, mail_to, audience, leaders) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                        .to_string(),
                    vec![
                        P::T(c.kind),
                        P::T(c.name.trim().into()),
                        P::T(c.url.trim().into()),
                        P::T(seal(&self.keys, &c.secret)),
                        P::T(method.into()),
                        P::T(c.body_template),
                        P::T(c.phone.trim().into()),
                        P::B(true),
                        P::T(created),
                        P::T(c.ca_file.trim().into()),
                        P::T(c.smtp_user.trim().into()),
                        P::T(c.mail_from.trim().into()),
                        P::T(c.mail_to.trim().into()),
                        P::T(aud.name().into()),
                        P::B(aud.leaders),
                    ],
                )]
                .into_iter()
                .chain(statements)
                .collect(),
            })
            .await?;
        let mut conn = self.pool.acquire().await?;
        let rows = conn.conn().rows("SELECT MAX(id) FROM channels", &[]).await?;
        Ok(rows.first().map(|r| r.i(0)).unwrap_or(0))
    }

    /// Changes a channel (admin only). An empty `secret`, `url`, `phone`,
    /// `smtp_user` or `mail_to` keeps the one set: the admin reads them back
    /// masked only, so cannot send them again.
    pub async fn update_channel(&self, a: &Access, id: i64, c: ChannelInput) -> Result<(), StoreError> {
        admin(a)?;
        let old = self.channel_dest(id).await?;
        if old.kind != c.kind {
            return Err(StoreError::BadRequest("渠道类型不能修改，请新建渠道".into()));
        }
        let keep = |new: &str, old: String| if new.trim().is_empty() { old } else { new.to_string() };
        let c = ChannelInput {
            secret: keep(&c.secret, old.secret),
            url: keep(&c.url, old.url),
            phone: keep(&c.phone, old.phone),
            smtp_user: keep(&c.smtp_user, old.smtp_user),
            mail_to: keep(&c.mail_to, old.mail_to),
            ..c
        };
        let secret = seal(&self.keys, &c.secret);
        let method = check(&c)?;
        let aud = self.audience(&c).await?;
        self.writer
            .send(Cmd::QuietEach {
                statements: [(
                    "UPDATE channels SET name = $1, url = $2, secret = $3, method = $4, body_template = $5, phone = $6, \
                     ca_file = $7, smtp_user = $8, mail_from = $9, mail_to = $10, audience = $12, leaders = $13 WHERE id = $11"
                        .to_string(),
                    vec![
                        P::T(c.name.trim().into()),
                        P::T(c.url.trim().into()),
                        P::T(secret),
                        P::T(method.into()),
                        P::T(c.body_template),
                        P::T(c.phone.trim().into()),
                        P::T(c.ca_file.trim().into()),
                        P::T(c.smtp_user.trim().into()),
                        P::T(c.mail_from.trim().into()),
                        P::T(c.mail_to.trim().into()),
                        P::I(id),
                        P::T(aud.name().into()),
                        P::B(aud.leaders),
                    ],
                )]
                .into_iter()
                .chain(aud.statements("$1", &[P::I(id)]))
                .collect(),
            })
            .await?;
        Ok(())
    }

    /// Turns a channel on or off (admin only): notices written while it is
    /// off get no message on it; messages already in the outbox still go.
    pub async fn set_channel_enabled(&self, a: &Access, id: i64, enabled: bool) -> Result<(), StoreError> {
        admin(a)?;
        self.channel_dest(id).await?;
        self.writer
            .send(Cmd::QuietEach {
                statements: vec![(
                    "UPDATE channels SET enabled = $1 WHERE id = $2".into(),
                    vec![P::B(enabled), P::I(id)],
                )],
            })
            .await?;
        Ok(())
    }

    /// A channel's settings, secrets in full (the sender's, never shown).
    async fn channel_dest(&self, id: i64) -> Result<Dest, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = conn
            .conn()
            .row(
                &format!("SELECT {CHANNEL_COLS} FROM channels c WHERE c.id = $1"),
                &[P::I(id)],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound("没有这个渠道".into()))?;
        Ok(Dest::from_row(&row, 0, &self.keys))
    }

    /// Sends a test message on a channel now (admin only), outside the
    /// outbox; answers the receiver's error in Chinese when it fails.
    pub async fn test_channel(&self, a: &Access, id: i64) -> Result<Result<(), String>, StoreError> {
        admin(a)?;
        let t = self.channel_dest(id).await?;
        let now = self.now();
        let z = now.to_zoned(lvzhi_core::time::shanghai());
        let at = format!("{} {}", lvzhi_core::time::date_cn(z.date()), z.strftime("%H:%M"));
        let idem = format!("lvzhi-test-{id}-{}", now.as_millisecond());
        Ok(t.deliver(
            "测试消息",
            &format!("这是履职系统发出的测试消息（{at}），收到即表示渠道设置正确。"),
            &idem,
            now,
            &mut TlsCache::default(),
        )
        .await)
    }

    /// The channels (admin only), secrets masked.
    pub async fn channels(&self, a: &Access) -> Result<Vec<Channel>, StoreError> {
        admin(a)?;
        let mut conn = self.pool.acquire().await?;
        let rows = conn
            .conn()
            .rows(
                "SELECT id, kind, name, url, secret, method, phone, enabled, body_template, ca_file, smtp_user, mail_from, mail_to, \
                 audience, leaders FROM channels ORDER BY id",
                &[],
            )
            .await?;
        let mut units: std::collections::HashMap<i64, Vec<(i64, String)>> = Default::default();
        for r in conn
            .conn()
            .rows(
                "SELECT cu.channel_id, u.id, u.name FROM channel_units cu JOIN units u ON u.id = cu.unit_id \
                 ORDER BY u.sort, u.id",
                &[],
            )
            .await?
        {
            units.entry(r.i(0)).or_default().push((r.i(1), r.t(2)));
        }
        let mut kinds: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for r in conn
            .conn()
            .rows("SELECT channel_id, kind FROM channel_kinds", &[])
            .await?
        {
            kinds.entry(r.i(0)).or_default().push(r.t(1));
        }
        Ok(rows
            .iter()
            .map(|r| {
                let kind = r.t(1);
                let id = r.i(0);
                let us = units.remove(&id).unwrap_or_default();
                let unit_names: Vec<String> = us.iter().map(|u| u.1.clone()).collect();
                let ks = kinds.remove(&id).unwrap_or_default();
                let notice_kinds: Vec<String> = NOTICE_KINDS
                    .iter()
                    .filter(|k| ks.iter().any(|n| n == *k))
                    .map(|k| (*k).to_string())
                    .collect();
                let leaders = r.b(14);
                Channel {
                    id,
                    kind_label: kind_label(&kind),
                    kind,
                    name: r.t(2),
                    url: mask_url(&r.t(3)),
                    secret_set: !r.t(4).is_empty(),
                    method: r.t(5),
                    phone: if r.t(6).is_empty() {
                        String::new()
                    } else {
                        lvzhi_core::ids::mask_phone(&r.t(6))
                    },
                    enabled: r.b(7),
                    body_template: r.t(8),
                    ca_file: r.t(9),
                    smtp_user: mask_mail(&r.t(10)),
                    mail_from: r.t(11),
                    mail_to: r
                        .t(12)
                        .split([',', ';', '，', '；'])
                        .filter(|s| !s.trim().is_empty())
                        .map(mask_mail)
                        .collect::<Vec<_>>()
                        .join(", "),
                    audience: r.t(13),
                    audience_label: audience_label(&unit_names, leaders, &notice_kinds),
                    units: us.iter().map(|u| u.0).collect(),
                    unit_names,
                    leaders,
                    notice_kinds,
                }
            })
            .collect())
    }

    /// The delivery log (admin only), newest first.
    pub async fn deliveries(&self, a: &Access, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        admin(a)?;
        let mut conn = self.pool.acquire().await?;
        let rows = conn
            .conn()
            .rows(
                "SELECT o.id, o.notice_id, n.title, c.name, o.idem_key, o.status, o.attempts, o.last_error, o.next_at, o.delivered_at, o.created_at, o.grouped \
                 FROM outbox o JOIN notices n ON n.id = o.notice_id JOIN channels c ON c.id = o.channel_id \
                 ORDER BY o.id DESC LIMIT $1",
                &[P::I(limit.clamp(1, 500))],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Delivery {
                id: r.i(0),
                notice_id: r.i(1),
                title: if r.i(11) > 1 {
                    format!("{}（等{}条通知合并发送）", mask_text(&r.t(2)), r.i(11))
                } else {
                    mask_text(&r.t(2))
                },
                channel: r.t(3),
                idem_key: r.t(4),
                status: r.t(5),
                attempts: r.i(6),
                last_error: r.t(7),
                next_at: r.t(8),
                delivered_at: r.ot(9),
                created_at: r.t(10),
            })
            .collect())
    }

    /// The text of a message that stands for several notices of one kind
    /// by one actor (notices `first..=last` in channel `channel`'s audience,
    /// the rule the trigger applied): how many items, and their titles (each
    /// record once; a digest names its reader).
    async fn group_text(
        &self,
        channel: i64,
        first: i64,
        last: i64,
        kind: &str,
        actor: &str,
        one: (String, String),
    ) -> Result<(String, String), StoreError> {
        let rows = {
            let mut conn = self.pool.acquire().await?;
            conn.conn()
                .rows(
                    &format!(
                        "SELECT n.record_id, n.title, r.display_name FROM notices n JOIN users r ON r.id = n.user_id \
                         WHERE n.id >= $1 AND n.id <= $2 AND n.kind = $3 AND n.actor_name = $4 \
                         AND EXISTS (SELECT 1 FROM channels c WHERE c.id = $5 AND {}) ORDER BY n.id",
                        AUDIENCE_SQL.replace("$L", "$6")
                    ),
                    &[
                        P::I(first),
                        P::I(last),
                        P::T(kind.into()),
                        P::T(actor.into()),
                        P::I(channel),
                        P::B(true),
                    ],
                )
                .await?
        };
        let mut seen = std::collections::HashSet::new();
        let lines: Vec<String> = rows
            .iter()
            .filter(|r| r.oi(0).is_none_or(|id| seen.insert(id)))
            .map(|r| match r.oi(0) {
                Some(_) => r.t(1),
                None => format!("{}：{}", r.t(2), r.t(1)),
            })
            .collect();
        // One item told to several people (a 交办 to the clerk and the head): the notice's own text.
        if lines.len() <= 1 {
            return Ok(one);
        }
        Ok(group_compose(kind, actor, &lines))
    }

    /// One sender pass at the store's clock.
    pub async fn deliver_due(&self) -> Result<Pass, StoreError> {
        self.deliver_due_at(self.now()).await
    }

    /// One sender pass: sends every pending message due at `now` (at most
    /// 100; a message is due 10 s after the last notice merged into it),
    /// records each outcome. Each is first claimed for [`LEASE_SECS`]
    /// (a row another server claimed is skipped). A message whose receiver
    /// fails is due again after 30 s × 2^(attempts−1), at most an hour.
    pub async fn deliver_due_at(&self, now: Timestamp) -> Result<Pass, StoreError> {
        let rows = {
            let mut conn = self.pool.acquire().await?;
            conn.conn()
                .rows(
                    &format!(
                        "SELECT o.id, o.idem_key, o.attempts, o.next_at, n.title, n.body, {CHANNEL_COLS}, \
                         o.notice_id, o.last_notice_id, o.grouped, n.kind, n.actor_name, o.channel_id \
                         FROM outbox o JOIN notices n ON n.id = o.notice_id JOIN channels c ON c.id = o.channel_id \
                         WHERE o.status = 'pending' AND o.next_at <= $1 ORDER BY o.id LIMIT 100"
                    ),
                    &[P::T(stamp(now))],
                )
                .await?
        };
        let mut pass = Pass::default();
        let mut tls = TlsCache::default();
        let lease = now
            .checked_add(jiff::SignedDuration::from_secs(LEASE_SECS))
            .unwrap_or(now);
        for r in rows {
            // The claim: only the server whose update finds the row as read
            // (not grown by another notice since) sends it; sealed, it takes
            // no more notices, so every attempt sends the same text.
            let claimed = self
                .writer
                .send(Cmd::QuietEach {
                    statements: vec![(
                        "UPDATE outbox SET next_at = $1, sealed = 1 WHERE id = $2 AND status = 'pending' AND next_at = $3 AND grouped = $4"
                            .into(),
                        vec![P::T(stamp(lease)), P::I(r.i(0)), P::T(r.t(3)), P::I(r.i(18))],
                    )],
                })
                .await?;
            if !matches!(claimed, crate::writer::Out::Ids(ref n) if n.first() == Some(&1)) {
                continue;
            }
            let target = Dest::from_row(&r, 6, &self.keys);
            let attempts = r.i(2) + 1;
            let (title, body) = if r.i(18) > 1 {
                self.group_text(
                    r.i(21),
                    r.i(16),
                    r.oi(17).unwrap_or(r.i(16)),
                    &r.t(19),
                    &r.t(20),
                    (r.t(4), r.t(5)),
                )
                .await?
            } else {
                (r.t(4), r.t(5))
            };
            let (sql, params) = match target.deliver(&title, &body, &r.t(1), now, &mut tls).await {
                Ok(()) => {
                    pass.delivered += 1;
                    (
                        "UPDATE outbox SET status = 'delivered', attempts = $1, last_error = '', delivered_at = $2 WHERE id = $3 AND status = 'pending'",
                        vec![P::I(attempts), P::T(stamp(now)), P::I(r.i(0))],
                    )
                }
                Err(e) => {
                    pass.failed += 1;
                    let wait = 30i64.saturating_mul(1 << (attempts - 1).clamp(0, 7)).min(3600);
                    let next = now.checked_add(jiff::SignedDuration::from_secs(wait)).unwrap_or(now);
                    let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                    (
                        "UPDATE outbox SET status = $1, attempts = $2, last_error = $3, next_at = $4 WHERE id = $5 AND status = 'pending'",
                        vec![
                            P::T(status.into()),
                            P::I(attempts),
                            P::T(e),
                            P::T(stamp(next)),
                            P::I(r.i(0)),
                        ],
                    )
                }
            };
            self.writer
                .send(Cmd::QuietEach {
                    statements: vec![(sql.to_string(), params)],
                })
                .await?;
        }
        Ok(pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_within_the_limit_with_an_ellipsis() {
        let s = "催办".repeat(2000);
        let w = cut(&s, Limit::Bytes(2048));
        assert!(w.len() <= 2048 && w.ends_with('…'), "{}", w.len());
        let m = cut(&s, Limit::Chars(70));
        assert_eq!(m.chars().count(), 70);
        assert_eq!(cut("短", Limit::Chars(70)), "短");
    }

    #[test]
    fn free_text_numbers_are_masked() {
        assert_eq!(
            mask_text("联系13812345678，身份证62090219900101123X。"),
            "联系138****5678，身份证620902********123X。"
        );
        assert_eq!(mask_text("第123号"), "第123号");
    }

    #[test]
    fn merged_messages_count_and_name_the_items() {
        let lines: Vec<String> = (1..=25).map(|i| format!("催办：事项{i}")).collect();
        let (t, b) = group_compose("urge", "office", &lines);
        assert_eq!(t, "催办共25项（office）");
        assert!(b.starts_with("1. 催办：事项1\n2. 催办：事项2"), "{b}");
        assert!(b.contains("20. 催办：事项20") && !b.contains("21. "), "{b}");
        assert!(b.ends_with("……等共25项，详见履职系统站内信。"), "{b}");
        let (t, _) = group_compose("digest", "", &lines[..3]);
        assert_eq!(t, "每日提醒共3人");
    }

    #[test]
    fn audiences_read_in_chinese() {
        let units = vec!["应急管理局".to_string(), "西洞镇人民政府".to_string()];
        let kinds = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(audience_label(&[], false, &[]), "全部通知");
        assert_eq!(
            audience_label(&units, false, &[]),
            "应急管理局、西洞镇人民政府的全部通知"
        );
        assert_eq!(
            audience_label(&[], true, &kinds(&["escalate", "urge"])),
            "县级领导的催办、超期升级通知"
        );
        assert_eq!(
            audience_label(&[], false, &kinds(&["digest"])),
            "全部人员的每日提醒通知"
        );
    }

    #[test]
    fn query_values_are_masked() {
        assert_eq!(mask_url("http://h/send?key=abcdef123"), "http://h/send?key=abcd****");
    }
}
