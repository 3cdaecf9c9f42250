//! The page cache (`lvzhi_web::cache`): every memoised page shows a change as
//! soon as it is written — a renamed unit, a new hazard in 我的待办, 督查督办,
//! the ledger list, the indicator and its provenance, the leader's dashboard,
//! the audit log — and a value memoised for one reader is never shown to
//! another (a township clerk never sees the other township's items, however
//! the pages were warmed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::county::hazard;

impl Server {
    /// Creates a hazard in the store as `user` with a deadline; returns its id.
    fn hazard_due(&self, user: &str, township: &str, unit: i64, description: &str, deadline: &str) -> i64 {
        let a = self.county.access(user);
        let mut f = hazard(township, unit, description);
        f.insert("deadline".into(), deadline.into());
        self.rt.block_on(self.store.create(&a, "hazard", f)).unwrap().id
    }
}

/// The number shown in 首页's 我的待办 badge.
fn todo_total(html: &str) -> i64 {
    let i = html.find("我的待办 <span class=\"count").expect("我的待办");
    let rest = &html[i..];
    let j = rest.find('>').unwrap() + 1;
    let rest = &rest[j..];
    rest[..rest.find('<').unwrap()].trim().parse().unwrap()
}

/// The distinct records a page links to.
fn records_linked(html: &str) -> std::collections::BTreeSet<i64> {
    html.split("href=\"/records/")
        .skip(1)
        .filter_map(|p| p.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn cached_pages_follow_every_change_and_stay_per_reader() {
    let s = Server::start();
    let mut office = s.signed_in("office");
    let mut head_xd = s.signed_in("head_xd");
    let mut clerk_qs = s.signed_in("clerk_qs");
    let mut auditor = s.signed_in("auditor");
    let first = s.hazard_due("clerk_xd", "620902100", s.county.xidong, "第一处隐患", "2026-11-01");

    // Warm every page twice (the second read is the memoised one).
    for _ in 0..2 {
        for p in [
            "/".to_string(),
            "/ledgers/hazard".into(),
            "/supervise".into(),
            format!("/records/{first}"),
            "/indicators?period=2026&scope=county".into(),
            "/indicators/hazards_found?period=2026&scope=county".into(),
        ] {
            assert_eq!(office.get(&p).status, 200, "{p}");
        }
        assert_eq!(head_xd.get("/").status, 200);
        assert_eq!(clerk_qs.get("/supervise").status, 200);
        assert_eq!(auditor.get("/audit").status, 200);
    }
    let before_home = head_xd.get("/").text();
    let before_todo = todo_total(&before_home);
    let before_prov = office.get("/indicators/hazards_found?period=2026&scope=county").text();
    assert!(before_prov.contains("第一处隐患"));

    // A new overdue hazard in 西洞镇: every page that lists it shows it at once.
    let second = s.hazard_due("clerk_xd", "620902100", s.county.xidong, "第二处隐患", "2026-11-02");
    let home = head_xd.get("/").text();
    assert_eq!(todo_total(&home), before_todo + 1, "我的待办 count");
    assert!(home.contains("第二处隐患"), "我的待办 item");
    assert!(office.get("/ledgers/hazard").text().contains("第二处隐患"), "台账列表");
    assert!(office.get("/supervise").text().contains("第二处隐患"), "督查督办");
    let prov = office.get("/indicators/hazards_found?period=2026&scope=county").text();
    assert!(prov.contains("第二处隐患"), "指标数据来源");
    let mut want = records_linked(&before_prov);
    want.insert(second);
    assert_eq!(records_linked(&prov), want, "one more record behind the value");
    let audit = auditor.get("/audit").text();
    assert!(
        audit.contains(&format!("/records/{second}")),
        "审计 shows the new event"
    );

    // Scope: the 清水镇 clerk never sees 西洞镇's items, though the office and
    // the 西洞镇 head warmed the same pages.
    let qs = clerk_qs.get("/supervise").text();
    assert!(!qs.contains("第一处隐患") && !qs.contains("第二处隐患"), "scope");
    let qs_home = clerk_qs.get("/").text();
    assert!(!qs_home.contains("第二处隐患"));

    // A renamed unit shows its new name on the record page, the list's filter
    // and 督查督办 at once.
    let rec = office.get(&format!("/records/{first}")).text();
    assert!(rec.contains("西洞镇人民政府") && !rec.contains("西洞镇政府（更名）"));
    let office_access = s.county.access("office");
    s.rt.block_on(
        s.store
            .rename_unit(&office_access, s.county.xidong, "西洞镇政府（更名）"),
    )
    .unwrap();
    let rec = office.get(&format!("/records/{first}")).text();
    assert!(rec.contains("西洞镇政府（更名）"), "record page shows the new name");
    assert!(
        office.get("/ledgers/hazard").text().contains("西洞镇政府（更名）"),
        "list"
    );
    assert!(
        office.get("/supervise").text().contains("西洞镇政府（更名）"),
        "督查督办"
    );

    // Voiding takes the item off 我的待办 and 督查督办.
    let a = s.county.access("office");
    let v = s.rt.block_on(s.store.record(&a, second)).unwrap();
    s.rt.block_on(s.store.void(&a, second, v.row.version, "重复登记"))
        .unwrap();
    let home = head_xd.get("/").text();
    assert_eq!(todo_total(&home), before_todo, "voided item left 我的待办");
    assert!(
        !office.get("/supervise").text().contains("第二处隐患"),
        "voided item left 督查督办"
    );
    s.stop();
}

#[test]
fn the_leader_dashboard_follows_changes() {
    let s = Server::start();
    let mut leader = s.signed_in("leader");
    let dash = leader.get("/").text();
    assert!(dash.contains("领导驾驶舱"));
    assert!(leader.get("/").text() == dash, "a second read is the same page");
    // An overdue item of a unit the leader oversees appears in 红黄预警（按单位）.
    let a = s.county.access("leader");
    let unit = *a.oversees.first().expect("the sample leader oversees a unit");
    let township = if unit == s.county.qingshui {
        "620902101"
    } else {
        "620902100"
    };
    s.hazard_due("office", township, unit, "分管单位超期隐患", "2026-11-03");
    let after = leader.get("/").text();
    assert!(after != dash, "the dashboard changed");
    let section = &after[after.find("红黄预警（按单位）").unwrap()..];
    assert!(section.contains("class=\"red\""), "a red count is shown: {section}");
    s.stop();
}
