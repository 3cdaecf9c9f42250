//! Fuzz target for the workbook readers: arbitrary bytes through the xlsx and
//! xls readers (calamine, then merged-cell filling), header detection and
//! validation against the hazard ledger.
//! Invariants: no panic; no unbounded allocation from merge ranges; under
//! small `SheetLimits` a sheet that is read holds no more cells, columns or
//! text than the limits allow (the pre-checks and the cell builder agree).

#![no_main]

use libfuzzer_sys::fuzz_target;
use lvzhi_io::sheet::{FileKind, SheetLimits, read_workbook, read_workbook_with};
use std::sync::LazyLock;

static PACK: LazyLock<Option<lvzhi_core::ledger::Pack>> = LazyLock::new(|| lvzhi_packs::county().ok());

static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // `read_workbook` turns a panic inside calamine into an error; libFuzzer's
    // hook would abort before the unwind gets there. A panic anywhere else still
    // unwinds out of this closure, which libfuzzer-sys reports as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let small = SheetLimits {
        max_cells: 2_000,
        max_columns: 40,
        max_text_bytes: 64 * 1024,
        max_shared_strings: 1_000,
        max_merges: 100,
        max_token_bytes: 16 * 1024,
        ..SheetLimits::default()
    };
    for kind in [FileKind::Xlsx, FileKind::Xls] {
        if let Ok(sheet) = read_workbook_with(data, kind, None, &small) {
            assert!(sheet.rows.iter().map(Vec::len).sum::<usize>() <= small.max_cells);
            assert!(sheet.rows.iter().all(|r| r.len() <= small.max_columns));
            let text: usize = sheet
                .rows
                .iter()
                .flatten()
                .map(|c| match c {
                    lvzhi_io::sheet::Cell::Text(s) | lvzhi_io::sheet::Cell::Error(s) => s.len(),
                    _ => 0,
                })
                .sum();
            assert!(text <= small.max_text_bytes);
        }
    }
    for kind in [FileKind::Xlsx, FileKind::Xls] {
        let Ok(sheet) = read_workbook(data, kind, None) else { continue };
        assert!(sheet.rows.iter().all(|r| r.len() <= lvzhi_io::sheet::MAX_COLUMNS));
        let Some(ledger) = PACK.as_ref().and_then(|p| p.ledger("hazard")) else { continue };
        let Ok(layout) = lvzhi_io::mapping::layout(&sheet, ledger, &Default::default()) else { continue };
        let org = lvzhi_io::org::OrgIndex::default();
        let admin = lvzhi_store::Store::system_access();
        let _ = lvzhi_io::prepare::prepare(ledger, &sheet, layout, &org, &admin);
    }
});
