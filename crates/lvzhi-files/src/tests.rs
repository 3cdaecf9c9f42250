use super::*;
use lvzhi_core::crypto::{HashAlg, hex_digest};

fn store() -> (tempfile::TempDir, FileStore) {
    let d = tempfile::tempdir().expect("tempdir");
    let s = FileStore::new(d.path().join("files"));
    (d, s)
}

fn upload(s: &FileStore, name: &str, bytes: &[u8], limits: Limits) -> Result<(Received, Inspected), FileError> {
    let mut inc = s.incoming(name, HashAlg::Sm3, limits)?;
    for c in bytes.chunks(7_000) {
        inc.write(c)?;
    }
    let r = inc.finish()?;
    let i = r.inspect()?;
    Ok((r, i))
}

fn files_in(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| if e.path().is_dir() { files_in(&e.path()) } else { 1 })
        .sum()
}

#[test]
fn photo_is_stored_under_its_digest_with_exif_and_thumbnail() {
    let (_d, s) = store();
    let bytes = sample::photo(
        800,
        600,
        Some("2026:12:01 09:30:05"),
        Some(((39, 44, 1500), (98, 29, 3000))),
    );
    let (r, i) = upload(&s, "整改后.jpg", &bytes, Limits::default()).expect("accepted");
    assert_eq!(r.digest, hex_digest(HashAlg::Sm3, &bytes));
    assert_eq!(r.size, bytes.len() as u64);
    assert_eq!(i.kind, Kind::Jpeg);
    assert_eq!(i.size_px, Some((800, 600)));
    assert_eq!(i.taken_at.as_deref(), Some("2026-12-01T09:30:05"));
    // 39°44'15" = 39.7375°, 98°29'30" = 98.491666…°
    assert_eq!(i.gps.as_deref(), Some("39.737500,98.491666"));
    assert_eq!(gps_label("39.737500,98.491666"), "北纬39.737500° 东经98.491666°");
    let thumb = i.thumbnail.clone().expect("thumbnail");
    let t = image::load_from_memory(&thumb).expect("thumbnail decodes");
    assert_eq!((t.width(), t.height()), (320, 240));
    // No EXIF in the thumbnail.
    assert!(
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&thumb))
            .is_err()
    );
    let digest = r.digest.clone();
    let at = r.store(&s).expect("stored");
    assert_eq!(at, s.path_of(&digest).display().to_string());
    assert_eq!(at, s.location(&digest));
    assert_eq!(std::fs::read(s.path_of(&digest)).expect("read"), bytes);
    let mut back = Vec::new();
    s.open(&digest).expect("open").read_to_end(&mut back).expect("read");
    assert_eq!(back, bytes);
    assert!(!s.is_object_store());
    assert_eq!(s.verify(&digest), Ok(()));
    assert_eq!(files_in(&s.dir().join("tmp")), 0, "no temp file left");
}

#[test]
fn tampering_is_found() {
    let (_d, s) = store();
    let (r, _) = upload(&s, "a.pdf", b"%PDF-1.4 test", Limits::default()).expect("pdf");
    let digest = r.digest.clone();
    r.store(&s).expect("stored");
    std::fs::write(s.path_of(&digest), b"%PDF-1.4 tesT").expect("alter");
    assert_eq!(s.verify(&digest), Err(Problem::Altered));
    std::fs::remove_file(s.path_of(&digest)).expect("remove");
    assert_eq!(s.verify(&digest), Err(Problem::Missing));
}

#[test]
fn bad_images_are_refused_and_nothing_is_left() {
    let (_d, s) = store();
    let bomb = sample::png_bomb(30_000);
    assert!(bomb.len() < 2_000_000, "bomb is small: {}", bomb.len());
    let e = upload(&s, "bomb.png", &bomb, Limits::default())
        .err()
        .expect("bomb refused");
    assert!(e.0.contains("解压炸弹") && e.0.contains("30000×30000"), "{e}");

    let photo = sample::photo(400, 300, None, None);
    let truncated = &photo[..photo.len() / 2];
    let e = upload(&s, "cut.jpg", truncated, Limits::default())
        .err()
        .expect("truncated refused");
    assert!(e.0.contains("不完整"), "{e}");

    let e = upload(&s, "notes.jpg", "这是一段文字，不是照片".as_bytes(), Limits::default())
        .err()
        .expect("renamed text refused");
    assert!(e.0.contains("扩展名表明是JPEG图片") && e.0.contains("被改名"), "{e}");

    let e = upload(&s, "scan.jpg", b"%PDF-1.4 x", Limits::default())
        .err()
        .expect("pdf as jpg refused");
    assert!(e.0.contains("内容是PDF文档"), "{e}");

    let e = upload(&s, "run.exe", b"MZ\x90\x00", Limits::default())
        .err()
        .expect("exe refused");
    assert!(e.0.contains("类型不支持"), "{e}");

    let small = Limits {
        max_bytes: 10_000,
        ..Limits::default()
    };
    let e = upload(&s, "big.pdf", &[b'%'; 20_000], small).err().expect("too big");
    assert!(e.0.contains("大小上限"), "{e}");

    // A PNG within the side limit but over the pixel limit.
    let few = Limits {
        max_pixels: 1_000_000,
        ..Limits::default()
    };
    let e = upload(&s, "wide.png", &sample::png_bomb(2_000), few)
        .err()
        .expect("pixels");
    assert!(e.0.contains("2000×2000"), "{e}");

    assert_eq!(files_in(s.dir()), 0, "nothing written");
}

#[test]
fn documents_are_sniffed_from_bytes() {
    let (_d, s) = store();
    let (_, i) = upload(&s, "办理情况报告.docx", &sample::docx("已办结"), Limits::default()).expect("docx");
    assert_eq!(i.kind, Kind::Docx);
    assert!(i.thumbnail.is_none());
    // A docx named .xlsx is refused.
    let e = upload(&s, "表.xlsx", &sample::docx("x"), Limits::default())
        .err()
        .expect("mismatch");
    assert!(e.0.contains("内容是Word文档"), "{e}");
    // A PNG named .jpg is still a photo: accepted as what it is.
    let (_, i) = upload(&s, "photo.jpg", &sample::png_bomb(16), Limits::default()).expect("png as jpg");
    assert_eq!(i.kind, Kind::Png);
}

#[test]
fn backup_copy_and_restore_add_missing_files_only() {
    let (d, s) = store();
    let (r, _) = upload(&s, "a.pdf", b"%PDF-1.4 one", Limits::default()).expect("pdf");
    let digest = r.digest.clone();
    r.store(&s).expect("stored");
    let b = d.path().join("backup.files");
    assert_eq!(s.copy_to(&b).expect("copy"), 1);
    std::fs::remove_file(s.path_of(&digest)).expect("lose");
    assert_eq!(s.restore_from(&b).expect("restore"), 1);
    assert_eq!(s.verify(&digest), Ok(()));
}

#[test]
fn names_are_cleaned() {
    assert_eq!(clean_name("C:\\Users\\x\\整改.jpg"), "整改.jpg");
    assert_eq!(clean_name("../../etc/passwd"), "passwd");
    assert_eq!(clean_name("  "), "未命名文件");
}

#[test]
fn stored_names_and_their_layout() {
    let d = hex_digest(HashAlg::Sm3, b"x");
    let rel = rel_of(&d);
    let hex = d.rsplit(':').next().expect("hex");
    assert_eq!(rel, format!("sm3/{}/{hex}", &hex[..2]));
    assert!(is_stored_name(&rel));
    let s = hex_digest(HashAlg::Sha256, b"x");
    assert!(rel_of(&s).starts_with("sha256/"));
    assert!(is_stored_name(&rel_of(&s)));
    for bad in [
        "tmp/up-1-2",
        "sm3/ab",
        "md5/ab/abcd",
        "sm3/ab/cd12",
        "sm3/ab/abzz",
        "sm3/ab/ab12/x",
    ] {
        assert!(!is_stored_name(bad), "{bad}");
    }
}

#[cfg(feature = "s3")]
#[test]
fn bucket_addresses_are_parsed_without_contacting_anything() {
    let cfg = s3::S3Config {
        endpoint: Some("http://127.0.0.1:9".into()),
        access_key_id: Some("k".into()),
        secret_access_key: Some("s".into()),
        ..s3::S3Config::default()
    };
    let d = hex_digest(HashAlg::Sm3, b"x");
    let s = FileStore::s3("s3://evidence/county/files/", "/tmp/staging", &cfg).expect("parsed");
    assert!(s.is_object_store());
    assert_eq!(s.describe(), "s3://evidence/county/files");
    assert_eq!(s.location(&d), format!("s3://evidence/county/files/{}", rel_of(&d)));
    assert_eq!(s.dir(), Path::new("/tmp/staging"));
    let s = FileStore::s3("s3://evidence", "/tmp/staging", &cfg).expect("no prefix");
    assert_eq!(s.location(&d), format!("s3://evidence/{}", rel_of(&d)));
    let err = |url: &str| FileStore::s3(url, "/tmp/staging", &cfg).expect_err(url).0;
    assert!(err("s3://").contains("缺少存储桶名称"));
    assert!(err("s3://evidence/a//b").contains("前缀不合法"));
    assert!(err("s3://evidence/../b").contains("前缀不合法"));
    assert!(err("http://evidence/x").contains("s3://存储桶/前缀"));
    let no_secret = s3::S3Config {
        secret_access_key: None,
        ..cfg.clone()
    };
    let e = FileStore::s3("s3://evidence/x", "/tmp/staging", &no_secret)
        .expect_err("no secret")
        .0;
    assert!(
        e.contains("未配置访问密钥") && e.contains("AWS_SECRET_ACCESS_KEY"),
        "{e}"
    );
    // Debug never shows the secret.
    assert!(!format!("{cfg:?}").contains("\"s\""));
    // A directory setting stays a directory.
    let l = FileStore::from_setting(" /srv/files ", "/tmp/staging").expect("dir");
    assert!(!l.is_object_store() && l.check().is_ok());
    assert_eq!(l.dir(), Path::new("/srv/files"));
}
