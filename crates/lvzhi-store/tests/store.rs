//! The store's integration tests. Each test body is written once and run on
//! SQLite (a temp file) and on PostgreSQL (a fresh database on 127.0.0.1:5432,
//! skipped with a note when the server is not reachable, unless
//! `LVZHI_REQUIRE_PG=1`). Tests are named `<test>::sqlite` / `<test>::postgres`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_core::deadline::Warning;
use lvzhi_core::event::Event;
use lvzhi_store::db::P;
use lvzhi_store::records::ListQuery;
use lvzhi_store::{Store, StoreError};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

both!(
    hazard_story,
    transition_rules,
    validation,
    stale_version,
    scope,
    list_matches_sees,
    list_filters,
    list_windows,
    list_windows_stay_in_index,
    void,
    chain_tampering,
    concurrent_creates,
    create_failing_after_write,
    login,
    reopen_keeps_data,
    no_pushing_records_out_of_reach,
    create_time_unit_rule,
    search_wildcards,
);

fn no_fields() -> Map<String, Value> {
    Map::new()
}

/// The 整改后照片 the hazard's 提交验收 needs (issue 16), stored and recorded.
async fn after_photo(s: &Store, actor: &lvzhi_store::Access, id: i64) {
    let bytes = lvzhi_files::sample::photo(64, 48, Some("2026:11:24 10:00:00"), None);
    let alg = s.file_alg().await.unwrap();
    let hash = s.files().put_bytes(&bytes, alg).unwrap();
    let file = lvzhi_store::attachments::NewAttachment {
        kind: "整改后照片".into(),
        name: "整改后.jpg".into(),
        size: bytes.len() as i64,
        mime: "image/jpeg".into(),
        hash,
        ..Default::default()
    };
    s.attach(actor, id, file).await.unwrap();
}

/// 1. The closed loop of a hazard: 发现 → 交办 → 提交验收 → 验收销号.
async fn hazard_story(w: World) {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    assert_eq!(r.state, "待交办");
    assert_eq!(r.version, 1);
    // 重大 without a deadline: 90 days from today (2026-11-25).
    assert_eq!(r.deadline.as_deref(), Some("2027-02-23"));
    assert_eq!(r.fields["deadline"], json!("2027-02-23"));
    assert_eq!(r.unit_id, Some(w.yj));
    assert_eq!(r.source_unit_id, Some(w.xd));
    assert_eq!(r.division.as_deref(), Some(XD));
    assert_eq!(r.created_by, Some(w.clerk_xd.user_id));
    assert!(!r.closed && !r.voided);
    assert_eq!(r.title, "配电箱未可靠接地，存在触电风险");
    let seen = s.record(&w.office, r.id).await.unwrap();
    assert_eq!(seen.row, r, "what create returns is what is stored");
    assert_eq!(seen.actions, ["交办"]);
    assert_eq!(seen.warning, Warning::None);

    let r2 = s
        .transition(&w.office, r.id, 1, "交办", no_fields(), None)
        .await
        .unwrap();
    assert_eq!((r2.state.as_str(), r2.version), ("整改中", 2));
    // 提交验收 needs a 整改后照片 (issue 16): refused without one, nothing written.
    let no_photo = s
        .transition(
            &w.clerk_yj,
            r.id,
            2,
            "提交验收",
            map(json!({"measures": "已重新接地并加装漏电保护器", "rectified_on": "2026年11月24日"})),
            None,
        )
        .await;
    match no_photo {
        Err(StoreError::Invalid(errs)) => assert_eq!(errs[0].message, "“提交验收”须先上传至少1份“整改后照片”"),
        other => panic!("expected the evidence refusal, got {other:?}"),
    }
    after_photo(s, &w.clerk_yj, r.id).await;
    let r3 = s
        .transition(
            &w.clerk_yj,
            r.id,
            2,
            "提交验收",
            map(json!({"measures": "已重新接地并加装漏电保护器", "rectified_on": "2026年11月24日"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!((r3.state.as_str(), r3.version), ("待验收", 3));
    assert_eq!(r3.fields["rectified_on"], json!("2026-11-24"));
    assert_eq!(
        r3.deadline.as_deref(),
        Some("2027-02-23"),
        "the deadline field wins over the state's limit"
    );
    let r4 = s
        .transition(
            &w.head_yj,
            r.id,
            3,
            "验收销号",
            map(json!({"acceptance": "整改到位，同意销号", "accepted_by": "李明"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!((r4.state.as_str(), r4.version), ("已销号", 4));
    assert!(r4.closed);
    let stored = s.record(&w.admin, r.id).await.unwrap();
    assert_eq!(stored.row, r4);
    assert!(stored.actions.is_empty());
    assert!(!stored.can_edit);

    // The leader (分管 应急管理局) sees it, with the phone masked.
    let lv = s.record(&w.leader, r.id).await.unwrap();
    assert_eq!(lv.row.fields["contact_phone"], json!("139****5678"));
    assert_eq!(stored.row.fields["contact_phone"], json!("13912345678"));

    let evs = s.record_events(&w.office, r.id).await.unwrap();
    let kinds: Vec<&str> = evs.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "record.create",
            "record.transition",
            "record.attach",
            "record.transition",
            "record.transition"
        ]
    );
    assert_eq!(evs[2].data["kind"], json!("整改后照片"));
    assert!(evs[2].data["hash"].as_str().unwrap().starts_with("sm3:"));
    let actors: Vec<&str> = evs.iter().map(|e| e.actor_name.as_str()).collect();
    assert_eq!(actors, ["clerk_xd", "office", "clerk_yj", "clerk_yj", "head_yj"]);
    let seqs: Vec<i64> = evs.iter().map(|e| e.seq).collect();
    let first = w.setup_events + 1;
    assert_eq!(seqs, [first, first + 1, first + 2, first + 3, first + 4]);
    assert_eq!(r4.last_event, first + 4);
    // The transitions' data below, without the attachment's event.
    let evs: Vec<_> = evs.into_iter().filter(|e| e.kind != "record.attach").collect();
    assert!(evs.iter().all(|e| e.ledger.as_deref() == Some("hazard")));
    assert!(
        evs.iter()
            .all(|e| e.entity_id.as_deref() == Some(r.id.to_string().as_str()))
    );
    assert_eq!(evs[0].data["state"], json!("待交办"));
    assert_eq!(evs[0].data["after"]["grade"], json!("重大"));
    assert_eq!(evs[0].data["after"]["deadline"], json!("2027-02-23"));
    assert_eq!(evs[1].data["transition"], json!("交办"));
    assert_eq!(
        (&evs[1].data["from"], &evs[1].data["to"]),
        (&json!("待交办"), &json!("整改中"))
    );
    assert_eq!(evs[1].data["before"], json!({}));
    assert_eq!(evs[1].data["after"], json!({}));
    assert_eq!(evs[2].data["transition"], json!("提交验收"));
    assert_eq!(evs[2].data["before"], json!({"measures": null, "rectified_on": null}));
    assert_eq!(
        evs[2].data["after"],
        json!({"measures": "已重新接地并加装漏电保护器", "rectified_on": "2026-11-24"})
    );
    assert_eq!(
        (&evs[3].data["from"], &evs[3].data["to"]),
        (&json!("待验收"), &json!("已销号"))
    );
    assert_eq!(
        evs[3].data["after"],
        json!({"acceptance": "整改到位，同意销号", "accepted_by": "李明"})
    );
    assert_eq!(evs[3].data["before"], json!({"acceptance": null, "accepted_by": null}));

    // Events are masked like records.
    let lev = s.record_events(&w.leader, r.id).await.unwrap();
    assert_eq!(lev[0].data["after"]["contact_phone"], json!("139****5678"));
    let aev = s.events(&w.auditor, None, Some("record."), 10).await.unwrap();
    assert_eq!(aev.len(), 5, "4 record events and the attachment's");
    assert_eq!(aev[4].data["after"]["contact_phone"], json!("139****5678"));
    expect_status(s.events(&w.office, None, None, 10).await, 403);

    let v = s.verify_chain().await.unwrap();
    assert_eq!(v.verified, w.setup_events + 5);
    assert_eq!((v.error, v.broken_at), (None, None));
}

/// 2. Every rule of a transition; a refused one writes nothing.
async fn transition_rules(w: World) {
    let s = &w.store;
    let id = s
        .create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj)))
        .await
        .unwrap()
        .id;
    let before = w.snapshot(id).await;
    // Forbidden by role: clerks cannot 交办.
    expect_status(s.transition(&w.clerk_xd, id, 1, "交办", no_fields(), None).await, 403);
    expect_status(s.transition(&w.clerk_yj, id, 1, "交办", no_fields(), None).await, 403);
    expect_status(s.transition(&w.leader, id, 1, "交办", no_fields(), None).await, 403);
    // Wrong state.
    let accept = || map(json!({"acceptance": "合格", "accepted_by": "李明"}));
    let rectify = || map(json!({"measures": "已整改", "rectified_on": "2026-11-24"}));
    expect_status(s.transition(&w.head_yj, id, 1, "验收销号", accept(), None).await, 409);
    expect_status(s.transition(&w.clerk_yj, id, 1, "提交验收", rectify(), None).await, 409);
    expect_status(
        s.transition(&w.office, id, 1, "退回", no_fields(), Some("不合格".into()))
            .await,
        409,
    );
    // No such transition; a stale version.
    expect_status(s.transition(&w.office, id, 1, "跳过", no_fields(), None).await, 404);
    expect_status(s.transition(&w.office, id, 7, "交办", no_fields(), None).await, 409);
    assert_eq!(w.snapshot(id).await, before, "refusals write nothing");

    // Allowed: a unit head of the township takes 交办.
    let r = s
        .transition(&w.head_xd, id, 1, "交办", no_fields(), None)
        .await
        .unwrap();
    assert_eq!((r.state.as_str(), r.version), ("整改中", 2));
    expect_status(s.transition(&w.office, id, 2, "交办", no_fields(), None).await, 409);

    // Missing required fields, named by label; blank counts as missing.
    after_photo(s, &w.clerk_yj, id).await;
    let before = w.snapshot(id).await;
    let t = |f: Map<String, Value>| s.transition(&w.clerk_yj, id, 2, "提交验收", f, None);
    assert_eq!(invalid_labels(t(no_fields()).await), ["整改措施", "整改完成日期"]);
    assert_eq!(
        invalid_labels(t(map(json!({"measures": "已整改"}))).await),
        ["整改完成日期"]
    );
    assert_eq!(
        invalid_labels(t(map(json!({"measures": "   ", "rectified_on": "2026-11-24"}))).await),
        ["整改措施"]
    );
    assert_eq!(
        invalid_fields(t(map(json!({"measures": "已整改", "rectified_on": "昨天"}))).await),
        ["rectified_on"]
    );
    let msg = s
        .transition(&w.clerk_yj, id, 2, "提交验收", no_fields(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("整改措施") && msg.contains("整改完成日期"), "{msg}");
    // Readers cannot take transitions.
    expect_status(s.transition(&w.auditor, id, 2, "提交验收", rectify(), None).await, 403);
    // The evaluator does not see the record at all: the same 404 as a missing one.
    expect_status(
        s.transition(&w.evaluator, id, 2, "提交验收", rectify(), None).await,
        404,
    );
    assert_eq!(w.snapshot(id).await, before, "refusals write nothing");

    let r = s
        .transition(&w.clerk_yj, id, 2, "提交验收", rectify(), None)
        .await
        .unwrap();
    assert_eq!((r.state.as_str(), r.version), ("待验收", 3));

    // 退回 needs a reason, and a role that may take it.
    let before = w.snapshot(id).await;
    expect_status(
        s.transition(&w.clerk_yj, id, 3, "退回", no_fields(), Some("x".into()))
            .await,
        403,
    );
    assert_eq!(
        invalid_fields(s.transition(&w.head_yj, id, 3, "退回", no_fields(), None).await),
        ["reason"]
    );
    assert_eq!(
        invalid_fields(
            s.transition(&w.head_yj, id, 3, "退回", no_fields(), Some("  \t".into()))
                .await
        ),
        ["reason"]
    );
    assert_eq!(w.snapshot(id).await, before, "refusals write nothing");
    let r = s
        .transition(&w.head_yj, id, 3, "退回", no_fields(), Some("接地电阻仍不合格".into()))
        .await
        .unwrap();
    assert_eq!((r.state.as_str(), r.version), ("整改中", 4));
    let evs = s.record_events(&w.head_yj, id).await.unwrap();
    let last = evs.last().unwrap();
    assert_eq!(last.data["transition"], json!("退回"));
    assert_eq!(last.data["reason"], json!("接地电阻仍不合格"));
    assert_eq!(
        (&last.data["from"], &last.data["to"]),
        (&json!("待验收"), &json!("整改中"))
    );
    assert_eq!(evs.len(), 5, "create, 交办, the photo, 提交验收, 退回");

    // 交办 requires a responsible unit: missing on a record the office entered.
    let r = s.create(&w.office, "hazard", hazard(ZZ, None)).await.unwrap();
    assert_eq!(r.unit_id, None);
    let before = w.snapshot(r.id).await;
    assert_eq!(
        invalid_labels(s.transition(&w.office, r.id, 1, "交办", no_fields(), None).await),
        ["责任单位"]
    );
    assert_eq!(
        invalid_fields(
            s.transition(
                &w.office,
                r.id,
                1,
                "交办",
                map(json!({"responsible_unit": 987_654})),
                None
            )
            .await
        ),
        ["responsible_unit"]
    );
    assert_eq!(w.snapshot(r.id).await, before, "refusals write nothing");
    // …and may be supplied with the transition.
    let r = s
        .transition(&w.office, r.id, 1, "交办", map(json!({"responsible_unit": w.yj})), None)
        .await
        .unwrap();
    assert_eq!((r.state.as_str(), r.unit_id), ("整改中", Some(w.yj)));
    let evs = s.record_events(&w.office, r.id).await.unwrap();
    assert_eq!(evs[1].data["before"], json!({"responsible_unit": null}));
    assert_eq!(evs[1].data["after"], json!({"responsible_unit": w.yj}));

    // A closed record takes no more transitions and no edits.
    after_photo(s, &w.head_yj, r.id).await;
    let r = s
        .transition(&w.head_yj, r.id, 2, "提交验收", rectify(), None)
        .await
        .unwrap();
    let r = s
        .transition(&w.office, r.id, 3, "验收销号", accept(), None)
        .await
        .unwrap();
    assert!(r.closed);
    let before = w.snapshot(r.id).await;
    expect_status(
        s.transition(&w.office, r.id, 4, "退回", no_fields(), Some("重查".into()))
            .await,
        409,
    );
    expect_status(s.update(&w.office, r.id, 4, map(json!({"company": "改名"}))).await, 409);
    expect_status(s.urge(&w.office, r.id, "催").await, 409);
    assert_eq!(w.snapshot(r.id).await, before, "refusals write nothing");
    assert!(s.verify_chain().await.unwrap().error.is_none());
}

/// 3. Bad values: every field named at once, nothing written.
async fn validation(w: World) {
    let s = &w.store;
    let (events0, records0) = (event_count(s).await, record_count(s).await);
    let mut f = hazard(XD, Some(w.yj));
    f.insert("credit_code".into(), json!("91440300708461136K"));
    f.insert("found_on".into(), json!("2026-02-30"));
    f.insert("industry".into(), json!("航天"));
    f.insert("colour".into(), json!("red"));
    let e = s.create(&w.office, "hazard", f.clone()).await;
    let msg = e.as_ref().map(|_| ()).unwrap_err().to_string();
    assert_eq!(invalid_fields(e), ["colour", "credit_code", "industry", "found_on"]);
    for part in ["统一社会信用代码", "校验位", "行业", "航天", "发现日期", "colour"] {
        assert!(msg.contains(part), "{part} not in {msg}");
    }
    assert_eq!(
        invalid_labels(s.create(&w.office, "hazard", f).await),
        ["colour", "统一社会信用代码", "行业", "发现日期"]
    );
    // Malformed references and shapes.
    let mut f = hazard("62090", None);
    f.insert("responsible_unit".into(), json!("abc"));
    f.insert("grade".into(), json!(3));
    f.insert("description".into(), json!({"a": 1}));
    f.insert("company".into(), json!("企".repeat(101)));
    assert_eq!(
        invalid_fields(s.create(&w.office, "hazard", f).await),
        ["description", "company", "grade", "township", "responsible_unit"]
    );
    // Well-formed references to things that do not exist.
    let msg = expect_status(
        s.create(&w.office, "hazard", hazard("620902199", Some(99_999))).await,
        422,
    );
    assert!(msg.contains("620902199") && msg.contains("99999"), "{msg}");
    assert_eq!(
        invalid_fields(s.create(&w.office, "hazard", hazard("620902199", Some(99_999))).await),
        ["township", "responsible_unit"]
    );
    // Required fields.
    let mut f = hazard(XD, None);
    f.remove("description");
    f.insert("company".into(), json!("  "));
    assert_eq!(
        invalid_labels(s.create(&w.office, "hazard", f).await),
        ["隐患描述", "企业名称"]
    );
    assert_eq!(
        invalid_fields(s.create(&w.office, "hazard", no_fields()).await).len(),
        6
    );
    // An import is all or nothing; the bad row is numbered.
    let mut bad = hazard(XD, None);
    bad.insert("found_on".into(), json!("2026-11-31"));
    let rows = vec![(hazard(XD, None), None), (bad, None), (hazard(QS, None), None)];
    let e = s.create_many(&w.office, "hazard", rows, Some("import-1".into())).await;
    assert_eq!(invalid_fields(e), ["found_on"]);
    let rows = vec![(hazard(XD, None), None), (hazard(QS, None), None)];
    let msg = expect_status(s.create_many(&w.clerk_xd, "hazard", rows, None).await, 403);
    assert!(msg.contains("第2条"), "{msg}");
    let rows = vec![(hazard(XD, None), Some("没有的状态".to_string()))];
    expect_status(s.create_many(&w.office, "hazard", rows, None).await, 400);
    assert_eq!(
        (event_count(s).await, record_count(s).await),
        (events0, records0),
        "nothing written"
    );

    // Values are normalised.
    let mut f = hazard(XD, Some(w.yj));
    f.insert("credit_code".into(), json!("91440300708461136t"));
    f.insert("industry".into(), json!("危化品"));
    f.insert("found_on".into(), json!("2026年11月3日"));
    f.insert("grade".into(), json!("一般隐患"));
    let r = s.create(&w.office, "hazard", f).await.unwrap();
    assert_eq!(r.fields["credit_code"], json!("91440300708461136T"));
    assert_eq!(r.fields["industry"], json!("危险化学品"));
    assert_eq!(r.fields["found_on"], json!("2026-11-03"));
    assert_eq!(r.fields["grade"], json!("一般"));
    assert_eq!(r.deadline.as_deref(), Some("2026-12-25"), "一般: 30 days");

    // Updates validate the same way.
    let before = w.snapshot(r.id).await;
    let u = |f: Value| s.update(&w.office, r.id, 1, map(f));
    assert_eq!(
        invalid_fields(u(json!({"deadline": "明天", "responsible_unit": 424_242, "nope": 1})).await),
        ["nope", "deadline"]
    );
    assert_eq!(
        invalid_fields(u(json!({"responsible_unit": 424_242})).await),
        ["responsible_unit"]
    );
    assert_eq!(invalid_fields(u(json!({"township": "620902188"})).await), ["township"]);
    assert_eq!(invalid_fields(u(json!({"company": ""})).await), ["company"]);
    assert_eq!(invalid_fields(u(json!({"company": null})).await), ["company"]);
    assert_eq!(invalid_fields(u(json!({"credit_code": "123"})).await), ["credit_code"]);
    assert_eq!(w.snapshot(r.id).await, before, "refusals write nothing");
    let r2 = u(json!({"deadline": "2026-12-31", "credit_code": ""})).await.unwrap();
    assert_eq!((r2.version, r2.deadline.as_deref()), (2, Some("2026-12-31")));
    assert!(
        !r2.fields.contains_key("credit_code"),
        "an optional field can be cleared"
    );
    let evs = s.record_events(&w.office, r.id).await.unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].kind, "record.update");
    assert_eq!(
        evs[1].data["before"],
        json!({"deadline": "2026-12-25", "credit_code": "91440300708461136T"})
    );
    assert_eq!(
        evs[1].data["after"],
        json!({"deadline": "2026-12-31", "credit_code": null})
    );
}

/// 4. An update from a stale version is refused and changes nothing.
async fn stale_version(w: World) {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let u = s
        .update(&w.clerk_xd, r.id, 1, map(json!({"company": "新名称有限公司"})))
        .await
        .unwrap();
    assert_eq!(u.version, 2);
    let before = w.snapshot(r.id).await;
    let msg = expect_status(
        s.update(&w.clerk_xd, r.id, 1, map(json!({"company": "旧版本的修改"})))
            .await,
        409,
    );
    assert!(msg.contains("版本"), "{msg}");
    expect_status(
        s.update(&w.clerk_xd, r.id, 3, map(json!({"company": "未来版本"})))
            .await,
        409,
    );
    expect_status(s.transition(&w.office, r.id, 1, "交办", no_fields(), None).await, 409);
    expect_status(s.void(&w.office, r.id, 1, "重复").await, 409);
    assert_eq!(w.snapshot(r.id).await, before);
    assert_eq!(
        s.record(&w.admin, r.id).await.unwrap().row.fields["company"],
        json!("新名称有限公司")
    );

    // An update that changes nothing is not an event.
    let same = s
        .update(&w.clerk_xd, r.id, 2, map(json!({"company": "新名称有限公司"})))
        .await
        .unwrap();
    assert_eq!(same.version, 2);
    assert_eq!(w.snapshot(r.id).await, before);

    // Two writers from the same version: exactly one wins.
    let a = s.update(&w.clerk_xd, r.id, 2, map(json!({"company": "甲公司"})));
    let b = s.update(&w.head_xd, r.id, 2, map(json!({"company": "乙公司"})));
    let (a, b) = tokio::join!(a, b);
    assert!(a.is_ok() != b.is_ok(), "{a:?} / {b:?}");
    let loser = if a.is_ok() { b } else { a };
    expect_status(loser, 409);
    let now = s.record(&w.admin, r.id).await.unwrap().row;
    assert_eq!(now.version, 3);
    assert_eq!(s.record_events(&w.admin, r.id).await.unwrap().len(), 3);
}

/// 5. Scope: who sees and writes a 西洞镇 record and a 清水镇 record.
async fn scope(w: World) {
    let s = &w.store;
    let id = s
        .create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj)))
        .await
        .unwrap()
        .id;
    let q = s.create(&w.clerk_qs, "hazard", hazard(QS, None)).await.unwrap();
    assert_eq!(q.unit_id, Some(w.qs), "a clerk's record defaults to the clerk's unit");

    // clerk_qs can neither read nor write the 西洞镇 record, and is answered
    // exactly as for an id that does not exist (no probing for existence).
    let before = w.snapshot(id).await;
    let missing = 1_000_000;
    let pairs = [
        (
            s.record(&w.clerk_qs, id).await.map(|_| ()),
            s.record(&w.clerk_qs, missing).await.map(|_| ()),
        ),
        (
            s.record_events(&w.clerk_qs, id).await.map(|_| ()),
            s.record_events(&w.clerk_qs, missing).await.map(|_| ()),
        ),
        (
            s.update(&w.clerk_qs, id, 1, map(json!({"company": "x"})))
                .await
                .map(|_| ()),
            s.update(&w.clerk_qs, missing, 1, map(json!({"company": "x"})))
                .await
                .map(|_| ()),
        ),
        (
            s.transition(&w.clerk_qs, id, 1, "交办", no_fields(), None)
                .await
                .map(|_| ()),
            s.transition(&w.clerk_qs, missing, 1, "交办", no_fields(), None)
                .await
                .map(|_| ()),
        ),
        (
            s.void(&w.clerk_qs, id, 1, "重复录入").await.map(|_| ()),
            s.void(&w.clerk_qs, missing, 1, "重复录入").await.map(|_| ()),
        ),
    ];
    for (out, none) in pairs {
        let (e, m) = (out.unwrap_err(), none.unwrap_err());
        assert_eq!(e.status(), 404, "{e}");
        assert_eq!(
            e.to_string().replace(&id.to_string(), "#"),
            m.to_string().replace(&missing.to_string(), "#")
        );
    }
    // 催办 is the office's: the clerk's role is refused before the record is looked at.
    expect_status(s.urge(&w.clerk_qs, id, "请尽快").await, 403);
    assert_eq!(w.snapshot(id).await, before, "refusals write nothing");

    let sees_xd = [
        "admin", "office", "leader", "clerk_xd", "head_xd", "clerk_yj", "head_yj", "auditor",
    ];
    let sees_qs = ["admin", "office", "clerk_qs", "auditor"];
    let all = ListQuery::default();
    for (name, a) in w.users() {
        let listed = ids(&list_all(s, a, &all).await);
        assert_eq!(
            listed.contains(&id),
            sees_xd.contains(&name),
            "{name} lists the 西洞镇 record"
        );
        assert_eq!(
            listed.contains(&q.id),
            sees_qs.contains(&name),
            "{name} lists the 清水镇 record"
        );
        assert_eq!(
            s.record(a, id).await.is_ok(),
            sees_xd.contains(&name),
            "{name} reads the 西洞镇 record"
        );
        assert_eq!(
            s.record(a, q.id).await.is_ok(),
            sees_qs.contains(&name),
            "{name} reads the 清水镇 record"
        );
        assert_eq!(
            s.record_events(a, id).await.is_ok(),
            sees_xd.contains(&name),
            "{name} reads its events"
        );
        let count = s
            .list(
                a,
                "hazard",
                &ListQuery {
                    count: true,
                    ..all.clone()
                },
            )
            .await
            .unwrap()
            .total;
        assert_eq!(count, Some(listed.len() as i64), "{name} count");
    }
    assert!(list_all(s, &w.evaluator, &all).await.is_empty());
    expect_status(s.record(&w.evaluator, id).await, 404);

    // Township staff register only in their township (its villages included).
    let (e0, r0) = (event_count(s).await, record_count(s).await);
    expect_status(s.create(&w.clerk_xd, "hazard", hazard(QS, None)).await, 403);
    expect_status(s.create(&w.clerk_xd, "hazard", hazard(QS, Some(w.yj))).await, 403);
    expect_status(s.create(&w.head_xd, "hazard", hazard(COUNTY, None)).await, 403);
    expect_status(s.update(&w.clerk_xd, id, 1, map(json!({"township": QS}))).await, 403);
    // Readers write nothing.
    expect_status(s.create(&w.auditor, "hazard", hazard(XD, None)).await, 403);
    expect_status(s.create(&w.evaluator, "hazard", hazard(XD, None)).await, 403);
    expect_status(s.create(&w.leader, "hazard", hazard(XD, Some(w.yj))).await, 403);
    expect_status(s.update(&w.auditor, id, 1, map(json!({"company": "x"}))).await, 403);
    expect_status(s.transition(&w.auditor, id, 1, "交办", no_fields(), None).await, 403);
    expect_status(s.void(&w.auditor, id, 1, "审计").await, 403);
    expect_status(s.urge(&w.auditor, id, "审计").await, 403);
    // The evaluator does not see it: 404, as for a missing record.
    expect_status(s.update(&w.evaluator, id, 1, map(json!({"company": "x"}))).await, 404);
    assert_eq!(
        (event_count(s).await, record_count(s).await),
        (e0, r0),
        "refusals write nothing"
    );
    let v = s.create(&w.clerk_xd, "hazard", hazard(XD_VILLAGE, None)).await.unwrap();
    assert_eq!((v.division.as_deref(), v.unit_id), (Some(XD_VILLAGE), Some(w.xd)));

    // Ids that do not exist.
    let (e0, r0) = (event_count(s).await, record_count(s).await);
    expect_status(s.record(&w.admin, 999_999).await, 404);
    expect_status(s.record_events(&w.admin, 999_999).await, 404);
    expect_status(s.update(&w.admin, 999_999, 1, map(json!({"company": "x"}))).await, 404);
    expect_status(s.transition(&w.admin, 999_999, 1, "交办", no_fields(), None).await, 404);
    expect_status(s.void(&w.admin, 999_999, 1, "x").await, 404);
    expect_status(s.urge(&w.admin, 999_999, "x").await, 404);
    expect_status(s.list(&w.admin, "no_such_ledger", &all).await, 404);
    expect_status(s.create(&w.admin, "no_such_ledger", hazard(XD, None)).await, 404);
    assert_eq!(
        (event_count(s).await, record_count(s).await),
        (e0, r0),
        "refusals write nothing"
    );

    // The leader urges an item of a unit overseen; a clerk may not urge.
    expect_status(s.urge(&w.clerk_xd, id, "请抓紧").await, 403);
    let u = s.urge(&w.leader, id, "请抓紧整改").await.unwrap();
    assert_eq!((u.urge_count, u.version), (1, 1));
    let evs = s.record_events(&w.leader, id).await.unwrap();
    assert_eq!(evs.last().unwrap().kind, "record.urge");
    assert_eq!(evs.last().unwrap().data["note"], json!("请抓紧整改"));
}

/// 6. `list()` returns exactly the records `Access::sees` allows, over random records
///    with random 协办 units (written straight into `record_co_units`: the scope reads
///    the table whatever the ledger).
async fn list_matches_sees(w: World) {
    use proptest::test_runner::{Config, TestRunner};
    let handle = tokio::runtime::Handle::current();
    let cases = if is_pg(&w.store) { 24 } else { 64 };
    let strategy = proptest::collection::vec((0usize..5, 0usize..4, 0usize..7, 0usize..5), 1..6);
    tokio::task::block_in_place(|| {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, |recs| handle.block_on(list_case(&w, recs))) {
            panic!("{e}");
        }
    });
}

async fn list_case(
    w: &World,
    recs: Vec<(usize, usize, usize, usize)>,
) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::test_runner::TestCaseError;
    use proptest::{prop_assert, prop_assert_eq};
    let towns = [XD, QS, ZZ, XD_VILLAGE, COUNTY];
    let units = [None, Some(w.xd), Some(w.qs), Some(w.yj)];
    let creators = [
        &w.admin,
        &w.office,
        &w.clerk_xd,
        &w.head_xd,
        &w.clerk_qs,
        &w.clerk_yj,
        &w.head_yj,
    ];
    let co_sets: [&[i64]; 5] = [&[], &[w.xd], &[w.qs], &[w.yj, w.xd], &[w.yj]];
    for (t, u, c, co) in recs {
        let actor = creators[c];
        let r = w.store.create(actor, "hazard", hazard(towns[t], units[u])).await;
        // The create-time unit rule: a clerk or head names their own unit or,
        // for a hazard awaiting 交办, a county department.
        let unit_ok = !matches!(
            actor.role,
            lvzhi_core::access::Role::UnitClerk | lvzhi_core::access::Role::UnitHead
        ) || units[u].is_none_or(|x| Some(x) == actor.unit || x == w.yj);
        if actor.may_place_in(Some(towns[t])) && !unit_ok {
            prop_assert!(matches!(r, Err(StoreError::Invalid(_))), "{}: {:?}", actor.username, r);
        } else if actor.may_place_in(Some(towns[t])) {
            let row =
                r.map_err(|e| TestCaseError::fail(format!("{} creating in {}: {e:?}", actor.username, towns[t])))?;
            prop_assert!(
                actor.sees(&row.scope()),
                "{} cannot see what it created",
                actor.username
            );
            let mut raw = raw(&w.store).await;
            for unit in co_sets[co] {
                raw.conn()
                    .exec(
                        "INSERT INTO record_co_units (record_id, unit_id, added_at, added_by) VALUES ($1, $2, $3, $4)",
                        &[P::I(row.id), P::I(*unit), P::T(NOW.into()), P::I(w.office.user_id)],
                    )
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        } else {
            prop_assert!(
                matches!(r, Err(StoreError::Forbidden(_))),
                "{} in {}: {:?}",
                actor.username,
                towns[t],
                r
            );
        }
    }
    let q = ListQuery {
        limit: Some(500),
        ..ListQuery::default()
    };
    let mut every = list_all(&w.store, &w.admin, &q).await;
    prop_assert_eq!(every.len() as i64, record_count(&w.store).await);
    // List rows carry no 协办 units (their scope is the SQL's): read them as a single read does.
    let mut co: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let rows = raw(&w.store)
        .await
        .conn()
        .rows("SELECT record_id, unit_id FROM record_co_units ORDER BY unit_id", &[])
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for r in rows {
        co.entry(r.i(0)).or_default().push(r.i(1));
    }
    for v in &mut every {
        v.row.co_units = co.remove(&v.row.id).unwrap_or_default();
    }
    if let Some(v) = every.iter().find(|v| !v.row.co_units.is_empty()) {
        // A single read carries them (what the writer checks against).
        let one = w
            .store
            .record(&w.admin, v.row.id)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&one.row.co_units, &v.row.co_units);
    }
    for (name, a) in w.users() {
        let expected: BTreeSet<i64> = every
            .iter()
            .filter(|v| a.sees(&v.row.scope()))
            .map(|v| v.row.id)
            .collect();
        let got = ids(&list_all(&w.store, a, &q).await);
        let got_set: BTreeSet<i64> = got.iter().copied().collect();
        prop_assert_eq!(got.len(), got_set.len(), "{} lists duplicates", name);
        prop_assert_eq!(
            &got_set,
            &expected,
            "{} lists what it should not, or misses what it should",
            name
        );
        let total = w
            .store
            .list(
                a,
                "hazard",
                &ListQuery {
                    count: true,
                    limit: Some(1),
                    ..q.clone()
                },
            )
            .await;
        prop_assert_eq!(
            total.map_err(|e| TestCaseError::fail(e.to_string()))?.total,
            Some(expected.len() as i64)
        );
    }
    Ok(())
}

/// 7a. Lists walk their order in bounded windows and fall back to sorting for
/// selective filters: with tiny windows every path is taken, and every filter
/// and sort gives exactly the rows, in exactly the order, of one plain page.
async fn list_windows(w: World) {
    let towns = [XD, QS, ZZ, XD_VILLAGE];
    let units = [w.xd, w.qs, w.yj];
    let states = [None, Some("整改中"), Some("已销号"), Some("待验收")];
    let rows: Vec<(Map<String, Value>, Option<String>)> = (0..150usize)
        .map(|i| {
            let mut f = hazard(towns[i % 4], Some(units[i % 3]));
            // Many equal deadlines, so ties are broken by id across window ends.
            f.insert("deadline".into(), json!(format!("2026-11-{:02}", 10 + (i * 7) % 20)));
            let company = if i % 50 == 7 {
                "罕见企业".to_string()
            } else {
                format!("企业{}", i % 9)
            };
            f.insert("company".into(), json!(company));
            (f, states[(i / 5) % 4].map(str::to_string))
        })
        .collect();
    let ids = w
        .store
        .create_many(&Store::system_access(), "hazard", rows, None)
        .await
        .unwrap();
    assert_eq!(ids.len(), 150);
    // Records without a deadline come last in deadline order.
    let mut raw = raw(&w.store).await;
    raw.conn()
        .exec(
            "UPDATE records SET deadline = NULL WHERE id % 11 = 0 AND ledger = 'hazard'",
            &[],
        )
        .await
        .unwrap();
    // Change times in a mixed order (with ties), so `updated` differs from id order.
    raw.conn()
        .exec(
            "UPDATE records SET updated_at = '2026-11-0' || CAST(id % 7 AS TEXT) WHERE ledger = 'hazard'",
            &[],
        )
        .await
        .unwrap();
    let mut small = w.store.clone();
    small.set_list_windows(3, 12);
    let filters = [
        ListQuery::default(),
        ListQuery {
            unit: Some(w.yj),
            ..ListQuery::default()
        },
        ListQuery {
            division: Some(QS.into()),
            ..ListQuery::default()
        },
        ListQuery {
            warning: Some("red".into()),
            ..ListQuery::default()
        },
        ListQuery {
            state: Some("整改中".into()),
            open: true,
            ..ListQuery::default()
        },
        ListQuery {
            q: Some("罕见企业".into()),
            ..ListQuery::default()
        },
        ListQuery {
            q: Some("没有这家".into()),
            ..ListQuery::default()
        },
    ];
    for f in filters {
        for sort in ["id", "deadline", "updated", "created"] {
            let q = ListQuery {
                sort: Some(sort.into()),
                ..f.clone()
            };
            let plain = w
                .store
                .list(
                    &w.admin,
                    "hazard",
                    &ListQuery {
                        limit: Some(500),
                        ..q.clone()
                    },
                )
                .await
                .unwrap();
            assert!(plain.next.is_none());
            let want = ids_of(&plain.items);
            for limit in [1, 4, 7] {
                let got = list_all(
                    &small,
                    &w.admin,
                    &ListQuery {
                        limit: Some(limit),
                        ..q.clone()
                    },
                )
                .await;
                assert_eq!(ids_of(&got), want, "sort {sort}, limit {limit}, {f:?}");
            }
            // The plain page is itself in order.
            let key = |v: &lvzhi_store::records::RecordView| match sort {
                "deadline" => (
                    v.row.deadline.is_none(),
                    v.row.deadline.clone().unwrap_or_default(),
                    v.row.id,
                ),
                "updated" => (false, v.row.updated_at.clone(), -v.row.id),
                _ => (false, String::new(), -v.row.id),
            };
            let mut sorted = plain.items.clone();
            if sort == "updated" {
                sorted.sort_by(|a, b| key(b).1.cmp(&key(a).1).then(b.row.id.cmp(&a.row.id)));
            } else {
                sorted.sort_by_key(key);
            }
            assert_eq!(ids_of(&sorted), want, "order of sort {sort}, {f:?}");
        }
    }
    let rare = list_all(
        &small,
        &w.admin,
        &ListQuery {
            q: Some("罕见企业".into()),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(rare.len(), 3);
}

/// A list window is filtered inside its order's index: for the common filters and every
/// reader's scope, SQLite reads the window's ids from a covering index (no table row per
/// index entry). A filter column missing from the order indexes (migration 0010) fails this.
/// On PostgreSQL the same SQL must plan (its planner picks by cost on this small table).
async fn list_windows_stay_in_index(w: World) {
    let sqlite = matches!(w.store.target(), lvzhi_store::db::Target::Sqlite(_));
    let filters = [
        ListQuery::default(),
        ListQuery {
            state: Some("整改中".into()),
            ..ListQuery::default()
        },
        ListQuery {
            unit: Some(w.yj),
            open: true,
            ..ListQuery::default()
        },
        ListQuery {
            division: Some(QS.into()),
            state: Some("待交办".into()),
            ..ListQuery::default()
        },
        ListQuery {
            owner: Some(w.leader_person),
            ..ListQuery::default()
        },
        ListQuery {
            warning: Some("red".into()),
            ..ListQuery::default()
        },
        ListQuery {
            warning: Some("yellow".into()),
            date_field: Some("deadline".into()),
            from: Some("2026-01-01".into()),
            ..ListQuery::default()
        },
    ];
    for reader in [&w.admin, &w.office, &w.leader, &w.clerk_xd, &w.head_xd] {
        for f in &filters {
            for sort in ["id", "deadline", "updated"] {
                let q = ListQuery {
                    sort: Some(sort.into()),
                    ..f.clone()
                };
                let plan = w.store.explain_list_window(reader, "hazard", &q).await.unwrap();
                assert!(!plan.is_empty());
                if sqlite {
                    let text = plan.join(" / ");
                    assert!(
                        text.contains("COVERING INDEX records_order_"),
                        "{:?} sort {sort} {f:?}: {text}",
                        reader.role
                    );
                }
            }
        }
    }
}

fn ids_of(items: &[lvzhi_store::records::RecordView]) -> Vec<i64> {
    items.iter().map(|v| v.row.id).collect()
}

/// 7. List filters, warnings, search, sort and cursor pagination, limits.
async fn list_filters(w: World) {
    let s = &w.store;
    let mk = |town: &str, unit: i64, found: &str, deadline: &str, company: &str| {
        let mut f = hazard(town, Some(unit));
        f.insert("found_on".into(), json!(found));
        f.insert("deadline".into(), json!(deadline));
        f.insert("company".into(), json!(company));
        f
    };
    let rows = [
        ("a", mk(XD, w.yj, "2026-11-01", "2026-11-20", "祁连化工有限公司")),
        ("b", mk(XD_VILLAGE, w.xd, "2026-11-05", "2026-11-24", "西洞砖厂")),
        ("c", mk(QS, w.qs, "2026-11-10", "2026-11-25", "清水面粉厂")),
        ("d", mk(QS, w.yj, "2026-11-15", "2026-11-30", "祁连矿业有限公司")),
        ("e", mk(ZZ, w.yj, "2026-11-20", "2026-12-01", "总寨加油站")),
        ("f", mk(ZZ, w.qs, "2026-11-25", "2027-01-01", "总寨商场")),
        ("g", mk(XD, w.yj, "2026-10-01", "2026-11-20", "已销号企业")),
        ("h", mk(QS, w.qs, "2026-11-12", "2026-11-25", "清水饭店")),
    ];
    let mut id = BTreeMap::new();
    for (k, f) in rows {
        id.insert(k, s.create(&w.office, "hazard", f).await.unwrap().id);
    }
    let set = |ks: &str| -> BTreeSet<i64> { ks.chars().map(|c| id[c.to_string().as_str()]).collect() };
    s.transition(&w.office, id["a"], 1, "交办", no_fields(), None)
        .await
        .unwrap();
    s.transition(&w.office, id["d"], 1, "交办", no_fields(), None)
        .await
        .unwrap();
    let g = id["g"];
    s.transition(&w.office, g, 1, "交办", no_fields(), None).await.unwrap();
    after_photo(s, &w.head_yj, g).await;
    s.transition(
        &w.head_yj,
        g,
        2,
        "提交验收",
        map(json!({"measures": "已整改", "rectified_on": "2026-11-19"})),
        None,
    )
    .await
    .unwrap();
    s.transition(
        &w.office,
        g,
        3,
        "验收销号",
        map(json!({"acceptance": "合格", "accepted_by": "李明"})),
        None,
    )
    .await
    .unwrap();

    let admin = &w.admin;
    let list = |q: ListQuery| async move {
        let items = list_all(s, admin, &ListQuery { limit: Some(3), ..q }).await;
        let v = ids(&items);
        let set: BTreeSet<i64> = v.iter().copied().collect();
        assert_eq!(set.len(), v.len(), "duplicates");
        (set, items)
    };
    let q = ListQuery::default;
    let st = |x: &str| ListQuery {
        state: Some(x.into()),
        ..q()
    };
    assert_eq!(list(q()).await.0, set("abcdefgh"));
    assert_eq!(list(st("整改中")).await.0, set("ad"));
    assert_eq!(list(st("已销号")).await.0, set("g"));
    assert_eq!(list(st("待交办")).await.0, set("bcefh"));
    assert_eq!(list(st("不存在")).await.0, set(""));
    assert_eq!(list(ListQuery { open: true, ..q() }).await.0, set("abcdefh"));
    assert_eq!(
        list(ListQuery {
            unit: Some(w.yj),
            ..q()
        })
        .await
        .0,
        set("adeg")
    );
    assert_eq!(
        list(ListQuery {
            unit: Some(w.qs),
            ..q()
        })
        .await
        .0,
        set("cfh")
    );
    let div = |d: &str| ListQuery {
        division: Some(d.into()),
        ..q()
    };
    assert_eq!(list(div(XD)).await.0, set("abg"));
    assert_eq!(list(div(XD_VILLAGE)).await.0, set("b"));
    assert_eq!(list(div(QS)).await.0, set("cdh"));
    assert_eq!(list(div("62090210")).await.0, set("abcdefgh"));
    expect_status(s.list(&w.admin, "hazard", &div("62%")).await, 400);
    expect_status(s.list(&w.admin, "hazard", &div("西洞镇")).await, 400);

    // Date ranges, inclusive at both ends.
    let range = |field: &str, from: Option<&str>, to: Option<&str>| ListQuery {
        date_field: Some(field.into()),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        ..q()
    };
    assert_eq!(
        list(range("found_on", Some("2026-11-05"), Some("2026-11-15"))).await.0,
        set("bcdh")
    );
    assert_eq!(list(range("found_on", Some("2026-11-20"), None)).await.0, set("ef"));
    assert_eq!(list(range("found_on", None, Some("2026-11-01"))).await.0, set("ag"));
    assert_eq!(
        list(range("deadline", Some("2026-11-25"), Some("2026-11-30"))).await.0,
        set("cdh")
    );
    assert_eq!(list(range("deadline", Some("2026-12-01"), None)).await.0, set("ef"));
    assert_eq!(list(range("rectified_on", Some("2026-11-01"), None)).await.0, set("g"));
    // Without date_field, the ledger's first date field (发现日期 of a hazard).
    let no_field = ListQuery {
        from: Some("2026-11-20".into()),
        ..q()
    };
    assert_eq!(list(no_field).await.0, set("ef"));
    for bad in [
        range("company", Some("2026-11-01"), None),
        range("nope", Some("2026-11-01"), None),
        range("found_on", Some("2026-13-01"), None),
        range("found_on", None, Some("yesterday")),
    ] {
        expect_status(s.list(&w.admin, "hazard", &bad).await, 400);
    }

    // Warnings on 2026-11-25 (warn 5 days): red before today, yellow today..=11-30; closed never.
    let warn = |x: &str| ListQuery {
        warning: Some(x.into()),
        ..q()
    };
    let (red, items) = list(warn("red")).await;
    assert_eq!(red, set("ab"));
    assert!(items.iter().all(|v| v.warning == Warning::Red));
    let (yellow, items) = list(warn("yellow")).await;
    assert_eq!(yellow, set("cdh"));
    assert!(items.iter().all(|v| v.warning == Warning::Yellow));
    assert_eq!(list(warn("warned")).await.0, set("abcdh"));
    expect_status(s.list(&w.admin, "hazard", &warn("blue")).await, 400);
    let (_, items) = list(q()).await;
    let none: BTreeSet<i64> = items
        .iter()
        .filter(|v| v.warning == Warning::None)
        .map(|v| v.row.id)
        .collect();
    assert_eq!(none, set("efg"));
    assert_eq!(
        list(ListQuery {
            unit: Some(w.yj),
            ..warn("red")
        })
        .await
        .0,
        set("a")
    );

    // Text search.
    let text = |x: &str| ListQuery {
        q: Some(x.into()),
        ..q()
    };
    assert_eq!(list(text("祁连")).await.0, set("ad"));
    assert_eq!(list(text("清水")).await.0, set("ch"));
    assert_eq!(list(text("  总寨 ")).await.0, set("ef"));
    assert_eq!(list(text("没有这个词")).await.0, set(""));
    assert_eq!(list(text("  ")).await.0, set("abcdefgh"));
    assert_eq!(
        list(ListQuery {
            division: Some(QS.into()),
            ..text("祁连")
        })
        .await
        .0,
        set("d")
    );

    // Sorts, walked page by page with the cursor: no duplicates, no gaps, in order.
    let (_, items) = list(ListQuery {
        sort: Some("deadline".into()),
        ..q()
    })
    .await;
    let got: Vec<(String, i64)> = items
        .iter()
        .map(|v| (v.row.deadline.clone().unwrap(), v.row.id))
        .collect();
    let mut want = got.clone();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(got.len(), 8);
    let (_, items) = list(ListQuery {
        sort: Some("id".into()),
        ..q()
    })
    .await;
    let got = ids(&items);
    let mut want: Vec<i64> = set("abcdefgh").into_iter().collect();
    want.reverse();
    assert_eq!(got, want);
    for sort in ["created", "updated"] {
        let (all, items) = list(ListQuery {
            sort: Some(sort.into()),
            ..q()
        })
        .await;
        assert_eq!(all, set("abcdefgh"), "sort={sort}");
        let keys: Vec<(String, i64)> = items
            .iter()
            .map(|v| {
                (
                    if sort == "created" {
                        v.row.created_at.clone()
                    } else {
                        v.row.updated_at.clone()
                    },
                    v.row.id,
                )
            })
            .collect();
        let mut want = keys.clone();
        want.sort();
        want.reverse();
        assert_eq!(keys, want, "sort={sort}");
    }
    for limit in [1, 2, 5, 7, 8, 9] {
        let items = list_all(
            s,
            &w.admin,
            &ListQuery {
                limit: Some(limit),
                sort: Some("deadline".into()),
                ..q()
            },
        )
        .await;
        assert_eq!(
            ids(&items).into_iter().collect::<BTreeSet<_>>(),
            set("abcdefgh"),
            "limit {limit}"
        );
        assert_eq!(items.len(), 8, "limit {limit}");
    }
    let page = s
        .list(&w.admin, "hazard", &ListQuery { limit: Some(8), ..q() })
        .await
        .unwrap();
    assert_eq!(
        (page.items.len(), page.next),
        (8, None),
        "an exact last page has no next"
    );
    let page = s
        .list(
            &w.admin,
            "hazard",
            &ListQuery {
                count: true,
                limit: Some(2),
                ..warn("warned")
            },
        )
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (2, Some(5)));
    assert!(page.next.is_some());

    // Limits are clamped to 1..=500; bad cursors and sorts are refused.
    for (limit, n) in [(0, 1), (-5, 1), (1, 1), (100_000, 8)] {
        let page = s
            .list(
                &w.admin,
                "hazard",
                &ListQuery {
                    limit: Some(limit),
                    ..q()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), n, "limit {limit}");
    }
    for cursor in ["garbage", "abc~xyz", "~", "2026-11-20~"] {
        for sort in ["id", "deadline"] {
            let bad = ListQuery {
                cursor: Some(cursor.into()),
                sort: Some(sort.into()),
                ..q()
            };
            expect_status(s.list(&w.admin, "hazard", &bad).await, 400);
        }
    }
    expect_status(
        s.list(
            &w.admin,
            "hazard",
            &ListQuery {
                sort: Some("bogus".into()),
                ..q()
            },
        )
        .await,
        400,
    );

    // 501 more records: a page holds at most 500.
    let rows: Vec<_> = (0..501)
        .map(|i| (mk(ZZ, w.yj, "2026-11-01", "2027-03-01", &format!("批量企业{i}")), None))
        .collect();
    let new = s
        .create_many(&w.office, "hazard", rows, Some("import-1".into()))
        .await
        .unwrap();
    assert_eq!(new.len(), 501);
    let page = s
        .list(
            &w.admin,
            "hazard",
            &ListQuery {
                limit: Some(100_000),
                count: true,
                ..q()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (500, Some(509)));
    assert!(page.next.is_some());
    assert_eq!(
        list_all(
            s,
            &w.admin,
            &ListQuery {
                limit: Some(500),
                ..q()
            }
        )
        .await
        .len(),
        509
    );
}

/// 8. Void: needs a reason; hidden by default; no further changes.
async fn void(w: World) {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let other = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let before = w.snapshot(r.id).await;
    assert_eq!(invalid_fields(s.void(&w.office, r.id, 1, "").await), ["reason"]);
    assert_eq!(invalid_fields(s.void(&w.office, r.id, 1, "   ").await), ["reason"]);
    expect_status(s.void(&w.clerk_xd, r.id, 1, "重复录入").await, 403);
    expect_status(s.void(&w.leader, r.id, 1, "重复录入").await, 403);
    assert_eq!(w.snapshot(r.id).await, before, "refusals write nothing");
    assert!(s.record(&w.head_xd, r.id).await.unwrap().can_void);
    assert!(!s.record(&w.clerk_xd, r.id).await.unwrap().can_void);

    let v = s.void(&w.head_xd, r.id, 1, "  重复录入  ").await.unwrap();
    assert!(v.voided);
    assert_eq!(
        (v.version, v.void_reason.as_deref(), v.state.as_str()),
        (2, Some("重复录入"), "待交办")
    );
    let seen = s.record(&w.clerk_xd, r.id).await.unwrap();
    assert_eq!(seen.row, v);
    assert!(seen.actions.is_empty() && !seen.can_edit && !seen.can_void);
    let evs = s.record_events(&w.auditor, r.id).await.unwrap();
    assert_eq!(evs.last().unwrap().kind, "record.void");
    assert_eq!(evs.last().unwrap().data["reason"], json!("重复录入"));

    let listed = ids(&list_all(s, &w.admin, &ListQuery::default()).await);
    assert_eq!(listed, [other.id]);
    let listed = ids(&list_all(
        s,
        &w.admin,
        &ListQuery {
            include_voided: true,
            ..ListQuery::default()
        },
    )
    .await);
    assert_eq!(listed, [other.id, r.id]);
    let listed = ids(&list_all(
        s,
        &w.clerk_qs,
        &ListQuery {
            include_voided: true,
            ..ListQuery::default()
        },
    )
    .await);
    assert!(listed.is_empty(), "include_voided stays within scope");

    let before = w.snapshot(r.id).await;
    expect_status(s.update(&w.office, r.id, 2, map(json!({"company": "改名"}))).await, 409);
    expect_status(s.transition(&w.office, r.id, 2, "交办", no_fields(), None).await, 409);
    expect_status(s.void(&w.office, r.id, 2, "再次作废").await, 409);
    expect_status(s.urge(&w.office, r.id, "催办").await, 409);
    assert_eq!(w.snapshot(r.id).await, before, "refusals write nothing");
    assert_eq!(record_count(s).await, 2, "voiding deletes nothing");
}

/// 9. Editing the events table directly is found, at the right event.
async fn chain_tampering(w: World) {
    let s = &w.store;
    for town in [XD, QS, ZZ] {
        let r = s.create(&w.office, "hazard", hazard(town, Some(w.yj))).await.unwrap();
        s.transition(&w.office, r.id, 1, "交办", no_fields(), None)
            .await
            .unwrap();
    }
    let total = w.setup_events + 6;
    assert_eq!(s.verify_chain().await.unwrap().verified, total);
    let mut raw = raw(s).await;
    let mut c = raw.conn();
    let get = |seq: i64| format!("SELECT data, actor_name, hash FROM events WHERE seq = {seq}");
    let orig3 = c.row(&get(3), &[]).await.unwrap().unwrap();

    // Edited data.
    c.exec("UPDATE events SET data = '{\"x\":1}' WHERE seq = 3", &[])
        .await
        .unwrap();
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (2, Some(3)));
    assert!(v.error.as_deref().unwrap().contains("#3"), "{:?}", v.error);
    c.exec("UPDATE events SET data = 'not json' WHERE seq = 3", &[])
        .await
        .unwrap();
    assert_eq!(s.verify_chain().await.unwrap().broken_at, Some(3));
    c.exec("UPDATE events SET data = $1 WHERE seq = 3", &[P::T(orig3.t(0))])
        .await
        .unwrap();
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (total, None), "restored");

    // A record event edited and re-hashed consistently: the link to the next breaks.
    let seq = w.setup_events + 2;
    let orig = c.row(&get(seq), &[]).await.unwrap().unwrap();
    let mut e: Event = s.events(&w.auditor, Some(seq + 1), None, 1).await.unwrap().remove(0);
    assert_eq!(e.seq, seq);
    assert_eq!(e.compute_hash(), e.hash);
    e.actor_name = "mallory".into();
    e.data["to"] = json!("已销号");
    let e = e.seal();
    let mut data = String::new();
    lvzhi_core::event::canonical_json(&e.data, &mut data);
    c.exec(
        "UPDATE events SET actor_name = $1, data = $2, hash = $3 WHERE seq = $4",
        &[P::T(e.actor_name.clone()), P::T(data), P::T(e.hash.clone()), P::I(seq)],
    )
    .await
    .unwrap();
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (seq, Some(seq + 1)));
    assert!(
        v.error.as_deref().unwrap().contains(&format!("#{}", seq + 1)),
        "{:?}",
        v.error
    );
    c.exec(
        "UPDATE events SET data = $1, actor_name = $2, hash = $3 WHERE seq = $4",
        &[P::T(orig.t(0)), P::T(orig.t(1)), P::T(orig.t(2)), P::I(seq)],
    )
    .await
    .unwrap();
    assert_eq!(s.verify_chain().await.unwrap().broken_at, None, "restored");

    // A deleted event: a gap.
    c.exec("DELETE FROM events WHERE seq = 5", &[]).await.unwrap();
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (4, Some(6)));
    let err = v.error.unwrap();
    assert!(err.contains("#5") && err.contains("#6"), "{err}");
}

/// A create that fails after writing its record (here: a trigger refusing its
/// event) leaves nothing behind, and the creates batched with it still land.
async fn create_failing_after_write(w: World) {
    let trigger: &[&str] = if is_pg(&w.store) {
        &[
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.data LIKE '%BOOM%' THEN \
             RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION boom()",
        ]
    } else {
        &[
            "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.data LIKE '%BOOM%' \
           BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ]
    };
    for sql in trigger {
        raw_exec(&w.store, sql, &[]).await;
    }
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (s, a) = (w.store.clone(), w.office.clone());
        let mut f = hazard(XD, Some(w.yj));
        let company = if i % 10 == 3 {
            format!("BOOM企业{i}")
        } else {
            format!("企业{i}")
        };
        f.insert("company".into(), json!(company));
        tasks.push(tokio::spawn(async move { s.create(&a, "hazard", f).await }));
    }
    let mut landed = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        if i % 10 == 3 {
            assert!(
                matches!(r, Err(StoreError::Db(_)) | Err(StoreError::Internal(_))),
                "{r:?}"
            );
        } else {
            let r = r.unwrap();
            assert_eq!(w.store.record(&w.admin, r.id).await.unwrap().row, r);
            landed += 1;
        }
    }
    assert_eq!(landed, 36);
    assert_eq!(record_count(&w.store).await, 36);
    assert_eq!(event_count(&w.store).await, w.setup_events + 36);
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (w.setup_events + 36, None));
}

/// 10. 200 concurrent creates (and some refused ones) through the single writer.
async fn concurrent_creates(w: World) {
    let mut tasks = Vec::new();
    for i in 0..220 {
        let s = w.store.clone();
        let (a, town) = match i % 4 {
            _ if i >= 200 => (w.clerk_xd.clone(), QS), // refused: out of scope
            0 => (w.clerk_xd.clone(), XD),
            1 => (w.clerk_qs.clone(), QS),
            2 => (w.clerk_yj.clone(), ZZ),
            _ => (w.office.clone(), XD_VILLAGE),
        };
        let mut f = hazard(town, None);
        f.insert("company".into(), json!(format!("并发企业{i}")));
        tasks.push(tokio::spawn(async move { s.create(&a, "hazard", f).await }));
    }
    let mut ids = BTreeSet::new();
    let mut events = BTreeSet::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        if i >= 200 {
            expect_status(r, 403);
        } else {
            let r = r.unwrap();
            assert_eq!(r.fields["company"], json!(format!("并发企业{i}")));
            ids.insert(r.id);
            events.insert(r.last_event);
        }
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(events.len(), 200);
    let s = &w.store;
    assert_eq!(record_count(s).await, 200);
    assert_eq!(event_count(s).await, w.setup_events + 200);
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (w.setup_events + 200, None));
    let listed = list_all(
        s,
        &w.admin,
        &ListQuery {
            limit: Some(500),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(listed.iter().map(|v| v.row.id).collect::<BTreeSet<_>>(), ids);
}

/// 11. Login, sessions, lockout, disabled users, logout.
async fn login(w: World) {
    let s = &w.store;
    let (token, sess) = s.login("clerk_xd", PASSWORD, "web").await.unwrap();
    assert_eq!(sess.access, w.clerk_xd);
    assert_eq!(token.len(), 64);
    assert!(
        sess.expires_at.starts_with("2026-11-25T14:00:00"),
        "{}",
        sess.expires_at
    );
    let again = s.session(&token).await.unwrap();
    assert_eq!((again.access, again.csrf), (w.clerk_xd.clone(), sess.csrf.clone()));
    let mut c = s.pool().acquire().await.unwrap();
    let stored = c
        .conn()
        .row(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            &[P::T(token.clone())],
        )
        .await;
    assert_eq!(stored.unwrap().unwrap().i(0), 0, "the token itself is not stored");
    drop(c);

    // Wrong passwords: four are refused, the fifth locks the account.
    for _ in 0..4 {
        expect_status(s.login("head_xd", "wrong-password", "web").await, 401);
    }
    let msg = expect_status(s.login("head_xd", "wrong-password", "web").await, 429);
    assert!(msg.contains("2026年11月25日 10:15"), "{msg}");
    expect_status(s.login("head_xd", PASSWORD, "web").await, 429);
    // A success resets the count.
    for _ in 0..4 {
        expect_status(s.login("head_yj", "wrong-password", "web").await, 401);
    }
    s.login("head_yj", PASSWORD, "web").await.unwrap();
    expect_status(s.login("head_yj", "wrong-password", "web").await, 401);
    s.login("head_yj", PASSWORD, "api").await.unwrap();

    // Unknown users and bad tokens.
    expect_status(s.login("nobody", PASSWORD, "web").await, 401);
    expect_status(s.login("", "", "web").await, 401);
    expect_status(s.session("not-a-token").await, 401);
    expect_status(s.session(&"0".repeat(64)).await, 401);
    expect_status(s.session("").await, 401);

    // Disabled users cannot log in, and lose their sessions.
    let (qs_token, _) = s.login("clerk_qs", PASSWORD, "web").await.unwrap();
    expect_status(s.set_disabled(&w.office, "clerk_qs", true).await, 403);
    s.set_disabled(&w.admin, "clerk_qs", true).await.unwrap();
    expect_status(s.login("clerk_qs", PASSWORD, "web").await, 401);
    expect_status(s.session(&qs_token).await, 401);
    expect_status(s.access_for(w.clerk_qs.user_id).await, 401);
    s.set_disabled(&w.admin, "clerk_qs", false).await.unwrap();
    s.login("clerk_qs", PASSWORD, "web").await.unwrap();

    // Logout ends the session, and only that one.
    let (other, _) = s.login("clerk_xd", PASSWORD, "api").await.unwrap();
    s.logout(&token).await.unwrap();
    expect_status(s.session(&token).await, 401);
    assert_eq!(s.session(&other).await.unwrap().access, w.clerk_xd);

    // A password change ends every session of the user.
    s.set_password(&w.clerk_xd, "clerk_xd", "New#pass-2026").await.unwrap();
    expect_status(s.session(&other).await, 401);
    expect_status(s.login("clerk_xd", PASSWORD, "web").await, 401);
    s.login("clerk_xd", "New#pass-2026", "web").await.unwrap();
    expect_status(s.set_password(&w.clerk_xd, "clerk_qs", "Other#pass-2026").await, 403);
    expect_status(s.set_password(&w.admin, "clerk_qs", "short").await, 400);
    assert!(s.verify_chain().await.unwrap().error.is_none());
}

/// Opening a second store on the same database finds everything (migrations are idempotent).
async fn reopen_keeps_data(w: World) {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let url = match s.target() {
        lvzhi_store::db::Target::Sqlite(p) => format!("sqlite:{p}"),
        lvzhi_store::db::Target::Postgres(u) => u.clone(),
    };
    let clock = lvzhi_store::fixed_clock(NOW.parse().unwrap());
    let s2 = Store::open(&url, pack(), clock).await.unwrap();
    assert_eq!(s2.record(&w.admin, r.id).await.unwrap().row, r);
    let r2 = s2
        .update(&w.clerk_xd, r.id, 1, map(json!({"company": "第二个实例"})))
        .await
        .unwrap();
    assert_eq!(r2.version, 2);
    assert_eq!(s.record(&w.admin, r.id).await.unwrap().row, r2);
    assert_eq!(s2.units().await.unwrap().len(), 3);
    assert_eq!(s2.users().await.unwrap().len(), 10);
    s2.close().await;
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (w.setup_events + 2, None));
}

/// 12. The two schemas have the same tables and columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_parity() {
    let Some(pg) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let lite = TestDb::create(Backend::Sqlite).await.unwrap();
    let (ls, ps) = (lite.open().await, pg.open().await);
    let l = columns(&ls).await;
    let p = columns(&ps).await;
    ls.close().await;
    ps.close().await;
    lite.remove().await;
    pg.remove().await;
    for t in [
        "records",
        "events",
        "users",
        "sessions",
        "units",
        "people",
        "oversight",
        "divisions",
        "meta",
    ] {
        assert!(l.contains_key(t), "{t} missing on SQLite: {l:?}");
    }
    assert_eq!(l, p, "SQLite and PostgreSQL schemas differ");
}

async fn columns(store: &Store) -> BTreeMap<String, BTreeSet<String>> {
    let mut raw = raw(store).await;
    let mut c = raw.conn();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if is_pg(store) {
        let rows = c
            .rows(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public'",
                &[],
            )
            .await
            .unwrap();
        for r in rows {
            out.entry(r.t(0)).or_default().insert(r.t(1));
        }
    } else {
        let tables = c
            .rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                &[],
            )
            .await
            .unwrap();
        for t in tables {
            let cols = c
                .rows("SELECT name FROM pragma_table_info($1)", &[P::T(t.t(0))])
                .await
                .unwrap();
            out.insert(t.t(0), cols.iter().map(|r| r.t(0)).collect());
        }
    }
    out
}

/// Test 13: a clerk cannot move a record out of their own scope by reassigning its
/// responsible unit (改派 across scopes is the office's); the office can.
async fn no_pushing_records_out_of_reach(w: World) {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let before = w.snapshot(r.id).await;
    expect_status(
        s.update(&w.clerk_yj, r.id, 1, map(json!({"responsible_unit": w.qs})))
            .await,
        403,
    );
    assert_eq!(w.snapshot(r.id).await, before, "refusal writes nothing");
    // Not even within one's reach: handing a record to another unit is a
    // 交办/转办 step, never a field edit (issue 15: a 西洞镇 clerk handed one to 清水镇).
    for who in [&w.clerk_xd, &w.head_xd] {
        let e = s
            .update(who, r.id, 1, map(json!({"responsible_unit": w.qs})))
            .await
            .unwrap_err();
        assert_eq!(e.status(), 403, "{e}");
        assert!(e.to_string().contains("交办/转办"), "{e}");
    }
    assert_eq!(w.snapshot(r.id).await, before, "refusal writes nothing");
    // The office's 改派 stays possible.
    let r3 = s
        .update(&w.office, r.id, 1, map(json!({"responsible_unit": w.qs})))
        .await
        .unwrap();
    assert_eq!(r3.unit_id, Some(w.qs));
}

/// The create-time unit rule (issue 15): a clerk or head registers a record for
/// their own unit, or names a county department only where the record starts
/// in a state a 交办 step leaves (hazard 待交办 → 交办 sets 责任单位). Another
/// township is never named at creation — by single create, `create_many` or
/// bulk import alike — and a department is not named where no 交办 follows.
async fn create_time_unit_rule(w: World) {
    let s = &w.store;
    let events = event_count(s).await;
    // Another township's government: refused on the field, for clerk and head, every path.
    for who in [&w.clerk_xd, &w.head_xd] {
        let e = s.create(who, "hazard", hazard(XD, Some(w.qs))).await.unwrap_err();
        assert_eq!(e.status(), 422, "{e}");
        let msg = e.to_string();
        assert!(msg.contains("责任单位") && msg.contains("交办/转办"), "{msg}");
        let e = s
            .create_many(
                who,
                "hazard",
                vec![(hazard(XD, Some(w.xd)), None), (hazard(XD, Some(w.qs)), None)],
                None,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("第2条") && e.to_string().contains("交办/转办"),
            "{e}"
        );
        let e = s
            .create_bulk(
                who,
                "hazard",
                vec![(hazard(XD, Some(w.xd)), None), (hazard(XD, Some(w.qs)), None)],
                None,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("第2条") && e.to_string().contains("交办/转办"),
            "{e}"
        );
    }
    // A department clerk cannot hand a new record to a township either.
    let e = s
        .create(&w.clerk_yj, "hazard", hazard(XD, Some(w.xd)))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    // A department where no 交办 follows (a hazard registered as already 整改中): refused.
    let e = s
        .create_many(
            &w.clerk_xd,
            "hazard",
            vec![(hazard(XD, Some(w.yj)), Some("整改中".into()))],
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("登记时只能填写本单位；"), "{e}");
    assert_eq!(event_count(s).await, events, "refusals write nothing");
    // Allowed: one's own unit (also when left empty), a department awaiting 交办,
    // and anything for the office.
    let own = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.xd))).await.unwrap();
    assert_eq!(own.unit_id, Some(w.xd));
    let empty = s.create(&w.head_xd, "hazard", hazard(XD, None)).await.unwrap();
    assert_eq!(empty.unit_id, Some(w.xd));
    let dept = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    assert_eq!((dept.unit_id, dept.state.as_str()), (Some(w.yj), "待交办"));
    let office = s.create(&w.office, "hazard", hazard(XD, Some(w.qs))).await.unwrap();
    assert_eq!(office.unit_id, Some(w.qs));
}

/// Search text is matched literally: `_`, `%` and `\` are not wildcards
/// (issue 15: `q=_` matched every hazard).
async fn search_wildcards(w: World) {
    let s = &w.store;
    s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    let mut f = hazard(XD, Some(w.yj));
    f.insert("description".into(), json!("库房堆放率100%_超标"));
    let r = s.create(&w.clerk_xd, "hazard", f).await.unwrap();
    for (q, want) in [
        ("_", vec![r.id]),
        ("%", vec![r.id]),
        ("\\", vec![]),
        ("100%_", vec![r.id]),
        ("0%", vec![r.id]),
    ] {
        let page = s
            .list(
                &w.office,
                "hazard",
                &ListQuery {
                    q: Some(q.into()),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(ids(&page.items), want, "q={q}");
    }
}
