//! Structural ratios: the parts of one whole written `a:b:c` (三次产业结构调整为
//! 8.3∶41.4∶50.3), each to one decimal, must total 100 within their rounding.
//!
//! Only chains of three or more terms, every term with exactly one decimal, after
//! a word that names a structure (结构, 比重, 构成, 比例) in the same sentence, are
//! checked: `2.31∶1` (a ratio of two), `9∶38∶55` (rounded to integers) and times
//! (`9:30:00`) are not.

use memchr::memmem;
use rust_decimal::Decimal;

use crate::diag::Raw;
use crate::number::{char_at, char_before, is_sentence_end, sl};

/// The signs a ratio is written with: ASCII colon, ratio sign, full-width colon.
const SIGNS: &[&str] = &[":", "∶", "："];

/// Words before a chain that make it the structure of one whole.
const STRUCTURE_WORDS: &[&str] = &["结构", "比重", "构成", "比例"];

/// Checks every ratio chain of the text.
pub(crate) fn check(text: &str, out: &mut Vec<Raw>) {
    let bytes = text.as_bytes();
    let mut signs: Vec<usize> = Vec::new();
    for s in SIGNS {
        // a chain's sign always follows an ASCII digit
        signs.extend(memmem::find_iter(bytes, s.as_bytes()).filter(|&p| p > 0 && bytes[p - 1].is_ascii_digit()));
    }
    signs.sort_unstable();
    let mut done = 0usize;
    for p in signs {
        if p < done {
            continue;
        }
        let start = number_start(text, p);
        let (terms, end) = chain(text, start);
        done = end.max(p + 1);
        if terms.len() < 3 || terms.iter().any(|t| t.1 != 1) {
            continue;
        }
        if !structure_context(text, start) {
            continue;
        }
        let Some(sum) = terms.iter().try_fold(Decimal::ZERO, |s, t| s.checked_add(t.0)) else {
            continue;
        };
        // each term stands for ±0.05
        let tol = Decimal::new(5, 2) * Decimal::from(terms.len() as u64);
        if (sum - Decimal::ONE_HUNDRED).abs() <= tol {
            continue;
        }
        let written: Vec<String> = terms.iter().map(|t| t.0.to_string()).collect();
        let sum_s = crate::arith::fmt_dec(sum, 1);
        let msg = format!("结构比例各项之和应为100：{}={sum_s}", written.join("+"));
        out.push(Raw::error("arithmetic.structure", start, end, msg).with_figures("100".to_string(), sum_s));
    }
}

/// Byte offset where the number ending just before `p` starts (ASCII digits and `.`).
fn number_start(text: &str, p: usize) -> usize {
    let bytes = text.as_bytes();
    let mut s = p;
    while s > 0 && (bytes[s - 1].is_ascii_digit() || bytes[s - 1] == b'.') {
        s -= 1;
    }
    s
}

/// Reads `a:b:c…` from `start`: each term's value and decimals, and the byte offset after the chain.
fn chain(text: &str, start: usize) -> (Vec<(Decimal, u32)>, usize) {
    let bytes = text.as_bytes();
    let mut terms = Vec::new();
    let mut pos = start;
    loop {
        let s = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let mut decimals = 0;
        if pos < bytes.len() && bytes[pos] == b'.' && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) {
            pos += 1;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
                decimals += 1;
            }
        }
        if pos == s || pos - s > 12 {
            return (Vec::new(), pos.max(start + 1));
        }
        let Ok(v) = sl(text, s, pos).parse::<Decimal>() else {
            return (Vec::new(), pos);
        };
        terms.push((v, decimals));
        let end = pos;
        let Some(sign) = SIGNS.iter().find(|g| sl(text, pos, text.len()).starts_with(**g)) else {
            return (terms, end);
        };
        if !char_at(text, pos + sign.len()).is_some_and(|c| c.is_ascii_digit()) {
            return (terms, end);
        }
        pos += sign.len();
        if terms.len() > 12 {
            return (Vec::new(), pos);
        }
    }
}

/// Whether the sentence before `start` (at most 40 chars back) names a structure.
fn structure_context(text: &str, start: usize) -> bool {
    // a digit or a letter glued before the chain makes it a code or a time, not a ratio
    if char_before(text, start).is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
        return false;
    }
    let head = crate::number::back_until(text, start, 40, is_sentence_end);
    STRUCTURE_WORDS.iter().any(|w| head.contains(w))
}
