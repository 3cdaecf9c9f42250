//! 数据来源 pages on the demo county: every row of every ledger's table has
//! exactly one cell under each header (the headers and the cells come from
//! one column list), for every ledger an indicator reads — and, through the
//! page's own table builder, for all 17 ledgers of the pack.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser::Demo;
use common::site::Browser;
use lvzhi_core::access::Role;
use lvzhi_testkit::http::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

/// The ledger tables of a provenance page: (ledger name, headers, cells per row).
fn tables(html: &str) -> Vec<(String, usize, Vec<usize>)> {
    let mut out = Vec::new();
    for chunk in html.split("<h3>").skip(1) {
        let Some((ledger, rest)) = chunk.split_once("</h3>") else {
            continue;
        };
        let Some(i) = rest.find("<table class=\"grid records provenance\">") else {
            continue;
        };
        let table = &rest[i..rest.find("</table>").unwrap()];
        let (head, body) = table.split_once("<tbody>").unwrap();
        let headers = head.matches("<th>").count() + head.matches("<th ").count();
        let rows = body.split("<tr").skip(1).map(|r| r.matches("<td").count()).collect();
        out.push((ledger.trim().to_string(), headers, rows));
    }
    out
}

#[test]
fn provenance_rows_have_one_cell_per_header_for_every_ledger() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let demo = rt.block_on(Demo::start());
    let pack = demo.store.pack().clone();
    assert_eq!(pack.ledgers.len(), 17, "the demo pack's ledgers");
    let office = demo.users.iter().find(|u| u.role == Role::Office).unwrap().clone();
    let addr: SocketAddr = demo.base.trim_start_matches("http://").parse().unwrap();
    let mut api = Client::new(addr);
    assert_eq!(api.login(&office.username, &office.password).status, 200);
    let mut b = Browser {
        c: Client::new(addr),
        cookies: BTreeMap::new(),
    };
    assert_eq!(b.login(&office.username, &office.password).status, 303);

    let q = "period=2026&scope=county";
    let all = api.get(&format!("/api/v1/indicators?{q}")).unwrap().json();
    let mut read = BTreeSet::new(); // ledgers with records behind some figure
    let mut seen: BTreeMap<String, usize> = BTreeMap::new(); // ledger → rows checked
    for item in all["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let one = api.get(&format!("/api/v1/indicators/{id}?{q}&limit=1")).unwrap().json();
        for (i, s) in one["sources"].as_array().unwrap().iter().enumerate() {
            if s["count"].as_i64().unwrap_or(0) == 0 {
                continue;
            }
            let kind = pack.ledger(s["ledger"].as_str().unwrap()).unwrap();
            read.insert(kind.name.clone());
            if seen.contains_key(&kind.name) {
                continue;
            }
            let r = b.get(&format!("/indicators/{id}?{q}&source={i}"));
            assert_eq!(r.status, 200, "{id} source {i}");
            for (ledger, headers, rows) in tables(&r.text()) {
                assert!(!rows.is_empty(), "{id}: {ledger} has no rows");
                for (n, cells) in rows.iter().enumerate() {
                    assert_eq!(*cells, headers, "{id} source {i}: {ledger} row {n}: cells vs headers");
                }
                *seen.entry(ledger).or_default() += rows.len();
            }
        }
    }
    // Every ledger some figure reads was checked (river_patrol feeds no indicator).
    let checked: BTreeSet<String> = seen.keys().cloned().collect();
    assert_eq!(checked, read);
    assert!(checked.len() >= 15, "only {checked:?}");

    // All 17 ledgers, including those no figure reads (价格监测 feeds a warning
    // rule, 河长巡河 nothing yet): the page's table for a record of each has
    // one cell per header.
    rt.block_on(async {
        let a = demo.access(&office.username).await;
        let names = lvzhi_web::ui::render::Names::load(&demo.store).await.unwrap();
        for kind in &pack.ledgers {
            let q = lvzhi_store::records::ListQuery {
                limit: Some(20),
                ..Default::default()
            };
            let page = demo.store.list(&a, &kind.key, &q).await.unwrap();
            assert!(!page.items.is_empty(), "the demo has no {} records", kind.name);
            let mut g = lvzhi_web::ui::indicators::RecGroup::new(kind);
            for v in &page.items {
                g.push(kind, &names, v);
            }
            for r in &g.rows {
                assert_eq!(r.cells.len(), g.columns.len(), "{}", kind.name);
            }
        }
    });
    rt.block_on(demo.stop());
}
