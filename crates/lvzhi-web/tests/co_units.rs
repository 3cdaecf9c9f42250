//! 主办/协办 units (issue 17) over the JSON API and the record page, on the
//! sample county (SQLite, and PostgreSQL when reachable): the office adds
//! 西洞镇 as 协办 unit of a 督办事项 that 应急管理局 主办s; 西洞镇's users see it,
//! read-only (403 on edits and steps), and give a 协办意见 that 应急管理局 reads
//! in the record's 办理过程; 清水镇 sees nothing (404). Every role against the
//! two write routes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use serde_json::{Value, json};

/// A 督办事项 主办 by 应急管理局, created by the office; its id.
fn task(s: &Server, title: &str) -> i64 {
    let office = s.county.access("office");
    let f = json!({"title": title, "source": "会议", "urgency": "一般", "unit": s.county.yingji,
        "assigned_on": "2026-11-20"});
    s.rt.block_on(s.store.create(&office, "supervision", f.as_object().unwrap().clone()))
        .unwrap()
        .id
}

fn head_seq(s: &Server) -> i64 {
    s.rt.block_on(s.store.head_event()).unwrap().0
}

fn listed(s: &Server, user: &str) -> Vec<i64> {
    let r = s
        .client(user)
        .get("/api/v1/ledgers/supervision/records?limit=500")
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn co_units_over_the_api() {
    for s in Server::both() {
        let id = task(&s, "落实冬季消防安全检查");
        let path = format!("/api/v1/records/{id}/co-units");
        let mut office = s.client("office");
        let r = office.get(&path).unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["lead"]["name"], json!("应急管理局"));
        assert_eq!((v["may_set"].clone(), v["enabled"].clone()), (json!(true), json!(true)));
        assert!(!listed(&s, "clerk_xd").contains(&id));

        let put = |c: &mut lvzhi_testkit::http::Client, body: Value| {
            c.send("PUT", &path, Some(body.to_string().as_bytes()), "application/json")
                .unwrap()
        };
        let r = put(&mut office, json!({"units": [s.county.xidong]}));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json()["co_units"],
            json!([{"id": s.county.xidong, "name": "西洞镇人民政府"}])
        );
        // Bad bodies: the 主办 unit, an unknown unit, an unknown key.
        let r = put(&mut office, json!({"units": [s.county.yingji]}));
        assert_eq!(r.status, 422, "{}", r.text());
        let r = put(&mut office, json!({"units": [987654]}));
        assert_eq!(r.status, 422, "{}", r.text());
        let r = put(&mut office, json!({"units": [], "extra": 1}));
        assert!(r.status == 400 || r.status == 422, "{} {}", r.status, r.text());

        // 西洞镇 reads it: in its list and on its page, with no action.
        assert!(listed(&s, "clerk_xd").contains(&id));
        let mut xd = s.client("clerk_xd");
        let r = xd.get(&format!("/api/v1/records/{id}")).unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let rec = r.json();
        assert_eq!(rec["actions"], json!([]));
        assert_eq!(
            (rec["can_edit"].clone(), rec["can_void"].clone()),
            (json!(false), json!(false))
        );
        let version = rec["version"].as_i64().unwrap();
        let before = head_seq(&s);
        let r = xd
            .patch(
                &format!("/api/v1/records/{id}"),
                &json!({"version": version, "fields": {"progress": "已配合"}}),
            )
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(r.text().contains("协办单位"), "{}", r.text());
        let r = xd
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "签收", "version": version, "fields": {"unit": s.county.yingji}}),
            )
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(head_seq(&s), before, "refusals write nothing");

        // Its opinion, blank first.
        let opinions = format!("/api/v1/records/{id}/opinions");
        let r = xd.post(&opinions, &json!({"text": "  "})).unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        let r = xd.post(&opinions, &json!({"text": "西洞镇已完成辖区自查"})).unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["opinions"][0]["text"], json!("西洞镇已完成辖区自查"));
        assert_eq!(r.json()["opinions"][0]["unit_name"], json!("西洞镇人民政府"));

        // 应急管理局 reads it in the record's events and its inbox.
        let mut yj = s.client("head_yj");
        let ev = yj.get(&format!("/api/v1/records/{id}/events")).unwrap().json();
        let last = ev["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["kind"], json!("record.opinion"));
        assert_eq!(last["data"]["text"], json!("西洞镇已完成辖区自查"));
        let inbox = yj.get("/api/v1/notices").unwrap().json();
        assert!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == json!("opinion")),
            "{inbox}"
        );
        let inbox = xd.get("/api/v1/notices").unwrap().json();
        assert!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == json!("co_unit") && n["title"] == json!("协办：落实冬季消防安全检查")),
            "{inbox}"
        );

        // 清水镇 sees nothing, as if the record did not exist.
        assert!(!listed(&s, "clerk_qs").contains(&id));
        let mut qs = s.client("clerk_qs");
        for r in [
            qs.get(&format!("/api/v1/records/{id}")).unwrap(),
            qs.get(&path).unwrap(),
            qs.post(&opinions, &json!({"text": "看不到"})).unwrap(),
        ] {
            assert_eq!(r.status, 404, "{}", r.text());
        }
        // A missing record.
        assert_eq!(office.get("/api/v1/records/987654/co-units").unwrap().status, 404);
    }
}

/// Every role against `PUT …/co-units` and `POST …/opinions` on a 督办事项 of
/// 应急管理局 with 西洞镇 as 协办 unit: who may not is refused (403, or 404 where
/// it does not see the record) and nothing is written.
#[test]
fn co_unit_routes_against_every_role() {
    let s = Server::start();
    let users = [
        "admin",
        "office",
        "leader",
        "clerk_xd",
        "head_xd",
        "clerk_qs",
        "clerk_yj",
        "head_yj",
        "auditor",
        "secadmin",
        "auditadmin",
        "evaluator",
    ];
    let office = s.county.access("office");
    let routes: [(&str, &str, Value, &[&str]); 2] = [
        (
            "PUT",
            "co-units",
            json!({"units": [s.county.qingshui]}),
            // The ledger's [co_units] roles handling the record (the leader oversees 应急管理局).
            &["admin", "office", "leader"],
        ),
        ("POST", "opinions", json!({"text": "同意"}), &["clerk_xd", "head_xd"]),
    ];
    for (method, tail, body, allowed) in routes {
        for user in users {
            let id = task(&s, "角色测试");
            s.rt.block_on(s.store.set_co_units(&office, id, vec![s.county.xidong]))
                .unwrap();
            let mut c = s.client(user);
            let before = head_seq(&s);
            let r = c
                .send(
                    method,
                    &format!("/api/v1/records/{id}/{tail}"),
                    Some(body.to_string().as_bytes()),
                    "application/json",
                )
                .unwrap();
            if allowed.contains(&user) {
                assert!(
                    r.status == 200 || r.status == 201,
                    "{user} {method} {tail}: {} {}",
                    r.status,
                    r.text()
                );
                assert!(head_seq(&s) > before, "{user} {method} {tail} wrote nothing");
            } else {
                assert!(
                    r.status == 403 || r.status == 404,
                    "{user} may not {method} {tail}: {} {}",
                    r.status,
                    r.text()
                );
                assert_eq!(head_seq(&s), before, "{user} {method} {tail}: a refusal wrote an event");
            }
        }
    }
}

/// The record page: the office sets 协办单位 with the panel's form, the 协办
/// unit's clerk reads the page (no 编辑, no step) and posts an opinion, which
/// 应急管理局's head reads in 办理过程.
#[test]
fn record_page_shows_lead_and_co_units_and_takes_an_opinion() {
    let s = Server::start();
    let id = task(&s, "督促整改燃气管道隐患");
    let page = format!("/records/{id}");

    let mut office = s.signed_in("office");
    let html = office.get(&page).text();
    assert!(html.contains("主办与协办") && html.contains("设置协办单位"), "{html}");
    let csrf = office.csrf();
    let xd = s.county.xidong.to_string();
    let r = office.post(&format!("{page}/co-units"), &[("csrf", &csrf), ("units", &xd)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let html = office.get(&location(&r)).text();
    assert!(html.contains("已保存协办单位"), "{html}");
    assert!(html.contains("西洞镇人民政府"));

    let mut clerk = s.signed_in("clerk_xd");
    let html = clerk.get(&page).text();
    assert!(html.contains("本单位（西洞镇人民政府）为协办单位"), "{html}");
    assert!(html.contains("id=\"opinion\"") && !html.contains("id=\"set-co-units\""));
    assert!(
        !html.contains(&format!("/records/{id}/edit")),
        "no 编辑 for a 协办 unit"
    );
    assert!(!html.contains("name=\"transition\""), "no step for a 协办 unit");
    // 我的待办 lists it as awaiting the unit's opinion, until the opinion is given.
    let todo = clerk.get("/todo").text();
    assert!(
        todo.contains("待填写协办意见") && todo.contains(&format!("href=\"/records/{id}#co-units\"")),
        "{todo}"
    );
    let csrf = clerk.csrf();
    let r = clerk.post(&format!("{page}/opinion"), &[("csrf", &csrf), ("text", "  ")]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("协办意见：不能为空"), "{}", r.text());
    let r = clerk.post(
        &format!("{page}/opinion"),
        &[("csrf", &csrf), ("text", "西洞镇已排查辖区燃气管道")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(!clerk.get("/todo").text().contains("待填写协办意见"));

    let mut head = s.signed_in("head_yj");
    let html = head.get(&page).text();
    assert!(html.contains("协办意见（西洞镇人民政府）"), "{html}");
    assert!(html.contains("意见：西洞镇已排查辖区燃气管道"), "{html}");
    assert!(!html.contains("id=\"opinion\""));

    // 清水镇: the page is not found.
    let mut qs = s.signed_in("clerk_qs");
    assert_eq!(qs.get(&page).status, 404);
    let csrf = qs.csrf();
    let r = qs.post(&format!("{page}/opinion"), &[("csrf", &csrf), ("text", "看不到")]);
    assert_eq!(r.status, 404);
}
