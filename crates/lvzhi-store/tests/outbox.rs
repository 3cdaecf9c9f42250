//! Outbound channels (issue 17 item 3): the outbox is written with each
//! notice, the sender delivers to local receivers (content Chinese and
//! masked, 钉钉 signed), retries with backoff and the same idempotency key,
//! and undelivered rows survive a restart of the store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(unused_macros)]
mod common;

use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use lvzhi_store::outbox::ChannelInput;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request a receiver got: path with query, idempotency key, body.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    key: String,
    body: String,
}

/// A local HTTP receiver answering 500 to the first `fail` requests of each
/// idempotency key, then `ok_body`. Returns its address and what it got.
async fn receiver(fail: usize, ok_body: &'static str) -> (String, Arc<Mutex<Vec<Got>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::<Got>::new()));
    let g = got.clone();
    tokio::spawn(async move {
        let mut seen: HashMap<String, usize> = HashMap::new();
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut tmp = [0u8; 4096];
            let (head, body) = loop {
                let n = s.read(&mut tmp).await.unwrap();
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
                    if b.len() >= len || n == 0 {
                        break (h.to_string(), b.to_string());
                    }
                }
            };
            let path = head.split_whitespace().nth(1).unwrap().to_string();
            let key = head
                .lines()
                .find_map(|l| l.strip_prefix("X-Idempotency-Key: "))
                .unwrap_or("")
                .to_string();
            g.lock().unwrap().push(Got {
                path,
                key: key.clone(),
                body,
            });
            let n = seen.entry(key).or_default();
            *n += 1;
            let resp = if *n <= fail {
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ok_body}",
                    ok_body.len()
                )
            };
            s.write_all(resp.as_bytes()).await.unwrap();
        }
    });
    (addr, got)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    delivered_with_retries_after_a_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    delivered_with_retries_after_a_restart(Backend::Postgres).await;
}

async fn delivered_with_retries_after_a_restart(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let s = db.open().await;
    let w = World::setup(s.clone()).await;
    let (wecom, wecom_got) = receiver(0, r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let (ding, ding_got) = receiver(0, r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let (sms, sms_got) = receiver(2, r#"{"code":"OK"}"#).await;
    let secret = "SECabc123测试密钥";
    let ch = |kind: &str, url: String| ChannelInput {
        kind: kind.into(),
        name: format!("{}通道", kind),
        url,
        ..ChannelInput::default()
    };
    // Only the admin; an address without its scheme refused with a clear message.
    assert!(
        s.add_channel(&w.office, ch("wecom", format!("http://{wecom}/x")))
            .await
            .is_err()
    );
    let e = s
        .add_channel(&w.admin, ch("wecom", "qyapi.weixin.qq.com/x".into()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("http://"), "{e}");
    s.add_channel(
        &w.admin,
        ch("wecom", format!("http://{wecom}/cgi-bin/webhook/send?key=abcdef123456")),
    )
    .await
    .unwrap();
    s.add_channel(
        &w.admin,
        ChannelInput {
            secret: secret.into(),
            ..ch("dingtalk", format!("http://{ding}/robot/send?access_token=tok987654"))
        },
    )
    .await
    .unwrap();
    s.add_channel(
        &w.admin,
        ChannelInput {
            method: "POST".into(),
            phone: "13900001111".into(),
            body_template: r#"{"mobile":"{phone}","content":"{text}"}"#.into(),
            ..ch("sms", format!("http://{sms}/sms/send"))
        },
    )
    .await
    .unwrap();
    let shown = s.channels(&w.admin).await.unwrap();
    assert_eq!(shown.len(), 3);
    let shown_json = serde_json::to_string(&shown).unwrap();
    for secret_part in ["abcdef123456", "tok987654", secret, "13900001111"] {
        assert!(!shown_json.contains(secret_part), "{shown_json}");
    }
    assert!(
        shown[1].secret_set && shown[0].url.ends_with("key=abcd****"),
        "{shown_json}"
    );

    // A change: 交办 to 应急管理局 writes 2 notices (clerk, head) of one item →
    // one outbox row per channel, in its transaction.
    let fields = map(json!({
        "subject": "拖欠工程款联系电话13812345678", "petitioner": "张三", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
        "registered_on": "2026-11-20", "township": XD,
    }));
    let r = s.create(&w.office, "petition", fields).await.unwrap();
    let r = s
        .transition(
            &w.office,
            r.id,
            r.version,
            "受理",
            map(json!({"received_on": "2026-11-20"})),
            None,
        )
        .await
        .unwrap();
    s.transition(&w.office, r.id, r.version, "交办", map(json!({"unit": w.yj})), None)
        .await
        .unwrap();
    let log = s.deliveries(&w.admin, 100).await.unwrap();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|d| d.status == "pending" && d.attempts == 0));

    // Restart before anything was sent: the rows are still there and go out.
    s.close().await;
    drop(w.store);
    let s = db.open().await;
    // Due 10 s after the last notice merged into it.
    assert_eq!(s.deliver_due_at(s.now()).await.unwrap(), Default::default());
    let t0 = s.now().checked_add(jiff::SignedDuration::from_secs(10)).unwrap();
    let p = s.deliver_due_at(t0).await.unwrap();
    assert_eq!((p.delivered, p.failed), (2, 1));
    // 企业微信: JSON text, Chinese, masked.
    let got = wecom_got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    for g in &got {
        let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
        assert_eq!(v["msgtype"], "text");
        let c = v["text"]["content"].as_str().unwrap();
        assert!(c.starts_with("【履职】交办：拖欠工程款联系电话138****5678"), "{c}");
        assert!(!c.contains("13812345678") && !c.contains("张三"), "{c}");
        assert!(g.path.starts_with("/cgi-bin/webhook/send?key=abcdef123456"));
    }
    // 钉钉: signed, the signature recomputed here.
    let got = ding_got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    for g in &got {
        let q: HashMap<&str, &str> = g
            .path
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        assert_eq!(q["access_token"], "tok987654");
        let ts = q["timestamp"];
        assert_eq!(ts.parse::<i64>().unwrap(), t0.as_millisecond());
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}\n{secret}").as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(decode(q["sign"]), want);
        let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
        assert!(v["text"]["content"].as_str().unwrap().contains("138****5678"));
    }
    // SMS failed once; not due again before its backoff.
    assert_eq!(s.deliver_due_at(t0).await.unwrap(), Default::default());
    let t1 = t0.checked_add(jiff::SignedDuration::from_secs(31)).unwrap();
    assert_eq!(s.deliver_due_at(t1).await.unwrap().failed, 1);
    let t2 = t1.checked_add(jiff::SignedDuration::from_secs(59)).unwrap();
    assert_eq!(
        s.deliver_due_at(t2).await.unwrap(),
        Default::default(),
        "second wait is 60 s"
    );
    let t3 = t1.checked_add(jiff::SignedDuration::from_secs(61)).unwrap();
    assert_eq!(s.deliver_due_at(t3).await.unwrap().delivered, 1);
    let got = sms_got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let mut keys: Vec<&str> = got.iter().map(|g| g.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1, "three attempts of the message with one key");
    for g in &got {
        let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
        assert_eq!(v["mobile"], "13900001111");
        let c = v["content"].as_str().unwrap();
        assert!(
            c.chars().count() <= 70 && c.ends_with('…') && c.contains("138****5678"),
            "{c}"
        );
    }
    let log = s.deliveries(&w.admin, 100).await.unwrap();
    assert!(
        log.iter().all(|d| d.status == "delivered" && d.delivered_at.is_some()),
        "{log:?}"
    );
    let sms_rows: Vec<_> = log.iter().filter(|d| d.channel == "sms通道").collect();
    assert_eq!(sms_rows.len(), 1);
    assert!(sms_rows.iter().all(|d| d.attempts == 3 && d.last_error.is_empty()));
    // Nothing is sent twice once delivered.
    let t4 = t3.checked_add(jiff::SignedDuration::from_secs(7200)).unwrap();
    assert_eq!(s.deliver_due_at(t4).await.unwrap(), Default::default());
    s.close().await;
    db.remove().await;
}
