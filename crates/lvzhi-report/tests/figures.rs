//! Bulletins add up: for every month of 2026, the 月度督查通报's per-unit rows
//! (到期, 按期办结, 超期未办结, 临期) sum to the totals its text states, and
//! every row equals `lvzhi_metrics::duty::unit_tallies` over the 督办 ledger —
//! one definition for the bulletin, the 督查督办 page and the API. The
//! 隐患 bulletin's per-unit lists sum to its totals too.
//!
//! Reports for the right person: every county leader, reading with their
//! own access on 2026-12-05, gets their own 述职述廉述德报告 — chosen by id,
//! signed by them, carrying figures of their own 分管 areas (the
//! 常务副县长's published statistics included); a post several people
//! hold does not pick one of them; a report about a person without one is
//! refused with a message, not a template error. Scoped bulletins name
//! their scope and issuer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::access::Role;
use lvzhi_core::period::Period;
use lvzhi_demo::DemoOptions;
use lvzhi_metrics::{Engine, duty};
use lvzhi_report::{ReportError, Request};
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The number right after `key` in `line` (0 when absent).
fn after(line: &str, key: &str) -> i64 {
    line.split_once(key)
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn req(template: &str, person: Option<String>, period: &str, scope: &str) -> Request {
    Request {
        issue: None,
        template: template.into(),
        period: period.into(),
        person,
        scope: scope.into(),
        today: jiff::civil::date(2026, 12, 5),
    }
}

/// One demo county for both checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_add_up_and_reports_are_the_persons() {
    let db = TestDb::sqlite();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .unwrap();
    let files = lvzhi_packs::county_files();
    let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
    let extended = extend_petitions(&store).await;
    assert!(extended.len() >= 2, "{extended:?}");
    every_month_adds_up(&store, &engine, &files).await;
    extensions_add_up(&store, &engine, &files, &extended).await;
    extensions_in_the_overseer_report(&store, &engine, &files, &extended).await;
    every_leader_gets_their_own_report(&store, &engine, &files).await;
    store.close().await;
    db.drop_db().await;
}

/// 延期 on the demo's day (2026年11月25日): up to three 信访件 in 办理中, of
/// different units, apply for 5 more days and are approved. Returns the
/// units' names, one per approval.
async fn extend_petitions(store: &Store) -> Vec<String> {
    let sys = Store::system_access();
    let q = lvzhi_store::records::ListQuery {
        state: Some("办理中".into()),
        limit: Some(200),
        ..Default::default()
    };
    let page = store.list(&sys, "petition", &q).await.unwrap();
    let units: BTreeMap<i64, String> = store
        .units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut done: Vec<String> = Vec::new();
    for v in page.items {
        let (Some(unit), Some(due)) = (v.row.unit_id, v.row.fields.get("deadline").and_then(|d| d.as_str())) else {
            continue;
        };
        let name = units[&unit].clone();
        // Two approvals in the first unit, one in another: rows of 2 and 1.
        if done.len() >= 3 || (done.contains(&name) && done.len() != 1) {
            continue;
        }
        let to = due.parse::<jiff::civil::Date>().unwrap() + jiff::Span::new().days(5);
        let r = store
            .transition(
                &sys,
                v.row.id,
                v.row.version,
                "申请延期",
                serde_json::json!({"extend_to": to.to_string()})
                    .as_object()
                    .unwrap()
                    .clone(),
                Some("涉及多个部门，需进一步调查核实".into()),
            )
            .await
            .unwrap_or_else(|e| panic!("申请延期 {}: {e}", v.row.id));
        store
            .transition(&sys, r.id, r.version, "批准延期", serde_json::Map::new(), None)
            .await
            .unwrap_or_else(|e| panic!("批准延期 {}: {e}", v.row.id));
        done.push(name);
    }
    done
}

/// The 月度督查通报's 批准延期: the text's total is the indicator
/// 信访件延期数 (the one definition), the rows' 批准延期 add up to it and
/// each row is the indicator's part for that unit — in the month of the
/// approvals and (all zero) in another.
async fn extensions_add_up(store: &Store, engine: &Engine, files: &[(String, String)], extended: &[String]) {
    let today = store.today();
    for (period, want) in [("2026-11", extended.len() as i64), ("2026-10", 0)] {
        let req = Request {
            issue: None,
            template: "月度督查通报".into(),
            period: period.into(),
            person: None,
            scope: "county".into(),
            today,
        };
        let md = lvzhi_report::render(store, engine, files, &req)
            .await
            .unwrap_or_else(|e| panic!("{period}: {e}"))
            .markdown();
        let total_line = md
            .lines()
            .find(|l| l.contains("批准延期") && l.contains("全县"))
            .unwrap();
        let total = after(total_line, "全县批准延期");
        let ind = engine
            .evaluate(
                store,
                &Store::system_access(),
                "petitions_extended",
                Period::parse(period).unwrap(),
                &lvzhi_metrics::scope::Scope::parse("county").unwrap(),
                today,
            )
            .await
            .unwrap();
        assert_eq!(ind.value.as_deref(), Some(want.to_string().as_str()), "{period}");
        assert_eq!(total, want, "{period}: {total_line}");
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.contains("：本期") && l.contains("超期未办结（红色）"))
            .collect();
        let sum: i64 = rows.iter().map(|l| after(l, "批准延期")).sum();
        assert_eq!(sum, total, "{period}: the rows' 批准延期 ≠ the text's\n{md}");
        for l in &rows {
            let name = l.split_once('：').unwrap().0;
            let name = name.split_once(". ").map_or(name, |(_, n)| n);
            let part = ind
                .breakdown
                .iter()
                .find(|p| p.label == name)
                .map_or(0, |p| p.value.parse::<i64>().unwrap());
            assert_eq!(after(l, "批准延期"), part, "{period}: {l}");
            let approvals = extended.iter().filter(|u| *u == name).count() as i64;
            if period == "2026-11" {
                assert_eq!(part, approvals, "{period}: {l}");
            }
        }
    }
}

async fn every_month_adds_up(store: &Store, engine: &Engine, files: &[(String, String)]) {
    let sys = Store::system_access();
    let today = store.today();
    let units: BTreeMap<String, i64> = store
        .units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.id))
        .collect();
    for m in 1..=12 {
        let period = format!("2026-{m:02}");
        let req = Request {
            issue: None,
            template: "月度督查通报".into(),
            period: period.clone(),
            person: None,
            scope: "county".into(),
            today,
        };
        let md = lvzhi_report::render(store, engine, files, &req)
            .await
            .unwrap_or_else(|e| panic!("{period}: {e}"))
            .markdown();
        if let Ok(dir) = std::env::var("LVZHI_BULLETIN_DIR") {
            std::fs::write(format!("{dir}/{period}.md"), &md).unwrap();
        }
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.contains("：本期") && l.contains("超期未办结（红色）"))
            .collect();
        let sum = |key: &str| rows.iter().map(|l| after(l, key)).sum::<i64>();
        let total_line = md.lines().find(|l| l.contains("全县")).unwrap();
        let want = duty::total(
            &duty::unit_tallies(store, &sys, &["supervision"], Period::parse(&period).unwrap(), today)
                .await
                .unwrap(),
        );
        assert_eq!(sum("本期到期"), want.due, "{period}: 到期\n{md}");
        assert_eq!(sum("按期办结"), want.on_time, "{period}: 按期办结\n{md}");
        assert_eq!(sum("超期未办结（红色）"), want.overdue, "{period}\n{md}");
        assert_eq!(sum("临期（黄色）"), want.due_soon, "{period}\n{md}");
        if want.due > 0 {
            assert_eq!(
                after(total_line, "全县到期督办事项"),
                want.due,
                "{period}: {total_line}"
            );
            assert_eq!(
                after(total_line, "其中按期办结"),
                want.on_time,
                "{period}: {total_line}"
            );
        }
        assert_eq!(
            after(total_line, "超期未办结（红色）"),
            want.overdue,
            "{period}: {total_line}"
        );
        // Each row is the unit's tally (the one definition).
        let tallies = duty::unit_tallies(store, &sys, &["supervision"], Period::parse(&period).unwrap(), today)
            .await
            .unwrap();
        for l in &rows {
            let name = l.split_once('：').unwrap().0;
            let name = name.split_once(". ").map_or(name, |(_, n)| n);
            let key = units.get(name).map(i64::to_string).unwrap_or_default();
            // A unit with only 批准延期 信访件 has no 督办 tally: all zero.
            let t = tallies
                .iter()
                .find(|t| t.key == key)
                .map(|t| t.tally)
                .unwrap_or_default();
            assert!(
                tallies.iter().any(|t| t.key == key) || after(l, "批准延期") > 0,
                "{period}: {name}"
            );
            assert_eq!(
                (
                    after(l, "本期到期"),
                    after(l, "按期办结"),
                    after(l, "（红色）"),
                    after(l, "（黄色）")
                ),
                (t.due, t.on_time, t.overdue, t.due_soon),
                "{period}: {l}"
            );
        }
        // An official document (GB/T 9704): 期数 centred under the title,
        // 主送机关 flush left, 落款 and date right-aligned; a file name that
        // says which bulletin it is.
        if m == 11 {
            let rep = lvzhi_report::render(store, engine, files, &req).await.unwrap();
            assert_eq!(
                rep.file_name(lvzhi_report::Format::Docx),
                "月度督查通报-2026年11月1日至25日-〔2026〕第11期.docx"
            );
            use lvzhi_report::Block;
            assert!(
                rep.blocks.get(1) == Some(&Block::Centre("〔2026〕第11期".into())),
                "{:?}",
                rep.blocks.get(1)
            );
            assert!(
                rep.blocks
                    .contains(&Block::Flush("各乡镇人民政府，县直各部门：".into()))
            );
            let n = rep.blocks.len();
            assert!(matches!(&rep.blocks[n - 2], Block::Right(t) if t == "县政府督查室"));
            assert!(matches!(&rep.blocks[n - 1], Block::Right(t) if t == "2026年11月25日"));
            let docx = rep.write(lvzhi_report::Format::Docx).unwrap();
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
            let para_of = |text: &str| {
                let at = xml.find(&format!(">{text}<")).unwrap();
                let start = xml[..at].rfind("<w:p>").unwrap();
                xml[start..at].to_string()
            };
            assert!(para_of("县政府督查室").contains("<w:jc w:val=\"right\"/>"));
            assert!(para_of("2026年11月25日").contains("<w:jc w:val=\"right\"/>"));
            assert!(
                para_of("各乡镇人民政府，县直各部门：").contains("<w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/>")
            );
            assert!(para_of("〔2026〕第11期").contains("<w:jc w:val=\"center\"/>"));
        }
        // Ranks within each group run 1, 2, 3…; the office is not ranked.
        assert!(!rows.iter().any(|l| l.contains(". 政府办")), "{md}");
    }

    // The 隐患 bulletin, every month: the units named under 超期未整改 and
    // under 临期 add up to the totals its text states.
    for m in 1..=12 {
        let period = format!("2026-{m:02}");
        let req = Request {
            issue: None,
            template: "隐患排查整改情况通报".into(),
            period: period.clone(),
            person: None,
            scope: "county".into(),
            today,
        };
        let md = lvzhi_report::render(store, engine, files, &req)
            .await
            .unwrap()
            .markdown();
        let total_of = |key: &str| {
            md.lines()
                .find_map(|l| l.contains(key).then(|| after(l, key)))
                .unwrap_or_else(|| panic!("{period}: no {key}\n{md}"))
        };
        let listed = |start: &str| -> i64 {
            md.lines()
                .find(|l| l.starts_with(start))
                .map(|line| line.split('（').skip(1).map(|p| after(&format!("x{p}"), "x")).sum())
                .unwrap_or(0)
        };
        assert_eq!(
            listed("存在超期未整改隐患的单位"),
            total_of("其中超期未整改"),
            "{period}\n{md}"
        );
        assert_eq!(
            listed("以下单位有隐患临近整改时限"),
            total_of("临近整改时限"),
            "{period}\n{md}"
        );
    }
}

async fn every_leader_gets_their_own_report(store: &Store, engine: &Engine, files: &[(String, String)]) {
    let people = store.people().await.unwrap();
    let users = store.users().await.unwrap();
    let mut bodies = Vec::new();
    for p in people.iter().filter(|p| p.is_leader) {
        // Their own login when they have one (the demo's 常务副县长), else the office's.
        let access = match users
            .iter()
            .find(|u| u.person_id == Some(p.id) && u.role == Role::Leader)
        {
            Some(u) => store.access_for(u.id).await.unwrap().0,
            None => {
                let office = users.iter().find(|u| u.role == Role::Office).unwrap();
                store.access_for(office.id).await.unwrap().0
            }
        };
        let r = req("述职述廉述德报告", Some(p.id.to_string()), "2026", "county");
        let rep = lvzhi_report::render_as(store, engine, files, &r, &access)
            .await
            .unwrap_or_else(|e| panic!("{} {}: {e}", p.post, p.name));
        let md = rep.markdown();
        if let Ok(dir) = std::env::var("LVZHI_BULLETIN_DIR") {
            std::fs::write(format!("{dir}/述职-{}.md", p.name), &md).unwrap();
        }
        assert!(md.starts_with(&format!("# {}述职述廉述德报告", p.post)), "{md}");
        assert!(
            md.trim_end().ends_with(&format!("{}\n\n2026年12月5日", p.name)),
            "signed by {}: {md}",
            p.name
        );
        assert!(
            !rep.figures.is_empty() || md.contains("分管领域主要工作指标"),
            "{}: boilerplate only\n{md}",
            p.name
        );
        let marks: usize = rep.blocks.iter().map(|b| b.raw().matches('\u{E000}').count()).sum();
        assert!(marks > 0, "{} {}: no figure of their own\n{md}", p.post, p.name);
        if p.post == "常务副县长" {
            // Published statistics are hers to read, like for like to November.
            assert!(md.contains("社会消费品零售总额完成67.53亿元，增长8.4%"), "{md}");
            assert!(
                md.contains("一般公共预算收入完成7.48亿元，同比增收4100万元，增长5.8%"),
                "{md}"
            );
        }
        let body: String = md.lines().filter(|l| !l.contains(&p.name)).collect();
        bodies.push((p.name.clone(), p.post.clone(), body));
    }
    assert!(bodies.len() >= 6, "{bodies:?}");
    let deputies: Vec<&(String, String, String)> = bodies.iter().filter(|b| b.1 == "副县长").collect();
    assert!(deputies.len() >= 2);
    for (i, a) in deputies.iter().enumerate() {
        for b in deputies.iter().skip(i + 1) {
            assert_ne!(a.2, b.2, "{} and {} differ only in the signature", a.0, b.0);
        }
    }

    // A post held by several people picks none of them.
    let e = lvzhi_report::render(
        store,
        engine,
        files,
        &req("述职述廉述德报告", Some("副县长".into()), "2026", "county"),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("有4人"), "{e}");
    // No person: a message, not "undefined value".
    let e = lvzhi_report::render(store, engine, files, &req("述职述廉述德报告", None, "2026", "county"))
        .await
        .unwrap_err();
    assert!(matches!(e, ReportError::Bad(_)), "{e}");
    assert!(e.to_string().contains("须指定述职人"), "{e}");
    assert!(!lvzhi_report::needs_person("# 通报\n\n{{ ind(\"排查隐患\") }}"));

    // A bulletin scoped to one township names it and its own issuer.
    let towns = store.divisions("").await.unwrap();
    let xd = towns.iter().find(|d| d.name == "西洞镇").unwrap();
    let md = lvzhi_report::render(
        store,
        engine,
        files,
        &req(
            "隐患排查整改情况通报",
            None,
            "2026-11",
            &format!("division:{}", xd.code),
        ),
    )
    .await
    .unwrap()
    .markdown();
    assert!(!md.contains("全县") && !md.contains("县安全生产委员会办公室"), "{md}");
    assert!(md.contains("西洞镇"), "{md}");
}

/// The figures of a leader's own area (`area_figures()`, what the 述职报告
/// lists for a leader without a section of her own) keep 信访件延期数 for the
/// leader who oversees a unit with an approved 延期: grouping the indicator by
/// unit for the bulletin's column must not drop its total there.
async fn extensions_in_the_overseer_report(
    store: &Store,
    engine: &Engine,
    files: &[(String, String)],
    extended: &[String],
) {
    let units = store.units().await.unwrap();
    let unit = units.iter().find(|u| u.name == extended[0]).unwrap();
    let people = store.people().await.unwrap();
    let Some(leader) = people.iter().find(|p| p.oversees.contains(&unit.id)) else {
        panic!("nobody oversees {}", unit.name);
    };
    // A template that lists the area figures alone (the county's 述职报告 shows
    // them only for leaders without a section of their own).
    let mut files = files.to_vec();
    files.push((
        "reports/分管指标.md.j2".into(),
        "{{ person.name }}：{% for f in area_figures() %}{{ f.name }}{{ f.plain }}；{% endfor %}\n".into(),
    ));
    let md = lvzhi_report::render(
        store,
        engine,
        &files,
        &req("分管指标", Some(leader.id.to_string()), "2026", "county"),
    )
    .await
    .unwrap()
    .markdown();
    assert!(
        md.contains("信访件延期数"),
        "{} oversees {}, where 延期 was approved; her area figures omit 信访件延期数:\n{md}",
        leader.name,
        unit.name
    );
}
