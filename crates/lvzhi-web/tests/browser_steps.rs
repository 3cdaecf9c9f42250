//! The 信访 loop of issue 17 in a real browser (headless Chromium over
//! chromedriver) on the sample county, with a clock the test moves: 受理 on
//! 2026年9月28日 (办理时限 12月25日: 60 working days past 国庆), 交办 on 9月30日
//! (签收 by Saturday 10月10日, the 调休 day), 签收, 申请延期 (refused past 30
//! working days, then asked for 12月31日) and 批准延期, 答复 (办结), 回访 不满意
//! (reopened: 重新办理), 答复, 回访 满意 (已化解) — every step through the record
//! page's own form, and after each the concerned users' notices (the clerk's in
//! the inbox page). Finally the leader's 首页 shows an item escalated to her.
//! Screenshots: `target/ui-screenshots/steps-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};
use jiff::Timestamp;
use lvzhi_testkit::county::{County, PASSWORD};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

fn secs(at: &str) -> i64 {
    at.parse::<Timestamp>().unwrap().as_second()
}

/// Sets the inputs of the fields (keys) or the reason named in `values`
/// inside `form` and fires `change`.
async fn fill(c: &Client, form: &str, values: &[(&str, &str)]) {
    let name = |k: &str| if k == "reason" { k.to_string() } else { format!("f.{k}") };
    let pairs: Vec<Value> = values.iter().map(|(n, v)| json!([name(n), v])).collect();
    c.execute(
        "const f = document.querySelector(arguments[0]);
         for (const [n, v] of arguments[1]) {
           const e = f.querySelector('[name=\"' + n + '\"]');
           e.value = v; e.dispatchEvent(new Event('change', {bubbles: true}));
         }",
        vec![json!(form), json!(pairs)],
    )
    .await
    .unwrap();
}

struct Run<'a> {
    c: &'a Client,
    base: String,
    store: &'a lvzhi_store::Store,
    county: &'a County,
    now: Arc<AtomicI64>,
    id: i64,
}

impl Run<'_> {
    /// Moves the clock to 10:00 Beijing time of `day` and signs in afresh as `user`.
    async fn as_user_on(&self, user: &str, day: &str) {
        self.now.store(secs(&format!("{day}T02:00:00Z")), Ordering::SeqCst);
        self.c.delete_all_cookies().await.unwrap();
        browser::login(self.c, &self.base, user, PASSWORD).await;
    }

    /// Takes step `name` on the record page with `values` (and a reason), and
    /// checks the new state.
    async fn step(&self, name: &str, values: &[(&str, &str)], reason: Option<&str>, state: &str) {
        self.c
            .goto(&format!("{}/records/{}", self.base, self.id))
            .await
            .unwrap();
        let form = browser::open_action(self.c, name).await;
        fill(self.c, &form, values).await;
        if let Some(r) = reason {
            fill(self.c, &form, &[("reason", r)]).await;
        }
        browser::submit(self.c, &form).await;
        browser::notice_containing(self.c, "已办理").await;
        assert_eq!(browser::step_state(self.c).await, state, "after {name}");
    }

    /// The newest notice of `user` about the record: (kind, body).
    async fn newest(&self, user: &str) -> (String, String) {
        let a = self.county.access(user);
        let n = self.store.notices(&a, false, 1, None).await.unwrap();
        let n = n.first().unwrap_or_else(|| panic!("{user} has no notice"));
        assert_eq!(n.record_id, Some(self.id), "{user}");
        (n.kind.clone(), n.body.clone())
    }

    async fn told(&self, who: &[&str], kind: &str, says: &str) {
        for u in who {
            let (k, body) = self.newest(u).await;
            assert_eq!(k, kind, "{u}: {body}");
            assert!(body.contains(says), "{u}: “{says}” not in “{body}”");
        }
    }

    async fn deadline(&self) -> (String, String) {
        let v = self.store.record(&Store::system_access(), self.id).await.unwrap();
        (
            v.row.deadline.clone().unwrap_or_default(),
            v.row.fields["deadline"].as_str().unwrap_or("").to_string(),
        )
    }
}

use lvzhi_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn petition_loop_in_chromium_across_the_national_day() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let now = Arc::new(AtomicI64::new(secs("2026-09-24T02:00:00Z")));
    let clock: lvzhi_store::Clock = {
        let now = now.clone();
        Arc::new(move || Timestamp::from_second(now.load(Ordering::SeqCst)).unwrap())
    };
    let db = lvzhi_testkit::TestDb::sqlite();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, clock).await.unwrap();
    store.set_files_dir(db.files_dir());
    let county = lvzhi_testkit::county::build(&store).await;
    let mut p = store.policy();
    p.expiry_days = 0;
    store.set_policy(&Store::system_access(), &p).await.unwrap();
    let base = browser::serve(&store).await;
    let b = tools.launch().await;
    let c = b.c.clone();
    c.set_window_size(1366, 768).await.unwrap();

    // 9月24日: 西洞镇's clerk registers a visit.
    let fields = json!({
        "subject": "工程款拖欠未结", "petitioner": "王秀兰", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工程款",
        "registered_on": "2026-09-24", "township": "620902100",
    });
    let r = store
        .create(
            &county.access("clerk_xd"),
            "petition",
            fields.as_object().unwrap().clone(),
        )
        .await
        .unwrap();
    let run = Run {
        c: &c,
        base: base.clone(),
        store: &store,
        county: &county,
        now: now.clone(),
        id: r.id,
    };

    run.as_user_on("office", "2026-09-28").await;
    run.step("受理", &[("received_on", "2026-09-28")], None, "已受理").await;
    assert_eq!(run.deadline().await, ("2026-12-25".into(), "2026-12-25".into()));
    run.told(&["clerk_xd"], "progress", "办理时限2026年12月25日").await;

    run.as_user_on("office", "2026-09-30").await;
    let yj = county.yingji.to_string();
    run.step("交办", &[("unit", &yj)], None, "已交办").await;
    // 签收 by the 调休 Saturday 10月10日; the record page shows the deadline in force.
    assert_eq!(run.deadline().await, ("2026-10-10".into(), "2026-12-25".into()));
    let page = c.source().await.unwrap();
    assert!(
        page.contains("2026年10月10日（“已交办”环节的时限）"),
        "本环节时限 on the record page"
    );
    run.told(
        &["clerk_yj", "head_yj"],
        "assign",
        "本环节时限2026年10月10日（办理时限2026年12月25日）",
    )
    .await;

    run.as_user_on("clerk_yj", "2026-10-09").await;
    // The clerk's inbox page lists the 交办 with its link.
    c.goto(&format!("{base}/inbox")).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(page.contains("交办：工程款拖欠未结"), "inbox lists the 交办");
    run.step("签收", &[], None, "办理中").await;
    assert_eq!(run.deadline().await, ("2026-12-25".into(), "2026-12-25".into()));
    run.told(&["office"], "progress", "执行了“签收”").await;

    // 延期: past 30 working days refused on the field; then 12月31日 asked for.
    run.as_user_on("clerk_yj", "2026-12-01").await;
    c.goto(&format!("{base}/records/{}", r.id)).await.unwrap();
    let form = browser::open_action(&c, "申请延期").await;
    fill(&c, &form, &[("extend_to", "2027-03-01"), ("reason", "需跨部门核实")]).await;
    browser::submit(&c, &form).await;
    let err = browser::css_within(&c, "details.action[open] .field-error, details.action[open] .error", 15)
        .await
        .text()
        .await
        .unwrap();
    assert!(err.contains("延期不能超过30个工作日"), "{err}");
    browser::shot_page(&c, "steps-extension-refused", 1366, 768, 2400).await;
    run.step(
        "申请延期",
        &[("extend_to", "2026-12-31")],
        Some("涉及多个部门，需进一步调查核实"),
        "延期待批",
    )
    .await;
    run.told(&["head_yj", "office"], "extend", "延至2026年12月31日").await;
    let page = c.source().await.unwrap();
    assert!(
        page.contains("申请延期至2026年12月31日，现办理时限2026年12月25日，待审批"),
        "the pending request on the record page"
    );

    run.as_user_on("head_yj", "2026-12-02").await;
    run.step("批准延期", &[], None, "办理中").await;
    assert_eq!(run.deadline().await, ("2026-12-31".into(), "2026-12-31".into()));
    run.told(&["clerk_yj", "office"], "extend", "批准延期").await;
    // The history keeps the request's reason and the new deadline.
    let page = c.source().await.unwrap();
    assert!(
        page.contains("涉及多个部门，需进一步调查核实"),
        "the reason in 办理过程"
    );
    assert!(page.contains("批准延期：延期待批 → 办理中"), "the decision in 办理过程");
    browser::shot_page(&c, "steps-extended", 1366, 768, 3000).await;

    run.as_user_on("head_yj", "2026-12-10").await;
    run.step(
        "答复",
        &[
            ("handling", "已约谈施工单位"),
            ("reply", "责令施工单位限期支付"),
            ("replied_on", "2026-12-10"),
        ],
        None,
        "已答复",
    )
    .await;
    run.told(&["office"], "progress", "执行了“答复”").await;

    run.as_user_on("office", "2026-12-14").await;
    // The 回访 form asks afresh (no value pre-filled).
    run.step("回访", &[("satisfaction", "不满意")], None, "办理中").await;
    run.told(&["clerk_yj", "head_yj"], "assign", "请重新办理").await;

    run.as_user_on("head_yj", "2026-12-21").await;
    run.step(
        "答复",
        &[("reply", "工程款已全部支付"), ("replied_on", "2026-12-21")],
        None,
        "已答复",
    )
    .await;
    run.told(&["office"], "progress", "执行了“答复”").await;

    run.as_user_on("office", "2026-12-23").await;
    c.goto(&format!("{base}/records/{}", r.id)).await.unwrap();
    let form = browser::open_action(&c, "回访").await;
    let chosen: String = c
        .execute(
            "return document.querySelector(arguments[0] + ' [name=\"f.satisfaction\"]').value;",
            vec![json!(form)],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(chosen, "", "the earlier 不满意 is not pre-filled");
    run.step("回访", &[("satisfaction", "满意")], None, "已化解").await;
    run.told(&["clerk_yj", "head_yj", "clerk_xd"], "closed", "已办结").await;
    browser::shot_page(&c, "steps-closed", 1366, 768, 3600).await;

    // The leader's 首页: an item of 应急管理局 overdue 5 working days is escalated to her.
    let mut h = lvzhi_testkit::county::hazard("620902100", county.yingji, "液氨储罐泄漏报警失灵");
    h.insert("deadline".into(), json!("2026-12-14"));
    let hz = store.create(&county.access("office"), "hazard", h).await.unwrap();
    run.as_user_on("leader", "2026-12-23").await;
    let scan = store.scan_deadlines().await.unwrap();
    assert!(scan.escalated >= 1, "{scan:?}");
    c.goto(&format!("{base}/")).await.unwrap();
    let block = browser::css_within(&c, "#escalated", 15).await.text().await.unwrap();
    assert!(
        block.contains("液氨储罐泄漏报警失灵") && block.contains("应急管理局"),
        "{block}"
    );
    c.find(Locator::Css(&format!("#escalated a[href='/records/{}']", hz.id)))
        .await
        .unwrap();
    browser::shot_page(&c, "steps-leader-home", 1366, 768, 3000).await;

    b.close().await;
    store.close().await;
    db.drop_db().await;
}
