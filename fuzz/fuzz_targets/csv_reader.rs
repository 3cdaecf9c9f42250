//! Fuzz target for the CSV reader: arbitrary bytes through `read_csv` (detected
//! encoding and forced GBK), header detection and validation against the
//! hazard ledger, and the error copy of the file.
//! Invariants: no panic; every error names a row after the header.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lvzhi_io::sheet::{Encoding, Sheet, read_csv};
use std::sync::LazyLock;

static PACK: LazyLock<Option<lvzhi_core::ledger::Pack>> = LazyLock::new(|| lvzhi_packs::county().ok());

fn exercise(sheet: &Sheet) {
    for row in &sheet.rows {
        for c in row {
            let _ = c.text();
        }
    }
    let Some(kind) = PACK.as_ref().and_then(|p| p.ledger("hazard")) else { return };
    let Ok(layout) = lvzhi_io::mapping::layout(sheet, kind, &Default::default()) else { return };
    let first = layout.first_data_row();
    let org = lvzhi_io::org::OrgIndex::default();
    let admin = lvzhi_store::Store::system_access();
    if let Ok(p) = lvzhi_io::prepare::prepare(kind, sheet, layout, &org, &admin) {
        assert!(p.errors.iter().all(|e| e.row > first));
        assert!(p.rows.iter().all(|r| r.row > first));
        let _ = lvzhi_io::export::error_workbook(sheet, &p);
    }
}

fuzz_target!(|data: &[u8]| {
    for enc in [Encoding::Auto, Encoding::Gbk] {
        if let Ok(sheet) = read_csv(data, enc, "fuzz.csv") {
            exercise(&sheet);
        }
    }
});
