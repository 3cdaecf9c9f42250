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
use lvzhi_testkit::receiver::Receiver;

/// The shared local receiver: its port and the bodies it got, in the
/// `(port, got)` shape these tests read.
fn receiver() -> (u16, Receiver) {
    let r = Receiver::start();
    (r.port, r)
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
    assert!(got.bodies().iter().any(|g| g.contains("测试消息")));

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

    let before = got.got().len();
    let at = s.store.now().checked_add(jiff::SignedDuration::from_secs(11)).unwrap();
    let p = s.rt.block_on(s.store.deliver_due_at(at)).unwrap();
    assert_eq!((p.delivered, p.failed), (2, 0));
    let got = got.bodies();
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

/// 接收范围 on the page: a robot for 应急管理局 carrying 催办 only, added with
/// the form's unit and kind boxes; the list says its audience in Chinese, the
/// change form comes back with the boxes ticked; "指定单位" with nothing
/// ticked is refused on the form. The office's 催办 of an item of 应急管理局
/// and one of 西洞镇 reach the county's robot both, 应急管理局's robot its
/// own only. The API adds a leaders' group with the same fields.
#[test]
fn admin_scopes_a_channel_to_units_and_kinds() {
    let s = Server::start();
    let all = Receiver::start();
    let yj = Receiver::start();
    let mut b = s.signed_in("admin");
    let csrf = b.csrf();
    let page = b.get("/admin/channels").text();
    assert!(page.contains("接收范围") && page.contains("应急管理局"), "{page}");
    let yingji = s.county.yingji.to_string();
    let xidong = s.county.xidong.to_string();
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "wecom"),
            ("name", "全县值班群"),
            ("url", &all.url("/send?key=ALLKEY")),
            ("audience", "all"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    // "指定单位或县级领导" with nothing ticked: the form again, saying so.
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "wecom"),
            ("name", "应急管理局工作群"),
            ("url", &yj.url("/send?key=YJKEY")),
            ("audience", "units"),
            ("notice_kinds", "urge"),
        ],
    );
    assert_eq!(r.status, 422);
    let t = r.text();
    assert!(t.contains("请至少勾选一个单位或“县级领导”"), "{t}");
    assert!(
        t.contains("value=\"urge\" checked"),
        "what was ticked stays ticked: {t}"
    );
    let r = b.post(
        "/admin/channels",
        &[
            ("csrf", &csrf),
            ("kind", "wecom"),
            ("name", "应急管理局工作群"),
            ("url", &yj.url("/send?key=YJKEY")),
            ("audience", "units"),
            ("units", &yingji),
            ("notice_kinds", "urge"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = b.get("/admin/channels").text();
    let id = channel_id(&page, "应急管理局工作群");
    let row = &page[page.find(&format!("id=\"channel-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("<td class=\"audience\">应急管理局的催办通知</td>"),
        "{row}"
    );
    let all_id = channel_id(&page, "全县值班群");
    let all_row = &page[page.find(&format!("id=\"channel-{all_id}\"")).unwrap()..];
    assert!(all_row.contains("<td class=\"audience\">全部通知</td>"), "{all_row}");
    // The change form: the audience as set.
    let form = b.get(&format!("/admin/channels?edit={id}")).text();
    assert!(form.contains("name=\"audience\" value=\"units\" checked"), "{form}");
    assert!(
        form.contains(&format!("name=\"units\" value=\"{yingji}\" checked")),
        "{form}"
    );
    assert!(!form.contains(&format!("name=\"units\" value=\"{xidong}\" checked")));
    assert!(form.contains("name=\"notice_kinds\" value=\"urge\" checked"), "{form}");
    assert!(
        !form.contains("name=\"notice_kinds\" value=\"assign\" checked"),
        "{form}"
    );

    // 催办 of one item of each unit.
    let office = s.county.access("office");
    for (unit, title) in [
        (s.county.yingji, "应急：危化品超量存放"),
        (s.county.xidong, "西洞：消防通道堵塞"),
    ] {
        let r =
            s.rt.block_on(s.store.create(&office, "hazard", hazard("620902100", unit, title)))
                .unwrap();
        s.rt.block_on(s.store.urge(&office, r.id, "请本周内整改")).unwrap();
    }
    let at = s.store.now().checked_add(jiff::SignedDuration::from_secs(11)).unwrap();
    let p = s.rt.block_on(s.store.deliver_due_at(at)).unwrap();
    assert_eq!((p.delivered, p.failed), (2, 0));
    let to_all: Vec<String> = all.got().iter().map(|g| g.content()).collect();
    assert_eq!(to_all.len(), 1, "{to_all:?}");
    assert!(
        to_all[0].starts_with("【履职】催办共2项") && to_all[0].contains("西洞："),
        "{to_all:?}"
    );
    let to_yj: Vec<String> = yj.got().iter().map(|g| g.content()).collect();
    assert_eq!(to_yj.len(), 1, "{to_yj:?}");
    assert!(
        to_yj[0].starts_with("【履职】催办：应急：危化品超量存放") && !to_yj[0].contains("西洞"),
        "{to_yj:?}"
    );

    // Changed to 西洞镇 and the leaders, every kind: said so.
    let r = b.post(
        &format!("/admin/channels/{id}"),
        &[
            ("csrf", &csrf),
            ("kind", "wecom"),
            ("name", "应急管理局工作群"),
            ("url", ""),
            ("audience", "units"),
            ("units", &xidong),
            ("leaders", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = b.get("/admin/channels").text();
    assert!(
        page.contains("<td class=\"audience\">西洞镇人民政府、县级领导的全部通知</td>"),
        "{page}"
    );

    // The API: the same fields; an unknown unit or kind is a 400 naming it.
    let mut api = s.client("admin");
    let body = |units: serde_json::Value, kinds: serde_json::Value| {
        serde_json::json!({"kind": "wecom", "name": "县领导群", "url": yj.url("/send?key=LEAD"),
            "units": units, "leaders": true, "notice_kinds": kinds})
    };
    let r = api
        .post(
            "/api/v1/outbox/channels",
            &body(serde_json::json!([]), serde_json::json!(["escalate"])),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = api
        .post(
            "/api/v1/outbox/channels",
            &body(serde_json::json!([987654]), serde_json::json!([])),
        )
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("987654"), "{}", r.text());
    let r = api
        .post(
            "/api/v1/outbox/channels",
            &body(serde_json::json!([]), serde_json::json!(["spam"])),
        )
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    let listed = api.get("/api/v1/outbox").unwrap().json();
    let lead = listed["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "县领导群")
        .unwrap()
        .clone();
    assert_eq!(lead["audience"], "units");
    assert_eq!(lead["leaders"], true);
    assert_eq!(lead["notice_kinds"], serde_json::json!(["escalate"]));
    assert_eq!(lead["audience_label"], "县级领导的超期升级通知");
}
