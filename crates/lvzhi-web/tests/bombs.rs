//! Hostile uploads through the web UI (issue 15 item 2): decompression bombs
//! and a 10,000-column sheet on the import screens, a .docx bomb on 核查 —
//! each refused with a Chinese message naming the limit, nothing written;
//! and a third upload read while two are being read gets a 503 at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::bombs;

fn events(s: &Server) -> i64 {
    s.rt.block_on(lvzhi_testkit::event_count(&s.store))
}

fn xls_bomb() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lvzhi-io/tests/data/range-bomb.xls"
    ))
    .unwrap()
}

#[test]
fn import_screens_refuse_bombs_and_write_nothing() {
    let s = Server::start();
    let mut b = s.signed_in("clerk_xd");
    let csrf = b.csrf();
    // Counted after signing in: the login is on the audit trail.
    let before = events(&s);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("sheet.xlsx", bombs::sheet_bomb(8_000_000), "文件解压后超过 200MB 上限"),
        (
            "sst.xlsx",
            bombs::shared_strings_bomb(5_000_000),
            "共享字符串超过 1000000 个上限",
        ),
        (
            "sst2.xlsx",
            bombs::shared_strings_declared(1_000_000_000),
            "共享字符串超过 1000000 个上限",
        ),
        ("wide.xlsx", bombs::wide_sheet(10_000), "工作表超过 1024 列上限"),
        ("grid.xls", xls_bomb(), "工作表超过 2000000 个单元格上限"),
    ];
    for (name, bytes, msg) in cases {
        let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], (name, &bytes));
        assert_eq!(r.status, 303, "{name}: {}", r.text());
        let to = location(&r);
        let m = b.get(&to);
        assert_eq!(m.status, 422, "{name}");
        assert!(m.text().contains(msg), "{name}: {}", m.text());
        let id = to.trim_start_matches("/imports/").trim_end_matches("/mapping");
        let p = b.get(&format!("/imports/{id}/preview"));
        assert!(p.text().contains(msg), "{name}: preview says why");
        let c = b.post(&format!("/imports/{id}/confirm"), &[("csrf", &csrf)]);
        assert_eq!(c.status, 422, "{name}: confirm refused");
        assert_eq!(events(&s), before, "{name}: nothing written");
    }
    s.stop();
}

#[test]
fn the_checker_refuses_a_docx_bomb() {
    let s = Server::start();
    let mut b = s.signed_in("office");
    let csrf = b.csrf();
    // ~60 MB of paragraphs in well under the 1 MB upload limit.
    let file = bombs::docx_bomb(1_000_000);
    assert!(file.len() < 1024 * 1024, "{}", file.len());
    let r = b.multipart("/check", &[("csrf", &csrf)], Some(("报告.docx", &file)));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().contains("文件中的 word/document.xml 解压后超过 32MB 上限"),
        "{}",
        r.text()
    );
    s.stop();
}

#[test]
fn a_third_upload_read_at_once_gets_503() {
    let s = Server::start();
    // A large file within the limits (320,000 cells): slow enough to read.
    let big = bombs::sheet_bomb(40_000);
    let mut pages = Vec::new();
    for _ in 0..3 {
        let mut b = s.signed_in("clerk_xd");
        let csrf = b.csrf();
        let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("big.xlsx", &big));
        assert_eq!(r.status, 303, "{}", r.text());
        let to = location(&r);
        pages.push((b, to));
    }
    let (mut third, third_to) = pages.pop().unwrap();
    let readers: Vec<_> = pages
        .into_iter()
        .map(|(mut b, to)| std::thread::spawn(move || b.get(&to).status))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let r = third.get(&third_to);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        r.text().contains("服务器正在处理其他上传的文件（同时最多 2 个）"),
        "{}",
        r.text()
    );
    assert_eq!(r.header("retry-after"), Some("5"));
    for t in readers {
        assert_ne!(t.join().unwrap(), 503);
    }
    // Once they are done, the third is read.
    assert_ne!(third.get(&third_to).status, 503);
    s.stop();
}
