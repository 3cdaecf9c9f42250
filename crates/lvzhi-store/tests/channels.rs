//! Outbound channels, part 2 (issue 17 item 3): robots over HTTPS trusting
//! the channel's CA file (a receiver with a certificate signed by a CA made
//! here; the same receiver untrusted without the file), e-mail over SMTP and
//! SMTPS to a small SMTP receiver written here (Chinese subject and body,
//! personal numbers masked, the idempotency key as Message-ID), the admin's
//! test message, and two servers on one PostgreSQL database sending each
//! message once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(unused_macros)]
mod common;

use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use lvzhi_store::Store;
use lvzhi_store::outbox::ChannelInput;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A CA and a server certificate for localhost/127.0.0.1 it signed, the CA
/// written as PEM into a fresh directory: (CA file, server config).
fn tls_setup() -> (std::path::PathBuf, Arc<rustls::ServerConfig>) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "县政务内网测试CA");
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "lvzhi-channels-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    (ca_file, Arc::new(cfg))
}

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    key: String,
    body: String,
}

/// Reads one HTTP request, answers 500 to the first `fail` requests of each
/// idempotency key, then 200 with `ok_body`.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    fail: usize,
    ok_body: &str,
    got: &Mutex<Vec<Got>>,
    seen: &Mutex<HashMap<String, usize>>,
) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let (head, body) = loop {
        let n = s.read(&mut tmp).await.unwrap_or(0);
        buf.extend_from_slice(&tmp[..n]);
        let t = String::from_utf8_lossy(&buf).to_string();
        if let Some((h, b)) = t.split_once("\r\n\r\n") {
            let len: usize = h
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if b.len() >= len {
                break (h.to_string(), b.to_string());
            }
        }
        if n == 0 {
            return;
        }
    };
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("X-Idempotency-Key: "))
        .unwrap_or("")
        .to_string();
    got.lock().unwrap().push(Got {
        path: head.split_whitespace().nth(1).unwrap().to_string(),
        key: key.clone(),
        body,
    });
    let n = {
        let mut seen = seen.lock().unwrap();
        let n = seen.entry(key).or_default();
        *n += 1;
        *n
    };
    let resp = if n <= fail {
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
    } else {
        // Chunked, as the real robots answer.
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{ok_body}\r\n0\r\n\r\n",
            ok_body.len()
        )
    };
    let _ = s.write_all(resp.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// A local HTTPS receiver (see [`answer`]): its port and what it got.
async fn https_receiver(
    cfg: Arc<rustls::ServerConfig>,
    fail: usize,
    ok_body: &'static str,
) -> (u16, Arc<Mutex<Vec<Got>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = l.accept().await.unwrap();
            // An untrusting client gives up in the handshake: not a request.
            if let Ok(mut s) = acceptor.accept(tcp).await {
                answer(&mut s, fail, ok_body, &g, &seen).await;
            }
        }
    });
    (port, got)
}

/// A local plain HTTP receiver that answers every request at once.
async fn http_receiver() -> (u16, Arc<Mutex<Vec<Got>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let (g, seen) = (g.clone(), seen.clone());
            tokio::spawn(async move { answer(&mut s, 0, r#"{"errcode":0}"#, &g, &seen).await });
        }
    });
    (port, got)
}

/// 交办 of a 信访 case to 应急管理局: two notices (its clerk and head); its id.
async fn assign(s: &Store, w: &World) -> i64 {
    petition_assigned_to_yj(s, w, "拖欠工程款联系电话13812345678").await
}

fn later(t: jiff::Timestamp, secs: i64) -> jiff::Timestamp {
    t.checked_add(jiff::SignedDuration::from_secs(secs)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_robots_trust_the_channels_ca_file() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let s = db.open().await;
    let w = World::setup(s.clone()).await;
    let (ca_file, cfg) = tls_setup();
    let (ding_port, ding_got) = https_receiver(cfg.clone(), 2, r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let (wecom_port, wecom_got) = https_receiver(cfg, 0, r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let secret = "SEC0123456789abcdef";
    let ding = s
        .add_channel(
            &w.admin,
            ChannelInput {
                kind: "dingtalk".into(),
                name: "钉钉值班群".into(),
                url: format!("https://localhost:{ding_port}/robot/send?access_token=tok987654"),
                secret: secret.into(),
                ca_file: ca_file.display().to_string(),
                ..ChannelInput::default()
            },
        )
        .await
        .unwrap();
    // The same kind of server, its CA not given: the system's CAs do not know it.
    s.add_channel(
        &w.admin,
        ChannelInput {
            kind: "wecom".into(),
            name: "企业微信（未配置CA）".into(),
            url: format!("https://127.0.0.1:{wecom_port}/cgi-bin/webhook/send?key=abcdef"),
            ..ChannelInput::default()
        },
    )
    .await
    .unwrap();
    // Only http(s) addresses for robots.
    let e = s
        .add_channel(
            &w.admin,
            ChannelInput {
                kind: "wecom".into(),
                name: "错".into(),
                url: "ftp://x/y".into(),
                ..ChannelInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("https://"), "{e}");

    // The admin's test message, now, outside the outbox (after two 500s: the third goes through).
    assert!(s.test_channel(&w.office, ding).await.is_err(), "the admin's only");
    let t1 = s.test_channel(&w.admin, ding).await.unwrap();
    assert!(t1.unwrap_err().contains("500"));
    assert!(s.test_channel(&w.admin, ding).await.unwrap().is_err());
    s.test_channel(&w.admin, ding).await.unwrap().unwrap();
    let test_msg = ding_got.lock().unwrap().last().unwrap().clone();
    assert!(test_msg.body.contains("测试消息"), "{}", test_msg.body);
    ding_got.lock().unwrap().clear();

    // One message per channel for the two notices of the 交办.
    assign(&s, &w).await;
    let t0 = later(s.now(), 10);
    // 钉钉 answers 500 to the first two attempts; 企业微信 is not trusted.
    assert_eq!(s.deliver_due_at(t0).await.unwrap().failed, 2);
    assert!(
        wecom_got.lock().unwrap().is_empty(),
        "no request without a trusted certificate"
    );
    let log = s.deliveries(&w.admin, 100).await.unwrap();
    let untrusted: Vec<_> = log.iter().filter(|d| d.channel.contains("未配置CA")).collect();
    assert_eq!(untrusted.len(), 1);
    assert!(
        untrusted
            .iter()
            .all(|d| d.status == "pending" && (d.last_error.contains("TLS") || d.last_error.contains("CA"))),
        "{untrusted:?}"
    );
    // A change that leaves the secret blank keeps it (the signature below is made with it).
    s.update_channel(
        &w.admin,
        ding,
        ChannelInput {
            kind: "dingtalk".into(),
            name: "钉钉值班群（改名）".into(),
            ca_file: ca_file.display().to_string(),
            ..ChannelInput::default()
        },
    )
    .await
    .unwrap();
    let shown = s.channels(&w.admin).await.unwrap();
    assert!(
        shown[0].secret_set && shown[0].url.ends_with("access_token=tok9****"),
        "{shown:?}"
    );
    assert!(!serde_json::to_string(&shown).unwrap().contains(secret));
    // 钉钉's second 500s and the untrusted ones again; then 钉钉 goes through.
    let t1 = later(t0, 31);
    assert_eq!(s.deliver_due_at(t1).await.unwrap().failed, 2);
    let t2 = later(t1, 61);
    let p = s.deliver_due_at(t2).await.unwrap();
    assert_eq!((p.delivered, p.failed), (1, 1));
    assert!(wecom_got.lock().unwrap().is_empty());
    let got = ding_got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "three attempts of the message");
    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for g in &got {
        *per_key.entry(g.key.as_str()).or_default() += 1;
        let q: HashMap<&str, &str> = g
            .path
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        assert_eq!(q["access_token"], "tok987654");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{}\n{secret}", q["timestamp"]).as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(percent_decode(q["sign"]), want);
        let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
        let c = v["text"]["content"].as_str().unwrap();
        assert!(
            c.contains("交办") && c.contains("138****5678") && !c.contains("13812345678"),
            "{c}"
        );
    }
    assert_eq!(per_key.len(), 1);
    assert!(per_key.values().all(|n| *n == 3), "{per_key:?}");
    assert!(per_key.keys().all(|k| k.starts_with("lvzhi-")));
    let log = s.deliveries(&w.admin, 100).await.unwrap();
    assert!(
        log.iter()
            .filter(|d| d.channel.starts_with("钉钉"))
            .all(|d| d.status == "delivered" && d.attempts == 3),
        "{log:?}"
    );
    s.close().await;
    db.remove().await;
}

/// What the SMTP receiver got: the AUTH line decoded, MAIL FROM, RCPT TO, the data.
#[derive(Debug, Clone, Default)]
struct Mail {
    auth: String,
    from: String,
    to: Vec<String>,
    data: String,
}

/// Speaks enough SMTP for one session: EHLO (offering AUTH PLAIN), AUTH,
/// MAIL, RCPT, DATA, QUIT.
async fn smtp_session<S: AsyncRead + AsyncWrite + Unpin>(s: S, got: &Mutex<Vec<Mail>>) {
    let (r, mut w) = tokio::io::split(s);
    let mut r = tokio::io::BufReader::new(r);
    let mut m = Mail::default();
    let _ = w.write_all(b"220 mail.test ESMTP\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        use tokio::io::AsyncBufReadExt;
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_string();
        let up = cmd.to_ascii_uppercase();
        let reply: &[u8] = if up.starts_with("EHLO") || up.starts_with("HELO") {
            b"250-mail.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if up.starts_with("AUTH PLAIN") {
            let b = cmd.split_whitespace().nth(2).unwrap_or("");
            let raw = base64::engine::general_purpose::STANDARD.decode(b).unwrap_or_default();
            m.auth = String::from_utf8_lossy(&raw).replace('\0', "|");
            b"235 2.7.0 ok\r\n"
        } else if up.starts_with("MAIL FROM") {
            m.from = cmd.clone();
            b"250 ok\r\n"
        } else if up.starts_with("RCPT TO") {
            m.to.push(cmd.clone());
            b"250 ok\r\n"
        } else if up == "DATA" {
            let _ = w.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                use tokio::io::AsyncBufReadExt;
                if r.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            m.data = data;
            got.lock().unwrap().push(m.clone());
            b"250 2.0.0 queued\r\n"
        } else if up == "QUIT" {
            let _ = w.write_all(b"221 bye\r\n").await;
            return;
        } else if up == "RSET" || up == "NOOP" {
            b"250 ok\r\n"
        } else {
            b"502 unknown\r\n"
        };
        let _ = w.write_all(reply).await;
    }
}

/// A local SMTP receiver, plain or (with a config) TLS from the first byte.
async fn smtp_receiver(tls: Option<Arc<rustls::ServerConfig>>) -> (u16, Arc<Mutex<Vec<Mail>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = l.accept().await.unwrap();
            let g = g.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(cfg) => {
                        if let Ok(s) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await {
                            smtp_session(s, &g).await;
                        }
                    }
                    None => smtp_session(tcp, &g).await,
                }
            });
        }
    });
    (port, got)
}

/// The subject (RFC 2047 encoded words joined) and the base64 body of a message.
fn parse_mail(data: &str) -> (HashMap<String, String>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let mut headers: HashMap<String, String> = HashMap::new();
    let mut last = String::new();
    for l in head.split("\r\n") {
        if l.starts_with(' ') || l.starts_with('\t') {
            headers.get_mut(&last).unwrap().push_str(l.trim_start());
        } else if let Some((k, v)) = l.split_once(':') {
            last = k.to_ascii_lowercase();
            headers.insert(last.clone(), v.trim().to_string());
        }
    }
    // RFC 2047: encoded words (any case), their bytes joined; plain text kept.
    let words = |v: &str| -> String {
        let mut bytes = Vec::new();
        let mut rest = v;
        while let Some(i) = rest.to_ascii_lowercase().find("=?utf-8?b?") {
            let plain = rest[..i].trim();
            bytes.extend_from_slice(plain.as_bytes());
            let after = &rest[i + 10..];
            let end = after.find("?=").unwrap();
            bytes.extend(base64::engine::general_purpose::STANDARD.decode(&after[..end]).unwrap());
            rest = &after[end + 2..];
        }
        bytes.extend_from_slice(rest.trim().as_bytes());
        String::from_utf8(bytes).unwrap()
    };
    let subject = words(headers.get("subject").map(String::as_str).unwrap_or(""));
    headers.insert("subject".into(), subject);
    let b64: String = body.split_whitespace().collect();
    let text = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
        .unwrap()
        .replace("\r\n", "\n");
    (headers, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_smtp_and_smtps() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let s = db.open().await;
    let w = World::setup(s.clone()).await;
    let (ca_file, cfg) = tls_setup();
    let (plain_port, plain_got) = smtp_receiver(None).await;
    let (tls_port, tls_got) = smtp_receiver(Some(cfg)).await;
    let mail = |name: &str, url: String, ca: String| ChannelInput {
        kind: "email".into(),
        name: name.into(),
        url,
        secret: "邮箱密码Pw1".into(),
        smtp_user: "duty@jq.gov.cn".into(),
        mail_from: "履职系统 <duty@jq.gov.cn>".into(),
        mail_to: "office@jq.gov.cn，leader@jq.gov.cn".into(),
        ca_file: ca,
        ..ChannelInput::default()
    };
    // Checked before stored.
    for (bad, want) in [
        (
            ChannelInput {
                url: "http://x".into(),
                ..mail("坏", String::new(), String::new())
            },
            "smtp://",
        ),
        (
            ChannelInput {
                mail_to: "不是地址".into(),
                ..mail("坏", "smtp://127.0.0.1:25".into(), String::new())
            },
            "收件人",
        ),
    ] {
        let e = s.add_channel(&w.admin, bad).await.unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
    s.add_channel(
        &w.admin,
        mail("内网邮件", format!("smtp://127.0.0.1:{plain_port}"), String::new()),
    )
    .await
    .unwrap();
    s.add_channel(
        &w.admin,
        mail(
            "政务邮箱",
            format!("smtps://localhost:{tls_port}"),
            ca_file.display().to_string(),
        ),
    )
    .await
    .unwrap();
    let shown = serde_json::to_string(&s.channels(&w.admin).await.unwrap()).unwrap();
    for hidden in [
        "邮箱密码Pw1",
        "duty@jq.gov.cn\"",
        "office@jq.gov.cn",
        "leader@jq.gov.cn",
    ] {
        assert!(!shown.contains(hidden), "{hidden} in {shown}");
    }
    assign(&s, &w).await;
    let p = s.deliver_due_at(later(s.now(), 10)).await.unwrap();
    assert_eq!(
        (p.delivered, p.failed),
        (2, 0),
        "{:?}",
        s.deliveries(&w.admin, 10).await.unwrap()
    );
    let log = s.deliveries(&w.admin, 10).await.unwrap();
    for got in [plain_got, tls_got] {
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        for m in &got {
            assert_eq!(m.auth, "|duty@jq.gov.cn|邮箱密码Pw1");
            assert!(m.from.contains("<duty@jq.gov.cn>"), "{}", m.from);
            assert_eq!(m.to.len(), 2);
            let (h, text) = parse_mail(&m.data);
            assert_eq!(h["subject"], "【履职】交办：拖欠工程款联系电话138****5678");
            assert!(text.starts_with("交办：拖欠工程款联系电话138****5678\n\n"), "{text}");
            assert!(
                text.contains("由本单位办理") && text.contains("履职系统自动发送"),
                "{text}"
            );
            assert!(!text.contains("13812345678") && !text.contains("张三"), "{text}");
            let id = h["message-id"]
                .trim_matches(['<', '>'])
                .trim_end_matches("@lvzhi")
                .to_string();
            assert!(log.iter().any(|d| d.idem_key == id), "{id}");
            assert!(h["content-type"].contains("charset=utf-8"), "{h:?}");
        }
    }
    s.close().await;
    db.remove().await;
}

/// Two servers on one PostgreSQL database pass over the outbox at the same
/// time: each message reaches its receiver once (the claim), none is lost;
/// five 交办 and five 催办 in a row make one message per kind and channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_send_each_message_once() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let one = db.open().await;
    let two = db.open().await;
    let w = World::setup(one.clone()).await;
    let (port, got) = http_receiver().await;
    for i in 0..3 {
        one.add_channel(
            &w.admin,
            ChannelInput {
                kind: "wecom".into(),
                name: format!("群{i}"),
                url: format!("http://127.0.0.1:{port}/send?key={i}"),
                ..ChannelInput::default()
            },
        )
        .await
        .unwrap();
    }
    for _ in 0..5 {
        let id = assign(&one, &w).await;
        one.urge(&w.office, id, "请尽快办理").await.unwrap();
    }
    let t = later(one.now(), 10);
    let (a, b) = tokio::join!(one.deliver_due_at(t), two.deliver_due_at(t));
    let (a, b) = (a.unwrap(), b.unwrap());
    let got = got.lock().unwrap().clone();
    let mut keys: Vec<&str> = got.iter().map(|g| g.key.as_str()).collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    one.close().await;
    two.close().await;
    db.remove().await;
    assert_eq!(a.delivered + b.delivered, 6, "{a:?} {b:?}");
    assert_eq!(n, 6, "each of 2 kinds × 3 channels sent once");
    assert_eq!(keys.len(), 6);
    let texts: Vec<String> = got
        .iter()
        .map(|g| {
            serde_json::from_str::<serde_json::Value>(&g.body).unwrap()["text"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts.iter().filter(|t| t.starts_with("【履职】交办共5项")).count(),
        3,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.starts_with("【履职】催办共5项")).count(),
        3,
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| t.contains("5. ") && t.contains("138****5678")),
        "{texts:?}"
    );
}
