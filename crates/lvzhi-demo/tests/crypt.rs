//! The demo county with its personal fields encrypted (SM4-GCM), on SQLite and
//! PostgreSQL: the database file with its WAL, and a pg_dump, hold none of the
//! demo's actual 身份证号, phone numbers or petitioners' names, and nothing
//! that reads as an 18-digit ID or an 11-digit mobile; with the key every value
//! reads back; without it the store refuses to open.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use lvzhi_core::crypto::FieldKey;
use lvzhi_demo::DemoOptions;
use lvzhi_store::Store;
use lvzhi_store::crypt::KeySource;
use lvzhi_store::records::ListQuery;
use sqlx::Connection;
use std::sync::Arc;

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn open(url: &str, keys: KeySource) -> Result<Store, lvzhi_store::StoreError> {
    let pack = Arc::new(lvzhi_packs::county().expect("pack"));
    Store::open_keyed(url, pack, lvzhi_demo::demo_clock(), keys).await
}

/// Every value of every encrypted field in the demo, as the office reads it: (ledger, id, field, value).
async fn personal_values(store: &Store) -> Vec<(String, i64, String, String)> {
    let sys = Store::system_access();
    let mut out = Vec::new();
    for kind in &store.pack().ledgers {
        let keys: Vec<&str> = kind
            .fields
            .iter()
            .filter(|f| f.encrypt)
            .map(|f| f.key.as_str())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let mut cursor = None;
        loop {
            let q = ListQuery {
                limit: Some(500),
                cursor: cursor.clone(),
                include_voided: true,
                ..Default::default()
            };
            let page = store.list(&sys, &kind.key, &q).await.expect("list");
            for r in &page.items {
                for k in &keys {
                    if let Some(v) = r.row.fields.get(*k).and_then(|v| v.as_str()) {
                        out.push((kind.key.clone(), r.row.id, k.to_string(), v.to_string()));
                    }
                }
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
    }
    out
}

async fn check(url: &str, stored: impl Fn() -> String, what: &str) {
    let key = FieldKey::new("demo1", [0x5a; 16]);
    let store = open(url, KeySource::Given(vec![key.clone()])).await.expect("open");
    let t = std::time::Instant::now();
    let summary = lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .expect("demo builds");
    println!(
        "[{what}] encrypted demo county built in {:.1?}: {} records",
        t.elapsed(),
        summary.total_records()
    );
    let values = personal_values(&store).await;
    store.close().await;
    let ids = values.iter().filter(|v| v.2 == "id_card").count();
    let phones = values.iter().filter(|v| v.2.contains("phone")).count();
    assert!(
        ids >= 100 && phones >= 200,
        "[{what}] the demo has personal data: {ids} IDs, {phones} phones"
    );
    assert!(
        values
            .iter()
            .all(|v| !v.3.starts_with("enc:") && v.3 != lvzhi_store::crypt::UNREADABLE),
        "[{what}] read back in plaintext"
    );

    let bytes = stored();
    // Every ID and phone of the demo would be an 11/18-character run in the file, quoted (JSON) or
    // space-delimited (the search column): one pass finds any such run, so the demo's actual values
    // too. (SQLite's binary page layout can put digits next to a division code; only runs stored as
    // text values count.) Names are not grepped here: the demo's name generator also fills fields that
    // are not personal (contacts, people), so a name may rightly be elsewhere; `lvzhi-store/tests/crypt.rs`
    // greps unique names.
    let candidates: std::collections::BTreeSet<&str> =
        lvzhi_core::ids::find_personal_numbers(&bytes).into_iter().collect();
    let look_alike: Vec<&str> = candidates
        .into_iter()
        .filter(|r| bytes.contains(&format!("\"{r}\"")) || bytes.contains(&format!(" {r} ")))
        .collect();
    assert!(
        look_alike.is_empty(),
        "[{what}] ID/mobile-like text stored: {:?}",
        &look_alike[..look_alike.len().min(5)]
    );
    let sample: Vec<&str> = values
        .iter()
        .filter(|v| v.2 == "id_card" || v.2.contains("phone"))
        .map(|v| v.3.as_str())
        .take(200)
        .collect();
    let leaked: Vec<&&str> = sample.iter().filter(|v| bytes.contains(**v)).collect();
    assert!(
        leaked.is_empty(),
        "[{what}] the demo's own values stored in plaintext: {leaked:?}"
    );
    assert!(bytes.contains("enc:sm4gcm:demo1:"), "[{what}] ciphertexts are there");

    // With the key the values read as before (the same records, the same values); without it,
    // the store does not open.
    let store = open(url, KeySource::Given(vec![key])).await.expect("reopen");
    assert_eq!(personal_values(&store).await, values, "[{what}]");
    assert_eq!(store.verify_chain().await.unwrap().error, None);
    store.close().await;
    let e = open(url, KeySource::None).await.err().expect("refused without the key");
    assert!(e.to_string().contains("未找到密钥"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sqlite_file_holds_no_plaintext_personal_data() {
    let path = std::env::temp_dir().join(format!("lvzhi_demo_crypt_{}.db", std::process::id()));
    let p = path.display().to_string();
    check(
        &format!("sqlite:{p}"),
        || {
            let mut all = Vec::new();
            for ext in ["", "-wal"] {
                all.extend(std::fs::read(format!("{p}{ext}")).unwrap_or_default());
            }
            String::from_utf8_lossy(&all).into_owned()
        },
        "sqlite",
    )
    .await;
    for ext in ["", "-wal", "-shm", ".anchor"] {
        let _ = std::fs::remove_file(format!("{p}{ext}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_pg_dump_holds_no_plaintext_personal_data() {
    let required = std::env::var("LVZHI_REQUIRE_PG").is_ok_and(|v| v == "1");
    let mut admin = match sqlx::PgConnection::connect(PG_ADMIN_URL).await {
        Ok(c) => c,
        Err(e) => {
            assert!(!required, "PostgreSQL required but unreachable: {e}");
            eprintln!("skipped: PostgreSQL unreachable ({e})");
            return;
        }
    };
    let name = format!("lvzhi_demo_crypt_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let dump_url = url.clone();
    check(
        &url,
        move || {
            let out = std::process::Command::new("pg_dump")
                .args(["--no-owner", &dump_url])
                .output()
                .expect("pg_dump runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        },
        "postgres",
    )
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}
