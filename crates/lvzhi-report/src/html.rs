//! The HTML preview: every figure links to its provenance, the API's
//! `/api/v1/indicators/{id}?period=…&scope=…` (the value with its sources and
//! a page of the records behind it).

use crate::{Block, FIG_CLOSE, FIG_MID, FIG_OPEN, Report};

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn query(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn inline(report: &Report, s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(a) = rest.find(FIG_OPEN) {
        out.push_str(&escape(&rest[..a]));
        let after = &rest[a + FIG_OPEN.len_utf8()..];
        let (Some(m), Some(c)) = (after.find(FIG_MID), after.find(FIG_CLOSE)) else {
            rest = after;
            continue;
        };
        let id = after.get(..m).unwrap_or("");
        let display = after.get(m + FIG_MID.len_utf8()..c).unwrap_or("");
        out.push_str(&format!(
            "<a class=\"fig\" href=\"/api/v1/indicators/{}?period={}&amp;scope={}\" title=\"{}\">{}</a>",
            query(id),
            query(&report.period),
            query(&report.scope),
            escape(id),
            escape(display)
        ));
        rest = &after[c + FIG_CLOSE.len_utf8()..];
    }
    out.push_str(&escape(rest));
    out
}

/// The whole preview page.
pub fn render(report: &Report) -> String {
    let mut body = String::new();
    let mut title = String::new();
    for b in &report.blocks {
        match b {
            Block::Title(t) => {
                title = crate::strip(t);
                body.push_str(&format!("<h1>{}</h1>\n", inline(report, t)));
            }
            Block::H1(t) => body.push_str(&format!("<h2>{}</h2>\n", inline(report, t))),
            Block::H2(t) => body.push_str(&format!("<h3>{}</h3>\n", inline(report, t))),
            Block::Para(t) => body.push_str(&format!("<p>{}</p>\n", inline(report, t))),
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody{{max-width:42em;margin:2em auto;font-family:\"FangSong\",\"仿宋_GB2312\",serif;font-size:16pt;line-height:1.8}}\nh1{{text-align:center;font-size:22pt}}\nh2{{font-family:\"SimHei\",\"黑体\",sans-serif;font-size:16pt}}\nh3{{font-family:\"KaiTi\",\"楷体_GB2312\",serif;font-size:16pt;font-weight:normal}}\np{{text-indent:2em;margin:0}}\na.fig{{color:inherit;text-decoration:underline dotted}}\n</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape(&title),
        body
    )
}
