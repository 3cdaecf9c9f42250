//! Hostile files (issue 15 item 2): decompression bombs, a 10,000-column
//! sheet, a sparse xls grid, over-long cells and lines — each refused by the
//! readers with a Chinese message naming the limit, before the memory is
//! spent; and through `lvzhi import` (dry run and real) with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_io::IoError;
use lvzhi_io::sheet::{Encoding, SheetLimits, read_bytes, read_bytes_with};
use lvzhi_testkit::bombs;
use lvzhi_testkit::{TestDb, county};

fn refused(r: Result<lvzhi_io::sheet::Sheet, IoError>) -> String {
    match r {
        Ok(s) => panic!("read {} rows", s.rows.len()),
        Err(e) => e.to_string(),
    }
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_issue_sheet_bomb_is_refused_from_its_directory() {
    // 8,000,000 rows of 8 cells: a 971 MB sheet, 64 M cells, ~4 MB on disk.
    let b = bombs::sheet_bomb(8_000_000);
    let t = std::time::Instant::now();
    let e = refused(read_bytes(&b, "bomb.xlsx", None, Encoding::Auto));
    assert!(e.starts_with("文件解压后超过 200MB 上限"), "{e}");
    assert!(t.elapsed().as_secs() < 5, "refused before inflating: {:?}", t.elapsed());
}

#[test]
fn a_sheet_with_too_many_cells_is_refused_while_reading() {
    // 20,000 rows of 8 cells, under the size limit, over a cell limit of 100,000.
    let b = bombs::sheet_bomb(20_000);
    let l = SheetLimits {
        max_cells: 100_000,
        ..SheetLimits::default()
    };
    let e = refused(read_bytes_with(&b, "bomb.xlsx", None, Encoding::Auto, &l));
    assert!(e.starts_with("工作表超过 100000 个单元格上限"), "{e}");
    // The same file within the default limits is read whole.
    let s = read_bytes(&b, "bomb.xlsx", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows.iter().map(Vec::len).sum::<usize>(), 1 + 20_000 * 8);
    // Sparse: one cell at the far end of each of 200 rows counts its whole row.
    let rows: String = (1..=200)
        .map(|i| format!("<row r=\"{i}\"><c r=\"AMJ{i}\"><v>1</v></c></row>"))
        .collect();
    let b = bombs::xlsx(
        bombs::Part {
            head: format!(r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#).into_bytes(),
            ..bombs::Part::default()
        },
        None,
    );
    let e = refused(read_bytes_with(&b, "sparse.xlsx", None, Encoding::Auto, &l));
    assert!(e.starts_with("工作表超过 100000 个单元格上限"), "{e}");
}

#[test]
fn shared_strings_bombs_are_refused_before_calamine_parses_them() {
    // 5 M one-letter strings (85 MB of XML, 1.6 GB once parsed).
    let b = bombs::shared_strings_bomb(5_000_000);
    let e = refused(read_bytes(&b, "sst.xlsx", None, Encoding::Auto));
    assert!(e.starts_with("共享字符串超过 1000000 个上限"), "{e}");
    // One string that declares a billion: calamine would reserve 24 GB up front.
    let b = bombs::shared_strings_declared(1_000_000_000);
    assert!(b.len() < 4000);
    let e = refused(read_bytes(&b, "sst.xlsx", None, Encoding::Auto));
    assert!(e.starts_with("共享字符串超过 1000000 个上限"), "{e}");
    // Within the limits the same shapes read.
    let s = read_bytes(&bombs::shared_strings_declared(1), "ok.xlsx", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows[0][0], lvzhi_io::sheet::Cell::Text("隐患描述".into()));
    let s = read_bytes(&bombs::shared_strings_bomb(1000), "ok.xlsx", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn a_ten_thousand_column_sheet_is_refused() {
    let b = bombs::wide_sheet(10_000);
    let e = refused(read_bytes(&b, "wide.xlsx", None, Encoding::Auto));
    assert!(e.starts_with("工作表超过 1024 列上限"), "{e}");
    let s = read_bytes(&bombs::wide_sheet(30), "ok.xlsx", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows[1].len(), 30);
    // CSV alike.
    let line = vec!["列"; 10_000].join(",");
    let csv = format!("{line}\n{line}\n");
    let e = refused(read_bytes(csv.as_bytes(), "wide.csv", None, Encoding::Auto));
    assert!(e.starts_with("工作表超过 1024 列上限"), "{e}");
}

#[test]
fn xls_grids_are_bounded_before_calamine_builds_them() {
    // Made by tests/data/make_xls.py (xlwt): real BIFF8 in a compound file.
    let s = read_bytes(&data("small.xls"), "small.xls", None, Encoding::Auto).unwrap();
    assert_eq!(s.cell(1, 0).text(), "消防通道堵塞");
    assert_eq!(s.cell(2, 0).text(), "21.6");
    let s = read_bytes(&data("large.xls"), "large.xls", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows.len(), 400);
    assert_eq!(s.cell(399, 4).text(), "第399行4");
    // One cell at A1 and one at IV65536: a 16.7 M-cell grid in calamine.
    let e = refused(read_bytes(&data("range-bomb.xls"), "bomb.xls", None, Encoding::Auto));
    assert!(e.starts_with("工作表超过 2000000 个单元格上限"), "{e}");
    let narrow = SheetLimits {
        max_columns: 3,
        ..SheetLimits::default()
    };
    let e = refused(read_bytes_with(
        &data("large.xls"),
        "l.xls",
        None,
        Encoding::Auto,
        &narrow,
    ));
    assert!(e.starts_with("工作表超过 3 列上限"), "{e}");
    // A DIMENSIONS record claiming a huge range (calamine reserves it).
    let mut b = data("small.xls");
    let at = find_dimensions(&b).expect("a DIMENSIONS record");
    b[at + 4..at + 8].copy_from_slice(&0u32.to_le_bytes());
    b[at + 8..at + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let e = refused(read_bytes(&b, "dims.xls", None, Encoding::Auto));
    assert!(e.starts_with("工作表超过 2000000 个单元格上限"), "{e}");
    // Not a compound file at all.
    let mut junk = vec![0xD0, 0xCF, 0x11, 0xE0];
    junk.extend_from_slice(&[0; 600]);
    let e = refused(read_bytes(&junk, "junk.xls", None, Encoding::Auto));
    assert!(e.contains("无法读取工作簿"), "{e}");
}

/// The offset of the sheet's BIFF8 DIMENSIONS record (type 0x0200, 14 bytes).
fn find_dimensions(b: &[u8]) -> Option<usize> {
    (0..b.len() - 4).find(|&i| b[i..i + 4] == [0x00, 0x02, 0x0E, 0x00])
}

#[test]
fn long_cells_lines_and_text_are_refused() {
    let long = "字".repeat(32_768);
    let csv = format!("隐患描述,乡镇\n{long},城关镇\n");
    let e = refused(read_bytes(csv.as_bytes(), "long.csv", None, Encoding::Auto));
    assert!(e.starts_with("第2行第A列的文字超过 32767 字上限"), "{e}");
    let l = SheetLimits {
        max_token_bytes: 1000,
        max_rows: 5,
        max_text_bytes: 50,
        ..SheetLimits::default()
    };
    let e = refused(read_bytes_with(
        format!("a,{}\n", "b".repeat(1200)).as_bytes(),
        "x.csv",
        None,
        Encoding::Auto,
        &l,
    ));
    assert!(e.starts_with("第1行超过 1000 字节 上限"), "{e}");
    let e = refused(read_bytes_with(
        "a\n".repeat(6).as_bytes(),
        "x.csv",
        None,
        Encoding::Auto,
        &l,
    ));
    assert!(e.starts_with("工作表超过 5 行上限"), "{e}");
    let e = refused(read_bytes_with(
        format!("{}\n", "b".repeat(60)).as_bytes(),
        "x.csv",
        None,
        Encoding::Auto,
        &l,
    ));
    assert!(e.starts_with("工作表的文字超过 50 字节 上限"), "{e}");
    let l = SheetLimits {
        max_file_bytes: 10,
        ..SheetLimits::default()
    };
    let e = refused(read_bytes_with(b"0123456789ab", "x.csv", None, Encoding::Auto, &l));
    assert!(e.starts_with("文件超过 10 字节 上限"), "{e}");
    // An inline string over Excel's cell limit in an xlsx.
    let b = bombs::xlsx(
        bombs::Part {
            head: format!(
                r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>{long}</t></is></c></row></sheetData></worksheet>"#
            )
            .into_bytes(),
            ..bombs::Part::default()
        },
        None,
    );
    let e = refused(read_bytes(&b, "long.xlsx", None, Encoding::Auto));
    assert!(e.contains("的文字超过 32767 字上限"), "{e}");
}

#[test]
fn merges_and_long_tags_are_bounded() {
    let merges = "<mergeCell ref=\"A1:B1\"/>".repeat(20);
    let b = bombs::xlsx(
        bombs::Part {
            head: format!(
                r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>标题</t></is></c></row></sheetData><mergeCells count="20">{merges}</mergeCells></worksheet>"#
            )
            .into_bytes(),
            ..bombs::Part::default()
        },
        None,
    );
    let l = SheetLimits {
        max_merges: 10,
        ..SheetLimits::default()
    };
    let e = refused(read_bytes_with(&b, "m.xlsx", None, Encoding::Auto, &l));
    assert!(e.starts_with("合并单元格超过 10 处上限"), "{e}");
    let s = read_bytes(&b, "m.xlsx", None, Encoding::Auto).unwrap();
    assert_eq!(s.rows[0].len(), 2, "the merge is filled");
    // One text run of 2 MB (the XML reader would hold it whole).
    let b = bombs::xlsx(
        bombs::Part {
            head: br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c><v>"#.to_vec(),
            pattern: b"1".repeat(1024),
            times: 2048,
            tail: b"</v></c></row></sheetData></worksheet>".to_vec(),
            ..bombs::Part::default()
        },
        None,
    );
    let e = refused(read_bytes(&b, "t.xlsx", None, Encoding::Auto));
    assert!(e.starts_with("工作簿中有超过 1MB 的单个标签或文字"), "{e}");
}

use lvzhi_testkit::event_count;

/// `lvzhi import` (dry run and real) refuses every bomb, writes nothing, and
/// leaves no error file.
#[tokio::test]
async fn the_cli_refuses_bombs_and_writes_nothing() {
    use lvzhi_io::cli::{ImportArgs, run_import};
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    county::build(&store).await;
    let dir = std::env::temp_dir().join(format!("lvzhi-bombs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let before = event_count(&store).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("sheet.xlsx", bombs::sheet_bomb(8_000_000), "文件解压后超过 200MB 上限"),
        (
            "sst.xlsx",
            bombs::shared_strings_bomb(5_000_000),
            "共享字符串超过 1000000 个上限",
        ),
        ("wide.xlsx", bombs::wide_sheet(10_000), "工作表超过 1024 列上限"),
        ("grid.xls", data("range-bomb.xls"), "工作表超过 2000000 个单元格上限"),
    ];
    for (name, bytes, msg) in cases {
        let file = dir.join(name);
        std::fs::write(&file, &bytes).unwrap();
        for dry_run in [true, false] {
            let args = ImportArgs {
                ledger: "hazard".into(),
                file: file.clone(),
                dry_run,
                ..ImportArgs::default()
            };
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let r = run_import(&store, &args, &mut out, &mut err).await;
            let e = r.err().unwrap_or_else(|| panic!("{name} accepted")).to_string();
            assert!(e.starts_with(msg), "{name}: {e}");
            assert_eq!(event_count(&store).await, before, "{name}: nothing written");
            assert!(!file.with_extension("错误.xlsx").exists(), "{name}: no error file");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes the bombs to `$LVZHI_BOMBS_DIR` for `benches/bombs_rss.sh` (which
/// uploads them to a release server and records its peak RSS).
#[test]
#[ignore = "writes files for the RSS measurement"]
fn write_bombs_for_the_rss_bench() {
    let dir = std::path::PathBuf::from(std::env::var("LVZHI_BOMBS_DIR").unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sheet.xlsx"), bombs::sheet_bomb(8_000_000)).unwrap();
    std::fs::write(dir.join("sst.xlsx"), bombs::shared_strings_bomb(5_000_000)).unwrap();
    std::fs::write(dir.join("wide.xlsx"), bombs::wide_sheet(10_000)).unwrap();
    std::fs::write(dir.join("grid.xls"), data("range-bomb.xls")).unwrap();
    std::fs::write(dir.join("report.docx"), bombs::docx_bomb(1_000_000)).unwrap();
}
