//! `lvzhi report` renders a custom template (saved, versioned) by name,
//! beside the pack's templates; an unknown name exits 1.

use assert_cmd::Command;
use lvzhi_testkit::TestDb;

#[test]
fn cli_renders_a_custom_template() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let files = lvzhi_packs::county_files();
        let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
        let office = county.access("office");
        for (parent, text) in [
            (0, "# 隐患通报\n\n第一版。\n"),
            (1, "# 隐患通报\n\n全县在改隐患{{ ind(\"隐患在改数\") }}。\n"),
        ] {
            lvzhi_report::custom::save(
                &store,
                &engine,
                &files,
                &office,
                &lvzhi_report::custom::Save {
                    name: "隐患通报",
                    parent,
                    source: text,
                    base: None,
                    note: "",
                },
            )
            .await
            .unwrap();
        }
        store.close().await;
    });
    let out = Command::cargo_bin("lvzhi")
        .unwrap()
        .args([
            "report",
            "--db",
            &url,
            "--template",
            "隐患通报",
            "--period",
            "2026",
            "--format",
            "md",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("# 隐患通报\n") && stdout.contains("全县在改隐患"),
        "{stdout}"
    );
    let out = Command::cargo_bin("lvzhi")
        .unwrap()
        .args([
            "report",
            "--db",
            &url,
            "--template",
            "没有这个模板",
            "--period",
            "2026",
            "--format",
            "md",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("报告模板“没有这个模板”不存在"));
    let out = Command::cargo_bin("lvzhi")
        .unwrap()
        .args(["audit", "verify", "--db", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
