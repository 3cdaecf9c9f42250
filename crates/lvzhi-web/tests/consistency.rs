//! One truth for every figure (issue 14): for every role that reads
//! indicators and the periods 2025, 2026, 2026-11 and 2026年第四季度, every
//! figure the 指标 page shows — read out of the rendered HTML — equals the
//! same indicator from `/api/v1/indicators` and from `lvzhi indicators`
//! (`lvzhi_metrics::render::indicators_command`, the CLI's code) for that
//! reader, and the page's period label is the API's. A page that computed a
//! figure on its own would fail here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use std::collections::BTreeMap;

/// The 指标 table's rows: name → the value cell's text.
fn page_figures(html: &str) -> BTreeMap<String, String> {
    let strip = |s: &str| {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out.trim().replace("&amp;", "&")
    };
    let mut out = BTreeMap::new();
    for row in html.split("<tr>").skip(1) {
        let cells: Vec<&str> = row.split("<td").skip(1).collect();
        if cells.len() < 2 {
            continue;
        }
        let cell = |i: usize| strip(cells[i].split_once('>').map_or("", |x| x.1));
        out.insert(cell(0), cell(1));
    }
    out
}

#[test]
fn pages_api_and_cli_agree_for_every_role_and_period() {
    let s = Server::start();
    // Some records, so the figures are not all zero.
    let (xd, qs) = (s.county.xidong, s.county.qingshui);
    for (user, township, unit) in [("clerk_xd", "620902100", xd), ("clerk_qs", "620902101", qs)] {
        let a = s.county.access(user);
        for i in 0..3 {
            let mut f = lvzhi_testkit::county::hazard(township, unit, &format!("{township}隐患{i}"));
            if i > 0 {
                // Past its deadline: due in the year and 超期未办结.
                f.insert("deadline".into(), format!("{}-01-1{i}", s.store.today().year()).into());
            }
            s.rt.block_on(s.store.create(&a, "hazard", f)).unwrap();
        }
    }
    let files = lvzhi_packs::county_files();
    let today = s.store.today();
    let mut compared = 0;
    for user in ["admin", "office", "leader", "clerk_xd", "head_yj", "auditor"] {
        let mut b = s.signed_in(user);
        let access = s.county.access(user);
        for period in ["2025", "2026", "2026-11", "2026Q4"] {
            let q = enc(&[("period", period), ("scope", "county")]);
            let page = b.get(&format!("/indicators?{q}"));
            assert_eq!(page.status, 200, "{user} {period}");
            let html = page.text();
            let shown = page_figures(&html);
            let api = b.get(&format!("/api/v1/indicators?{q}"));
            assert_eq!(api.status, 200, "{user} {period}: {}", api.text());
            let api = api.json();
            let label = api["period_label"].as_str().unwrap();
            assert!(html.contains(label), "{user} {period}: the page does not say {label}");
            let cli =
                s.rt.block_on(lvzhi_metrics::render::indicators_command_as(
                    &s.store,
                    &files,
                    Some(period),
                    "county",
                    "json",
                    today,
                    &access,
                ))
                .unwrap();
            let cli: Vec<serde_json::Value> = serde_json::from_str(&cli).unwrap();
            for item in api["items"].as_array().unwrap() {
                let name = item["name"].as_str().unwrap();
                let display = item["display"].as_str().unwrap();
                let c = cli.iter().find(|v| v["name"] == name).unwrap();
                assert_eq!(c["display"], item["display"], "{user} {period} {name}: CLI ≠ API");
                assert_eq!(c["value"], item["value"], "{user} {period} {name}: CLI ≠ API");
                if let Some(p) = shown.get(name) {
                    assert_eq!(p, display, "{user} {period} {name}: page ≠ API");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 200, "only {compared} figures compared");

    // 督查督办's 评星挂旗 rows are lvzhi_metrics::duty's counts, for every reader.
    for user in ["office", "leader", "clerk_xd"] {
        let mut b = s.signed_in(user);
        let access = s.county.access(user);
        let html = b.get("/supervise?period=2026").text();
        let ranks = html
            .split("id=\"ranks\"")
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        let eff = lvzhi_metrics::effective(lvzhi_core::period::Period::Year(today.year()), today);
        let tallies =
            s.rt.block_on(lvzhi_metrics::duty::unit_tallies(&s.store, &access, &[], eff, today))
                .unwrap();
        let rows = page_figures(ranks);
        let mut ranked = 0;
        for t in tallies.iter().filter(|t| t.tally.due > 0 && !t.kind.is_empty()) {
            // The row is keyed by its first cell (the group); find the unit's row instead.
            let row = ranks
                .split("<tr")
                .find(|r| r.contains(&format!(">{}<", t.label)) || r.contains(&format!(">{} <", t.label)))
                .unwrap_or_else(|| panic!("{user}: {} not ranked\n{ranks}", t.label));
            let nums: Vec<String> = row
                .split("class=\"num\">")
                .skip(1)
                .map(|c| {
                    c.chars()
                        .skip_while(|ch| *ch == '<' || !ch.is_ascii_digit())
                        .take_while(|ch| ch.is_ascii_digit() || *ch == '.' || *ch == '%')
                        .collect()
                })
                .collect();
            // 名次, 到期, 按期办结, 超期未办结, 按期办结率
            assert_eq!(nums.get(1), Some(&t.tally.due.to_string()), "{user} {}: {row}", t.label);
            assert_eq!(
                nums.get(2),
                Some(&t.tally.on_time.to_string()),
                "{user} {}: {row}",
                t.label
            );
            assert_eq!(
                nums.get(3),
                Some(&t.tally.overdue.to_string()),
                "{user} {}: {row}",
                t.label
            );
            assert_eq!(nums.get(4), Some(&t.tally.rate_text()), "{user} {}: {row}", t.label);
            ranked += 1;
        }
        // The office sees both townships' items; others rank what they see.
        assert!(
            user != "office" || (ranked > 0 && !rows.is_empty()),
            "{user}: nothing ranked\n{ranks}"
        );
    }
    s.stop();
}
