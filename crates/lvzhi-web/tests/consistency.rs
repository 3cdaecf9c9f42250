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
            let f = lvzhi_testkit::county::hazard(township, unit, &format!("{township}隐患{i}"));
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
    s.stop();
}
