//! The assessment API (民主测评) over real HTTP against an in-process server
//! with the sample county: the office's set-up, codes, turnout, close and
//! results; the evaluator's ballot by code (no login), all-or-nothing casts,
//! receipts; refusals that write nothing; two concurrent casts of one code;
//! the per-IP limit on code guesses; roles; the auditor's recount; the
//! result sheet as DOCX and xlsx.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::{Server, enc};
use lvzhi_testkit::county::PASSWORD;
use lvzhi_testkit::http::{Client, Response};
use serde_json::{Map, Value, json};
use std::io::Read;

impl Server {
    /// (events, ballots, used codes)
    fn written(&self) -> (i64, i64, i64) {
        self.rt.block_on(async {
            let mut p = self.store.pool().acquire().await.unwrap();
            let mut c = p.conn();
            let mut n = vec![];
            for sql in [
                "SELECT COUNT(*) FROM events",
                "SELECT COUNT(*) FROM assess_ballots",
                "SELECT COUNT(*) FROM assess_tokens WHERE used = TRUE",
            ] {
                n.push(c.row(sql, &[]).await.unwrap().unwrap().i(0));
            }
            (n[0], n[1], n[2])
        })
    }
}

fn campaign_body(opens: &str, closes: &str) -> Value {
    json!({
        "year": 2026,
        "title": "2026年度县级领导干部民主测评",
        "groups": [
            {"name": "县级领导", "weight": "30"},
            {"name": "部门主要负责人", "weight": "40"},
            {"name": "乡镇党政正职", "weight": "30"}
        ],
        "subjects": [
            {"name": "王建国", "post": "常务副区长"},
            {"name": "李明", "post": "副区长"}
        ],
        "opens_at": opens,
        "closes_at": closes
    })
}

/// A created campaign's id and its subjects' ids.
fn campaign_ids(c: &Value) -> (i64, Vec<i64>) {
    let subjects = c["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    (c["id"].as_i64().unwrap(), subjects)
}

/// Creates, issues `per_group` codes per group and opens; returns (id, subject ids, codes per group).
fn open_campaign(s: &Server, per_group: usize) -> (i64, Vec<i64>, Vec<Vec<String>>) {
    let mut office = s.client("office");
    let r = office
        .post(
            "/api/v1/assessments",
            &campaign_body("2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    let (id, subjects) = campaign_ids(&c);
    let mut codes = vec![];
    for g in c["groups"].as_array().unwrap() {
        let r = office
            .post(
                &format!("/api/v1/assessments/{id}/tokens"),
                &json!({"group_id": g["id"], "count": per_group}),
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        codes.push(
            r.json()["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect(),
        );
    }
    let r = office
        .post(&format!("/api/v1/assessments/{id}/open"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["state"], "open");
    (id, subjects, codes)
}

fn grades(subjects: &[i64], g: &str) -> Value {
    let mut o = Map::new();
    for s in subjects {
        let mut m = Map::new();
        for item in ["德", "能", "勤", "绩", "廉", "总体评价"] {
            m.insert(item.into(), json!(g));
        }
        o.insert(s.to_string(), Value::Object(m));
    }
    Value::Object(o)
}

fn cast(c: &mut Client, id: i64, code: &str, g: &Value) -> Response {
    c.post(
        "/api/v1/assessments/ballot/cast",
        &json!({"code": code, "campaign": id, "grades": g}),
    )
    .unwrap()
}

fn message(r: &Response) -> String {
    r.json()["error"]["message"].as_str().unwrap_or("").to_string()
}

#[test]
fn campaign_through_http() {
    let s = Server::start();
    // Roles: a clerk may not create; a leader may not read.
    let r = s
        .client("clerk_xd")
        .post(
            "/api/v1/assessments",
            &campaign_body("2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.text());
    let r = s
        .client("office")
        .post(
            "/api/v1/assessments",
            &json!({"year": 2026, "title": "x", "groups": [{"name": "a", "weight": "60"}], "subjects": [{"name": "王"}],
                    "opens_at": "2026-11-25T00:00:00Z", "closes_at": "2026-11-26T00:00:00Z"}),
        )
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("合计应为100%"), "{}", r.text());

    let (id, subjects, codes) = open_campaign(&s, 5);
    assert_eq!(codes[0].len(), 5);
    assert_eq!(s.client("leader").get("/api/v1/assessments").unwrap().status, 403);
    let list = s.client("auditor").get("/api/v1/assessments").unwrap();
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);

    // The evaluator: no login, the code opens the ballot.
    let mut ev = s.client("");
    let r = ev
        .post(
            "/api/v1/assessments/ballot",
            &json!({"code": codes[0][0].to_lowercase()}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let b = r.json();
    assert_eq!(b["campaign"]["id"], id);
    assert_eq!(b["subjects"][0]["name"], "王建国");
    assert_eq!(b["items"].as_array().unwrap().len(), 6);

    // Incomplete: 422, nothing written.
    let before = s.written();
    let mut partial = grades(&subjects, "优秀");
    partial[subjects[1].to_string()].as_object_mut().unwrap().remove("廉");
    let r = cast(&mut ev, id, &codes[0][0], &partial);
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(s.written(), before);

    // Votes: 县级领导 2 优秀 + 1 称职; 部门 1 优秀 + 3 称职; 乡镇 none.
    let mut receipts = vec![];
    for (g, k, grade) in [
        (0, 0, "优秀"),
        (0, 1, "优秀"),
        (0, 2, "称职"),
        (1, 0, "优秀"),
        (1, 1, "称职"),
        (1, 2, "称职"),
        (1, 3, "称职"),
    ] {
        let r = cast(&mut ev, id, &codes[g][k], &grades(&subjects, grade));
        assert_eq!(r.status, 201, "{}", r.text());
        receipts.push(r.json()["receipt"].as_str().unwrap().to_string());
    }
    let r = ev
        .get(&format!("/api/v1/assessments/receipts/{}", receipts[0].to_lowercase()))
        .unwrap();
    assert_eq!(r.json()["counted"], true, "{}", r.text());
    assert_eq!(r.json()["campaigns"][0]["id"], id);
    let r = ev.get("/api/v1/assessments/receipts/2345-6789").unwrap();
    assert_eq!(r.json()["counted"], false);

    // A used code: 409 in Chinese, nothing written.
    let before = s.written();
    let r = cast(&mut ev, id, &codes[0][0], &grades(&subjects, "不称职"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(message(&r), "该选票码已投过票");
    let r = ev
        .post("/api/v1/assessments/ballot", &json!({"code": codes[0][0]}))
        .unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    // Unknown code.
    let r = cast(&mut ev, id, "ABCDE-FGHJK", &grades(&subjects, "优秀"));
    assert_eq!(r.status, 404);
    assert_eq!(message(&r), "选票码无效");
    assert_eq!(s.written(), before);

    // Live turnout; results only after close.
    let mut office = s.client("office");
    let t = office.get(&format!("/api/v1/assessments/{id}/turnout")).unwrap().json();
    assert_eq!((t["issued"].as_i64(), t["voted"].as_i64()), (Some(15), Some(7)));
    assert_eq!(t["items"][1]["rate"], "80.0");
    let r = office.get(&format!("/api/v1/assessments/{id}/results")).unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    let r = s
        .client("auditor")
        .post(&format!("/api/v1/assessments/{id}/close"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 403, "the auditor does not close");
    let r = office
        .post(&format!("/api/v1/assessments/{id}/close"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ballots"], 7);
    assert_eq!(r.json()["campaign"]["published"], true);

    // After close: refused, nothing written.
    let before = s.written();
    let r = cast(&mut ev, id, &codes[2][0], &grades(&subjects, "优秀"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(message(&r).contains("已结束"), "{}", r.text());
    assert_eq!(s.written(), before);

    // Results: 优秀 = (30·2/3 + 40·1/4) / 70 = 42.857… → 42.9; 称职 57.1.
    let mut auditor = s.client("auditor");
    let r = auditor.get(&format!("/api/v1/assessments/{id}/results")).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let res = r.json();
    let overall = &res["results"]["subjects"][0]["items"][5];
    assert_eq!(overall["item"], "总体评价");
    assert_eq!(overall["excellent_rate"], "42.9");
    assert_eq!(overall["shares"][1], "57.1");
    assert_eq!(overall["competent_or_better_rate"], "100.0");
    assert_eq!(res["results"]["groups_without_ballots"].as_array().unwrap().len(), 1);

    // The auditor's recount: the published counts equal the stored ballots.
    let r = auditor.get(&format!("/api/v1/assessments/{id}/recount")).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ok"], true, "{}", r.text());
    assert_eq!(r.json()["ballots"], 7);
    let r = auditor.get(&format!("/api/v1/assessments/{id}/receipts")).unwrap();
    let mut listed: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    receipts.sort();
    assert_eq!(listed, receipts);
    // Tampering with a stored ballot is found by the recount.
    s.rt.block_on(async {
        let mut p = s.store.pool().acquire().await.unwrap();
        // A ballot that has a 称职 (an all-优秀 ballot would be left unchanged by the edit).
        let sql = "UPDATE assess_ballots SET grades = REPLACE(grades, '称职', '不称职') WHERE receipt = \
                   (SELECT MIN(receipt) FROM assess_ballots WHERE grades LIKE '%称职%')";
        let changed = p.conn().exec(sql, &[]).await.unwrap();
        assert_eq!(changed, 1);
    });
    let r = auditor.get(&format!("/api/v1/assessments/{id}/recount")).unwrap();
    assert_eq!(r.json()["ok"], false, "{}", r.text());

    // The result sheet.
    let r = office
        .get(&format!("/api/v1/assessments/{id}/sheet?format=docx"))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-disposition").unwrap().contains("attachment"));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("王建国（常务副区长）"));
    assert!(xml.contains("参评情况"));
    let r = office
        .get(&format!("/api/v1/assessments/{id}/sheet?format=xlsx"))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(&r.body[..2], b"PK");
    let r = office
        .get(&format!("/api/v1/assessments/{id}/sheet?format=pdf"))
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        s.client("leader")
            .get(&format!("/api/v1/assessments/{id}/sheet"))
            .unwrap()
            .status,
        403
    );
    s.stop();
}

#[test]
fn two_concurrent_casts_of_one_code_one_wins() {
    let s = Server::start();
    let (id, subjects, codes) = open_campaign(&s, 6);
    for code in &codes[1] {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = ["优秀", "不称职"]
            .into_iter()
            .map(|g| {
                let (addr, code, barrier) = (s.addr, code.clone(), barrier.clone());
                let body = grades(&subjects, g);
                std::thread::spawn(move || {
                    let mut c = Client::new(addr);
                    barrier.wait();
                    cast(&mut c, id, &code, &body).status
                })
            })
            .collect();
        let mut st: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        st.sort();
        assert_eq!(st, [201, 409]);
    }
    let (_, ballots, used) = s.written();
    assert_eq!((ballots, used), (6, 6));
    s.stop();
}

#[test]
fn other_campaign_and_expired_codes_are_refused() {
    let s = Server::start();
    let (a, subjects_a, codes_a) = open_campaign(&s, 1);
    let (b, _, codes_b) = open_campaign(&s, 1);
    let mut ev = s.client("");
    let before = s.written();
    // B's code on A's ballot.
    let r = cast(&mut ev, a, &codes_b[0][0], &grades(&subjects_a, "优秀"));
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(message(&r), "选票码无效");
    assert_eq!(s.written(), before);
    assert_ne!(a, b);
    // Expired: closed at 01:00, the clock says 02:00.
    let mut office = s.client("office");
    let r = office
        .post(
            "/api/v1/assessments",
            &campaign_body("2026-11-24T00:00:00Z", "2026-11-25T01:00:00Z"),
        )
        .unwrap();
    let c = r.json();
    let (id, subjects) = campaign_ids(&c);
    let t = office
        .post(
            &format!("/api/v1/assessments/{id}/tokens"),
            &json!({"group_id": c["groups"][0]["id"], "count": 1}),
        )
        .unwrap()
        .json()["tokens"][0]
        .as_str()
        .unwrap()
        .to_string();
    office
        .post(&format!("/api/v1/assessments/{id}/open"), &json!({}))
        .unwrap();
    let before = s.written();
    let r = cast(&mut ev, id, &t, &grades(&subjects, "优秀"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(message(&r), "测评未开始或已结束，不接受投票");
    let r = ev.post("/api/v1/assessments/ballot", &json!({"code": t})).unwrap();
    assert_eq!(r.status, 409);
    assert_eq!(s.written(), before);
    let _ = codes_a;
    s.stop();
}

#[test]
fn code_guesses_are_limited_per_ip() {
    let s = Server::start();
    let (id, subjects, codes) = open_campaign(&s, 1);
    let mut ev = s.client("");
    for i in 0..10 {
        let r = ev
            .post(
                "/api/v1/assessments/ballot",
                &json!({"code": format!("ABCDE-FGH{}", 2 + i % 8)}),
            )
            .unwrap();
        assert_eq!(r.status, 404, "{}", r.text());
    }
    // Blocked now: even a valid code is not looked up; nothing written.
    let before = s.written();
    let r = cast(&mut ev, id, &codes[0][0], &grades(&subjects, "优秀"));
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(message(&r).contains("一分钟后再试"), "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert_eq!(s.written(), before);
    s.stop();
}

/// A client holding the office's session as the browser's cookie.
fn ui_client(s: &Server, user: &str) -> (Client, String) {
    let mut c = Client::new(s.addr);
    let r = c.login(user, PASSWORD);
    let token = c.token.take().unwrap();
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();
    c.headers.push(("Cookie".into(), format!("lvzhi_session={token}")));
    (c, csrf)
}

fn form(c: &mut Client, path: &str, pairs: &[(&str, &str)]) -> Response {
    let body = enc(pairs);
    c.send("POST", path, Some(body.as_bytes()), "application/x-www-form-urlencoded")
        .unwrap()
}

#[test]
fn pages_set_up_codes_vote_and_results() {
    let s = Server::start();
    let (mut office, csrf) = ui_client(&s, "office");
    let r = office.get("/assess").unwrap();
    assert_eq!(r.status, 200);
    assert!(r.text().contains("新建民主测评"));
    assert!(r.text().contains(">考核测评</a>"), "nav entry");
    let fields = [
        ("year", "2026"),
        ("name", "2026年度民主测评"),
        ("groups", "县级领导 30\n部门主要负责人 40\n乡镇党政正职 30"),
        ("others", "王建国 常务副区长\n李明 副区长"),
        ("opens", "2026-11-25T08:00"),
        ("closes", "2026-11-25T18:00"),
    ];
    // Without the CSRF token: refused, nothing written.
    let before = s.written();
    let r = form(&mut office, "/assess/new", &fields);
    assert_eq!(r.status, 403);
    assert_eq!(s.written(), before);
    // Weights not adding up: the form comes back with the reason.
    let mut bad = fields.to_vec();
    bad[2] = ("groups", "县级领导 30\n部门主要负责人 40");
    bad.push(("csrf", &csrf));
    let r = form(&mut office, "/assess/new", &bad);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("合计应为100%，现为70%"), "{}", r.text());
    let mut good = fields.to_vec();
    good.push(("csrf", &csrf));
    let r = form(&mut office, "/assess/new", &good);
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    let id: i64 = loc.trim_start_matches("/assess/").parse().unwrap();
    let c = s.rt.block_on(s.store.campaign(id)).unwrap();
    assert_eq!(c.subjects.len(), 2);
    assert_eq!(c.opens_at, "2026-11-25T00:00:00.000000Z", "08:00 in Shanghai");
    let r = form(&mut office, &format!("/assess/{id}/open"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    // The code sheet: codes shown once, one per cell.
    let g = c.groups[0].id.to_string();
    let r = form(
        &mut office,
        &format!("/assess/{id}/tokens"),
        &[("csrf", &csrf), ("group", &g), ("count", "3")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert_eq!(page.matches("class=\"slip\"").count(), 3);
    let codes: Vec<String> = page
        .split("<div class=\"slip-code\">")
        .skip(1)
        .map(|p| p.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 3);
    // Each slip carries its code as a QR code drawn here (inline SVG), which
    // holds the code only — no address, so nothing puts the code in a URL.
    assert_eq!(page.matches("<div class=\"slip-qr\"").count(), 3);
    for slip in page.split("<div class=\"slip-qr\"").skip(1) {
        let svg = slip.split("</svg>").next().unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }
    let qr = lvzhi_web::ui::assess::qr_svg(&codes[0]);
    assert!(page.contains(&qr), "the first slip's QR code is its code's");
    assert!(!qr.contains("<?xml"));

    // The evaluator: the code travels in a POST body, never in a URL.
    let mut ev = Client::new(s.addr);
    let r = ev.get("/vote").unwrap();
    assert!(
        r.text().contains("method=\"post\" action=\"/vote/open\""),
        "{}",
        r.text()
    );
    for url in [format!("/vote/{}", codes[0]), format!("/vote/open?code={}", codes[0])] {
        let r = ev.get(&url).unwrap();
        assert!(matches!(r.status, 404 | 405), "GET {url}: {}", r.status);
    }
    ev.headers.push(("Origin".into(), "http://evil.example".into()));
    let r = form(&mut ev, "/vote/open", &[("code", &codes[0])]);
    assert_eq!(r.status, 403, "a cross-site code form is refused");
    ev.headers.clear();
    let r = form(&mut ev, "/vote/open", &[("code", &codes[0])]);
    assert_eq!(r.status, 200);
    assert!(
        !r.text().contains(&format!("/{}", codes[0])),
        "the code is in no link or action"
    );
    assert!(r.text().contains("王建国"));
    assert_eq!(r.text().matches("type=\"radio\"").count(), 2 * 6 * 4);
    let mut vote: Vec<(String, String)> = vec![("code".into(), codes[0].clone()), ("campaign".into(), id.to_string())];
    for sub in &c.subjects {
        for k in 0..6 {
            vote.push((format!("g{}_{k}", sub.id), "优秀".into()));
        }
    }
    let pairs: Vec<(&str, &str)> = vote.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let before = s.written();
    ev.headers.push(("Origin".into(), "http://evil.example".into()));
    let r = form(&mut ev, "/vote", &pairs);
    assert_eq!(r.status, 403);
    assert_eq!(s.written(), before);
    ev.headers.clear();
    // Missing one item: the ballot comes back with the choices kept.
    let r = form(&mut ev, "/vote", &pairs[..pairs.len() - 1]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("还有1项未选择等次"), "{}", r.text());
    assert!(r.text().contains(" checked"));
    assert_eq!(s.written(), before);
    let r = form(&mut ev, "/vote", &pairs);
    assert_eq!(r.status, 201, "{}", r.text());
    let receipt = r
        .text()
        .split("id=\"receipt\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(receipt.len(), 9);
    let r = ev.get(&format!("/vote/receipt?code={receipt}")).unwrap();
    assert!(r.text().contains("的选票已计入"), "{}", r.text());
    let r = form(&mut ev, "/vote", &pairs);
    assert_eq!(r.status, 409);
    assert!(r.text().contains("该选票码已投过票"));

    // Live turnout, close, results with downloads.
    let r = office.get(&format!("/assess/{id}")).unwrap();
    assert!(r.text().contains("33.3%"), "1 of 3 codes used");
    let r = form(&mut office, &format!("/assess/{id}/close"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let r = office.get(&format!("/assess/{id}/results")).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("复核一致"), "{t}");
    assert!(t.contains("100.0%"));
    assert!(t.contains("/assess/") && t.contains("/sheet/docx"));
    let r = office.get(&format!("/assess/{id}/sheet/docx")).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..2], b"PK");
    // A clerk has no 考核测评.
    let (mut clerk, _) = ui_client(&s, "clerk_xd");
    assert_eq!(clerk.get("/assess").unwrap().status, 403);
    assert!(!clerk.get("/").unwrap().text().contains("考核测评"));
    s.stop();
}

/// A campaign's minimum number of ballots: below it the results are not
/// published — refused by the API (results and sheet) and by the page with a
/// Chinese message — and the evaluator's 首页 leads to the ballot.
#[test]
fn results_withheld_below_the_campaigns_minimum() {
    let s = Server::start();
    let mut office = s.client("office");
    let mut body = campaign_body("2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z");
    body["min_ballots"] = json!(3);
    let r = office.post("/api/v1/assessments", &body).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    assert_eq!(c["min_ballots"], 3);
    let (id, subjects) = campaign_ids(&c);
    let g = c["groups"][0]["id"].clone();
    let r = office
        .post(
            &format!("/api/v1/assessments/{id}/tokens"),
            &json!({"group_id": g, "count": 3}),
        )
        .unwrap();
    let codes: Vec<String> = r.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let r = office
        .post(&format!("/api/v1/assessments/{id}/open"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200);
    let mut ev = Client::new(s.addr);
    for code in &codes[..2] {
        assert_eq!(cast(&mut ev, id, code, &grades(&subjects, "优秀")).status, 201);
    }
    let r = office
        .post(&format!("/api/v1/assessments/{id}/close"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let want = "本次测评收回有效选票2张，少于规定的最少3张，测评结果不予公布";
    let r = office.get(&format!("/api/v1/assessments/{id}/results")).unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(message(&r).contains(want), "{}", message(&r));
    let r = office.get(&format!("/api/v1/assessments/{id}/sheet")).unwrap();
    assert_eq!(r.status, 409, "the result sheet is withheld too");
    let (mut page, _) = ui_client(&s, "office");
    let r = page.get(&format!("/assess/{id}/results")).unwrap();
    assert_eq!(r.status, 409);
    assert!(r.text().contains(want), "{}", r.text());
    assert!(!r.text().contains("class=\"grid results"), "no figures on the page");
    // A bad minimum on the form is refused in Chinese, nothing created.
    let (mut office_ui, csrf) = ui_client(&s, "office");
    let r = form(
        &mut office_ui,
        "/assess/new",
        &[
            ("csrf", &csrf),
            ("year", "2026"),
            ("name", "测试"),
            ("groups", "县级领导 100"),
            ("others", "王建国 常务副区长"),
            ("opens", "2026-11-25T08:00"),
            ("closes", "2026-11-25T18:00"),
            ("min_ballots", "十"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("最少有效票数“十”应为非负整数"), "{}", r.text());

    // The evaluator's 首页 leads to the ballot.
    let (mut evaluator, _) = ui_client(&s, "evaluator");
    let home = evaluator.get("/").unwrap();
    assert_eq!(home.status, 200);
    assert!(
        home.text().contains("id=\"to-ballot\" href=\"/vote\""),
        "{}",
        home.text()
    );
    let (mut clerk, _) = ui_client(&s, "clerk_xd");
    assert!(!clerk.get("/").unwrap().text().contains("to-ballot"));
}
