//! The report checker of lvzhi (履职): finds the numeric and template defects of
//! a Chinese report text before it is printed.
//!
//! A pure text library: no database, no I/O besides what the caller hands in.
//! [`check`] takes a text and returns [`Diagnostic`]s in six families, each code
//! written `<family>.<detail>`:
//!
//! | family | finds |
//! | --- | --- |
//! | `arithmetic` | a stated figure the text's own numbers contradict: completion (`完成21.6亿元、完成预算18.92亿元的112%`), growth with an absolute change, decline, direction, growth from–to, 倍/翻番, percentage points, rate (`排查1340条，已整改268条，整改率25%`), share, sum of parts (exhaustive with 其余/其他, also after a growth clause), shares over 100%, difference (`由A增加到B，净增C`), structure (`8.7∶41.2∶50.2` must total 100) |
//! | `enumeration` | a stated count the listed items contradict (`事故起数、死亡人数、经济损失“四个下降”`, `“三个一批”，即…` over four items) |
//! | `placeholder` | unfilled slots: `**`, `*`, `XX`, `××`, `___`, `【】`, `○○`, a single `×○△＿Ｘ` where a number belongs (`○个`), and a unit with its number missing (`进出口亿元、`, `增长 %`, `新增个，`) |
//! | `residue` | platform markers (`##paidbegin##`), unrendered template tags, HTML, copied page navigation |
//! | `admin-level` | one text calling itself both a county (全县, 我县) and a district (全区, 我区) |
//! | `repetition` | a duplicated character that is a typo (`的的`, `起，起`), not reduplication (人人) |
//!
//! Numbers are read in every form a report writes them (ASCII and full-width
//! digits, Chinese numerals, `3.87亿元`, `1,141`, `％`, `‰`, `个百分点`) by a single
//! pass over the text (the private `number` module); numbers that are names (第23届,
//! “5+2”, 12345热线, G312国道, 2026年, 1-11月) are not quantities. Figures are
//! compared in exact decimals with the rounding of each written figure, so a
//! stated 22% matches 21.5%–22.5% and "98%以上" holds for 98.01%.
//!
//! Invariants: [`check`] never panics, whatever the input; every span is in
//! chars (not bytes) and lies within the text; messages are Simplified Chinese.
//!
//! Around it: [`decode`] (UTF-8 / GBK / GB18030 detection), [`extract_docx_text`],
//! [`render_human`] (rustc-like, carets aligned under full-width text),
//! [`render_json`], [`explain`] (one Chinese sentence per code), and [`run_cli`],
//! the `lvzhi check` command.
//!
//! ```
//! let d = lvzhi_check::check("一般公共预算收入完成7.48亿元、同比增收4亿元，增长5.8%。");
//! assert_eq!(d[0].code, "arithmetic.growth");
//! assert_eq!(d[0].expected.as_deref(), Some("114.9%"));
//! assert_eq!(d[0].stated.as_deref(), Some("5.8%"));
//! ```

mod admin;
mod arith;
mod cli;
mod decode;
mod diag;
mod enumeration;
mod number;
mod render;
mod repetition;
mod structure;
mod template;

pub use cli::{HELP, run_cli};
pub use decode::{DecodeError, DocxError, decode, extract_docx_text};
pub use diag::{Diagnostic, Severity, explain};
pub use render::{render_human, render_json};

/// How to read the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// The text is Markdown: `**bold**`, `* item`, `---` and inline HTML are
    /// markup, not placeholders or residue.
    pub markdown: bool,
}

/// Checks a plain text and returns its diagnostics, sorted by position.
pub fn check(text: &str) -> Vec<Diagnostic> {
    check_with(text, &CheckOptions::default())
}

/// Checks a text read as `options` say, and returns its diagnostics, sorted by position.
pub fn check_with(text: &str, options: &CheckOptions) -> Vec<Diagnostic> {
    let mut raws = Vec::new();
    let quantities = number::extract(text);
    arith::check(text, &quantities, &mut raws);
    enumeration::check(text, &quantities, &mut raws);
    structure::check(text, &mut raws);
    template::check(text, options.markdown, &mut raws);
    admin::check(text, &mut raws);
    repetition::check(text, &mut raws);
    diag::finalize(text, raws)
}

/// Whether any diagnostic is an error (what makes `lvzhi check` exit 1).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
