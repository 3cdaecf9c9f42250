//! 核查: paste a report's text or upload a `.docx`/`.txt` (UTF-8 or GBK), and
//! see the text with each of the checker's findings highlighted and explained.
//!
//! The form is plain HTML (`multipart/form-data`, no script needed), read by
//! [`super::upload::read_form`] (axum's multipart parser). Files are read by
//! `lvzhi-check`'s own readers ([`lvzhi_check::extract_docx_text`],
//! [`lvzhi_check::decode`]), so the page finds exactly what `lvzhi check` finds.
//!
//! Highlights are cut at the diagnostics' char offsets (never bytes): the text
//! is split into segments at every span start and end, and each segment lists
//! the diagnostics covering it.

use super::render::{Chrome, Names, PageResult, page, store_error};
use super::session::{UiUser, check_csrf};
use super::upload::{Unread, read_form};
use crate::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use lvzhi_check::{Diagnostic, Severity};

/// The longest text checked on the page, in chars (about 60 pages of a report).
pub const MAX_CHARS: usize = 100_000;

/// A piece of the checked text: plain, or covered by diagnostics.
pub struct Segment {
    /// The text.
    pub text: String,
    /// Numbers (1-based) of the diagnostics covering it; empty for plain text.
    pub marks: Vec<usize>,
    /// `error` or `warning`: the most serious covering diagnostic.
    pub sev: &'static str,
    /// Tooltip: the covering diagnostics' messages.
    pub title: String,
    /// Numbers of the diagnostics that end with this segment (their reference marks).
    pub ends: Vec<usize>,
}

/// A diagnostic as the page explains it.
pub struct Finding {
    /// 1-based number.
    pub n: usize,
    /// `error` or `warning`.
    pub sev: &'static str,
    /// 错误 / 提醒.
    pub sev_label: &'static str,
    /// The rule's Chinese name.
    pub rule: &'static str,
    /// The stable code (`arithmetic.completion`).
    pub code: &'static str,
    /// 第3行第5列.
    pub place: String,
    /// The flagged text.
    pub text: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub suggestion: String,
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    chrome: Chrome,
    title: String,
    max_kb: usize,
    max_chars: usize,
    /// The pasted text (kept in the box).
    text: String,
    /// An upload's file name.
    file_name: String,
    error: String,
    checked: bool,
    chars: usize,
    errors: usize,
    warnings: usize,
    segments: Vec<Segment>,
    findings: Vec<Finding>,
}

impl CheckPage {
    fn new(chrome: Chrome) -> CheckPage {
        CheckPage {
            chrome,
            title: "核查".into(),
            max_kb: crate::BODY_LIMIT / 1024,
            max_chars: MAX_CHARS,
            text: String::new(),
            file_name: String::new(),
            error: String::new(),
            checked: false,
            chars: 0,
            errors: 0,
            warnings: 0,
            segments: vec![],
            findings: vec![],
        }
    }
}

/// The Chinese name of a diagnostic's family.
pub fn rule_label(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or("") {
        "arithmetic" => "数字计算",
        "enumeration" => "列举项数",
        "placeholder" => "占位符未替换",
        "residue" => "模板或网页残留",
        "admin-level" => "县区称谓混用",
        "repetition" => "字词重复",
        _ => "其他",
    }
}

/// What to do about a diagnostic.
pub fn suggestion(d: &Diagnostic) -> String {
    if let Some(e) = &d.expected {
        let figures = matches!(d.family(), "arithmetic" | "enumeration");
        return match (&d.stated, figures) {
            (Some(s), true) => format!("按文中数字计算应为{e}，文中写作{s}，请核对后改正。"),
            (None, true) => format!("按文中数字计算应为{e}，请核对后改正。"),
            (Some(s), false) => format!("宜改为“{e}”（文中为“{s}”）。"),
            (None, false) => format!("宜改为“{e}”。"),
        };
    }
    match d.family() {
        "arithmetic" => "请核对相关数字及其计算。",
        "enumeration" => "请核对列举的项目与所说的个数是否一致。",
        "placeholder" => "请填入实际内容后再印发。",
        "residue" => "请删除模板标记或从网页复制带入的内容。",
        "admin-level" => "全文统一使用同一级称谓（县或区）。",
        "repetition" => "请删除重复的字词。",
        _ => "请核对。",
    }
    .to_string()
}

/// Cuts `text` into segments at every diagnostic's start and end (char offsets).
pub fn segments(text: &str, diags: &[Diagnostic]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let mut cuts: Vec<usize> = vec![0, len];
    for d in diags {
        cuts.push(d.start.min(len));
        cuts.push(d.end.min(len));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = match w {
            [a, b] => (*a, *b),
            _ => continue,
        };
        if a >= b {
            continue;
        }
        let seg: String = chars.get(a..b).map(|s| s.iter().collect()).unwrap_or_default();
        let covering: Vec<(usize, &Diagnostic)> = diags
            .iter()
            .enumerate()
            .filter(|(_, d)| d.start <= a && b <= d.end && d.start < d.end)
            .map(|(i, d)| (i + 1, d))
            .collect();
        let sev = if covering.iter().any(|(_, d)| d.severity == Severity::Error) {
            "error"
        } else {
            "warning"
        };
        let title = covering
            .iter()
            .map(|(n, d)| format!("{n}. {}", d.message))
            .collect::<Vec<_>>()
            .join("\n");
        let ends = diags
            .iter()
            .enumerate()
            .filter(|(_, d)| d.end.min(len) == b && d.start < d.end)
            .map(|(i, _)| i + 1)
            .collect();
        out.push(Segment {
            text: seg,
            marks: covering.iter().map(|(n, _)| *n).collect(),
            sev,
            title,
            ends,
        });
    }
    // A diagnostic with an empty span (none today) still gets its reference mark.
    for (i, d) in diags.iter().enumerate() {
        if d.start >= d.end {
            let at = d.start.min(len);
            let mut pos = 0;
            let mut idx = out.len();
            for (j, s) in out.iter().enumerate() {
                pos += s.text.chars().count();
                if pos >= at {
                    idx = j;
                    break;
                }
            }
            if let Some(s) = out.get_mut(idx) {
                s.ends.push(i + 1);
            }
        }
    }
    out
}

/// The explanations of `diags`, numbered from 1.
pub fn findings(diags: &[Diagnostic]) -> Vec<Finding> {
    diags
        .iter()
        .enumerate()
        .map(|(i, d)| Finding {
            n: i + 1,
            sev: if d.severity == Severity::Error {
                "error"
            } else {
                "warning"
            },
            sev_label: if d.severity == Severity::Error {
                "错误"
            } else {
                "提醒"
            },
            rule: rule_label(d.code),
            code: d.code,
            place: format!("第{}行第{}列", d.line, d.column),
            text: d.text.clone(),
            message: d.message.clone(),
            suggestion: suggestion(d),
        })
        .collect()
}

/// `GET /check`: the empty form.
pub async fn check_page(State(st): State<AppState>, u: UiUser) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let chrome = Chrome::new(&st.store, &u, &names, "/check");
    Ok(page(StatusCode::OK, &CheckPage::new(chrome)))
}

/// The text of an uploaded file: a `.docx` by its name or its zip signature,
/// anything else as a text file in UTF-8, UTF-16 or GBK/GB18030.
pub fn file_text(name: &str, data: &[u8]) -> Result<String, String> {
    let lower = name.to_lowercase();
    if lower.ends_with(".doc") || data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err("不支持旧版 Word（.doc）文件，请在 Word 中另存为 .docx 后上传。".into());
    }
    if lower.ends_with(".docx") || data.starts_with(b"PK\x03\x04") {
        return lvzhi_check::extract_docx_text(data).map_err(|e| format!("无法读取文件“{name}”：{e}"));
    }
    lvzhi_check::decode(data).map_err(|e| format!("无法读取文件“{name}”：{e}。请上传 .docx 或 .txt 文件。"))
}

/// `POST /check`: checks the pasted text or the uploaded file.
pub async fn check_submit(State(st): State<AppState>, u: UiUser, req: Request) -> PageResult {
    let names = Names::load(&st.store).await.map_err(store_error)?;
    let mut p = CheckPage::new(Chrome::new(&st.store, &u, &names, "/check"));
    let (form, file) = match read_form(req, &st, crate::BODY_LIMIT).await {
        // An empty file counts as none (the pasted text is checked).
        Ok(f) => (f.fields, f.file.filter(|(_, d)| !d.is_empty())),
        Err(Unread::TooLarge) => {
            p.error = format!(
                "提交的内容超过{}KB上限，请分段粘贴或上传较小的文件。",
                crate::BODY_LIMIT / 1024
            );
            return Ok(page(StatusCode::PAYLOAD_TOO_LARGE, &p));
        }
        Err(Unread::Malformed) => {
            p.error = "上传的内容无法读取，请重试。".into();
            return Ok(page(StatusCode::BAD_REQUEST, &p));
        }
    };
    check_csrf(&u, &form)?;
    // Browsers send textarea line breaks as CRLF.
    let pasted = super::session::field(&form, "text").unwrap_or("").replace("\r\n", "\n");
    let text = match file {
        Some((name, data)) => {
            p.file_name = name.clone();
            match file_text(&name, &data) {
                Ok(t) => t,
                Err(e) => {
                    p.error = e;
                    return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &p));
                }
            }
        }
        None => {
            p.text = pasted.clone();
            pasted
        }
    };
    if text.trim().is_empty() {
        p.error = "请粘贴要核查的文字，或选择一个 .docx / .txt 文件。".into();
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &p));
    }
    let n = text.chars().count();
    if n > MAX_CHARS {
        p.error = format!("文字共{n}字，超过单次核查上限{MAX_CHARS}字，请分段核查。");
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &p));
    }
    let diags = lvzhi_check::check(&text);
    p.checked = true;
    p.chars = n;
    p.errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    p.warnings = diags.len() - p.errors;
    p.segments = segments(&text, &diags);
    p.findings = findings(&diags);
    Ok(page(StatusCode::OK, &p))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn segments_cut_at_char_offsets() {
        let text = "全县财政总收入21.6亿元，完成预算18.92亿元的112%。";
        let diags = lvzhi_check::check(text);
        assert!(!diags.is_empty());
        let segs = segments(text, &diags);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
        for (i, d) in diags.iter().enumerate() {
            let marked: String = segs
                .iter()
                .filter(|s| s.marks.contains(&(i + 1)))
                .map(|s| s.text.as_str())
                .collect();
            assert_eq!(marked, d.text);
            assert!(segs.iter().any(|s| s.ends.contains(&(i + 1))));
        }
    }

    #[test]
    fn overlapping_spans_share_segments() {
        let d = |start, end, sev| Diagnostic {
            code: "repetition.duplicate",
            severity: sev,
            line: 1,
            column: start + 1,
            start,
            end,
            text: String::new(),
            message: "m".into(),
            expected: None,
            stated: None,
        };
        let segs = segments("一二三四五六", &[d(1, 4, Severity::Warning), d(3, 5, Severity::Error)]);
        let v: Vec<(&str, Vec<usize>, &str)> = segs.iter().map(|s| (s.text.as_str(), s.marks.clone(), s.sev)).collect();
        assert_eq!(
            v,
            vec![
                ("一", vec![], "warning"),
                ("二三", vec![1], "warning"),
                ("四", vec![1, 2], "error"),
                ("五", vec![2], "error"),
                ("六", vec![], "warning"),
            ]
        );
        assert_eq!(segs[2].ends, vec![1]);
        assert_eq!(segs[3].ends, vec![2]);
    }

    #[test]
    fn suggestions_say_what_to_write() {
        let ds = lvzhi_check::check("全区财政总收入21.6亿元，完成预算18.92亿元的112%。全县排查隐患。");
        let by = |f: &str| ds.iter().find(|d| d.family() == f).map(suggestion).unwrap();
        assert!(by("arithmetic").contains("应为114.2%"), "{}", by("arithmetic"));
        let admin = by("admin-level");
        assert!(admin.starts_with("宜改为") && !admin.contains("数字"), "{admin}");
    }

    #[test]
    fn gbk_and_doc_files() {
        // “核查” in GBK.
        assert_eq!(file_text("a.txt", &[0xBA, 0xCB, 0xB2, 0xE9]).unwrap(), "核查");
        assert!(file_text("a.doc", b"x").unwrap_err().contains(".docx"));
        assert!(file_text("a.docx", b"not a zip").unwrap_err().contains("a.docx"));
    }
}
