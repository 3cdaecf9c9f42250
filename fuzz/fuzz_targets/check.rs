//! Fuzz target for the report checker: arbitrary bytes through `decode` +
//! `check` (plain and Markdown) + both renderers, and through `extract_docx_text`.
//! Invariants: no panic; every span lies within the text and matches `text`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lvzhi_check::{CheckOptions, check_with, decode, extract_docx_text, render_human, render_json};

fn check_all(text: &str) {
    for markdown in [false, true] {
        let d = check_with(text, &CheckOptions { markdown });
        let n = text.chars().count();
        for x in &d {
            assert!(x.start <= x.end && x.end <= n);
            let span: String = text.chars().skip(x.start).take(x.end - x.start).collect();
            assert_eq!(span, x.text);
        }
        let _ = render_human("fuzz.txt", text, &d);
        let _ = render_json(&[("fuzz.txt".to_string(), d)]);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = decode(data) {
        check_all(&text);
    }
    if let Ok(text) = extract_docx_text(data) {
        check_all(&text);
    }
});
