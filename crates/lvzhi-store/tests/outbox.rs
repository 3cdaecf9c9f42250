//! Outbound channels (issue 17 item 3): the outbox is written with each
//! notice, the sender delivers to local receivers (content Chinese and
//! masked, 钉钉 signed), retries with backoff and the same idempotency key,
//! and undelivered rows survive a restart of the store. A channel's audience
//! (migration 0030): a unit's robot gets its unit's notices only, the
//! leaders' group the 县级领导's, a kind filter drops the other kinds, and a
//! channel made before the migration still gets everything.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
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
    petition_assigned_to_yj(&s, &w, "拖欠工程款联系电话13812345678").await;
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
        assert_eq!(percent_decode(q["sign"]), want);
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

/// Outbox rows per channel id: (channel, notices merged).
async fn rows_of(s: &lvzhi_store::Store, channel: i64) -> Vec<i64> {
    let mut c = s.pool().acquire().await.unwrap();
    c.conn()
        .rows(
            "SELECT grouped FROM outbox WHERE channel_id = $1 ORDER BY id",
            &[lvzhi_store::db::P::I(channel)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.i(0))
        .collect()
}

/// A hazard of `unit` named `title`, with the office's 催办.
async fn urged(w: &World, unit: i64, title: &str) -> i64 {
    let mut f = hazard(XD, Some(unit));
    f.insert("description".into(), json!(title));
    let r = w.store.create(&w.office, "hazard", f).await.unwrap();
    w.store.urge(&w.office, r.id, "请本周内整改").await.unwrap();
    r.id
}

/// A notice to `user` written as the deadline scan writes its escalations
/// (the trigger sees any insert into `notices`).
async fn notice_to(s: &lvzhi_store::Store, user: i64, kind: &str, title: &str) {
    raw_exec(
        s,
        "INSERT INTO notices (user_id, kind, title, body, actor_name, created_at) VALUES ($1, $2, $3, '', '', $4)",
        &[
            lvzhi_store::db::P::I(user),
            lvzhi_store::db::P::T(kind.into()),
            lvzhi_store::db::P::T(title.into()),
            lvzhi_store::db::P::T("2026-11-25T02:00:00.000000Z".into()),
        ],
    )
    .await;
}

/// The text contents a receiver got.
fn contents(got: &Arc<Mutex<Vec<Got>>>) -> Vec<String> {
    got.lock()
        .unwrap()
        .iter()
        .map(|g| {
            let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
            v["text"]["content"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

both!(unit_robots_get_their_units_notices_only);

async fn unit_robots_get_their_units_notices_only(w: World) {
    let s = &w.store;
    let ok = r#"{"errcode":0,"errmsg":"ok"}"#;
    let (all_at, all_got) = receiver(0, ok).await;
    let (yj_at, yj_got) = receiver(0, ok).await;
    let (xd_at, xd_got) = receiver(0, ok).await;
    let (lead_at, lead_got) = receiver(0, ok).await;
    let (sms_at, sms_got) = receiver(0, r#"{"code":"OK"}"#).await;
    let robot = |name: &str, at: &str| ChannelInput {
        kind: "wecom".into(),
        name: name.into(),
        url: format!("http://{at}/cgi-bin/webhook/send?key=k"),
        ..ChannelInput::default()
    };
    let all = s.add_channel(&w.admin, robot("全县值班群", &all_at)).await.unwrap();
    let yj = s
        .add_channel(
            &w.admin,
            ChannelInput {
                units: vec![w.yj],
                ..robot("应急管理局工作群", &yj_at)
            },
        )
        .await
        .unwrap();
    let xd = s
        .add_channel(
            &w.admin,
            ChannelInput {
                units: vec![w.xd, w.xd],
                ..robot("西洞镇工作群", &xd_at)
            },
        )
        .await
        .unwrap();
    let lead = s
        .add_channel(
            &w.admin,
            ChannelInput {
                leaders: true,
                ..robot("县领导群", &lead_at)
            },
        )
        .await
        .unwrap();
    let sms = s
        .add_channel(
            &w.admin,
            ChannelInput {
                kind: "sms".into(),
                name: "值班短信".into(),
                url: format!("http://{sms_at}/sms/send"),
                method: "POST".into(),
                phone: "13900001111".into(),
                body_template: r#"{"mobile":"{phone}","content":"{text}"}"#.into(),
                notice_kinds: vec!["escalate".into(), "urge".into(), "urge".into()],
                ..ChannelInput::default()
            },
        )
        .await
        .unwrap();
    // Bad audiences: refused, naming what is wrong; nothing added.
    let e = s
        .add_channel(
            &w.admin,
            ChannelInput {
                units: vec![w.yj, 99999],
                ..robot("坏", &yj_at)
            },
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("99999") && e.to_string().contains("不存在"),
        "{e}"
    );
    let e = s
        .add_channel(
            &w.admin,
            ChannelInput {
                notice_kinds: vec!["spam".into()],
                ..robot("坏", &yj_at)
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("通知类型“spam”无效"), "{e}");
    let shown = s.channels(&w.admin).await.unwrap();
    assert_eq!(shown.len(), 5, "{shown:?}");
    let label = |id: i64| shown.iter().find(|c| c.id == id).unwrap().audience_label.clone();
    assert_eq!(label(all), "全部通知");
    assert_eq!(label(yj), "应急管理局的全部通知");
    assert_eq!(label(xd), "西洞镇人民政府的全部通知");
    assert_eq!(label(lead), "县级领导的全部通知");
    assert_eq!(label(sms), "全部人员的催办、超期升级通知");
    let x = shown.iter().find(|c| c.id == xd).unwrap();
    assert_eq!((x.audience.as_str(), x.units.clone()), ("units", vec![w.xd]));
    let m = shown.iter().find(|c| c.id == sms).unwrap();
    assert_eq!(m.audience, "all");
    assert_eq!(m.notice_kinds, vec!["urge".to_string(), "escalate".to_string()]);

    // The office urges two items of 应急管理局 and one of 西洞镇 (each to
    // the unit's clerk and head).
    urged(&w, w.yj, "应急甲：配电箱未接地").await;
    urged(&w, w.xd, "西洞乙：消防通道堵塞").await;
    urged(&w, w.yj, "应急丙：危化品超量存放").await;
    assert_eq!(rows_of(s, all).await, vec![6]);
    assert_eq!(rows_of(s, yj).await, vec![4]);
    assert_eq!(rows_of(s, xd).await, vec![2]);
    assert_eq!(rows_of(s, lead).await, Vec::<i64>::new());
    assert_eq!(rows_of(s, sms).await, vec![6]);
    // A 交办 (kind assign) to 应急管理局: its robot and the county's, not the
    // SMS channel (催办 and 超期升级 only), not 西洞镇's.
    petition_assigned_to_yj(s, &w, "拖欠工程款").await;
    assert_eq!(rows_of(s, all).await, vec![6, 2]);
    assert_eq!(rows_of(s, yj).await, vec![4, 2]);
    assert_eq!(rows_of(s, xd).await, vec![2]);
    assert_eq!(rows_of(s, sms).await, vec![6]);
    // An escalation to the 县级领导: the leaders' group and the SMS channel.
    notice_to(s, w.leader.user_id, "escalate", "超期升级：应急甲：配电箱未接地").await;
    assert_eq!(rows_of(s, lead).await, vec![1]);
    assert_eq!(rows_of(s, sms).await, vec![6, 1]);
    assert_eq!(rows_of(s, yj).await, vec![4, 2]);

    // Sent: each merged message lists its own audience's items only.
    let at = s.now().checked_add(jiff::SignedDuration::from_secs(11)).unwrap();
    let p = s.deliver_due_at(at).await.unwrap();
    assert_eq!((p.delivered, p.failed), (9, 0));
    let yj_text = contents(&yj_got);
    assert_eq!(yj_text.len(), 2, "{yj_text:?}");
    let urge = yj_text.iter().find(|t| t.contains("催办")).unwrap();
    assert!(urge.starts_with("【履职】催办共2项（office）"), "{urge}");
    assert!(
        urge.contains("应急甲") && urge.contains("应急丙") && !urge.contains("西洞乙"),
        "{urge}"
    );
    assert!(
        yj_text.iter().any(|t| t.starts_with("【履职】交办：拖欠工程款")),
        "{yj_text:?}"
    );
    let xd_text = contents(&xd_got);
    assert_eq!(xd_text.len(), 1, "{xd_text:?}");
    assert!(
        xd_text[0].starts_with("【履职】催办：西洞乙：消防通道堵塞"),
        "{xd_text:?}"
    );
    assert!(!xd_text[0].contains("应急"), "{xd_text:?}");
    let all_text = contents(&all_got);
    assert!(
        all_text.iter().any(|t| t.starts_with("【履职】催办共3项")),
        "{all_text:?}"
    );
    let lead_text = contents(&lead_got);
    assert_eq!(lead_text.len(), 1);
    assert!(lead_text[0].starts_with("【履职】超期升级：应急甲"), "{lead_text:?}");
    assert_eq!(sms_got.lock().unwrap().len(), 2);

    // Changed: 西洞镇's robot now also carries the leaders' notices, 超期升级
    // only; the listing says so.
    s.update_channel(
        &w.admin,
        xd,
        ChannelInput {
            units: vec![w.xd, w.qs],
            leaders: true,
            notice_kinds: vec!["escalate".into()],
            url: String::new(),
            ..robot("西洞镇工作群", "")
        },
    )
    .await
    .unwrap();
    let shown = s.channels(&w.admin).await.unwrap();
    let x = shown.iter().find(|c| c.id == xd).unwrap();
    assert_eq!(
        x.audience_label,
        "西洞镇人民政府、清水镇人民政府、县级领导的超期升级通知"
    );
    assert_eq!(x.units, vec![w.xd, w.qs]);
    urged(&w, w.xd, "西洞丁：排污口未封堵").await;
    assert_eq!(rows_of(s, xd).await, vec![2], "催办 no longer carried");
    notice_to(s, w.leader.user_id, "escalate", "超期升级：西洞丁").await;
    assert_eq!(rows_of(s, xd).await, vec![2, 1]);
    // Back to everything: no units, no leaders, no kinds.
    s.update_channel(
        &w.admin,
        xd,
        ChannelInput {
            url: String::new(),
            ..robot("西洞镇工作群", "")
        },
    )
    .await
    .unwrap();
    let shown = s.channels(&w.admin).await.unwrap();
    assert_eq!(shown.iter().find(|c| c.id == xd).unwrap().audience_label, "全部通知");
    // (清水镇 has a clerk and no head: one notice.)
    urged(&w, w.qs, "清水戊：护栏缺失").await;
    assert_eq!(rows_of(s, xd).await, vec![2, 1, 1]);
}

both!(the_morning_digest_follows_the_audience);

/// The 08:30 digests (one notice per user) reach a unit's robot for that
/// unit's users only, and a channel narrowed to other kinds not at all.
async fn the_morning_digest_follows_the_audience(w: World) {
    let s = &w.store;
    for (unit, deadline) in [(w.yj, "2026-11-10"), (w.xd, "2026-11-28"), (w.qs, "2026-11-11")] {
        let mut f = hazard(XD, Some(unit));
        f.insert("found_on".into(), json!("2026-11-01"));
        f.insert("deadline".into(), json!(deadline));
        s.create(&w.office, "hazard", f).await.unwrap();
    }
    let ok = r#"{"errcode":0,"errmsg":"ok"}"#;
    let (yj_at, yj_got) = receiver(0, ok).await;
    let ch = |name: &str, units: Vec<i64>, kinds: Vec<String>| ChannelInput {
        kind: "wecom".into(),
        name: name.into(),
        url: format!("http://{yj_at}/send?key=k"),
        units,
        notice_kinds: kinds,
        ..ChannelInput::default()
    };
    let yj = s.add_channel(&w.admin, ch("应急", vec![w.yj], vec![])).await.unwrap();
    let urge_only = s
        .add_channel(&w.admin, ch("只催办", vec![], vec!["urge".into()]))
        .await
        .unwrap();
    let digests = s
        .add_channel(&w.admin, ch("每日提醒", vec![w.xd, w.qs], vec!["digest".into()]))
        .await
        .unwrap();
    let d = s.write_digests().await.unwrap();
    // At least the five users of the three units.
    assert!(d.written >= 5, "{d:?}");
    assert_eq!(rows_of(s, yj).await, vec![2]);
    assert_eq!(rows_of(s, urge_only).await, Vec::<i64>::new());
    // 西洞镇's clerk and head, 清水镇's clerk.
    assert_eq!(rows_of(s, digests).await, vec![3]);
    let at = s.now().checked_add(jiff::SignedDuration::from_secs(11)).unwrap();
    assert_eq!(s.deliver_due_at(at).await.unwrap().delivered, 2);
    let texts = contents(&yj_got);
    let yj_text = texts.iter().find(|t| t.contains("clerk_yj")).unwrap();
    assert!(yj_text.starts_with("【履职】每日提醒共2人"), "{yj_text}");
    assert!(
        yj_text.contains("head_yj") && !yj_text.contains("_xd") && !yj_text.contains("_qs"),
        "{yj_text}"
    );
    let other = texts.iter().find(|t| t.contains("clerk_xd")).unwrap();
    assert!(other.starts_with("【履职】每日提醒共3人"), "{other}");
    assert!(other.contains("clerk_qs") && !other.contains("_yj"), "{other}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_made_before_0030_keep_every_notice_sqlite() {
    channels_made_before_0030_keep_every_notice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_made_before_0030_keep_every_notice_postgres() {
    channels_made_before_0030_keep_every_notice(Backend::Postgres).await;
}

/// A database as the binary left it at migration 27 with one channel; after
/// the upgrade the channel's audience is everything: notices to any unit's
/// users and to the leader all reach it.
async fn channels_made_before_0030_keep_every_notice(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    {
        let mut owned = lvzhi_store::db::parse_url(&db.url())
            .unwrap()
            .connect_creating()
            .await
            .unwrap();
        let mut c = owned.conn();
        lvzhi_store::migrate::run_to(&mut c, 27).await.unwrap();
        c.exec(
            "INSERT INTO channels (kind, name, url, created_at) VALUES ('wecom', '老值班群', 'http://127.0.0.1:9/x', $1)",
            &[lvzhi_store::db::P::T("2026-11-01T00:00:00.000000Z".into())],
        )
        .await
        .unwrap();
    }
    let s = db.open().await;
    let w = World::setup(s.clone()).await;
    let shown = s.channels(&w.admin).await.unwrap();
    assert_eq!(shown.len(), 1);
    let old = &shown[0];
    assert_eq!(
        (old.audience.as_str(), old.audience_label.as_str(), old.leaders),
        ("all", "全部通知", false)
    );
    assert!(old.units.is_empty() && old.notice_kinds.is_empty());
    urged(&w, w.yj, "应急甲").await;
    urged(&w, w.xd, "西洞乙").await;
    notice_to(&s, w.leader.user_id, "escalate", "超期升级：应急甲").await;
    assert_eq!(rows_of(&s, old.id).await, vec![4, 1]);
    s.close().await;
    drop(w);
    db.remove().await;
}
