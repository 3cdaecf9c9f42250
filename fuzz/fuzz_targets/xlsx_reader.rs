//! Fuzz target for the workbook readers: arbitrary bytes through the xlsx and
//! xls readers (calamine, then merged-cell filling), header detection and
//! validation against the hazard ledger.
//! Invariants: no panic; no unbounded allocation from merge ranges.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lvzhi_io::sheet::{FileKind, read_workbook};
use std::sync::LazyLock;

static PACK: LazyLock<Option<lvzhi_core::ledger::Pack>> = LazyLock::new(|| lvzhi_packs::county().ok());

static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // `read_workbook` turns a panic inside calamine into an error; libFuzzer's
    // hook would abort before the unwind gets there. A panic anywhere else still
    // unwinds out of this closure, which libfuzzer-sys reports as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
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
