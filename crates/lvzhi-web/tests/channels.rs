//! 管理 → 通知渠道 (issue 17 item 3), as the system administrator uses it:
//! channels added through the page's form (secrets never shown back), a test
//! message to a local receiver, a change that keeps the secret, turning one
//! off; the office's bulk 催办 of 12 items queues one message per channel
//! (not one per notice), delivered listing all 12, and the delivery log shows
//! it in Chinese with Shanghai times. Only the admin may open the page.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::county::hazard;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A local HTTP receiver answering `{"errcode":0}`: its port and the bodies it got.
fn receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut tmp = [0u8; 8192];
            let body = loop {
                let n = s.read(&mut tmp).unwrap_or(0);
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
                        break b.to_string();
                    }
                }
                if n == 0 {
                    break String::new();
                }
            };
            g.lock().unwrap().push(body);
            let ok = r#"{"errcode":0,"errmsg":"ok"}"#;
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ok}",
                    ok.len()
                )
                .as_bytes(),
            );
        }
    });
    (port, got)
}

fn channel_id(page: &str, name: &str) -> i64 {
    let i = page.find(&format!("<td>{name}</td>")).expect(name);
    let row = &page[..i];
    let j = row.rfind("id=\"channel-").unwrap() + "id=\"channel-".len();
    row[j..j + row[j..].find('"').unwrap()].parse().unwrap()
}

#[test]
fn admin_sets_up_channels_tests_them_and_reads_the_log() {
    let s = Server::start();
    let (port, got) = receiver();
    let mut b = s.signed_in("admin");
    let page = b.get("/admin/channels");
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("尚未设置外发渠道") && text.contains("通知渠道"), "{text}");
    // The admin's page only.
    for who in ["office", "clerk_yj", "secadmin"] {
        assert_eq!(s.signed_in(who).get("/admin/channels").status, 403, "{who}");
    }

    let csrf = b.csrf();
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "wecom"),
            ("name", "县政府办值班群"),
            (
                "url",
                &format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key=SECRETKEY123"),
            ),
            ("method", "POST"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(location(&r), "/admin/channels?ok=added");
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "dingtalk"),
            ("name", "督查室钉钉群"),
            (
                "url",
                &format!("http://127.0.0.1:{port}/robot/send?access_token=TOKEN999"),
            ),
            ("secret", "SECdingsecret"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    // A bad one: the form again, saying why, with what was typed.
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "email"),
            ("name", "政务邮箱"),
            ("url", "http://mail.example.gov.cn"),
        ],
    );
    assert_eq!(r.status, 422);
    let t = r.text();
    assert!(t.contains("smtp://") && t.contains("value=\"政务邮箱\""), "{t}");

    let page = b.get("/admin/channels?ok=added").text();
    assert!(page.contains("已添加渠道"), "{page}");
    assert!(
        page.contains("key=SECR****") && page.contains("access_token=TOKE****"),
        "{page}"
    );
    for secret in ["SECRETKEY123", "SECdingsecret", "TOKEN999"] {
        assert!(!page.contains(secret), "{secret} shown");
    }
    assert!(page.contains("已设置") && page.contains("未设置"));
    let wecom = channel_id(&page, "县政府办值班群");
    let ding = channel_id(&page, "督查室钉钉群");

    // The test message: sent now, said on the page.
    let r = b.post(&format!("/admin/channels/{wecom}/test"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("测试消息已发送到“县政府办值班群”，接收方已确认收到。"),
        "{}",
        r.text()
    );
    assert!(got.lock().unwrap().iter().any(|g| g.contains("测试消息")));

    // A change leaving the secret and address blank keeps them.
    let form = b.get(&format!("/admin/channels?edit={ding}")).text();
    assert!(
        form.contains("修改渠道") && form.contains("已设置，留空则不修改"),
        "{form}"
    );
    assert!(!form.contains("TOKEN999") && !form.contains("SECdingsecret"));
    let r = b.post(
        &format!("/admin/channels/{ding}"),
        &[
            ("csrf", &csrf),
            ("kind", "dingtalk"),
            ("name", "督查室钉钉群（新）"),
            ("url", ""),
            ("secret", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let admin = s.county.access("admin");
    let shown = s.rt.block_on(s.store.channels(&admin)).unwrap();
    let d = shown.iter().find(|c| c.id == ding).unwrap();
    assert!(d.secret_set && d.url.ends_with("access_token=TOKE****") && d.name == "督查室钉钉群（新）");

    // The office's bulk 催办 of 12 items: 24 notices (clerk and head of
    // 应急管理局 each), one outbox message per channel.
    let office = s.county.access("office");
    let ids: Vec<String> = (0..12)
        .map(|i| {
            s.rt.block_on(s.store.create(
                &office,
                "hazard",
                hazard("620902100", s.county.yingji, &format!("批量催办隐患{i:02}")),
            ))
            .unwrap()
            .id
            .to_string()
        })
        .collect();
    let mut ob = s.signed_in("office");
    let token = ob.csrf();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &token), ("note", "请本周内整改到位")];
    for id in &ids {
        form.push(("id", id));
    }
    let r = ob.post("/supervise/urge", &form);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(location(&r).contains("urged=12"), "{}", location(&r));
    let clerk = s.county.access("clerk_yj");
    let inbox = s.rt.block_on(s.store.notices(&clerk, true, 100, None)).unwrap();
    assert_eq!(inbox.iter().filter(|n| n.kind == "urge").count(), 12);
    let log = s.rt.block_on(s.store.deliveries(&admin, 100)).unwrap();
    assert_eq!(log.len(), 2, "one message per channel: {log:?}");
    assert!(
        log.iter()
            .all(|d| d.status == "pending" && d.title.contains("等24条通知合并发送")),
        "{log:?}"
    );

    let before = got.lock().unwrap().len();
    let at = s.store.now().checked_add(jiff::SignedDuration::from_secs(11)).unwrap();
    let p = s.rt.block_on(s.store.deliver_due_at(at)).unwrap();
    assert_eq!((p.delivered, p.failed), (2, 0));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), before + 2);
    for g in &got[before..] {
        let v: serde_json::Value = serde_json::from_str(g).unwrap();
        let c = v["text"]["content"].as_str().unwrap();
        assert!(
            c.starts_with("【履职】催办共12项（office）\n1. 催办：批量催办隐患00"),
            "{c}"
        );
        assert!(c.contains("12. 催办：批量催办隐患11"), "{c}");
    }

    // The log, in Chinese, Shanghai times (the store's clock: 2026-11-25 02:00 UTC).
    let page = b.get("/admin/channels").text();
    assert!(page.contains("发送记录") && page.contains("已送达"), "{page}");
    assert!(page.contains("2026年11月25日 10:00"), "Shanghai time: {page}");
    assert!(page.contains("送达于2026年11月25日 10:00"), "{page}");

    // Turned off: shown so; later notices go nowhere on it.
    let r = b.post(&format!("/admin/channels/{wecom}/state"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let page = b.get("/admin/channels?ok=disabled").text();
    assert!(
        page.contains("已停用该渠道") && page.contains("badge-void\">停用"),
        "{page}"
    );
    // Without the token: refused.
    let r = b.post(&format!("/admin/channels/{wecom}/state"), &[("enabled", "1")]);
    assert_eq!(r.status, 403);
}
