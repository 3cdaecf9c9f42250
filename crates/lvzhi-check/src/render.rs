//! Output: rustc-like human text and the JSON document of `lvzhi check --format json`.

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::diag::{Diagnostic, Severity, explain};

/// Chars of context shown before and after a span in human output.
const CONTEXT_BEFORE: usize = 36;
const CONTEXT_AFTER: usize = 24;

/// Renders diagnostics of one file like rustc does: the code and message, the
/// location, the line with a caret under the span (aligned by display width, so
/// full-width characters take two columns), and expected vs stated figures.
/// Long lines are cut to a window around the span, marked with `…`.
pub fn render_human(path: &str, text: &str, diags: &[Diagnostic]) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::new();
    for d in diags {
        let line = lines.get(d.line.saturating_sub(1)).copied().unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let chars: Vec<char> = line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
        let col0 = d.column.saturating_sub(1).min(chars.len());
        let span_len = (d.end - d.start).min(chars.len() - col0);
        let from = col0.saturating_sub(CONTEXT_BEFORE);
        let to = (col0 + span_len + CONTEXT_AFTER).min(chars.len());
        let mut shown = String::new();
        if from > 0 {
            shown.push('…');
        }
        let before: String = chars[from..col0].iter().collect();
        let span: String = chars[col0..col0 + span_len].iter().collect();
        let after: String = chars[col0 + span_len..to].iter().collect();
        shown.push_str(&before);
        let pad = UnicodeWidthStr::width(shown.as_str());
        shown.push_str(&span);
        shown.push_str(&after);
        if to < chars.len() {
            shown.push('…');
        }
        let carets = UnicodeWidthStr::width(span.as_str()).max(1);
        let num = d.line.to_string();
        let gutter = " ".repeat(num.len());
        out.push_str(&format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message));
        out.push_str(&format!("{gutter}--> {path}:{}:{}\n", d.line, d.column));
        out.push_str(&format!("{gutter} |\n"));
        out.push_str(&format!("{num} | {shown}\n"));
        let label = match (&d.expected, &d.stated) {
            (Some(e), Some(_)) => format!(" 应为 {e}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{gutter} | {}{}{label}\n",
            " ".repeat(pad),
            "^".repeat(carets)
        ));
        if let (Some(e), Some(s)) = (&d.expected, &d.stated) {
            out.push_str(&format!("{gutter} = 应为：{e}\n{gutter} = 文中：{s}\n"));
        }
        if let Some(why) = explain(d.code) {
            out.push_str(&format!("{gutter} = 说明：{why}\n"));
        }
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diags.len() - errors;
    if diags.is_empty() {
        out.push_str(&format!("{path}：未发现问题\n"));
    } else {
        out.push_str(&format!("{path}：{errors} 个错误，{warnings} 个警告\n"));
    }
    out
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    files: Vec<JsonFile<'a>>,
}

/// Renders `{"files":[{"path":…,"diagnostics":[…]}]}`, pretty-printed. Each
/// diagnostic has `code`, `severity`, `line`, `column`, `start`, `end`, `text`,
/// `message`, `expected` and `stated` (the last two `null` where they do not apply).
pub fn render_json(files: &[(String, Vec<Diagnostic>)]) -> String {
    let doc = JsonDoc {
        files: files
            .iter()
            .map(|(p, d)| JsonFile {
                path: p,
                diagnostics: d,
            })
            .collect(),
    };
    // Serializing plain structs of strings and integers cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;

    #[test]
    fn caret_under_full_width_span() {
        let text = "第一行\n全县财政总收入完成21.6亿元、完成预算18.92亿元的112%，同比增收3.87亿元";
        let d = check(text);
        let d: Vec<_> = d.into_iter().filter(|d| d.code == "arithmetic.completion").collect();
        assert_eq!(d.len(), 1);
        let h = render_human("a.txt", text, &d);
        let lines: Vec<&str> = h.lines().collect();
        assert!(
            lines[0].starts_with("error[arithmetic.completion]: 完成比例计算有误：21.6÷18.92=114.2%，文中为112%"),
            "{h}"
        );
        assert_eq!(lines[1], " --> a.txt:2:29");
        let src = lines[3];
        let caret = lines[4];
        let span_at = UnicodeWidthStr::width(&src[..src.find("112%").unwrap()]);
        let caret_at = UnicodeWidthStr::width(&caret[..caret.find('^').unwrap()]);
        assert_eq!(span_at, caret_at, "\n{src}\n{caret}");
        assert!(caret.contains("^^^^ 应为 114.2%"));
        assert!(h.contains("= 应为：114.2%") && h.contains("= 文中：112%"));
    }

    #[test]
    fn json_shape() {
        let text = "完成**万元";
        let files = vec![("a.txt".to_string(), check(text))];
        let v: serde_json::Value = serde_json::from_str(&render_json(&files)).unwrap();
        let d = &v["files"][0]["diagnostics"][0];
        assert_eq!(v["files"][0]["path"], "a.txt");
        assert_eq!(d["code"], "placeholder.mask");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["line"], 1);
        assert_eq!(d["column"], 3);
        assert_eq!(d["start"], 2);
        assert_eq!(d["end"], 4);
        assert_eq!(d["text"], "**");
        assert!(d["expected"].is_null());
    }
}
