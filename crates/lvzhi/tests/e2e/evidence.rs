//! Evidence attachments through the binary (issue 16): `audit verify` names an
//! altered or missing attachment (exit 1); `backup` carries the attachment
//! directory beside the copy and `restore` brings it back — also with the
//! attachments in an S3 bucket (`LVZHI_FILES=s3://…`, against `moto_server`).

use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::{self, hazard};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("lvzhi")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tampered_attachments_are_named_and_backup_carries_them() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A hazard with an after photo and a PDF, written through the store.
    let (rec, photo_hash, pdf_hash, photo_id, files_dir) = rt.block_on(async {
        let s = lvzhi_testkit::open(&db).await;
        // The CLI finds attachments beside the database by default.
        s.set_files_dir(format!("{}.files", db.path()));
        let c = county::build(&s).await;
        let clerk = c.access("clerk_xd");
        let r = s
            .create(&clerk, "hazard", hazard("620902100", c.yingji, "配电箱未接地"))
            .await
            .unwrap();
        let photo = lvzhi_files::sample::photo(400, 300, Some("2026:11:24 10:00:00"), None);
        let a = lvzhi_testkit::evidence::attach(&s, &clerk, r.id, "整改后照片", "整改后.jpg", &photo)
            .await
            .unwrap();
        let b = lvzhi_testkit::evidence::attach(&s, &clerk, r.id, "其他材料", "说明.pdf", b"%PDF-1.4 x")
            .await
            .unwrap();
        let pa = s.attachment(&clerk, a).await.unwrap().file.hash;
        let pb = s.attachment(&clerk, b).await.unwrap().file.hash;
        let dir = s.files().dir().to_path_buf();
        s.close().await;
        (r.id, pa, pb, a, dir)
    });
    let files = lvzhi_files::FileStore::new(&files_dir);
    let (code, out, err) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("附件 / attachments: 3 个文件与变更日志一致"), "{out}");

    // Backup: the attachments go to <backup>.files.
    let backup = std::env::temp_dir().join(format!("lvzhi-evidence-backup-{}.db", std::process::id()));
    let b = backup.to_string_lossy().into_owned();
    let bfiles = format!("{b}.files");
    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    let (code, out, err) = run(&["backup", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(lvzhi_files::FileStore::new(&bfiles).verify(&photo_hash).is_ok());

    // Altered photo and a removed PDF: named, exit 1.
    let p = files.path_of(&photo_hash);
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len() / 2;
    bytes[n] ^= 0x55;
    std::fs::write(&p, bytes).unwrap();
    std::fs::remove_file(files.path_of(&pdf_hash)).unwrap();
    let (code, out, _) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("附件{photo_id}（记录{rec}，“整改后.jpg”）已被篡改")),
        "{out}"
    );
    assert!(out.contains("“说明.pdf”）缺失"), "{out}");

    // Restore: the database and the missing file come back; the altered one
    // stays as it is (never overwritten) and is still named.
    let (code, out, err) = run(&["restore", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(files.verify(&pdf_hash).is_ok(), "the PDF is back");
    let (code, out, _) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("“整改后.jpg”）已被篡改") && !out.contains("说明.pdf"),
        "{out}"
    );
    // Put the good copy back by hand (as an operator would): all clean.
    std::fs::copy(lvzhi_files::FileStore::new(&bfiles).path_of(&photo_hash), &p).unwrap();
    let (code, out, err) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{out}{err}");

    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    rt.block_on(db.drop_db());
}

/// `lvzhi backup`/`restore` with a `postgres://` database (issue 16): the
/// dump (`pg_dump`) and the attachment directory (`LVZHI_FILES`) go out
/// together and come back together; the restore checks the dump's chain in a
/// scratch database before it swaps it in, rolls back newer work, brings the
/// lost files back and records itself; a corrupt dump changes nothing.
#[test]
fn postgres_backup_and_restore_carry_the_attachments() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let url = db.url.clone();
    let dir = db.files_dir();
    let files_env = dir.to_string_lossy().into_owned();
    let run_pg = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("lvzhi")
            .unwrap()
            .env("LVZHI_FILES", &files_env)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The store stays open through the backup (pg_dump is safe while serving).
    let s = rt.block_on(lvzhi_testkit::open(&db));
    s.set_files_dir(&dir);
    let c = rt.block_on(county::build(&s));
    let clerk = c.access("clerk_xd");
    let (first, photo_hash) = rt.block_on(async {
        let r = s
            .create(&clerk, "hazard", hazard("620902100", c.yingji, "配电箱未接地"))
            .await
            .unwrap();
        let photo = lvzhi_files::sample::photo(400, 300, Some("2026:11:24 10:00:00"), None);
        let a = lvzhi_testkit::evidence::attach(&s, &clerk, r.id, "整改前照片", "整改前.jpg", &photo)
            .await
            .unwrap();
        (r.id, s.attachment(&clerk, a).await.unwrap().file.hash)
    });

    let backup = std::env::temp_dir().join(format!("lvzhi-pg-backup-{}.dump", std::process::id()));
    let b = backup.to_string_lossy().into_owned();
    let bfiles = format!("{b}.files");
    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    let (code, out, err) = run_pg(&["backup", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(backup.exists(), "the dump is written");
    assert!(
        lvzhi_files::FileStore::new(&bfiles).verify(&photo_hash).is_ok(),
        "the photo is beside the dump"
    );
    assert_eq!(run_pg(&["backup", "--db", &url, &b]).0, 2, "never overwrites");

    // Newer work, then the attachment directory is lost (a new disk).
    let second = rt.block_on(async {
        let r = s
            .create(&clerk, "hazard", hazard("620902100", c.yingji, "灭火器过期"))
            .await
            .unwrap();
        s.close().await;
        r.id
    });
    std::fs::remove_dir_all(&dir).unwrap();
    let (code, out, _) = run_pg(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "the lost photo is named: {out}");

    // A corrupt dump is refused and nothing changes.
    let junk = std::env::temp_dir().join(format!("lvzhi-pg-junk-{}.dump", std::process::id()));
    std::fs::write(&junk, b"not a dump").unwrap();
    let (code, _, err) = run_pg(&["restore", "--db", &url, &junk.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pg_restore"), "{err}");
    let _ = std::fs::remove_file(&junk);

    let (code, out, err) = run_pg(&["restore", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("events verified"), "{out}");
    rt.block_on(async {
        let s = lvzhi_testkit::open(&db).await;
        s.set_files_dir(&dir);
        let office = lvzhi_store::Store::system_access();
        assert!(s.record(&office, first).await.is_ok(), "the backed-up record is there");
        assert!(s.record(&office, second).await.is_err(), "newer work is rolled back");
        let restores = s.events_of_kind("backup.restore").await.unwrap();
        assert_eq!(restores.len(), 1);
        assert!(restores[0].data["rolled_back"].is_array(), "{}", restores[0].data);
        s.close().await;
    });
    assert!(
        lvzhi_files::FileStore::new(&dir).verify(&photo_hash).is_ok(),
        "the photo is back"
    );
    let (code, out, err) = run_pg(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("附件 / attachments: 2 个文件与变更日志一致"), "{out}");

    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    rt.block_on(db.drop_db());
}

/// The same through the binary with `LVZHI_FILES=s3://bucket/prefix`
/// (`moto_server`; `skipped: …` without it unless `LVZHI_REQUIRE_S3=1`):
/// `audit verify` names an altered or removed object by its address (exit 1),
/// `backup` streams the bucket into `<backup>.files`, `restore` puts back
/// what the bucket lacks; a bucket that cannot be used is a clear Chinese
/// refusal at startup (exit 2), not an error per request.
#[test]
fn attachments_in_a_bucket_through_the_binary() {
    let Some(m) = lvzhi_files::moto::server("attachments_in_a_bucket_through_the_binary") else {
        return;
    };
    m.create_bucket("lvzhi-e2e").unwrap();
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let endpoint = m.endpoint();
    let run_s3 = |files: &str, args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("lvzhi")
            .unwrap()
            .env("LVZHI_FILES", files)
            .env("LVZHI_S3_ENDPOINT", &endpoint)
            .env("LVZHI_S3_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let bucket = "s3://lvzhi-e2e/county/files";
    let key = |digest: &str| {
        let hex = digest.rsplit(':').next().unwrap().to_string();
        format!("county/files/sm3/{}/{hex}", &hex[..2])
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (rec, photo, photo_hash, pdf_hash, photo_id) = rt.block_on(async {
        let s = lvzhi_testkit::open(&db).await;
        let staging = format!("{}.files", db.path());
        s.set_files(lvzhi_files::FileStore::s3(bucket, &staging, &m.config()).unwrap());
        let c = county::build(&s).await;
        let clerk = c.access("clerk_xd");
        let r = s
            .create(&clerk, "hazard", hazard("620902100", c.yingji, "配电箱未接地"))
            .await
            .unwrap();
        let photo = lvzhi_files::sample::photo(400, 300, Some("2026:11:24 10:00:00"), None);
        let a = lvzhi_testkit::evidence::attach(&s, &clerk, r.id, "整改后照片", "整改后.jpg", &photo)
            .await
            .unwrap();
        let b = lvzhi_testkit::evidence::attach(&s, &clerk, r.id, "其他材料", "说明.pdf", b"%PDF-1.4 x")
            .await
            .unwrap();
        let pa = s.attachment(&clerk, a).await.unwrap().file.hash;
        let pb = s.attachment(&clerk, b).await.unwrap().file.hash;
        s.close().await;
        (r.id, photo, pa, pb, a)
    });
    assert_eq!(m.get("lvzhi-e2e", &key(&photo_hash)).unwrap(), Some(photo.clone()));
    let (code, out, err) = run_s3(bucket, &["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("附件 / attachments: 3 个文件与变更日志一致"), "{out}");

    // Backup: the bucket's objects go to <backup>.files (a directory).
    let backup = std::env::temp_dir().join(format!("lvzhi-s3-backup-{}.db", std::process::id()));
    let b = backup.to_string_lossy().into_owned();
    let bfiles = format!("{b}.files");
    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    let (code, out, err) = run_s3(bucket, &["backup", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    let local = lvzhi_files::FileStore::new(&bfiles);
    assert!(local.verify(&photo_hash).is_ok() && local.verify(&pdf_hash).is_ok());

    // Altered photo and a removed PDF in the bucket: named by address, exit 1.
    let mut bad = photo.clone();
    let n = bad.len() / 2;
    bad[n] ^= 0x55;
    m.put("lvzhi-e2e", &key(&photo_hash), &bad).unwrap();
    m.delete("lvzhi-e2e", &key(&pdf_hash)).unwrap();
    let (code, out, _) = run_s3(bucket, &["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "附件{photo_id}（记录{rec}，“整改后.jpg”）已被篡改（内容与变更日志中的摘要不符）：s3://lvzhi-e2e/{}",
            key(&photo_hash)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("“说明.pdf”）缺失：s3://lvzhi-e2e/{}", key(&pdf_hash))),
        "{out}"
    );

    // Restore: the PDF goes back into the bucket; the altered photo is not
    // overwritten and is still named.
    let (code, out, err) = run_s3(bucket, &["restore", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        m.get("lvzhi-e2e", &key(&pdf_hash)).unwrap().is_some(),
        "the PDF is back"
    );
    let (code, out, _) = run_s3(bucket, &["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("“整改后.jpg”）已被篡改") && !out.contains("说明.pdf"),
        "{out}"
    );
    m.put("lvzhi-e2e", &key(&photo_hash), &photo).unwrap();
    let (code, out, err) = run_s3(bucket, &["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{out}{err}");

    // A bucket that does not exist, and no keys: refused at startup, in Chinese.
    let (code, out, err) = run_s3("s3://no-such-bucket/x", &["audit", "verify", "--db", &url]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("附件对象存储 s3://no-such-bucket/x 连接失败"), "{err}");
    // A restore into an unusable bucket is refused before the database is swapped.
    let (code, out, err) = run_s3("s3://no-such-bucket/x", &["restore", "--db", &url, &b]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("附件对象存储 s3://no-such-bucket/x 连接失败"), "{err}");
    assert!(!std::path::Path::new(&format!("{}.restore-check", db.path())).exists());
    let out = assert_cmd::Command::cargo_bin("lvzhi")
        .unwrap()
        .env("LVZHI_FILES", bucket)
        .env("LVZHI_S3_ENDPOINT", &endpoint)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["audit", "verify", "--db", &url])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("未配置访问密钥"), "{err}");

    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_dir_all(&bfiles);
    rt.block_on(db.drop_db());
}
