//! What the record page says about the loop steps of issue 17 beside the
//! fields: the time limit of the current step when it is its own (签收 within 3
//! working days of 交办 while the 办理时限 runs), and a 延期 request awaiting its
//! decision. The step forms themselves are the record page's transition forms
//! (inputs from each step's `requires`); the store applies the steps' rules.

use lvzhi_core::field::FieldRole;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_core::time::date_cn;
use lvzhi_store::records::RecordView;

fn date_of(view: &RecordView, key: &str) -> Option<jiff::civil::Date> {
    view.row
        .fields
        .get(key)
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
}

/// Label and text of each fact to show on the record page, in order.
pub fn facts(kind: &LedgerKind, view: &RecordView) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let field_due = kind.role_field(FieldRole::Deadline).and_then(|f| date_of(view, &f.key));
    let in_force = view.row.deadline.as_deref().and_then(|d| d.parse().ok());
    if let (Some(due), Some(now)) = (field_due, in_force)
        && now != due
        && !view.row.closed
    {
        out.push((
            "本环节时限".to_string(),
            format!("{}（“{}”环节的时限）", date_cn(now), view.row.state),
        ));
    }
    if let Some(x) = &kind.extension
        && let Some(to) = date_of(view, &x.field)
        && !view.row.closed
    {
        let now = field_due
            .map(|d| format!("，现办理时限{}", date_cn(d)))
            .unwrap_or_default();
        out.push((
            "延期申请".to_string(),
            format!("申请延期至{}{now}，待审批", date_cn(to)),
        ));
    }
    out
}
