//! 督查督办, 指标 and the leader's dashboard over HTTP against an in-process
//! server with the sample county: scope (a township clerk sees only their
//! items), bulk 催办 (one event per item, refused without CSRF or for clerks),
//! 评星挂旗, warning acknowledgement, indicator provenance links listing
//! exactly the engine's records, the leader's SVG charts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::county::hazard;

impl Server {
    /// Creates a hazard directly in the store as `user` with a deadline; returns its id.
    fn hazard(&self, user: &str, township: &str, unit: i64, description: &str, deadline: &str) -> i64 {
        let a = self.county.access(user);
        let mut f = hazard(township, unit, description);
        f.insert("deadline".into(), deadline.into());
        self.rt.block_on(self.store.create(&a, "hazard", f)).unwrap().id
    }

    /// Events of a kind.
    fn events(&self, kind: &str) -> Vec<lvzhi_core::event::Event> {
        self.rt.block_on(self.store.events_of_kind(kind)).unwrap()
    }

    fn urge_count(&self, id: i64) -> i64 {
        let a = self.county.access("admin");
        self.rt
            .block_on(self.store.records_by_ids(&a, &[id]))
            .unwrap()
            .first()
            .map(|v| v.row.urge_count)
            .unwrap()
    }
}

/// The record ids linked from a page section (`href="/records/N"`), in order, each once.
fn record_links(html: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for part in html.split("href=\"/records/").skip(1) {
        let n: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(i) = n.parse::<i64>()
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn supervise_scope_bulk_urge_and_csrf() {
    let s = Server::start();
    let (xd, qs) = (s.county.xidong, s.county.qingshui);
    let a = s.hazard("clerk_xd", "620902100", xd, "西洞镇超期隐患甲", "2026-11-20");
    let b = s.hazard("clerk_qs", "620902101", qs, "清水镇超期隐患乙", "2026-11-18");
    let c = s.hazard("clerk_xd", "620902100", xd, "西洞镇临期隐患丙", "2026-11-27");
    let d = s.hazard("clerk_xd", "620902100", xd, "西洞镇远期隐患丁", "2026-12-31");

    // A township clerk sees only their township's items, and no 催办 form.
    let mut clerk = s.signed_in("clerk_xd");
    let r = clerk.get("/supervise");
    assert_eq!(r.status, 200);
    let html = r.text();
    let items = section(&html, "items");
    assert_eq!(
        record_links(items),
        vec![a, c],
        "red first, then yellow; not 清水 nor far-off items"
    );
    assert!(items.contains("西洞镇超期隐患甲") && !items.contains("清水镇超期隐患乙"));
    assert!(!html.contains("/supervise/urge") && !html.contains("name=\"id\""));
    let mut clerk_qs = s.signed_in("clerk_qs");
    assert_eq!(
        record_links(section(&clerk_qs.get("/supervise").text(), "items")),
        vec![b]
    );
    // Filter by level and unit.
    let mut office = s.signed_in("office");
    let all = office.get("/supervise").text();
    assert_eq!(
        record_links(section(&all, "items")),
        vec![b, a, c],
        "by deadline, red first"
    );
    assert!(all.contains("action=\"/supervise/urge\""));
    let red = office.get("/supervise?level=red").text();
    assert_eq!(record_links(section(&red, "items")), vec![b, a]);
    let unit = office.get(&format!("/supervise?unit={qs}")).text();
    assert_eq!(record_links(section(&unit, "items")), vec![b]);
    let _ = d;

    // Bulk 催办 without the token: refused, nothing written.
    let ids = [a.to_string(), b.to_string(), c.to_string()];
    let r = office.post(
        "/supervise/urge",
        &[("id", &ids[0]), ("id", &ids[1]), ("note", "请尽快办理")],
    );
    assert_eq!(r.status, 403);
    let r = office.post(
        "/supervise/urge",
        &[("csrf", "forged"), ("id", &ids[0]), ("note", "请尽快办理")],
    );
    assert_eq!(r.status, 403);
    assert!(s.events("record.urge").is_empty());
    // A clerk cannot 催办 even with their own token.
    let token = clerk.csrf();
    let r = clerk.post("/supervise/urge", &[("csrf", &token), ("id", &ids[0])]);
    assert_eq!(r.status, 403);
    assert!(s.events("record.urge").is_empty());
    // Nothing ticked: told so.
    let token = office.csrf();
    let r = office.post("/supervise/urge", &[("csrf", &token), ("note", "x")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("请先勾选要催办的事项"));
    // With the token: one event per ticked item, the message recorded.
    let r = office.post(
        "/supervise/urge",
        &[
            ("csrf", &token),
            ("back", "/supervise?level=red"),
            ("id", &ids[0]),
            ("id", &ids[1]),
            ("id", &ids[2]),
            ("note", "请于3日内办结"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(location(&r), "/supervise?level=red&urged=3&failed=0");
    let ev = s.events("record.urge");
    assert_eq!(ev.len(), 3);
    let mut urged: Vec<i64> = ev
        .iter()
        .map(|e| e.entity_id.as_deref().unwrap().parse().unwrap())
        .collect();
    urged.sort();
    assert_eq!(urged, vec![a, b, c]);
    assert!(ev.iter().all(|e| e.data["note"] == "请于3日内办结"));
    assert_eq!(
        (s.urge_count(a), s.urge_count(b), s.urge_count(c), s.urge_count(d)),
        (1, 1, 1, 0)
    );
    let page = office.get(&location(&r)).text();
    assert!(page.contains("已催办3项"), "result count shown");
    assert!(section(&page, "items").contains("1次"));
    // An outside back URL is not followed.
    let r = office.post(
        "/supervise/urge",
        &[("csrf", &token), ("back", "https://evil.example/"), ("id", &ids[0])],
    );
    assert_eq!(location(&r), "/supervise?urged=1&failed=0");

    // Leaders look but do not 催办 or acknowledge.
    let mut leader = s.signed_in("leader");
    let r = leader.get("/supervise");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(!html.contains("/supervise/urge") && !html.contains("/supervise/ack"));
    // 测评人 sees nothing.
    let mut ev = s.signed_in("evaluator");
    assert_eq!(ev.get("/supervise").status, 403);
    s.stop();
}

#[test]
fn supervise_rankings_and_warning_ack() {
    let s = Server::start();
    let (xd, qs) = (s.county.xidong, s.county.qingshui);
    let office = s.county.access("office");
    let admin = s.county.access("admin");
    // 西洞: 5 items closed on time; 清水: 5 items, 4 on time, 1 late (and so 80%).
    let close = |user: &str, township: &str, unit: i64, n: usize, late: usize| {
        let m = |pairs: &[(&str, serde_json::Value)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<serde_json::Map<String, serde_json::Value>>()
        };
        for i in 0..n {
            let id = s.hazard(user, township, unit, &format!("{township}隐患{i}"), "2026-10-31");
            let clerk = s.county.access(user);
            let v = s.rt.block_on(s.store.records_by_ids(&admin, &[id])).unwrap()[0]
                .row
                .version;
            // Found before it was rectified (the pack's date rule), whether late or on time.
            let f = m(&[
                ("responsible_unit", unit.into()),
                ("deadline", "2026-10-31".into()),
                ("found_on", "2026-10-15".into()),
            ]);
            let r =
                s.rt.block_on(s.store.transition(&office, id, v, "交办", f, None))
                    .unwrap();
            let done = if i < late { "2026-11-05" } else { "2026-10-20" };
            let f = m(&[("measures", "已清理".into()), ("rectified_on", done.into())]);
            s.rt.block_on(lvzhi_testkit::evidence::for_transition(
                &s.store,
                &clerk,
                id,
                "提交验收",
            ))
            .unwrap();
            let r =
                s.rt.block_on(s.store.transition(&clerk, id, r.version, "提交验收", f, None))
                    .unwrap();
            let f = m(&[("acceptance", "合格".into()), ("accepted_by", "张三".into())]);
            s.rt.block_on(s.store.transition(&office, id, r.version, "验收销号", f, None))
                .unwrap();
        }
    };
    close("clerk_xd", "620902100", xd, 5, 0);
    close("clerk_qs", "620902101", qs, 5, 1);
    // One overdue open item in 西洞 makes the 单位超期 warning fire (and counts against 西洞).
    let red = s.hazard("clerk_xd", "620902100", xd, "西洞镇超期未整改", "2026-11-20");

    let mut b = s.signed_in("office");
    let html = b.get("/supervise?period=2026").text();
    let ranks = section(&html, "ranks");
    assert!(ranks.contains("≥95% ★★★★★"), "the rule is stated");
    // 西洞 5/6 = 83.3% ★★★; 清水 4/5 = 80.0% ★★★. 西洞 first, flagged.
    let xd_at = ranks.find("西洞镇人民政府").unwrap();
    let qs_at = ranks.find("清水镇人民政府").unwrap();
    assert!(xd_at < qs_at, "{ranks}");
    assert!(ranks.contains("83.3%") && ranks.contains("80.0%"), "{ranks}");
    // Both are townships (乡镇 ranked with 乡镇, issue 14); one red flag.
    assert_eq!(ranks.matches("<td>乡镇</td>").count(), 2, "{ranks}");
    assert_eq!(ranks.matches(">红旗<").count(), 1);
    assert!(ranks[xd_at..qs_at].contains(">红旗<"));
    assert_eq!(ranks.matches("★★★</span><span class=\"stars-off\">☆☆").count(), 2);
    // Another period: nothing due.
    let html = b.get("/supervise?period=2025").text();
    assert!(section(&html, "ranks").contains("期内没有到期的事项"));
    let html = b.get("/supervise?period=bad").text();
    assert!(section(&html, "ranks").contains("期间“bad”无效"));

    // The warning, its evidence linking to the record, and its acknowledgement.
    let html = b.get("/supervise").text();
    let w = section(&html, "warnings");
    assert!(w.contains("单位超期事项预警"), "{w}");
    assert!(record_links(w).contains(&red), "{w}");
    let i = w.find("name=\"id\" value=\"").unwrap() + "name=\"id\" value=\"".len();
    let wid = w[i..].split('"').next().unwrap().to_string();
    let token = b.csrf();
    let r = b.post("/supervise/ack", &[("id", &wid), ("note", "已督促")]);
    assert_eq!(r.status, 403, "no token");
    let r = b.post("/supervise/ack", &[("csrf", &token), ("id", &wid), ("note", "  ")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("请填写处理说明"));
    assert!(s.events("warning.ack").is_empty());
    let r = b.post(
        "/supervise/ack",
        &[("csrf", &token), ("id", &wid), ("note", "已督促西洞镇<b>整改</b>")],
    );
    assert_eq!(r.status, 303);
    let ev = s.events("warning.ack");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].entity_id.as_deref(), Some(wid.as_str()));
    let html = b.get(&location(&r)).text();
    let w = section(&html, "warnings");
    assert!(
        w.contains("已确认：office") && w.contains("已督促西洞镇") && !w.contains("<b>"),
        "{w}"
    );
    // A leader cannot acknowledge.
    let mut leader = s.signed_in("leader");
    let token = leader.csrf();
    assert_eq!(
        leader
            .post("/supervise/ack", &[("csrf", &token), ("id", &wid), ("note", "x")])
            .status,
        403
    );
    assert_eq!(s.events("warning.ack").len(), 1);
    s.stop();
}

#[test]
fn indicator_table_and_provenance_links() {
    let s = Server::start();
    let (xd, qs) = (s.county.xidong, s.county.qingshui);
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(s.hazard("clerk_xd", "620902100", xd, &format!("西洞镇隐患{i}"), "2026-12-20"));
    }
    let other = s.hazard("clerk_qs", "620902101", qs, "清水镇隐患", "2026-12-20");

    let mut office = s.signed_in("office");
    let r = office.get("/indicators?period=2026&scope=county");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(
        html.contains("<h2>安全稳定</h2>") || html.contains("安全"),
        "grouped by category"
    );
    assert!(html.contains("<th class=\"num\">同比</th>") && html.contains("完成率"));
    let link = "/indicators/hazards_found?period=2026&#38;scope=county";
    assert!(html.contains(link), "each value links to its records");
    // The engine's provenance, asked directly, is what the page lists.
    let a = s.county.access("office");
    let eng = lvzhi_metrics::engine_from_files(&lvzhi_packs::county_files(), s.store.pack()).unwrap();
    let v =
        s.rt.block_on(eng.evaluate(
            &s.store,
            &a,
            "hazards_found",
            lvzhi_core::period::Period::Year(2026),
            &lvzhi_metrics::Scope::County,
            s.store.today(),
        ))
        .unwrap();
    let mut want: Vec<i64> = v.provenance.unwrap().iter().flat_map(|p| p.ids.clone()).collect();
    want.dedup();
    let mut all = mine.clone();
    all.push(other);
    assert_eq!(want, all);
    let page = office.get("/indicators/hazards_found?period=2026&scope=county").text();
    let listed = record_links(&page[page.find("依据的记录").unwrap()..]);
    assert_eq!(listed, want, "exactly the provenance records");
    assert!(page.contains("共4条"));
    // A township clerk: only their records, in the figure and in the list.
    let mut clerk = s.signed_in("clerk_xd");
    let page = clerk.get("/indicators/hazards_found?period=2026&scope=county").text();
    assert_eq!(record_links(&page[page.find("依据的记录").unwrap()..]), mine);
    let table = clerk.get("/indicators?period=2026").text();
    assert!(
        table.contains("/indicators/hazards_found?period=2026&#38;scope=county\" title=\"查看数据来源\">3"),
        "clerk's figure is 3"
    );
    // Another period: no records; bad input is said in Chinese.
    let page = office
        .get("/indicators/hazards_found?period=2025-03&scope=county")
        .text();
    assert!(record_links(&page[page.find("依据的记录").unwrap()..]).is_empty());
    // No period: this year, no error.
    let plain = office.get("/indicators").text();
    assert!(!plain.contains("无效") && plain.contains("name=\"period\" value=\"2026\""));
    let r = office.get("/indicators?period=2026-13");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("期间“2026-13”无效"));
    assert_eq!(office.get("/indicators/no_such_thing").status, 404);
    assert_eq!(office.get("/indicators/hazards_found?scope=planet:1").status, 400);
    let mut ev = s.signed_in("evaluator");
    assert_eq!(ev.get("/indicators").status, 403);
    s.stop();
}

#[test]
fn provenance_pages_are_paginated() {
    let s = Server::start();
    let xd = s.county.xidong;
    let ids: Vec<i64> = (0..57)
        .map(|i| s.hazard("clerk_xd", "620902100", xd, &format!("隐患{i}"), "2026-12-20"))
        .collect();
    let mut office = s.signed_in("office");
    let p1 = office.get("/indicators/hazards_found?period=2026&scope=county").text();
    let l1 = record_links(&p1[p1.find("依据的记录").unwrap()..]);
    assert_eq!(l1, ids[..50].to_vec());
    let i = p1.find("\">下一页").unwrap();
    let href = p1[..i].rsplit("href=\"").next().unwrap().replace("&#38;", "&");
    let p2 = office.get(&href).text();
    assert_eq!(record_links(&p2[p2.find("依据的记录").unwrap()..]), ids[50..].to_vec());
    assert!(p2.contains("上一页") && !p2.contains("下一页"));
    s.stop();
}

#[test]
fn leader_dashboard_draws_svg_and_keeps_clerk_home() {
    let s = Server::start();
    let (xd, yj) = (s.county.xidong, s.county.yingji);
    // The leader oversees 应急管理局: its items count for them.
    for (i, dl) in ["2026-11-10", "2026-11-20", "2026-11-26"].iter().enumerate() {
        s.hazard("clerk_xd", "620902100", yj, &format!("应急隐患{i}"), dl);
    }
    s.hazard("clerk_xd", "620902100", xd, "西洞镇自办隐患", "2026-11-10");
    let mut leader = s.signed_in("leader");
    let r = leader.get("/");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("领导驾驶舱"), "{html}");
    assert!(html.contains("<svg class=\"chart line\""), "monthly trends");
    assert!(html.contains("<svg class=\"chart bars\""), "bars");
    assert!(!html.contains("style="), "strict CSP: no inline styles");
    // Red/yellow by unit: 应急管理局 2 red, 1 yellow; nothing of 西洞 (not overseen).
    assert!(
        html.contains("应急管理局</td><td class=\"num\"><a class=\"red\""),
        "{html}"
    );
    assert!(!html.contains("西洞镇自办隐患"));
    assert!(html.contains("<title>排查隐患"), "tooltips");
    // The clerk keeps 我的待办 and gets no dashboard.
    let mut clerk = s.signed_in("clerk_xd");
    let html = clerk.get("/").text();
    assert!(html.contains("我的待办") && !html.contains("领导驾驶舱"));
    s.stop();
}
