//! Two servers in one process on two databases share nothing: each has its
//! own application object (engine, page cache, staged uploads), so figures,
//! memoised pages and uploads of one never show on the other (part of
//! `tests/ui.rs`).

use super::*;

/// The value of `hazards_found` for 2026, county-wide, as the office reads it.
fn hazards_found(s: &Server) -> serde_json::Value {
    let mut c = s.client("office");
    let r = c
        .get("/api/v1/indicators/hazards_found?period=2026&scope=county")
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["indicator"]["value"].clone()
}

#[test]
fn two_servers_in_one_process_share_nothing() {
    let (a, b) = (Server::start(), Server::start());
    assert!(!std::ptr::eq(a.app.engine(), b.app.engine()), "one engine each");
    assert!(a.app.cache.is_empty() && b.app.cache.is_empty());

    // The same county on both: the same figure; then a hazard on A only.
    assert_eq!(hazards_found(&a), hazards_found(&b));
    let before_b = hazards_found(&b);
    a.hazard("clerk_xd", "620902100", a.county.xidong, "只在甲库的隐患");
    assert_ne!(hazards_found(&a), before_b, "A counts its new hazard");
    assert_eq!(hazards_found(&b), before_b, "B does not");

    // Pages memoised on A are A's alone.
    let mut office_a = a.signed_in("office");
    let page = office_a.get("/indicators/hazards_found?period=2026&scope=county");
    assert_eq!(page.status, 200);
    assert!(!a.app.cache.is_empty(), "A memoised its page");
    assert!(b.app.cache.is_empty(), "B's cache is untouched");
    let mut office_b = b.signed_in("office");
    let list_b = office_b.get("/ledgers/hazard?q=只在甲库").text();
    assert!(!list_b.contains("只在甲库的隐患"), "B never shows A's record");

    // An upload staged on A is not found on B, even by the same user (same id on both).
    let mut clerk_a = a.signed_in("clerk_xd");
    clerk_a.get("/ledgers/hazard/import");
    let csrf = clerk_a.csrf();
    let r = clerk_a.upload(
        "/ledgers/hazard/import",
        &[("csrf", &csrf)],
        ("h.csv", import_screens::CSV.as_bytes()),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let to = location(&r);
    assert_eq!((a.app.staging.len(), b.app.staging.len()), (1, 0));
    assert_eq!(clerk_a.get(&to).status, 200);
    let mut clerk_b = b.signed_in("clerk_xd");
    let on_b = clerk_b.get(&to);
    assert_eq!(on_b.status, 404, "A's upload on B");
    assert!(on_b.text().contains("导入已失效"));
}
