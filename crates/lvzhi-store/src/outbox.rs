//! Outbound channels and the outbox (issue 17 item 3, migration 0020).
//!
//! The admin configures channels: a 企业微信 group robot, a 钉钉 robot with its
//! signing secret, a generic SMS HTTP gateway. Each notice inserted gets one
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
//! The client speaks plain HTTP/1.1 only (no TLS stack is in the build):
//! channels must be `http://` addresses, e.g. an intranet relay.

use crate::db::P;
use crate::writer::Cmd;
use crate::{Store, StoreError};
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::time::stamp;
use serde::Serialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// After this many failed attempts a message is `failed` and no longer sent.
pub const MAX_ATTEMPTS: i64 = 8;

/// A channel as the admin configures it.
#[derive(Debug, Clone, Default)]
pub struct ChannelInput {
    /// `wecom` (企业微信群机器人), `dingtalk` (钉钉机器人), `sms` (短信网关).
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The webhook or gateway address (`http://`).
    pub url: String,
    /// 钉钉's signing secret (`SEC…`), empty for the others.
    pub secret: String,
    /// `POST` or `GET` (SMS gateway).
    pub method: String,
    /// The SMS body template with `{phone}` and `{text}` (a JSON template gets
    /// JSON-escaped values, any other URL-encoded ones).
    pub body_template: String,
    /// The phone the SMS gateway sends to (the duty phone).
    pub phone: String,
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
        _ => "未知渠道",
    }
}

/// The most a channel's text may hold: 企业微信 text content 2048 bytes,
/// 钉钉 text 20000 bytes (kept at 4000 characters), one 70-character SMS.
fn limit(kind: &str) -> Limit {
    match kind {
        "wecom" => Limit::Bytes(2048),
        "dingtalk" => Limit::Chars(4000),
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

/// One request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: String,
    /// The full address.
    pub url: String,
    /// Content type of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
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

/// Sends one request over plain HTTP/1.1; `Ok` on 2xx whose JSON body, if
/// any, has no non-zero `errcode`.
async fn send(r: &Request, idem: &str) -> Result<(), String> {
    let rest = r.url.strip_prefix("http://").ok_or("地址须以http://开头")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let io = async {
        let mut s = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("连接{addr}失败：{e}"))?;
        let head = format!(
            "{} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Idempotency-Key: {idem}\r\nConnection: close\r\n\r\n",
            r.method,
            r.content_type,
            r.body.len()
        );
        s.write_all(head.as_bytes())
            .await
            .map_err(|e| format!("发送失败：{e}"))?;
        s.write_all(r.body.as_bytes())
            .await
            .map_err(|e| format!("发送失败：{e}"))?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf)
            .await
            .map_err(|e| format!("读取应答失败：{e}"))?;
        Ok::<Vec<u8>, String>(buf)
    };
    let buf = tokio::time::timeout(Duration::from_secs(10), io)
        .await
        .map_err(|_| "10秒内无应答".to_string())??;
    let text = String::from_utf8_lossy(&buf);
    let code: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "应答不是HTTP".to_string())?;
    if !(200..300).contains(&code) {
        return Err(format!("接收方应答HTTP {code}"));
    }
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body.trim())
        && let Some(e) = v.get("errcode").and_then(|e| e.as_i64())
        && e != 0
    {
        return Err(format!(
            "接收方返回errcode {e}：{}",
            v.get("errmsg").and_then(|m| m.as_str()).unwrap_or("")
        ));
    }
    Ok(())
}

fn admin(a: &Access) -> Result<(), StoreError> {
    if a.role == Role::Admin {
        Ok(())
    } else {
        Err(StoreError::Forbidden("只有系统管理员可以设置通知渠道".into()))
    }
}

impl Store {
    /// Adds a channel (admin only); messages of notices written from now on
    /// go to it.
    pub async fn add_channel(&self, a: &Access, c: ChannelInput) -> Result<i64, StoreError> {
        admin(a)?;
        if !matches!(c.kind.as_str(), "wecom" | "dingtalk" | "sms") {
            return Err(StoreError::BadRequest(
                "渠道类型须为企业微信群机器人、钉钉机器人或短信网关".into(),
            ));
        }
        if c.name.trim().is_empty() {
            return Err(StoreError::BadRequest("渠道名称不能为空".into()));
        }
        if !c.url.starts_with("http://") {
            return Err(StoreError::BadRequest(
                "地址须以http://开头（本版本发送端不含HTTPS，请经内网转发）".into(),
            ));
        }
        let method = if c.method.eq_ignore_ascii_case("GET") {
            "GET"
        } else {
            "POST"
        };
        if c.kind == "sms" && (c.phone.trim().is_empty() || (method == "POST" && !c.body_template.contains("{text}"))) {
            return Err(StoreError::BadRequest(
                "短信网关须填写接收手机号，POST方式的请求体模板须含{text}".into(),
            ));
        }
        let out = self
            .writer
            .send(Cmd::QuietEach {
                statements: vec![(
                    "INSERT INTO channels (kind, name, url, secret, method, body_template, phone, enabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                        .into(),
                    vec![
                        P::T(c.kind),
                        P::T(c.name.trim().into()),
                        P::T(c.url),
                        P::T(c.secret),
                        P::T(method.into()),
                        P::T(c.body_template),
                        P::T(c.phone.trim().into()),
                        P::B(true),
                        P::T(stamp(self.now())),
                    ],
                )],
            })
            .await?;
        drop(out);
        let mut conn = self.pool.acquire().await?;
        let rows = conn.conn().rows("SELECT MAX(id) FROM channels", &[]).await?;
        Ok(rows.first().map(|r| r.i(0)).unwrap_or(0))
    }

    /// The channels (admin only), secrets masked.
    pub async fn channels(&self, a: &Access) -> Result<Vec<Channel>, StoreError> {
        admin(a)?;
        let mut conn = self.pool.acquire().await?;
        let rows = conn
            .conn()
            .rows(
                "SELECT id, kind, name, url, secret, method, phone, enabled FROM channels ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let kind = r.t(1);
                Channel {
                    id: r.i(0),
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
                "SELECT o.id, o.notice_id, n.title, c.name, o.idem_key, o.status, o.attempts, o.last_error, o.next_at, o.delivered_at \
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
                title: r.t(2),
                channel: r.t(3),
                idem_key: r.t(4),
                status: r.t(5),
                attempts: r.i(6),
                last_error: r.t(7),
                next_at: r.t(8),
                delivered_at: r.ot(9),
            })
            .collect())
    }

    /// One sender pass at the store's clock.
    pub async fn deliver_due(&self) -> Result<Pass, StoreError> {
        self.deliver_due_at(self.now()).await
    }

    /// One sender pass: sends every pending message due at `now` (at most
    /// 100), records each outcome. A message whose receiver fails is due
    /// again after 30 s × 2^(attempts−1), at most an hour.
    pub async fn deliver_due_at(&self, now: Timestamp) -> Result<Pass, StoreError> {
        let rows = {
            let mut conn = self.pool.acquire().await?;
            conn.conn()
                .rows(
                    "SELECT o.id, o.idem_key, o.attempts, c.kind, c.url, c.secret, c.method, c.body_template, c.phone, n.title, n.body \
                     FROM outbox o JOIN notices n ON n.id = o.notice_id JOIN channels c ON c.id = o.channel_id \
                     WHERE o.status = 'pending' AND o.next_at <= $1 ORDER BY o.id LIMIT 100",
                    &[P::T(stamp(now))],
                )
                .await?
        };
        let mut pass = Pass::default();
        for r in rows {
            let kind = r.t(3);
            let text = cut(&mask_text(&format!("【履职】{}\n{}", r.t(9), r.t(10))), limit(&kind));
            let req = request(&kind, &r.t(4), &r.t(5), &r.t(6), &r.t(7), &r.t(8), &text, now);
            let attempts = r.i(2) + 1;
            let (sql, params) = match send(&req, &r.t(1)).await {
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
    fn query_values_are_masked() {
        assert_eq!(mask_url("http://h/send?key=abcdef123"), "http://h/send?key=abcd****");
    }
}
