//! Annual assessment (民主测评) on SQLite and PostgreSQL: weights and
//! rounding, one vote per token (also under concurrency), refusals that write
//! nothing, no link from a ballot to a token or person, results equal to a
//! recount, the chain intact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_core::Decimal;
use lvzhi_core::assess::{self, CampaignDef, Grade, GroupDef, Item, SubjectDef, Tally};
use lvzhi_store::db::P;
use lvzhi_store::{Store, StoreError};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

both!(
    weights_and_rounding,
    one_vote_per_token,
    concurrent_casts_one_wins,
    refusals_write_nothing,
    nothing_links_a_ballot,
    results_equal_recount,
    roles,
    receipt_collision_retries,
);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn def(subjects: &[&str], opens: &str, closes: &str) -> CampaignDef {
    CampaignDef {
        min_ballots: 0,
        year: 2026,
        title: "2026年度县级领导干部民主测评".into(),
        groups: vec![
            GroupDef {
                name: "县级领导".into(),
                weight: d("30"),
            },
            GroupDef {
                name: "部门主要负责人".into(),
                weight: d("40"),
            },
            GroupDef {
                name: "乡镇党政正职".into(),
                weight: d("30"),
            },
        ],
        subjects: subjects
            .iter()
            .map(|n| SubjectDef {
                name: (*n).into(),
                post: "副区长".into(),
                person_id: None,
            })
            .collect(),
        opens_at: opens.parse().unwrap(),
        closes_at: closes.parse().unwrap(),
    }
}

/// A campaign open now (NOW is 2026-11-25T02:00Z) with its group and subject ids.
async fn open_campaign(w: &World, subjects: &[&str]) -> (i64, Vec<i64>, Vec<i64>) {
    let id = w
        .store
        .create_campaign(
            &w.office,
            &def(subjects, "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"),
        )
        .await
        .unwrap();
    w.store.open_campaign(&w.office, id).await.unwrap();
    let c = w.store.campaign(id).await.unwrap();
    (
        id,
        c.groups.iter().map(|g| g.id).collect(),
        c.subjects.iter().map(|s| s.id).collect(),
    )
}

/// A ballot giving every subject `g` on every item.
fn uniform(subjects: &[i64], g: Grade) -> Value {
    grades(subjects, |_, _| g)
}

fn grades(subjects: &[i64], f: impl Fn(usize, Item) -> Grade) -> Value {
    let mut o = Map::new();
    for (i, s) in subjects.iter().enumerate() {
        let mut m = Map::new();
        for item in Item::ALL {
            m.insert(item.label().into(), json!(f(i, item).label()));
        }
        o.insert(s.to_string(), Value::Object(m));
    }
    Value::Object(o)
}

async fn count(store: &Store, sql: &str, params: &[P]) -> i64 {
    let mut c = store.pool().acquire().await.unwrap();
    c.conn().row(sql, params).await.unwrap().map(|r| r.i(0)).unwrap_or(-1)
}

async fn ballots(store: &Store) -> i64 {
    count(store, "SELECT COUNT(*) FROM assess_ballots", &[]).await
}

async fn used_tokens(store: &Store) -> i64 {
    count(store, "SELECT COUNT(*) FROM assess_tokens WHERE used = TRUE", &[]).await
}

/// The weighted shares and their rounding, through the store (see the core's
/// unit tests for the arithmetic): 县级领导 30% (3 ballots: 2 优秀 1 称职),
/// 部门 40% (4: 1 优秀 3 称职), 乡镇 30% (8: 1 优秀 6 称职 1 基本称职).
async fn weights_and_rounding(w: World) {
    let (id, groups, subjects) = open_campaign(&w, &["王建国"]).await;
    let plan: [(usize, Vec<Grade>); 3] = [
        (0, vec![Grade::Excellent, Grade::Excellent, Grade::Competent]),
        (
            1,
            vec![Grade::Excellent, Grade::Competent, Grade::Competent, Grade::Competent],
        ),
        (
            2,
            [vec![Grade::Excellent], vec![Grade::Competent; 6], vec![Grade::Basic]].concat(),
        ),
    ];
    for (gi, gs) in &plan {
        let tokens = w
            .store
            .issue_tokens(&w.office, id, groups[*gi], gs.len() + 2)
            .await
            .unwrap();
        for (t, g) in tokens.iter().zip(gs) {
            w.store.cast_ballot(id, t, &uniform(&subjects, *g)).await.unwrap();
        }
    }
    w.store.close_campaign(&w.office, id).await.unwrap();
    let r = w.store.campaign_results(&w.auditor, id).await.unwrap();
    let overall = &r.results.subjects[0].items[Item::Overall.index()];
    assert_eq!(overall.item, "总体评价");
    assert_eq!(overall.excellent_rate, d("33.8")); // 20 + 10 + 3.75 = 33.75
    assert_eq!(overall.shares, [d("33.8"), d("62.5"), d("3.8"), d("0.0")]);
    assert_eq!(overall.competent_or_better_rate, d("96.3")); // 96.25
    let turnout: Vec<_> = r.turnout.iter().map(|t| (t.issued, t.voted, t.rate)).collect();
    assert_eq!(
        turnout,
        vec![
            (5, 3, Some(d("60.0"))),
            (6, 4, Some(d("66.7"))),
            (10, 8, Some(d("80.0")))
        ]
    );
    assert_eq!(
        r.results.ballots,
        [(groups[0], 3), (groups[1], 4), (groups[2], 8)].into_iter().collect()
    );
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    assert!(rc.ok(), "{:?}", rc.problems);
    assert_eq!(rc.ballots, 15);
}

/// A token votes once; the second try is refused and writes nothing.
async fn one_vote_per_token(w: World) {
    let (id, groups, subjects) = open_campaign(&w, &["王建国", "李明"]).await;
    let t = w
        .store
        .issue_tokens(&w.office, id, groups[1], 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(t.len(), 11, "{t}");
    assert_eq!(t.chars().nth(5), Some('-'));
    // The ballot page: the token opens the campaign's ballot.
    assert_eq!(w.store.ballot_campaign(id, &t).await.unwrap().subjects.len(), 2);
    let receipt = w
        .store
        .cast_ballot(
            id,
            &t.to_lowercase().replace('-', " "),
            &uniform(&subjects, Grade::Excellent),
        )
        .await
        .unwrap();
    assert!(w.store.receipt_counted(id, &receipt).await.unwrap());
    assert!(!w.store.receipt_counted(id, "2345-6789").await.unwrap());
    let before = (event_count(&w.store).await, ballots(&w.store).await);
    let again = w.store.cast_ballot(id, &t, &uniform(&subjects, Grade::Basic)).await;
    assert_eq!(
        expect_status(again, 409),
        "该选票码已投过票 / this ballot code has already voted"
    );
    assert!(w.store.ballot_campaign(id, &t).await.is_err());
    assert_eq!(before, (event_count(&w.store).await, ballots(&w.store).await));
    assert_eq!(used_tokens(&w.store).await, 1);
}

/// Two (and more) concurrent casts with one token: exactly one succeeds.
async fn concurrent_casts_one_wins(w: World) {
    let (id, groups, subjects) = open_campaign(&w, &["王建国"]).await;
    let tokens = w.store.issue_tokens(&w.office, id, groups[0], 20).await.unwrap();
    let mut tasks = Vec::new();
    for t in &tokens {
        for k in 0..3 {
            let (s, t, g) = (w.store.clone(), t.clone(), uniform(&subjects, Grade::ALL[k]));
            tasks.push(tokio::spawn(
                async move { (t.clone(), s.cast_ballot(id, &t, &g).await) },
            ));
        }
    }
    let mut ok: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (t, r) = task.await.unwrap();
        match r {
            Ok(_) => *ok.entry(t).or_default() += 1,
            Err(e) => assert_eq!(e.status(), 409, "{e}"),
        }
    }
    assert_eq!(ok.len(), 20);
    assert!(ok.values().all(|&n| n == 1), "{ok:?}");
    assert_eq!(ballots(&w.store).await, 20);
    assert_eq!(used_tokens(&w.store).await, 20);
    let events = count(
        &w.store,
        "SELECT COUNT(*) FROM events WHERE kind = 'assess.ballot'",
        &[],
    )
    .await;
    assert_eq!(events, 20);
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!(v.broken_at, None, "{:?}", v.error);
}

/// Unknown, malformed, other campaign's, not yet open, expired and closed
/// tokens, and incomplete ballots, are refused with nothing written.
async fn refusals_write_nothing(w: World) {
    let (a, ga, sa) = open_campaign(&w, &["王建国"]).await;
    let (b, gb, _) = open_campaign(&w, &["李明"]).await;
    let ta = w.store.issue_tokens(&w.office, a, ga[0], 3).await.unwrap();
    let tb = w.store.issue_tokens(&w.office, b, gb[0], 1).await.unwrap();
    // Draft (not opened) and expired (closes before NOW) campaigns.
    let draft = w
        .store
        .create_campaign(
            &w.office,
            &def(&["赵六"], "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"),
        )
        .await
        .unwrap();
    let td = w
        .store
        .issue_tokens(&w.office, draft, w.store.campaign(draft).await.unwrap().groups[0].id, 1);
    let td = td.await.unwrap();
    let expired = w
        .store
        .create_campaign(
            &w.office,
            &def(&["赵六"], "2026-11-24T00:00:00Z", "2026-11-25T01:00:00Z"),
        )
        .await
        .unwrap();
    let ge = w.store.campaign(expired).await.unwrap().groups[0].id;
    let te = w.store.issue_tokens(&w.office, expired, ge, 1).await.unwrap();
    w.store.open_campaign(&w.office, expired).await.unwrap();
    let future = w
        .store
        .create_campaign(
            &w.office,
            &def(&["赵六"], "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"),
        )
        .await
        .unwrap();
    let gf = w.store.campaign(future).await.unwrap().groups[0].id;
    let tf = w.store.issue_tokens(&w.office, future, gf, 1).await.unwrap();
    w.store.open_campaign(&w.office, future).await.unwrap();

    let ok = uniform(&sa, Grade::Competent);
    let snapshot = |s: Store| async move { (event_count(&s).await, ballots(&s).await, used_tokens(&s).await) };
    let before = snapshot(w.store.clone()).await;
    let subj = |c: i64| {
        let s = w.store.clone();
        async move {
            let ids: Vec<i64> = s.campaign(c).await.unwrap().subjects.iter().map(|x| x.id).collect();
            uniform(&ids, Grade::Competent)
        }
    };
    let cases: Vec<(&str, i64, String, Value, u16)> = vec![
        ("unknown", a, "ABCDE-FGHJK".into(), ok.clone(), 404),
        ("malformed", a, "not a token".into(), ok.clone(), 404),
        ("empty", a, String::new(), ok.clone(), 404),
        ("other campaign's", a, tb[0].clone(), ok.clone(), 404),
        ("draft", draft, td[0].clone(), subj(draft).await, 409),
        ("expired", expired, te[0].clone(), subj(expired).await, 409),
        ("not yet open", future, tf[0].clone(), subj(future).await, 409),
        (
            "incomplete",
            a,
            ta[0].clone(),
            json!({sa[0].to_string(): {"德": "优秀"}}),
            422,
        ),
        (
            "bad grade",
            a,
            ta[0].clone(),
            uniform(&sa, Grade::Excellent)
                .to_string()
                .replace("优秀", "良好")
                .parse()
                .unwrap(),
            422,
        ),
        (
            "wrong subject",
            a,
            ta[0].clone(),
            uniform(&[sa[0] + 1000], Grade::Excellent),
            422,
        ),
        ("not an object", a, ta[0].clone(), json!("优秀"), 422),
    ];
    for (what, c, t, g, status) in cases {
        let r = w.store.cast_ballot(c, &t, &g).await;
        match r {
            Err(e) => assert_eq!(e.status(), status, "{what}: {e}"),
            Ok(rc) => panic!("{what}: accepted with receipt {rc}"),
        }
        assert_eq!(snapshot(w.store.clone()).await, before, "{what} wrote something");
    }
    // Closed: the token worked before, not after.
    w.store.close_campaign(&w.office, a).await.unwrap();
    let r = w.store.cast_ballot(a, &ta[1], &ok).await;
    assert_eq!(
        expect_status(r, 409),
        "测评未开始或已结束，不接受投票 / the assessment is not open"
    );
    let after_close = snapshot(w.store.clone()).await;
    assert_eq!(after_close.1, before.1);
    assert_eq!(after_close.2, before.2);
    // No tokens for a closed campaign; no reopening; no second close.
    expect_status(w.store.issue_tokens(&w.office, a, ga[0], 1).await, 409);
    expect_status(w.store.open_campaign(&w.office, a).await, 409);
    expect_status(w.store.close_campaign(&w.office, a).await, 409);
    expect_status(w.store.publish_campaign(&w.office, a).await, 409);
    // Tokens only for the campaign's own groups.
    expect_status(w.store.issue_tokens(&w.office, b, ga[0], 1).await, 404);
    expect_status(w.store.issue_tokens(&w.office, b, gb[0], 0).await, 400);
    // Casts racing a close: each is either counted before the close or
    // refused with nothing written; the published tally has exactly the
    // accepted ones.
    let tokens = w.store.issue_tokens(&w.office, b, gb[0], 40).await.unwrap();
    let sb: Vec<i64> = w
        .store
        .campaign(b)
        .await
        .unwrap()
        .subjects
        .iter()
        .map(|x| x.id)
        .collect();
    let mut tasks = Vec::new();
    for (i, t) in tokens.into_iter().enumerate() {
        let (s, g) = (w.store.clone(), uniform(&sb, Grade::Excellent));
        tasks.push(tokio::spawn(async move {
            if i == 20 {
                tokio::task::yield_now().await;
            }
            s.cast_ballot(b, &t, &g).await
        }));
    }
    let closer = {
        let (s, office) = (w.store.clone(), w.office.clone());
        tokio::spawn(async move { s.close_campaign(&office, b).await })
    };
    let mut accepted = 0u64;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(e) => assert_eq!(e.status(), 409, "{e}"),
        }
    }
    let published = closer.await.unwrap().unwrap();
    assert_eq!(published.total(), accepted);
    let rc = w.store.recount(&w.auditor, b).await.unwrap();
    assert!(rc.ok(), "{:?}", rc.problems);
    assert_eq!(rc.ballots, accepted);
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!(v.broken_at, None, "{:?}", v.error);
}

async fn columns(store: &Store, table: &str) -> BTreeSet<String> {
    let mut raw = raw(store).await;
    let mut c = raw.conn();
    let rows = if is_pg(store) {
        c.rows(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
            &[P::T(table.into())],
        )
        .await
        .unwrap()
    } else {
        c.rows("SELECT name FROM pragma_table_info($1)", &[P::T(table.into())])
            .await
            .unwrap()
    };
    rows.iter().map(|r| r.t(0)).collect()
}

/// No table links a ballot to a token or a person; the ballot's event
/// carries campaign, group, receipt and grades only, anonymously, on the hour.
async fn nothing_links_a_ballot(w: World) {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        columns(&w.store, "assess_ballots").await,
        set(&["campaign_id", "group_id", "receipt", "grades"])
    );
    assert_eq!(
        columns(&w.store, "assess_tokens").await,
        set(&["hash", "campaign_id", "group_id", "used"])
    );
    // No other assessment table refers to tokens or ballots.
    for t in ["assess_campaigns", "assess_groups", "assess_subjects"] {
        let cols = columns(&w.store, t).await;
        assert!(
            cols.iter()
                .all(|c| !c.contains("token") && !c.contains("ballot") && !c.contains("receipt")),
            "{t}: {cols:?}"
        );
    }
    let (id, groups, subjects) = open_campaign(&w, &["王建国"]).await;
    let t = w
        .store
        .issue_tokens(&w.office, id, groups[2], 1)
        .await
        .unwrap()
        .remove(0);
    let receipt = w
        .store
        .cast_ballot(id, &t, &uniform(&subjects, Grade::Competent))
        .await
        .unwrap();
    let mut c = w.store.pool().acquire().await.unwrap();
    let ev = c
        .conn()
        .row(
            "SELECT actor, actor_name, at, data FROM events WHERE kind = 'assess.ballot'",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.oi(0), None);
    assert_eq!(ev.t(1), "匿名测评人");
    assert_eq!(ev.t(2), "2026-11-25T02:00:00.000000Z");
    let data: Value = serde_json::from_str(&ev.t(3)).unwrap();
    let keys: BTreeSet<String> = data.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, set(&["campaign", "group", "receipt", "grades"]));
    assert_eq!(data["receipt"].as_str().unwrap(), receipt.replace('-', ""));
    // The token appears nowhere in plain text, and its hash nowhere but in its row.
    let hash = lvzhi_store::assess::token_hash(&t.replace('-', ""));
    for needle in [t.replace('-', ""), hash.clone()] {
        let n = count(
            &w.store,
            "SELECT COUNT(*) FROM events WHERE data LIKE $1",
            &[P::T(format!("%{needle}%"))],
        )
        .await;
        assert_eq!(n, 0, "{needle} in events");
        let n = count(
            &w.store,
            "SELECT COUNT(*) FROM assess_ballots WHERE grades LIKE $1 OR receipt = $2",
            &[P::T(format!("%{needle}%")), P::T(needle.clone())],
        )
        .await;
        assert_eq!(n, 0, "{needle} in ballots");
    }
}

/// Results equal a recount from the stored ballots (and from the ballots as
/// cast); the auditor's recount agrees with the published tally, the chain
/// and the used tokens, and notices a tampered ballot.
async fn results_equal_recount(w: World) {
    let names = ["王建国", "李明", "张伟"];
    let (id, groups, subjects) = open_campaign(&w, &names).await;
    let sizes = [7usize, 11, 9];
    let mut cast = Tally::default();
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (gi, &n) in sizes.iter().enumerate() {
        let tokens = w.store.issue_tokens(&w.office, id, groups[gi], n).await.unwrap();
        for t in tokens {
            let picks: Vec<u64> = (0..subjects.len() * 6).map(|_| next() % 4).collect();
            let g = grades(&subjects, |si, item| {
                Grade::ALL[usize::try_from(picks[si * 6 + item.index()]).unwrap()]
            });
            cast.add(groups[gi], &assess::Ballot::parse(&g, &subjects).unwrap());
            w.store.cast_ballot(id, &t, &g).await.unwrap();
        }
    }
    // Live: turnout while open; results only after close.
    let live = w.store.turnout(&w.office, id).await.unwrap();
    assert_eq!(live.iter().map(|t| t.voted).sum::<i64>(), 27);
    expect_status(w.store.campaign_results(&w.office, id).await, 409);
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    assert!(rc.ok(), "{:?}", rc.problems);
    let published = w.store.close_campaign(&w.office, id).await.unwrap();
    assert_eq!(published, cast);
    let r = w.store.campaign_results(&w.office, id).await.unwrap();
    let weights: Vec<(i64, Decimal)> = groups.iter().copied().zip([d("30"), d("40"), d("30")]).collect();
    assert_eq!(r.results, assess::compute(&weights, &subjects, &cast).unwrap());
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    assert!(rc.ok(), "{:?}", rc.problems);
    assert_eq!(
        (rc.stored.clone(), rc.published.clone()),
        (cast.clone(), Some(cast.clone()))
    );
    assert_eq!(rc.from_events, cast);
    assert_eq!(rc.used_tokens, cast.ballots);
    let receipts = w.store.receipts(id).await.unwrap();
    assert_eq!(receipts.len(), 27);
    assert!(receipts.windows(2).all(|p| p[0] < p[1]));
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!(v.broken_at, None, "{:?}", v.error);

    // Tampering with a stored ballot is noticed.
    let victim = receipts[0].replace('-', "");
    let forged = uniform(&subjects, Grade::Excellent).to_string();
    raw_exec(
        &w.store,
        "UPDATE assess_ballots SET grades = $1 WHERE receipt = $2",
        &[P::T(forged), P::T(victim)],
    )
    .await;
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    if rc.stored != cast {
        assert!(!rc.ok());
        assert!(rc.problems.iter().any(|p| p.contains("哈希链")), "{:?}", rc.problems);
        assert!(rc.problems.iter().any(|p| p.contains("公布")), "{:?}", rc.problems);
    }
    // A deleted ballot too.
    raw_exec(
        &w.store,
        "DELETE FROM assess_ballots WHERE campaign_id = $1 AND receipt = $2",
        &[P::I(id), P::T(receipts[1].replace('-', ""))],
    )
    .await;
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    assert_eq!(rc.ballots, 26);
    assert!(rc.problems.iter().any(|p| p.contains("选票码数")), "{:?}", rc.problems);
}

/// Only the office and admin manage campaigns; the auditor reads; others nothing.
async fn roles(w: World) {
    let d0 = def(&["王建国"], "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z");
    for a in [&w.clerk_xd, &w.head_yj, &w.leader, &w.auditor, &w.evaluator] {
        expect_status(w.store.create_campaign(a, &d0).await, 403);
    }
    let id = w.store.create_campaign(&w.admin, &d0).await.unwrap();
    let g = w.store.campaign(id).await.unwrap().groups[0].id;
    for a in [&w.clerk_xd, &w.leader, &w.auditor, &w.evaluator] {
        expect_status(w.store.issue_tokens(a, id, g, 1).await, 403);
        expect_status(w.store.open_campaign(a, id).await, 403);
        expect_status(w.store.close_campaign(a, id).await, 403);
    }
    for a in [&w.clerk_xd, &w.leader, &w.evaluator] {
        expect_status(w.store.turnout(a, id).await, 403);
        expect_status(w.store.recount(a, id).await, 403);
        expect_status(w.store.campaign_results(a, id).await, 403);
        expect_status(w.store.campaigns(a).await, 403);
    }
    assert_eq!(w.store.campaigns(&w.auditor).await.unwrap().len(), 1);
    // A bad definition lists every problem and writes nothing.
    let before = event_count(&w.store).await;
    let mut bad = d0.clone();
    bad.groups[0].weight = d("35");
    bad.subjects.clear();
    match w.store.create_campaign(&w.office, &bad).await {
        Err(StoreError::Invalid(errs)) => assert_eq!(errs.len(), 2, "{errs:?}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(event_count(&w.store).await, before);
    let kinds = {
        let mut c = w.store.pool().acquire().await.unwrap();
        c.conn()
            .rows(
                "SELECT kind FROM events WHERE entity = 'assess_campaign' ORDER BY seq",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.t(0))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds, vec!["assess.campaign.create"]);
}

/// A receipt already taken in the campaign is retried with a new one; the
/// first ballot keeps its receipt, the second gets the next, and the token
/// of the refused try is not used up by it.
async fn receipt_collision_retries(w: World) {
    let (id, groups, subjects) = open_campaign(&w, &["王建国"]).await;
    let tokens = w.store.issue_tokens(&w.office, id, groups[0], 3).await.unwrap();
    let g = uniform(&subjects, Grade::Excellent);
    let first = w
        .store
        .cast_ballot_with(id, &tokens[0], &g, &mut || "AAAA2222".to_string())
        .await
        .unwrap();
    assert_eq!(first, "AAAA-2222");
    let mut seq = ["AAAA2222", "AAAA2222", "BBBB3333"].into_iter();
    let second = w
        .store
        .cast_ballot_with(id, &tokens[1], &g, &mut || seq.next().unwrap_or("CCCC4444").to_string())
        .await
        .unwrap();
    assert_eq!(second, "BBBB-3333");
    assert_eq!(ballots(&w.store).await, 2);
    assert_eq!(used_tokens(&w.store).await, 2);
    // Always colliding: refused after the tries, nothing written, token still usable.
    let before = (event_count(&w.store).await, ballots(&w.store).await);
    let e = w
        .store
        .cast_ballot_with(id, &tokens[2], &g, &mut || "AAAA2222".to_string())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 500, "{e}");
    assert_eq!(before, (event_count(&w.store).await, ballots(&w.store).await));
    assert_eq!(used_tokens(&w.store).await, 2);
    w.store.cast_ballot(id, &tokens[2], &g).await.unwrap();
    // The code typed on the ballot page leads to its campaign; receipts are found.
    assert_eq!(w.store.token_campaign(&tokens[2].to_lowercase()).await.unwrap(), id);
    assert_eq!(w.store.token_campaign("ABCDE-FGHJK").await.unwrap_err().status(), 404);
    assert_eq!(w.store.find_receipt("bbbb 3333").await.unwrap().len(), 1);
    assert!(w.store.find_receipt("ZZZZ-9999").await.unwrap().is_empty());
    let rc = w.store.recount(&w.auditor, id).await.unwrap();
    assert!(rc.ok(), "{:?}", rc.problems);
}
