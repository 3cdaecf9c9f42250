//! The runner of the data-driven case files (`parts.rs`, `rates.rs`,
//! `placeholders.rs`, `missing_numbers.rs`, `structure.rs`).
//!
//! A case is one line of county text and what it must give: `Some((code, span))`
//! — a diagnostic with that code (family and detail) over exactly that span — or
//! `None`: nothing of the families the file is about.

// test support: a missing diagnostic is a test failure
#![allow(clippy::panic)]

use lvzhi_check::{Diagnostic, check};

/// One line of text and the diagnostic it must give (code, flagged text), or `None` for quiet.
pub type Case = (&'static str, Option<(&'static str, &'static str)>);

/// Whether a diagnostic is of the codes a case file watches (a code prefix such as
/// `arithmetic.` or `placeholder.missing-number`).
fn watched(d: &Diagnostic, watch: &[&str]) -> bool {
    watch.iter().any(|w| d.code.starts_with(w))
}

/// Runs every case and fails once, listing every case that went wrong.
/// Positives must give their diagnostic and no other watched one; negatives none.
pub fn run(cases: &[Case], watch: &[&str]) {
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got: Vec<Diagnostic> = check(text).into_iter().filter(|d| watched(d, watch)).collect();
        let shown: Vec<(&str, &str)> = got.iter().map(|d| (d.code, d.text.as_str())).collect();
        let ok = match want {
            Some((code, span)) => {
                assert!(code.contains('.'), "{text}: code {code} has no family");
                shown.len() == 1 && shown[0] == (*code, *span)
            }
            None => shown.is_empty(),
        };
        if !ok {
            failures.push(format!("{text}\n    want {want:?}\n    got  {shown:?}"));
        }
        // the span of every diagnostic is the text it names
        for d in &got {
            let span: String = text.chars().skip(d.start).take(d.end - d.start).collect();
            assert_eq!(span, d.text, "{text}");
            assert!(!d.message.is_empty());
        }
    }
    let positives = cases.iter().filter(|c| c.1.is_some()).count();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    assert!(
        positives >= 10 && cases.len() - positives >= 10,
        "too few positives or negatives"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The diagnostic a positive case gives (for tests of its message and figures).
#[allow(dead_code)]
pub fn first(text: &str, code: &str) -> Diagnostic {
    check(text)
        .into_iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("{text}: no {code}"))
}
