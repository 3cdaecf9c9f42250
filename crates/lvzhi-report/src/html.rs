//! The HTML preview: every figure links to its provenance. A figure's mark
//! names what it came from — an indicator (`fiscal_total`), one unit's part
//! of a grouped indicator (`overdue_supervision_by_unit@12`) or one record
//! (`record:345`, the overdue list by name) — and a link function turns that
//! into a URL. [`render`] (the standalone page the API and the CLI write)
//! links to the API: `/api/v1/indicators/{id}?period=…&scope=…` (the value
//! with its sources and a page of exactly the records behind it) and
//! `/api/v1/records/{id}`; the web UI passes its own links to [`body`].

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

/// Percent-encodes a query value.
pub fn query(s: &str) -> String {
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

/// What a figure's mark points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    /// An indicator's value (its id).
    Indicator(&'a str),
    /// One group's part of a grouped indicator (id, group key).
    Part(&'a str, &'a str),
    /// One record.
    Record(i64),
}

/// Reads a figure's mark.
pub fn target(mark: &str) -> Target<'_> {
    if let Some(id) = mark.strip_prefix("record:").and_then(|r| r.parse().ok()) {
        return Target::Record(id);
    }
    match mark.split_once('@') {
        Some((id, key)) => Target::Part(id, key),
        None => Target::Indicator(mark),
    }
}

/// The API's provenance links (the standalone preview's).
pub fn api_link(report: &Report, mark: &str) -> String {
    match target(mark) {
        Target::Record(id) => format!("/api/v1/records/{id}"),
        // `id@leader:7`: the figure of another scope (a leader's 分管).
        Target::Part(id, key) if key.contains(':') => format!(
            "/api/v1/indicators/{}?period={}&scope={}",
            query(id),
            query(&report.period),
            query(key)
        ),
        Target::Indicator(id) | Target::Part(id, _) => format!(
            "/api/v1/indicators/{}?period={}&scope={}",
            query(id),
            query(&report.period),
            query(&report.scope)
        ),
    }
}

fn inline(report: &Report, s: &str, link: &dyn Fn(&str) -> String) -> String {
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
        let title = report
            .figures
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| "查看来源记录".to_string(), |f| format!("{}：查看来源记录", f.name));
        out.push_str(&format!(
            "<a class=\"fig\" href=\"{}\" title=\"{}\" data-mark=\"{}\">{}</a>",
            escape(&link(id)),
            escape(&title),
            escape(id),
            escape(display)
        ));
        rest = &after[c + FIG_CLOSE.len_utf8()..];
    }
    out.push_str(&escape(rest));
    out
}

/// The report's blocks as HTML (`h1`/`h2`/`h3`/`p`), every text escaped and
/// every figure an `<a class="fig">` to `link(mark)`.
pub fn body(report: &Report, link: &dyn Fn(&str) -> String) -> String {
    let mut body = String::new();
    for b in &report.blocks {
        let (tag, t) = match b {
            Block::Title(t) => ("h1", t),
            Block::H1(t) => ("h2", t),
            Block::H2(t) => ("h3", t),
            Block::Para(t) => ("p", t),
            Block::Flush(t) => ("p class=\"flush\" style=\"text-indent:0;text-align:left\"", t),
            Block::Right(t) => (
                "p class=\"right\" style=\"text-indent:0;text-align:right;padding-right:4em\"",
                t,
            ),
            Block::Centre(t) => ("p class=\"centre\" style=\"text-indent:0;text-align:center\"", t),
        };
        let close = tag.split(' ').next().unwrap_or(tag);
        body.push_str(&format!("<{tag}>{}</{close}>\n", inline(report, t, link)));
    }
    body
}

/// The footer naming the chain head at generation (printed with the page).
fn chain_footer(report: &Report) -> String {
    match report.anchor_line() {
        Some(a) => format!(
            "<footer class=\"chain\">生成时变更日志链头：<span class=\"anchor\">{}</span>（核对：将此行存为文件，运行 lvzhi audit verify --anchor 文件）</footer>\n",
            escape(&a)
        ),
        None => String::new(),
    }
}

/// The whole preview page.
pub fn render(report: &Report) -> String {
    let title = report
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(crate::strip(t)),
            _ => None,
        })
        .unwrap_or_default();
    let body = body(report, &|m| api_link(report, m));
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody{{max-width:42em;margin:2em auto;font-family:\"FangSong\",\"仿宋_GB2312\",serif;font-size:16pt;line-height:1.8}}\nh1{{text-align:center;font-size:22pt}}\nh2{{font-family:\"SimHei\",\"黑体\",sans-serif;font-size:16pt}}\nh3{{font-family:\"KaiTi\",\"楷体_GB2312\",serif;font-size:16pt;font-weight:normal}}\np{{text-indent:2em;margin:0}}\na.fig{{color:inherit;text-decoration:underline dotted}}\nfooter.chain{{margin-top:3em;font-size:9pt;color:#555;word-break:break-all}}\n</style>\n</head>\n<body>\n{}{}</body>\n</html>\n",
        escape(&title),
        body,
        chain_footer(report)
    )
}
