//! A large attachment (40 MB) goes into the bucket in parts with bounded
//! memory: the process's peak resident memory grows by well under the file's
//! size while it is uploaded and verified. Alone in its test binary, so the
//! peak is this test's. Needs `moto_server` (else `skipped: …`, a failure
//! with `LVZHI_REQUIRE_S3=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lvzhi_core::crypto::HashAlg;
use lvzhi_files::{FileStore, Limits, moto};

/// Peak resident memory of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

#[test]
fn s3_large_file_goes_up_in_parts_with_bounded_memory() {
    let Some(m) = moto::server("s3_large_file_goes_up_in_parts_with_bounded_memory") else {
        return;
    };
    const SIZE: usize = 40 * 1024 * 1024;
    let tmp = tempfile::tempdir().unwrap();
    m.create_bucket("evidence-large").unwrap();
    let s = FileStore::s3("s3://evidence-large/big", tmp.path(), &m.config()).unwrap();
    s.check().unwrap();
    let limits = Limits {
        max_bytes: 64 * 1024 * 1024,
        ..Limits::default()
    };
    // A 40 MB "PDF", written in 64 KB pieces (never whole in memory).
    let mut inc = s.incoming("大文件.pdf", HashAlg::Sm3, limits).unwrap();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut x: u32 = 0x1234_5678;
    let mut written = 0;
    while written < SIZE {
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        if written == 0 {
            chunk[..8].copy_from_slice(b"%PDF-1.7");
        }
        inc.write(&chunk).unwrap();
        written += chunk.len();
    }
    let r = inc.finish().unwrap();
    assert_eq!(r.inspect().unwrap().kind, lvzhi_files::Kind::Pdf);
    let digest = r.digest.clone();
    let before = peak_rss();
    r.store(&s).unwrap();
    assert_eq!(s.verify(&digest), Ok(()));
    let grew = peak_rss().saturating_sub(before);
    eprintln!(
        "s3 large file: {} MB stored and verified, peak RSS +{:.1} MB",
        SIZE >> 20,
        grew as f64 / 1048576.0
    );
    assert!(
        grew < 28 * 1024 * 1024,
        "peak RSS grew by {grew} bytes for a {SIZE}-byte file"
    );

    // It went up in parts: a multipart object's ETag ends in -<parts>.
    let hex = digest.rsplit(':').next().unwrap();
    let etag = m
        .etag("evidence-large", &format!("big/sm3/{}/{hex}", &hex[..2]))
        .unwrap()
        .unwrap();
    assert!(etag.ends_with("-8"), "40 MB in 5 MiB parts: {etag}");
}
