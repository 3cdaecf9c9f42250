//! Values a sheet lacks: derived where the data allow it (发现日期 from 检查时间, 乡镇
//! from a township name in an address column or from the clerk's own township),
//! otherwise set once for the file (`--set 行业=工贸`); a dry run writes no error copy
//! unless asked; an import is tagged in China's local time; the village names pages
//! show (西洞镇西洞村) import.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_io::cli::{ImportArgs, run_import};
use lvzhi_io::fill::Source;
use lvzhi_io::import::{ImportOptions, make_tag};
use lvzhi_io::{IoError, ReadOptions, import_file};
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::{TestDb, county};
use serde_json::json;

/// A real-shaped sheet: no 行业, no 乡镇, no 发现日期 column; 录入时间 and 隐患地址 instead.
const CSV: &str = "隐患名称,隐患所在单位,隐患等级,录入时间,隐患地址\n\
配电箱未接地,甲公司,一般,2026-03-05,西洞镇西洞村三组\n\
消防通道堵塞,乙公司,重大,2026-03-06,酒泉市某街道\n";

fn set(pairs: &[(&str, &str)]) -> ReadOptions {
    ReadOptions {
        set: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..ReadOptions::default()
    }
}

#[tokio::test]
async fn missing_values_are_derived_or_set_once() {
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let c = county::build(&store).await;
    let clerk = c.access("clerk_xd");
    let admin = c.access("admin");
    let imp = |a, read: ReadOptions| {
        let store = &store;
        async move {
            import_file(
                store,
                &a,
                "hazard",
                CSV.as_bytes(),
                "隐患.csv",
                &read,
                &ImportOptions::default(),
                &mut |_| {},
            )
            .await
        }
    };
    // 行业 has no source: refused up front, naming it and --set.
    let e = imp(clerk.clone(), ReadOptions::default()).await.unwrap_err();
    assert!(
        matches!(&e, IoError::MissingColumns(m) if m == &["行业".to_string()]),
        "{e}"
    );
    assert!(e.to_string().contains("--set"), "{e}");
    // The web page's message sends the clerk to 统一设定 instead of a CLI flag.
    let web = e.message_for(lvzhi_io::Surface::Web);
    assert!(web.contains("统一设定") && web.contains("行业"), "{web}");
    assert!(!web.contains("--set"), "{web}");
    // An unknown field in --set is refused.
    let e = imp(clerk.clone(), set(&[("行當", "工贸")])).await.unwrap_err();
    assert!(e.to_string().contains("没有字段“行當”"), "{e}");

    // The clerk sets 行业 once; the rest is derived.
    let (ch, rep) = imp(clerk.clone(), set(&[("行业", "工贸")])).await.unwrap();
    assert!(rep.written, "{:?}", ch.prepared.errors);
    let filled: Vec<String> = ch.prepared.filled.iter().map(|f| f.chinese()).collect();
    assert_eq!(
        filled,
        [
            "行业 ← 统一设定值“工贸”（2行）",
            "乡镇 ← “隐患所在单位”、“隐患地址”中的乡镇名（1行）",
            "乡镇 ← 导入人所在乡镇（1行）",
            "发现日期 ← “录入时间”列（2行）",
        ],
        "{filled:?}"
    );
    assert!(matches!(ch.prepared.filled[0].source, Source::Set { .. }));
    let q = ListQuery {
        limit: Some(10),
        ..ListQuery::default()
    };
    let mut recs = store.list(&admin, "hazard", &q).await.unwrap().items;
    recs.sort_by_key(|r| r.row.id);
    assert_eq!(recs[0].row.fields["industry"], json!("工贸"));
    assert_eq!(recs[0].row.fields["township"], json!("620902100"));
    assert_eq!(recs[0].row.fields["found_on"], json!("2026-03-05"));
    assert_eq!(
        recs[0].row.fields["company"],
        json!("甲公司"),
        "隐患所在单位 is 企业名称"
    );
    assert_eq!(recs[1].row.fields["found_on"], json!("2026-03-06"));
    // The county-wide admin has no township of their own: the second row has none.
    let (ch, rep) = imp(admin.clone(), set(&[("行业", "工贸")])).await.unwrap();
    assert!(!rep.written);
    assert_eq!(ch.prepared.bad_rows, 1);
    assert!(
        ch.prepared.errors[0].message.contains("必填“乡镇”没有值"),
        "{:?}",
        ch.prepared.errors
    );
    // ... unless the admin sets it too (a village name as pages show it).
    let (ch, rep) = imp(admin.clone(), set(&[("行业", "工贸"), ("乡镇", "西洞镇西洞村")]))
        .await
        .unwrap();
    assert!(rep.written, "{:?}", ch.prepared.errors);
    let mut recs = store.list(&admin, "hazard", &q).await.unwrap().items;
    recs.sort_by_key(|r| r.row.id);
    assert_eq!(recs[2].row.fields["township"], json!("620902100"), "from the address");
    assert_eq!(
        recs[3].row.fields["township"],
        json!("620902100201"),
        "set: 西洞镇西洞村"
    );
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_dry_run_writes_no_error_copy_unless_asked() {
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let _c = county::build(&store).await;
    let dir = std::env::temp_dir().join(format!("lvzhi-dry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("隐患.csv");
    std::fs::write(
        &file,
        "隐患描述,企业名称,行业,隐患等级,乡镇,发现日期\n甲,乙,工贸,特大,西洞镇,2026-03-05\n",
    )
    .unwrap();
    let args = ImportArgs {
        ledger: "hazard".into(),
        file: file.clone(),
        dry_run: true,
        ..ImportArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(run_import(&store, &args, &mut out, &mut err).await.unwrap(), 1);
    let listing = |d: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(listing(&dir), ["隐患.csv"], "a dry run wrote a file");
    let asked = dir.join("错误.xlsx");
    let args = ImportArgs {
        errors_xlsx: Some(asked.clone()),
        ..args
    };
    assert_eq!(run_import(&store, &args, &mut out, &mut err).await.unwrap(), 1);
    assert!(asked.exists(), "--errors PATH is written on a dry run");
    let _ = std::fs::remove_dir_all(&dir);
    store.close().await;
    db.drop_db().await;
}

#[test]
fn import_tags_read_in_china_time() {
    let t: jiff::Timestamp = "2026-12-05T01:09:02Z".parse().unwrap();
    let tag = make_tag("hazard", t, b"x");
    assert!(tag.starts_with("import-hazard-20261205-090902-"), "{tag}");
}
