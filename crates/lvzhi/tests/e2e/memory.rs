//! The server's memory under hostile uploads (issue 15): a real `lvzhi
//! serve` process, and through its pages — the import screen (上传 then 对应
//! columns, where the file is read) and 核查 — the xlsx sheet bomb, the
//! shared-strings bombs (many strings; a count declared in the billions),
//! a 10,000-column sheet, an .xls whose used range claims a huge grid and a
//! .docx bomb. Each is refused; and a large sheet within the limits (320,000
//! cells) is read. The peak resident memory of the server process (`VmHWM`, reset
//! before each upload through `/proc/<pid>/clear_refs`) stays within 200 MB of
//! its idle resident memory. Prints the figures (benches/RESULTS.md).

use lvzhi_testkit::bombs;
use lvzhi_testkit::http::Client;
use std::time::Instant;

/// The bound of the issue: peak memory per hostile upload over the idle server.
const BOUND_MB: f64 = 200.0;

/// A `/proc/<pid>/status` figure in MB (`VmRSS`, `VmHWM`).
fn status_mb(pid: u32, key: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"));
    kb / 1024.0
}

/// Resets the process's peak resident memory to its current one (Linux ≥ 4.0);
/// false where that is not permitted.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[test]
fn hostile_uploads_keep_the_server_within_200_mb_of_idle() {
    let dir = std::env::temp_dir().join(format!("lvzhi-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("lvzhi.db").display());
    crate::faults::init(&url, "Memory#county-1");
    let (mut child, addr) = crate::faults::serve(&url, None);
    let pid = child.id();
    let mut c = Client::new(addr);
    let login = c.login("admin", "Memory#county-1");
    assert_eq!(login.status, 200, "{}", login.text());
    let csrf = login.json()["csrf"].as_str().unwrap().to_string();
    let token = c.token.take().unwrap();
    c.headers.push(("Cookie".into(), format!("lvzhi_session={token}")));
    // Warm up: the pages and templates a first upload touches.
    assert_eq!(c.get("/ledgers/hazard/import").unwrap().status, 200);
    assert_eq!(c.get("/check").unwrap().status, 200);
    if !reset_peak(pid) {
        eprintln!("skipped: /proc/{pid}/clear_refs is not writable, peak memory cannot be reset");
        child.kill().unwrap();
        return;
    }
    let idle = status_mb(pid, "VmRSS");
    let xls = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lvzhi-io/tests/data/range-bomb.xls"
    ))
    .unwrap();
    // (file name, bytes, status of the page that reads it, what it says)
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "sheet.xlsx",
            bombs::sheet_bomb(8_000_000),
            422,
            "文件解压后超过 200MB 上限",
        ),
        (
            "sst.xlsx",
            bombs::shared_strings_bomb(5_000_000),
            422,
            "共享字符串超过 1000000 个上限",
        ),
        (
            "sst-declared.xlsx",
            bombs::shared_strings_declared(1_000_000_000),
            422,
            "共享字符串超过 1000000 个上限",
        ),
        ("wide.xlsx", bombs::wide_sheet(10_000), 422, "工作表超过 1024 列上限"),
        ("grid.xls", xls, 422, "工作表超过 2000000 个单元格上限"),
        (
            "报告.docx",
            bombs::docx_bomb(1_000_000),
            422,
            "文件中的 word/document.xml 解压后超过 32MB 上限",
        ),
        // Not hostile: 40,000 rows × 8 columns, within every limit, read and shown for mapping.
        ("big.xlsx", bombs::sheet_bomb(40_000), 200, "隐患描述"),
    ];
    let mut lines = vec![format!("idle VmRSS {idle:.1} MB")];
    let mut worst = 0.0f64;
    for (name, bytes, status, says) in &cases {
        assert!(reset_peak(pid));
        let began = Instant::now();
        let answer = if name.ends_with(".docx") {
            c.upload("/check", &[("csrf", &csrf)], &[(name, bytes)]).unwrap()
        } else {
            let r = c
                .upload("/ledgers/hazard/import", &[("csrf", &csrf)], &[(name, bytes)])
                .unwrap();
            assert_eq!(r.status, 303, "{name}: {}", r.text());
            // The file is read when its columns are shown.
            c.get(r.header("location").unwrap()).unwrap()
        };
        let took = began.elapsed();
        assert_eq!(answer.status, *status, "{name}: {}", answer.text());
        assert!(answer.text().contains(says), "{name}: {}", answer.text());
        let peak = status_mb(pid, "VmHWM");
        let over = peak - idle;
        worst = worst.max(over);
        lines.push(format!(
            "{name} ({:.2} MB): peak VmHWM {peak:.1} MB, {over:+.1} MB over idle, answered {status} in {took:.1?}",
            bytes.len() as f64 / 1e6
        ));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("server memory under hostile uploads:\n  {}", lines.join("\n  "));
    assert!(
        worst <= BOUND_MB,
        "a hostile upload took the server {worst:.1} MB over idle (bound {BOUND_MB} MB):\n{}",
        lines.join("\n")
    );
}
