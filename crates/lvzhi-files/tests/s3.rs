//! Attachments in an S3-compatible bucket (issue 16), against a local
//! `moto_server` (`python3 -m pip install 'moto[server]'`): stored under the
//! digest, read back, thumbnails, verify naming a lost or altered object,
//! backup to a directory and restore into a fresh bucket or a directory,
//! and clear refusals for a bucket that cannot be used. Without
//! `moto_server` each test prints `skipped: …` (a failure with
//! `LVZHI_REQUIRE_S3=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lvzhi_core::crypto::{HashAlg, hex_digest};
use lvzhi_files::moto::{self, Moto};
use lvzhi_files::s3::S3Config;
use lvzhi_files::{FileStore, Limits, Problem, sample};
use std::io::Read;

/// The object key of `digest` under `prefix`.
fn key(prefix: &str, digest: &str) -> String {
    let hex = digest.rsplit(':').next().unwrap();
    let alg = if digest.starts_with("sm3:") { "sm3" } else { "sha256" };
    format!("{prefix}/{alg}/{}/{hex}", &hex[..2])
}

fn bucket(m: &Moto, name: &str, prefix: &str, staging: &std::path::Path) -> FileStore {
    m.create_bucket(name).unwrap();
    let s = FileStore::s3(&format!("s3://{name}/{prefix}"), staging, &m.config()).unwrap();
    s.check().unwrap();
    s
}

/// Uploads `bytes` named `name` as the server does: temp file, inspect, store.
fn upload(s: &FileStore, name: &str, bytes: &[u8]) -> (String, Option<String>) {
    let mut inc = s.incoming(name, HashAlg::Sm3, Limits::default()).unwrap();
    for c in bytes.chunks(50_000) {
        inc.write(c).unwrap();
    }
    let r = inc.finish().unwrap();
    let i = r.inspect().unwrap();
    let thumb = i.thumbnail.map(|t| s.put_bytes(&t, HashAlg::Sm3).unwrap());
    let digest = r.digest.clone();
    let at = r.store(s).unwrap();
    assert_eq!(at, s.location(&digest));
    (digest, thumb)
}

fn read_all(s: &FileStore, digest: &str) -> Vec<u8> {
    let mut out = Vec::new();
    s.open(digest).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn s3_store_read_thumbnail_and_verify() {
    let Some(m) = moto::server("s3_store_read_thumbnail_and_verify") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = bucket(&m, "evidence-a", "county/files", tmp.path());
    assert!(s.is_object_store());
    assert_eq!(s.describe(), "s3://evidence-a/county/files");
    let photo = sample::photo(800, 600, Some("2026:12:01 09:30:05"), None);
    let (digest, thumb) = upload(&s, "整改后.jpg", &photo);
    assert_eq!(digest, hex_digest(HashAlg::Sm3, &photo));
    // The object is in the bucket under its digest; nothing stays in staging.
    assert_eq!(
        m.get("evidence-a", &key("county/files", &digest)).unwrap(),
        Some(photo.clone())
    );
    assert_eq!(
        s.location(&digest),
        format!("s3://evidence-a/{}", key("county/files", &digest))
    );
    assert_eq!(
        std::fs::read_dir(tmp.path().join("tmp")).unwrap().count(),
        0,
        "no temp file left"
    );
    assert!(!s.path_of(&digest).exists(), "nothing in the local directory");
    // Read back (streamed) and the thumbnail too.
    assert_eq!(read_all(&s, &digest), photo);
    let thumb = thumb.expect("a photo has a thumbnail");
    let t = image::load_from_memory(&read_all(&s, &thumb)).unwrap();
    assert_eq!((t.width(), t.height()), (320, 240));
    // Storing the same bytes again is a no-op (content-addressed).
    assert_eq!(upload(&s, "again.jpg", &photo).0, digest);

    assert_eq!(s.verify(&digest), Ok(()));
    assert_eq!(s.verify(&thumb), Ok(()));
    // Altered in the bucket behind the store's back, then removed.
    let mut bad = photo.clone();
    bad[1000] ^= 1;
    m.put("evidence-a", &key("county/files", &digest), &bad).unwrap();
    assert_eq!(s.verify(&digest), Err(Problem::Altered));
    m.delete("evidence-a", &key("county/files", &thumb)).unwrap();
    assert_eq!(s.verify(&thumb), Err(Problem::Missing));
    assert!(matches!(s.open(&thumb), Err(Problem::Missing)));
}

#[test]
fn s3_backup_to_a_directory_and_restore_into_a_fresh_bucket() {
    let Some(m) = moto::server("s3_backup_to_a_directory_and_restore_into_a_fresh_bucket") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = bucket(&m, "evidence-b", "files", &tmp.path().join("staging"));
    let photo = sample::photo(400, 300, None, None);
    let (p, thumb) = upload(&s, "后.jpg", &photo);
    let (pdf, _) = upload(&s, "说明.pdf", b"%PDF-1.4 evidence");
    let thumb = thumb.unwrap();
    // Something else under the prefix (not a stored file) is not backed up.
    m.put("evidence-b", "files/tmp/up-1", b"partial").unwrap();

    let backup = tmp.path().join("backup.db.files");
    assert_eq!(s.copy_to(&backup).unwrap(), 3, "photo, thumbnail, pdf");
    let local = FileStore::new(&backup);
    for d in [&p, &thumb, &pdf] {
        assert_eq!(local.verify(d), Ok(()), "{d} in the backup directory");
    }
    assert!(!backup.join("tmp").exists());
    assert_eq!(s.copy_to(&backup).unwrap(), 0, "already there");

    // A fresh bucket (another prefix layout): everything comes back.
    let fresh = bucket(&m, "evidence-c", "restored/here", &tmp.path().join("staging2"));
    assert_eq!(fresh.verify(&p), Err(Problem::Missing));
    assert_eq!(fresh.restore_from(&backup).unwrap(), 3);
    for d in [&p, &thumb, &pdf] {
        assert_eq!(fresh.verify(d), Ok(()), "{d} restored");
    }
    assert_eq!(read_all(&fresh, &p), photo);
    assert_eq!(fresh.restore_from(&backup).unwrap(), 0, "nothing overwritten");
    // The same bucket that lost one object gets only that one back.
    m.delete("evidence-b", &key("files", &pdf)).unwrap();
    assert_eq!(s.restore_from(&backup).unwrap(), 1);
    assert_eq!(s.verify(&pdf), Ok(()));
    // And a bucket backed up into a plain directory store works as before.
    let dir = FileStore::new(tmp.path().join("dir"));
    assert_eq!(dir.restore_from(&backup).unwrap(), 3);
    assert_eq!(dir.verify(&p), Ok(()));
}

#[test]
fn s3_misconfiguration_is_a_clear_refusal() {
    let Some(m) = moto::server("s3_misconfiguration_is_a_clear_refusal") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // No such bucket.
    let s = FileStore::s3("s3://no-such-bucket/x", tmp.path(), &m.config()).unwrap();
    let e = s.check().unwrap_err().0;
    assert!(e.starts_with("附件对象存储 s3://no-such-bucket/x 连接失败"), "{e}");
    // Nothing listening at the endpoint: refused quickly, naming the setting.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        ..m.config()
    };
    let s = FileStore::s3("s3://evidence/x", tmp.path(), &cfg).unwrap();
    let t = std::time::Instant::now();
    let e = s.check().unwrap_err().0;
    assert!(e.contains("LVZHI_S3_ENDPOINT"), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(25), "{:?}", t.elapsed());
    // No keys; no bucket name; not an s3:// address.
    let cfg = S3Config {
        access_key_id: None,
        ..m.config()
    };
    let e = FileStore::s3("s3://evidence/x", tmp.path(), &cfg).unwrap_err().0;
    assert!(e.contains("未配置访问密钥"), "{e}");
    let e = FileStore::s3("s3:///x", tmp.path(), &m.config()).unwrap_err().0;
    assert!(e.contains("缺少存储桶名称"), "{e}");
    // A directory setting is a directory.
    let d = FileStore::from_setting("/srv/lvzhi/files", tmp.path()).unwrap();
    assert!(!d.is_object_store());
    assert_eq!(d.dir(), std::path::Path::new("/srv/lvzhi/files"));
}
