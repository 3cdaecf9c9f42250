//! Personal fields encrypted at rest (SM4-GCM), on both backends: nothing in
//! the database file (WAL included) or a pg_dump reads as an ID or phone
//! number; reads, masking, search and the chain work with the key; no key, or
//! the wrong one, is refused at start; key rotation re-encrypts everything,
//! keeps every hash, and an interrupted rotation leaves every value readable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(unused_macros)]
mod common;

use common::{Backend, TestDb, World, pack};
use lvzhi_core::crypto::FieldKey;
use lvzhi_store::Store;
use lvzhi_store::crypt::KeySource;
use lvzhi_store::records::ListQuery;
use serde_json::{Map, Value, json};

/// Runs `$name(backend)` as `$name::sqlite` and `$name::postgres`.
macro_rules! on_both {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )*};
}

on_both!(
    personal_fields_are_encrypted_at_rest_and_read_back,
    key_rotation_reencrypts_keeps_the_chain_and_survives_interruption,
    totp_secrets_are_sealed_at_rest_migrated_and_rotated,
    channel_secrets_are_sealed_at_rest_and_still_sign
);

fn key(id: &str, byte: u8) -> FieldKey {
    FieldKey::new(id, [byte; 16])
}

async fn open_with(db: &TestDb, keys: KeySource) -> Result<Store, lvzhi_store::StoreError> {
    let clock = lvzhi_store::fixed_clock(common::NOW.parse().unwrap());
    Store::open_keyed(&db.url(), pack(), clock, keys).await
}

/// A petition with the given personal values.
fn petition(name: &str, id_card: &str, phone: &str) -> Map<String, Value> {
    json!({
        "subject": "反映村道路灯损坏", "petitioner": name, "id_card": id_card, "phone": phone,
        "persons": 1, "form": "来访", "visit_type": "初访", "category": "其他",
        "content": "村道路灯损坏三个月未修", "township": "620902100", "registered_on": "2026-11-20",
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// Valid 18-digit ID numbers (check character computed) and mobiles.
fn people(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            let first17 = format!(
                "620902{}{:02}{:02}{:03}",
                1970 + i % 30,
                1 + i % 9,
                10 + i % 18,
                100 + i
            );
            let id = lvzhi_core::ids::complete_id_card(&first17).unwrap();
            (format!("测试人{i}"), id, format!("139{:08}", 12345670 + i))
        })
        .collect()
}

/// Every byte the database keeps: the SQLite file and its WAL, or a pg_dump.
fn stored_bytes(db: &TestDb) -> String {
    match db {
        TestDb::Sqlite(path) => {
            let mut all = Vec::new();
            for suffix in ["", "-wal"] {
                if let Ok(b) = std::fs::read(format!("{}{suffix}", path.display())) {
                    all.extend(b);
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        TestDb::Postgres(_) => {
            let out = std::process::Command::new("pg_dump")
                .args(["--no-owner", &db.url()])
                .output()
                .expect("pg_dump runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        }
    }
}

async fn personal_fields_are_encrypted_at_rest_and_read_back(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    {
        let k1 = key("k1", 1);
        let s = open_with(&db, KeySource::Given(vec![k1.clone()])).await.unwrap();
        let w = World::setup(s.clone()).await;
        let office = w.office.clone();
        let people = people(6);
        // One through each write path: create, create_many, the bulk import, and an update.
        let (n0, i0, p0) = &people[0];
        let first = s.create(&office, "petition", petition(n0, i0, p0)).await.unwrap();
        s.create_many(
            &office,
            "petition",
            people[1..3].iter().map(|(n, i, p)| (petition(n, i, p), None)).collect(),
            None,
        )
        .await
        .unwrap();
        s.create_bulk(
            &office,
            "petition",
            people[3..5].iter().map(|(n, i, p)| (petition(n, i, p), None)).collect(),
            Some("import-test".into()),
        )
        .await
        .unwrap();
        let (n5, i5, p5) = &people[5];
        let mut change = Map::new();
        change.insert("petitioner".into(), json!(n5));
        change.insert("id_card".into(), json!(i5));
        change.insert("phone".into(), json!(p5));
        let updated = s.update(&office, first.id, first.version, change).await.unwrap();
        assert_eq!(updated.fields["phone"], json!(p5), "the writer answers in plaintext");

        // The database holds none of them (records, events, search column, WAL).
        let bytes = stored_bytes(&db);
        for (n, i, p) in &people {
            for v in [n, i, p] {
                assert!(!bytes.contains(v.as_str()), "{backend:?}: plaintext {v} stored");
            }
        }
        assert_eq!(
            lvzhi_core::ids::find_personal_numbers(&bytes),
            Vec::<String>::new(),
            "{backend:?}"
        );
        assert!(bytes.contains("enc:sm4gcm:k1:"));

        // Reads see plaintext; masking still applies per role.
        let rec = s.record(&office, first.id).await.unwrap();
        assert_eq!(rec.row.fields["id_card"], json!(i5));
        assert_eq!(rec.row.fields["petitioner"], json!(n5));
        let clerk = s.record(&w.clerk_xd, first.id).await;
        if let Ok(v) = clerk {
            assert_ne!(v.row.fields["id_card"], json!(i5), "masked for a clerk");
            assert!(v.row.fields["id_card"].as_str().unwrap().contains('*'));
        }
        let events = s.record_events(&office, first.id).await.unwrap();
        assert_eq!(events[0].data["after"]["phone"], json!(p0), "history opened");
        assert_eq!(events[1].data["before"]["phone"], json!(p0));
        assert_eq!(events[1].data["after"]["phone"], json!(p5));

        // Exact search on encrypted fields through the blind index; a part finds nothing.
        let find = |q: &str| ListQuery {
            q: Some(q.to_string()),
            count: true,
            ..ListQuery::default()
        };
        for (q, want) in [
            (p5.as_str(), 1),
            (i5.as_str(), 1),
            (n5.as_str(), 1),
            (people[3].2.as_str(), 1),
        ] {
            let page = s.list(&office, "petition", &find(q)).await.unwrap();
            assert_eq!(page.total, Some(want), "search {q}");
        }
        assert_eq!(
            s.list(&office, "petition", &find(&p5[..7])).await.unwrap().total,
            Some(0)
        );
        assert_eq!(
            s.list(&office, "petition", &find(p0)).await.unwrap().total,
            Some(0),
            "old value"
        );

        // The chain verifies; it covers the commitments, not the ciphertext.
        let v = s.verify_chain().await.unwrap();
        assert_eq!(v.error, None);
        s.close().await;

        // No key, or the wrong one: refused at start with a Chinese message.
        let e = open_with(&db, KeySource::None)
            .await
            .err()
            .expect("refused without a key");
        assert!(e.to_string().contains("未找到密钥"), "{e}");
        let e = open_with(&db, KeySource::Given(vec![key("k9", 9)]))
            .await
            .err()
            .expect("refused");
        assert!(e.to_string().contains("密钥与数据库不符"), "{e}");
    }
    db.remove().await;
}

async fn key_rotation_reencrypts_keeps_the_chain_and_survives_interruption(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    {
        let (k1, k2) = (key("k1", 1), key("k2", 2));
        let s = open_with(&db, KeySource::Given(vec![k1.clone()])).await.unwrap();
        let w = World::setup(s.clone()).await;
        let office = w.office.clone();
        let people = people(5);
        let mut ids = Vec::new();
        for (n, i, p) in &people {
            ids.push(s.create(&office, "petition", petition(n, i, p)).await.unwrap().id);
        }
        let head = s.chain_head().await.unwrap();

        // Interrupted: record 4 holds a value under a key nobody has, so the
        // rotation stops in the batch of records 3–4 (rolled back) after the
        // batch of records 1–2 committed.
        let stray = key("k7", 7).seal(&[1; 12], &[2; 16], "petition/phone", &people[3].2);
        let mut fields = s.record(&office, ids[3]).await.unwrap().row.fields;
        fields.insert("phone".into(), json!(stray));
        set_fields(&db, ids[3], Value::Object(fields).to_string()).await;
        let e = s
            .rotate_key_in(vec![k1.clone(), k2.clone()], 2)
            .await
            .expect_err("stops");
        assert!(e.to_string().contains(&format!("记录{}", ids[3])), "{e}");
        let bytes = stored_bytes(&db);
        assert!(
            bytes.contains("enc:sm4gcm:k2:") && bytes.contains("enc:sm4gcm:k1:"),
            "half done"
        );
        // With both keys (the key file keeps the old one until the end) every value reads.
        for (i, id) in ids.iter().enumerate() {
            let f = s.record(&office, *id).await.unwrap().row.fields;
            if i == 3 {
                assert_eq!(f["phone"], json!(lvzhi_store::crypt::UNREADABLE));
            } else {
                assert_eq!(f["phone"], json!(people[i].2), "record {id}");
            }
        }
        // Repaired, the rotation is run again and finishes.
        let mut fields = s.record(&office, ids[3]).await.unwrap().row.fields;
        fields.insert(
            "phone".into(),
            json!(k1.seal(&[3; 12], &[4; 16], "petition/phone", &people[3].2)),
        );
        set_fields(&db, ids[3], Value::Object(fields).to_string()).await;
        let done = s.rotate_key(vec![k1.clone(), k2.clone()]).await.unwrap();
        assert_eq!(done.key_id, "k2");
        assert!(done.events >= 5, "{done:?}");
        s.close().await;
        let bytes = stored_bytes(&db);
        assert!(!bytes.contains("enc:sm4gcm:k1:"), "nothing left under the old key");
        assert_eq!(lvzhi_core::ids::find_personal_numbers(&bytes), Vec::<String>::new());

        // Only the new key now: every value, the history, search and the chain.
        assert!(
            open_with(&db, KeySource::Given(vec![k1.clone()])).await.is_err(),
            "old key refused"
        );
        let s = open_with(&db, KeySource::Given(vec![k2.clone()])).await.unwrap();
        for (i, id) in ids.iter().enumerate() {
            let f = s.record(&office, *id).await.unwrap().row.fields;
            assert_eq!(f["id_card"], json!(people[i].1));
            assert_eq!(f["phone"], json!(people[i].2));
        }
        let ev = s.record_events(&office, ids[0]).await.unwrap();
        assert_eq!(ev[0].data["after"]["id_card"], json!(people[0].1));
        let q = ListQuery {
            q: Some(people[2].1.clone()),
            count: true,
            ..ListQuery::default()
        };
        assert_eq!(s.list(&office, "petition", &q).await.unwrap().total, Some(1));
        let v = s.verify_chain().await.unwrap();
        assert_eq!(v.error, None, "rotation changed no hash");
        // The head before rotation is still in the chain unchanged (plus the rotation's event).
        let f = tempfile_path(&db);
        std::fs::write(&f, format!("{} {}\n", head.0, head.1)).unwrap();
        let check = s.verify_anchor(&f).await.unwrap();
        assert_eq!(check.problem, None, "anchored head still there: {check:?}");
        let _ = std::fs::remove_file(&f);
        s.close().await;
    }
    db.remove().await;
}

/// Writes a record's stored fields behind the store's back (a damaged value).
async fn set_fields(db: &TestDb, id: i64, fields: String) {
    use sqlx::Connection;
    let sql = "UPDATE records SET fields = $1 WHERE id = $2";
    match db {
        TestDb::Sqlite(_) => {
            let mut c = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
            sqlx::query(sql).bind(fields).bind(id).execute(&mut c).await.unwrap();
        }
        TestDb::Postgres(_) => {
            let mut c = sqlx::PgConnection::connect(&db.url()).await.unwrap();
            sqlx::query(sql).bind(fields).bind(id).execute(&mut c).await.unwrap();
        }
    }
}

fn tempfile_path(db: &TestDb) -> std::path::PathBuf {
    let url = db.url();
    let tail: String = url.chars().filter(char::is_ascii_alphanumeric).collect();
    std::env::temp_dir().join(format!("lvzhi-crypt-anchor-{}.txt", &tail[tail.len() - 12..]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_database_stays_readable_and_is_encrypted_by_rotation() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let s = open_with(&db, KeySource::None).await.unwrap();
    let w = World::setup(s.clone()).await;
    let office = w.office.clone();
    let (n, i, p) = &people(1)[0];
    let id = s.create(&office, "petition", petition(n, i, p)).await.unwrap().id;
    assert!(stored_bytes(&db).contains(i.as_str()), "no key: plaintext, as before");
    let k1 = key("k1", 1);
    let done = s.rotate_key(vec![k1.clone()]).await.unwrap();
    assert_eq!(done.records, 1);
    s.close().await;
    let s = open_with(&db, KeySource::Given(vec![k1])).await.unwrap();
    assert_eq!(s.record(&office, id).await.unwrap().row.fields["id_card"], json!(i));
    s.close().await;
    // The old events keep the plaintext they were hashed over (the chain cannot be rewritten);
    // the records no longer hold it.
    let s = open_with(&db, KeySource::None).await.err();
    assert!(s.is_some(), "encrypted now: no key is refused");
    db.remove().await;
}

/// The TOTP secret (it must be read back to check codes) is sealed at rest
/// like a personal field: a database that kept it in plaintext (no key) has
/// it sealed at its first start with a key — the file/WAL or pg_dump then
/// hold no trace of it — and codes still check; an enrolment under a key
/// never writes it in plaintext (pending or confirmed); `rotate_key`
/// re-seals it under the new key; a sealed secret copied to another account
/// does not open (bound to the account).
async fn totp_secrets_are_sealed_at_rest_migrated_and_rotated(backend: Backend) {
    use lvzhi_store::second_factor::{PENDING_CODE, code_at};
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let base: jiff::Timestamp = common::NOW.parse().unwrap();
    let at = |minutes: i64| base.checked_add(jiff::Span::new().minutes(minutes)).unwrap();
    let unix = |minutes: i64| u64::try_from(at(minutes).as_second()).unwrap();
    let open_at = |keys: KeySource, minutes: i64| {
        let url = db.url();
        async move { Store::open_keyed(&url, pack(), lvzhi_store::fixed_clock(at(minutes)), keys).await }
    };

    // No key: the secret is stored as it is — what this test guards against.
    let s = open_at(KeySource::None, 0).await.unwrap();
    let w = World::setup(s.clone()).await;
    let (token, _) = s.login("auditor", common::PASSWORD, "web").await.unwrap();
    let e = s.totp_begin(&w.auditor, None).await.unwrap();
    s.totp_confirm(&w.auditor, &token, &code_at(&e.secret, unix(0)).unwrap(), None)
        .await
        .unwrap();
    s.close().await;
    assert!(
        stored_bytes(&db).contains(&e.secret),
        "precondition: plaintext without a key"
    );

    // The first start with a key seals it; the storage keeps no trace; codes check.
    let k1 = key("k1", 1);
    let s = open_at(KeySource::Given(vec![k1.clone()]), 1).await.unwrap();
    assert!(
        !stored_bytes(&db).contains(&e.secret),
        "the TOTP secret is still in the database in plaintext after the first start with a key"
    );
    assert_eq!(
        s.totp_secret_of("auditor").await.unwrap().as_deref(),
        Some(e.secret.as_str())
    );
    let (t, sess) = s.login("auditor", common::PASSWORD, "web").await.unwrap();
    assert_eq!(sess.second_factor.as_deref(), Some(PENDING_CODE));
    let ok = s
        .totp_verify(&t, &code_at(&e.secret, unix(1)).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(ok.second_factor, None);

    // An enrolment under a key: neither the pending nor the confirmed secret is ever plaintext.
    let (tc, _) = s.login("clerk_xd", common::PASSWORD, "web").await.unwrap();
    let e2 = s.totp_begin(&w.clerk_xd, None).await.unwrap();
    assert!(
        !stored_bytes(&db).contains(&e2.secret),
        "pending secret stored in plaintext"
    );
    assert_eq!(
        s.totp_pending(&w.clerk_xd).await.unwrap().map(|p| p.secret),
        Some(e2.secret.clone()),
        "the pending secret reads back for the QR code"
    );
    s.totp_confirm(&w.clerk_xd, &tc, &code_at(&e2.secret, unix(1)).unwrap(), None)
        .await
        .unwrap();
    assert!(
        !stored_bytes(&db).contains(&e2.secret),
        "confirmed secret stored in plaintext"
    );
    assert_eq!(
        s.totp_secret_of("clerk_xd").await.unwrap().as_deref(),
        Some(e2.secret.as_str())
    );
    s.close().await;

    // Rotation re-seals both under the new key: the new key alone opens them.
    let k2 = key("k2", 2);
    let s = open_at(KeySource::Given(vec![k1.clone(), k2.clone()]), 2)
        .await
        .unwrap();
    let r = s.rotate_key(vec![k1.clone(), k2.clone()]).await.unwrap();
    assert_eq!(r.secrets, 2, "{r:?}");
    s.close().await;
    let s = open_at(KeySource::Given(vec![k2.clone()]), 3).await.unwrap();
    assert_eq!(
        s.totp_secret_of("auditor").await.unwrap().as_deref(),
        Some(e.secret.as_str())
    );
    assert_eq!(
        s.totp_secret_of("clerk_xd").await.unwrap().as_deref(),
        Some(e2.secret.as_str())
    );
    let (t, _) = s.login("auditor", common::PASSWORD, "web").await.unwrap();
    s.totp_verify(&t, &code_at(&e.secret, unix(3)).unwrap(), None)
        .await
        .unwrap();
    assert!(!stored_bytes(&db).contains(&e.secret) && !stored_bytes(&db).contains(&e2.secret));
    s.close().await;

    // Bound to the account: the auditor's sealed secret copied into the clerk's row does not open.
    {
        use sqlx::Connection;
        let sql = "UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE username = 'auditor') \
                   WHERE username = 'clerk_xd'";
        match &db {
            TestDb::Sqlite(_) => {
                let mut c = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
            TestDb::Postgres(_) => {
                let mut c = sqlx::PgConnection::connect(&db.url()).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
        }
    }
    let s = open_at(KeySource::Given(vec![k2]), 4).await.unwrap();
    let err = s.totp_secret_of("clerk_xd").await.unwrap_err();
    assert!(err.to_string().contains("无法解密"), "{err}");
    s.close().await;
    db.remove().await;
}

/// A one-request HTTP receiver answering `{"errcode":0}`; returns its
/// address and the request line's path once it came.
async fn one_request() -> (String, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut c, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut tmp = [0u8; 4096];
        // The whole request, body included: closing with unread bytes would
        // reset the connection before the sender reads the answer.
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let len = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() - end - 4 >= len {
                    break;
                }
            }
            let n = c.read(&mut tmp).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        let body = "{\"errcode\":0,\"errmsg\":\"ok\"}";
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        c.write_all(resp.as_bytes()).await.unwrap();
        let head = String::from_utf8_lossy(&buf).to_string();
        let _ = tx.send(head.split_whitespace().nth(1).unwrap_or("").to_string());
    });
    (addr, rx)
}

/// The 钉钉 signing secret of an outbound channel is sealed at rest like the
/// TOTP keys: a channel added without a key is sealed at the first start with
/// one, one added under a key is never stored in plaintext, and the sender
/// still signs with the real secret (the signature recomputed here).
async fn channel_secrets_are_sealed_at_rest_and_still_sign(backend: Backend) {
    use lvzhi_store::outbox::{ChannelInput, dingtalk_sign};
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    const SECRET: &str = "SECd1n9ta1k5ign1ngSecretOfTheCounty0042";
    const SECRET2: &str = "SECanotherSigningSecretAddedUnderAKey77";
    let ding = |url: String, secret: &str| ChannelInput {
        kind: "dingtalk".into(),
        name: "县政府办钉钉群".into(),
        url,
        secret: secret.into(),
        ..ChannelInput::default()
    };
    let s = open_with(&db, KeySource::None).await.unwrap();
    let w = World::setup(s.clone()).await;
    let (addr, got) = one_request().await;
    let id = s
        .add_channel(
            &w.admin,
            ding(format!("http://{addr}/robot/send?access_token=t1"), SECRET),
        )
        .await
        .unwrap();
    s.close().await;
    assert!(
        stored_bytes(&db).contains(SECRET),
        "precondition: plaintext without a key"
    );

    let s = open_with(&db, KeySource::Given(vec![key("k1", 1)])).await.unwrap();
    assert!(
        !stored_bytes(&db).contains(SECRET),
        "the channel secret is still in the database in plaintext after the first start with a key"
    );
    let id2 = s
        .add_channel(
            &w.admin,
            ding("http://127.0.0.1:9/robot/send?access_token=t2".into(), SECRET2),
        )
        .await
        .unwrap();
    assert!(
        !stored_bytes(&db).contains(SECRET2),
        "a secret added under a key stored in plaintext"
    );
    assert!(
        s.channels(&w.admin)
            .await
            .unwrap()
            .iter()
            .all(|c| c.secret_set && !c.url.contains(SECRET))
    );
    assert!(id2 > id);
    // The sender opens it: the signature is the real secret's.
    s.test_channel(&w.admin, id).await.unwrap().unwrap();
    let path = got.await.unwrap();
    let q: std::collections::HashMap<&str, &str> = path
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let ts: i64 = q["timestamp"].parse().unwrap();
    let sign = q["sign"].replace("%2B", "+").replace("%2F", "/").replace("%3D", "=");
    assert_eq!(sign, dingtalk_sign(ts, SECRET));
    s.close().await;
}
