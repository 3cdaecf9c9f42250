//! The header rows of real, public ledger templates (`tests/data/real_headers.toml`)
//! against the county pack: how many columns map to the field a person would choose,
//! how many come in as extra information, and how many map to a wrong field (must be 0).
//!
//! Each sheet is built as the county keeps it: the title rows above the header (one text,
//! or several cells), a grouped two-row header where columns are grouped (the group text
//! over its sub-columns, the other headers merged down both rows), then two data rows.
//! Run with `--nocapture` to see the table; the figures go into benches/RESULTS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_io::mapping::{Mapping, find_layout_with, missing_required};
use lvzhi_io::sheet::{Cell, Sheet};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    sheet: Vec<RealSheet>,
}

#[derive(Deserialize)]
struct RealSheet {
    ledger: String,
    name: String,
    source: String,
    #[serde(default)]
    title: Vec<String>,
    columns: Vec<(String, String)>,
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

/// The sheet as a county would keep it (merged cells already filled, as the reader does).
fn build(s: &RealSheet) -> (Sheet, usize) {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for t in &s.title {
        rows.push(t.split('|').map(text).collect());
    }
    let grouped = s
        .columns
        .iter()
        .any(|(h, _)| h.contains('/') && !h.contains("/部门") && !h.contains("/责任人") && !h.contains("早报/"));
    if grouped {
        let upper = s
            .columns
            .iter()
            .map(|(h, _)| text(h.split_once('/').map_or(h.as_str(), |(g, _)| g)))
            .collect();
        let lower = s
            .columns
            .iter()
            .map(|(h, _)| text(h.split_once('/').map_or(h.as_str(), |(_, sub)| sub)))
            .collect();
        rows.push(upper);
        rows.push(lower);
    } else {
        rows.push(s.columns.iter().map(|(h, _)| text(h)).collect());
    }
    for i in 0..2 {
        rows.push(
            s.columns
                .iter()
                .enumerate()
                .map(|(c, _)| {
                    if c == 0 {
                        Cell::Int(i + 1)
                    } else {
                        text(&format!("值{c}"))
                    }
                })
                .collect(),
        );
    }
    (
        Sheet {
            name: s.name.clone(),
            rows,
            merges: vec![],
        },
        s.title.len(),
    )
}

#[derive(Default, Debug)]
struct Tally {
    columns: usize,
    right: usize,
    right_field: usize,
    right_extra: usize,
    wrong: usize,
    missed: usize,
    suggested: usize,
    files: usize,
    files_ok: usize,
}

#[test]
fn real_headers_map_right_and_never_wrong() {
    let data: File = toml::from_str(include_str!("data/real_headers.toml")).unwrap();
    let pack = lvzhi_packs::county().unwrap();
    let ledgers: std::collections::BTreeSet<&str> = data.sheet.iter().map(|s| s.ledger.as_str()).collect();
    assert!(
        data.sheet.len() >= 20 && ledgers.len() >= 8,
        "the set covers ≥20 sheets over ≥8 ledgers"
    );
    let mut t = Tally::default();
    let mut wrong_lines = Vec::new();
    let mut misplaced: Vec<String> = Vec::new();
    for s in &data.sheet {
        assert!(!s.source.is_empty(), "{} has a source", s.name);
        let kind = pack.ledger(&s.ledger).unwrap();
        let (sheet, titles) = build(s);
        let layout = match find_layout_with(&sheet, kind, &pack.vocabulary, &Mapping::default()) {
            Ok(l) => l,
            Err(e) => {
                println!("  NO HEADER: {} ({e})", s.name);
                t.columns += s.columns.len();
                t.missed += s.columns.len();
                t.files += 1;
                continue;
            }
        };
        let mut file_ok = true;
        if layout.header_row != titles {
            println!(
                "  HEADER MISPLACED: {} at row {} (titles: {titles})",
                s.name,
                layout.header_row + 1
            );
            misplaced.push(s.name.clone());
            file_ok = false;
        }
        for (i, (header, expect)) in s.columns.iter().enumerate() {
            let col = layout.columns.iter().find(|c| c.index == i);
            let got = col.and_then(|c| c.field.clone());
            let suggested = col.is_some_and(|c| !c.suggestions.is_empty());
            let alts: Vec<&str> = expect.split('|').collect();
            t.columns += 1;
            let ok = match &got {
                Some(f) => alts.contains(&f.as_str()),
                None => alts.iter().any(|a| *a == "extra" || *a == "-"),
            };
            if ok {
                t.right += 1;
                if got.is_some() {
                    t.right_field += 1;
                } else {
                    t.right_extra += 1;
                }
            } else if let Some(f) = &got {
                t.wrong += 1;
                file_ok = false;
                wrong_lines.push(format!("{} / {header}: mapped to {f}, expected {expect}", s.name));
            } else {
                t.missed += 1;
                if suggested {
                    t.suggested += 1;
                }
                println!(
                    "  missed: {} / {header} (expected {expect}){}",
                    s.name,
                    col.map(|c| c
                        .suggestions
                        .iter()
                        .map(|x| format!(" [{} {} {}]", x.field, x.score, x.reason))
                        .collect::<String>())
                        .unwrap_or_default()
                );
                // A required field the sheet has but the matcher missed needs manual mapping.
                if alts.iter().any(|a| kind.field(a).is_some_and(|f| f.required)) {
                    file_ok = false;
                }
            }
        }
        t.files += 1;
        if file_ok {
            t.files_ok += 1;
        }
        println!(
            "{:<14} {:<22} header row {} ({} rows), needs --set for: {}",
            s.ledger,
            s.name,
            layout.header_row + 1,
            layout.header_rows,
            missing_required(kind, &layout).join("、")
        );
    }
    let pct = |a: usize, b: usize| a as f64 * 100.0 / b.max(1) as f64;
    println!(
        "REAL HEADERS: {} headers misplaced; {} sheets over {} ledgers, {} columns: right {} ({:.1}%: {} to their field, {} kept as extra), wrong {}, missed {} ({} of them suggested); files importing with only --set: {}/{} ({:.1}%)",
        misplaced.len(),
        data.sheet.len(),
        ledgers.len(),
        t.columns,
        t.right,
        pct(t.right, t.columns),
        t.right_field,
        t.right_extra,
        t.wrong,
        t.missed,
        t.suggested,
        t.files_ok,
        t.files,
        pct(t.files_ok, t.files)
    );
    for w in &wrong_lines {
        println!("  WRONG: {w}");
    }
    assert!(misplaced.is_empty(), "headers misplaced: {misplaced:?}");
    assert!(pct(t.right, t.columns) >= 90.0, "columns mapped right ≥ 90 %");
    assert!(
        pct(t.files_ok, t.files) >= 80.0,
        "files importing with only --set ≥ 80 %"
    );
    assert!(wrong_lines.is_empty(), "wrong mappings:\n{}", wrong_lines.join("\n"));
}

/// No two fields of a ledger read the same through the vocabulary: such a pair would
/// tie on every header naming either, and ties are never mapped.
#[test]
fn no_two_fields_of_a_ledger_read_alike() {
    let pack = lvzhi_packs::county().unwrap();
    let m = lvzhi_io::vocab::Matcher::new(&pack.vocabulary);
    for l in &pack.ledgers {
        let mut seen = std::collections::BTreeMap::new();
        for f in &l.fields {
            for name in std::iter::once(&f.label).chain(&f.aliases) {
                let c = m.canon(name);
                if let Some(other) = seen.insert(c.clone(), f.key.clone())
                    && other != f.key
                {
                    panic!("{}: “{name}” reads as “{c}”, as a name of {other} does", l.key);
                }
            }
        }
    }
}

/// 联系电话 (issue 16: it was not mapped) maps to the phone field of every ledger
/// that has exactly one, as its only column or beside the ledger's other labels.
#[test]
fn contact_phone_maps_to_the_phone_field() {
    let pack = lvzhi_packs::county().unwrap();
    let mut checked = 0;
    for kind in &pack.ledgers {
        let phones: Vec<_> = kind
            .fields
            .iter()
            .filter(|f| f.ty == lvzhi_core::field::FieldType::Phone)
            .collect();
        let [phone] = phones.as_slice() else { continue };
        let mut headers: Vec<String> = kind
            .fields
            .iter()
            .filter(|f| f.key != phone.key)
            .map(|f| f.label.clone())
            .collect();
        headers.push("联系电话".into());
        for hs in [vec!["联系电话".to_string()], headers] {
            let sheet = Sheet {
                name: "s".into(),
                rows: vec![
                    hs.iter().map(|h| text(h)).collect(),
                    hs.iter().map(|_| text("x")).collect(),
                ],
                merges: vec![],
            };
            let layout = find_layout_with(&sheet, kind, &pack.vocabulary, &Mapping::default()).unwrap();
            let col = layout.columns.iter().find(|c| c.header == "联系电话").unwrap();
            assert_eq!(
                col.field.as_deref(),
                Some(phone.key.as_str()),
                "{}: {:?}",
                kind.key,
                col
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked} ledgers with a phone field");
}
