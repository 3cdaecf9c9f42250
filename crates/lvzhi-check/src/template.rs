//! Template defects: unfilled placeholders and residue left by a document
//! platform or a template engine.
//!
//! Placeholders: `**`, `*`, `XX`, `××`, `×`, `___`, `【】`, `（　）`, `○○`, `□□`, and a
//! percent sign or an amount unit whose number is missing ("12.67亿元的%").
//! Residue: `##paidbegin##`-style platform markers, unrendered template tags
//! (`{{ x }}`, `{% if %}`, `${x}`), HTML tags and entities, and the page
//! navigation a web page leaves when its text is copied (下载/打印/【字号：…】).

use crate::diag::Raw;
use crate::number::{char_at, char_before, cn_digit, digit_value, is_cjk, is_clause_sep, is_sentence_end, sl};

/// Prefixes of the three-byte chars this module looks at: E2 80 (‰), E2 96/97
/// (□ ○), E3 80 (【), E4 B8 / E4 BA (万 亿), EF BC / EF BD (Ｘ ｘ ＿ （ ％).
static TEMPLATE_PAIRS: crate::number::PairSet = crate::number::pair_set(&[
    (0xE2, 0x80),
    (0xE2, 0x96),
    (0xE2, 0x97),
    (0xE3, 0x80),
    (0xE4, 0xB8),
    (0xE4, 0xBA),
    (0xEF, 0xBC),
    (0xEF, 0xBD),
]);

/// Checks placeholders and residue. `markdown` relaxes the rules for `*`, `_`
/// and HTML that Markdown gives a meaning.
pub(crate) fn check(text: &str, markdown: bool, out: &mut Vec<Raw>) {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    // byte offset before which `*` runs were consumed as Markdown emphasis
    let mut skip_until = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        // Only ASCII and chars led by C3 (×), E2 (○□‰), E3 (【), E4 (亿万) or EF
        // (full-width forms) can start a finding; skip the others undecoded.
        let c = if b < 0x80 {
            if !matches!(
                b,
                b'*' | b'X' | b'x' | b'_' | b'(' | b'%' | b'#' | b'{' | b'$' | b'<' | b'&'
            ) {
                i += 1;
                continue;
            }
            b as char
        } else if b == 0xC3 && bytes.get(i + 1) == Some(&0x97) {
            '×'
        } else if (0xE0..0xF0).contains(&b)
            && crate::number::pair_in(&TEMPLATE_PAIRS, b, bytes.get(i + 1).copied().unwrap_or(0))
        {
            match crate::number::decode3(bytes, i) {
                Some(c) => c,
                None => {
                    i += 1;
                    continue;
                }
            }
        } else {
            i += crate::number::utf8_len(b);
            continue;
        };
        let len = c.len_utf8();
        match c {
            '*' => {
                let end = run_end(text, i, '*');
                if i >= skip_until {
                    if markdown && let Some(close_end) = markdown_star(text, i, end) {
                        skip_until = close_end;
                        i = end;
                        continue;
                    }
                    let n = end - i;
                    let operator = n == 1 && around_digits(text, i, end);
                    if !operator {
                        let span = sl(text, i, end);
                        out.push(Raw::error(
                            "placeholder.mask",
                            i,
                            end,
                            format!("未填写的占位符“{span}”：此处应填入实际内容"),
                        ));
                    }
                }
                i = end;
                continue;
            }
            'X' | 'x' | 'Ｘ' | 'ｘ' => {
                let end = run_end_any(text, i, &['X', 'x', 'Ｘ', 'ｘ']);
                let n = sl(text, i, end).chars().count();
                let before = char_before(text, i);
                let after = char_at(text, end);
                let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if n >= 2 && !glued(before) && !glued(after) {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "placeholder.mask",
                        i,
                        end,
                        format!("未填写的占位符“{span}”：此处应填入实际名称或数字"),
                    ));
                }
                i = end;
                continue;
            }
            '×' => {
                let end = run_end(text, i, '×');
                let n = (end - i) / len;
                let flag = if n >= 2 {
                    true
                } else {
                    let before = char_before(text, i);
                    let after = char_at(text, end);
                    let digitish = |c: Option<char>| {
                        c.is_some_and(|c| {
                            digit_value(c).is_some()
                                || c.is_ascii_alphanumeric()
                                || c == ' '
                                || c == ')'
                                || c == '）'
                                || c == '('
                                || c == '（'
                        })
                    };
                    // ×县, ×镇: a single × is a slot only before a CJK char ("数据要素×" is a programme's name)
                    !digitish(before) && after.is_some_and(is_cjk) && !sl(text, 0, i).ends_with("要素")
                };
                if flag {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "placeholder.mask",
                        i,
                        end,
                        format!("未填写的占位符“{span}”：此处应填入实际名称或数字"),
                    ));
                }
                i = end;
                continue;
            }
            '○' | '□' => {
                let end = run_end(text, i, c);
                if end - i >= 2 * len {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "placeholder.mask",
                        i,
                        end,
                        format!("未填写的占位符“{span}”：此处应填入实际内容"),
                    ));
                }
                i = end;
                continue;
            }
            '_' | '＿' => {
                let end = run_end(text, i, c);
                let n = (end - i) / len;
                let min = if c == '_' { 3 } else { 2 };
                let hr = markdown && line_is_only(text, i, end);
                if n >= min && !hr {
                    out.push(Raw::error(
                        "placeholder.blank",
                        i,
                        end,
                        "未填写的空白“___”：此处应填入实际内容".to_string(),
                    ));
                }
                i = end;
                continue;
            }
            '【' | '（' | '(' => {
                let close = match c {
                    '【' => '】',
                    '（' => '）',
                    _ => ')',
                };
                let rest = sl(text, i + len, text.len());
                let inner_len: usize = rest
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\u{3000}' || *c == '\t')
                    .map(char::len_utf8)
                    .sum();
                if rest.get(inner_len..).is_some_and(|r| r.starts_with(close))
                    && (c == '【' || inner_len > 0 || c == '（')
                {
                    let end = i + len + inner_len + close.len_utf8();
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "placeholder.blank",
                        i,
                        end,
                        format!("未填写的空白“{span}”：此处应填入实际内容"),
                    ));
                    i = end;
                    continue;
                }
            }
            '%' | '％' | '‰' => {
                if let Some(p) = char_before(text, i)
                    && is_cjk(p)
                    && cn_digit(p).is_none()
                    && !matches!(p, '十' | '百' | '千' | '万' | '亿')
                {
                    out.push(Raw::error(
                        "placeholder.missing-number",
                        i,
                        i + len,
                        format!("缺少数字：“{c}”前没有填写数值"),
                    ));
                }
            }
            '亿' | '万' if text.get(i + len..).is_some_and(|r| r.starts_with('元')) => {
                missing_amount(text, i, out);
            }
            '#' if !markdown
                || text
                    .get(i..)
                    .is_some_and(|r| r.starts_with("##") && !r.starts_with("## ")) =>
            {
                if let Some(end) = platform_marker(text, i) {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "residue.marker",
                        i,
                        end,
                        format!("文档平台残留标记“{span}”：应删除"),
                    ));
                    i = end;
                    continue;
                }
            }
            '{' | '$' => {
                if let Some(end) = template_tag(text, i) {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "residue.template",
                        i,
                        end,
                        format!("未渲染的模板标记“{span}”：应替换为实际内容"),
                    ));
                    i = end;
                    continue;
                }
            }
            '<' if !markdown => {
                if let Some(end) = html_tag(text, i) {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "residue.markup",
                        i,
                        end,
                        format!("网页代码残留“{span}”：应删除"),
                    ));
                    i = end;
                    continue;
                }
            }
            '&' if !markdown => {
                if let Some(end) = html_entity(text, i) {
                    let span = sl(text, i, end);
                    out.push(Raw::error(
                        "residue.markup",
                        i,
                        end,
                        format!("网页代码残留“{span}”：应删除"),
                    ));
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += len;
    }
    page_navigation(text, out);
}

/// End of a run of `c` starting at `i`.
fn run_end(text: &str, mut i: usize, c: char) -> usize {
    while char_at(text, i) == Some(c) {
        i += c.len_utf8();
    }
    i
}

fn run_end_any(text: &str, mut i: usize, cs: &[char]) -> usize {
    while let Some(c) = char_at(text, i) {
        if cs.contains(&c) {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Whether a single char at `i..end` stands between digits (3*4, 2 * 5): an operator.
fn around_digits(text: &str, i: usize, end: usize) -> bool {
    let before = sl(text, 0, i).trim_end_matches(' ').chars().next_back();
    let after = sl(text, end, text.len()).trim_start_matches(' ').chars().next();
    before.is_some_and(|c| digit_value(c).is_some()) && after.is_some_and(|c| digit_value(c).is_some())
}

/// Whether the run `i..end` is alone on its line (besides spaces).
fn line_is_only(text: &str, i: usize, end: usize) -> bool {
    let ls = sl(text, 0, i).rfind('\n').map_or(0, |p| p + 1);
    let le = sl(text, end, text.len()).find('\n').map_or(text.len(), |p| end + p);
    let line = sl(text, ls, le);
    let c = char_at(text, i);
    line.chars().all(|x| x.is_whitespace() || Some(x) == c)
}

/// In Markdown, a `*` run that is a bullet, a rule, or opens emphasis closed on
/// the same line. Returns the byte offset after the closing run (or the run itself).
fn markdown_star(text: &str, i: usize, end: usize) -> Option<usize> {
    if line_is_only(text, i, end) && end - i >= 3 {
        return Some(end);
    }
    let before = char_before(text, i);
    let after = char_at(text, end);
    let ls = sl(text, 0, i).rfind('\n').map_or(0, |p| p + 1);
    let at_line_start = sl(text, ls, i).chars().all(char::is_whitespace);
    if end - i == 1 && at_line_start && after.is_some_and(char::is_whitespace) {
        return Some(end);
    }
    let opens = before.is_none_or(|c| c.is_whitespace() || is_punct(c)) && after.is_some_and(|c| !c.is_whitespace());
    if !opens {
        return None;
    }
    let n = end - i;
    let line_end = sl(text, end, text.len()).find('\n').map_or(text.len(), |p| end + p);
    let line = sl(text, end, line_end);
    let delim = sl(text, i, end);
    let mut from = 0usize;
    while let Some(p) = line.get(from..).and_then(|r| r.find(delim)) {
        let abs = end + from + p;
        let close_end = run_end(text, abs, '*');
        let inner_last = char_before(text, abs);
        if close_end - abs == n && abs > end && inner_last.is_some_and(|c| !c.is_whitespace()) {
            return Some(close_end);
        }
        from += p + (close_end - abs).max(1);
    }
    None
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() || is_clause_sep(c) || is_sentence_end(c) || "“”‘’《》（）【】「」".contains(c)
}

/// Verbs after which 亿元/万元 must have a number.
const AMOUNT_VERBS: &[&str] = &[
    "完成", "达到", "实现", "增收", "资金", "经费", "总额", "产值", "金额", "规模", "减收", "增加", "减少", "投资",
    "投入", "争取", "累计", "共计", "合计", "总计", "到位", "拨付", "筹措", "落实", "下降", "增长", "挽回", "收入",
    "支出",
];

/// 完成亿元， — an amount unit after a verb, with no number.
fn missing_amount(text: &str, i: usize, out: &mut Vec<Raw>) {
    let end = i + "亿元".len();
    let after = char_at(text, end);
    if !after.is_some_and(|c| is_clause_sep(c) || is_sentence_end(c) || c == '的') {
        return;
    }
    let before = sl(text, 0, i);
    if AMOUNT_VERBS.iter().any(|v| before.ends_with(v)) {
        let unit = sl(text, i, end);
        out.push(Raw::error(
            "placeholder.missing-number",
            i,
            end,
            format!("缺少数字：“{unit}”前没有填写金额"),
        ));
    }
}

/// `##word##` with an ASCII word of at most 40 chars.
fn platform_marker(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    let inner = rest.strip_prefix("##")?;
    let n = inner
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    if n == 0 || n > 40 || !inner.get(n..)?.starts_with("##") {
        return None;
    }
    Some(i + 2 + n + 2)
}

/// `{{ … }}`, `{% … %}`, `{# … #}`, `${…}` on one line, at most 200 bytes.
fn template_tag(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    let (open, close) = if rest.starts_with("{{") {
        ("{{", "}}")
    } else if rest.starts_with("{%") {
        ("{%", "%}")
    } else if rest.starts_with("{#") {
        ("{#", "#}")
    } else if rest.starts_with("${") {
        ("${", "}")
    } else {
        return None;
    };
    let body = rest.get(open.len()..)?;
    let limit = body
        .char_indices()
        .take_while(|(p, c)| *p < 200 && *c != '\n')
        .last()
        .map_or(0, |(p, c)| p + c.len_utf8());
    let p = body.get(..limit)?.find(close)?;
    let inner = body.get(..p)?;
    if inner.trim().is_empty() && open != "{{" {
        return None;
    }
    Some(i + open.len() + p + close.len())
}

/// An HTML tag of a known name: `<p>`, `</div>`, `<br/>`, `<span class="x">`.
fn html_tag(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i + 1..)?;
    let rest2 = rest.strip_prefix('/').unwrap_or(rest);
    let name_len = rest2.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = rest2.get(..name_len)?.to_ascii_lowercase();
    const TAGS: &[&str] = &[
        "p", "br", "div", "span", "strong", "b", "i", "em", "font", "table", "tr", "td", "th", "img", "a", "ul", "li",
        "ol", "h1", "h2", "h3", "section", "sup", "sub", "u",
    ];
    if !TAGS.contains(&name.as_str()) {
        return None;
    }
    let after = rest2.get(name_len..)?;
    let first = after.chars().next()?;
    if !(first == '>' || first == ' ' || first == '/') {
        return None;
    }
    let close = after
        .char_indices()
        .take_while(|(p, c)| *p < 300 && *c != '\n' && *c != '<')
        .find(|(_, c)| *c == '>')?
        .0;
    Some(i + 1 + (rest.len() - rest2.len()) + name_len + close + 1)
}

/// `&nbsp;`, `&lt;`, `&#12288;` …
fn html_entity(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    for e in [
        "&nbsp;", "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&ldquo;", "&rdquo;", "&mdash;", "&hellip;", "&middot;",
    ] {
        if rest.starts_with(e) {
            return Some(i + e.len());
        }
    }
    let body = rest.strip_prefix("&#")?;
    let n = body.bytes().take_while(|b| b.is_ascii_alphanumeric()).count();
    if n > 0 && n <= 7 && body.get(n..)?.starts_with(';') {
        return Some(i + 2 + n + 1);
    }
    None
}

/// Lines that are only the controls of the web page the text was copied from.
const NAV_LINES: &[&str] = &[
    "下载",
    "打印",
    "全屏",
    "收藏",
    "分享",
    "关闭",
    "关闭窗口",
    "返回顶部",
    "打印本页",
    "【字号：",
    "字号：",
    "加大",
    "还原",
    "减小",
    "【打印】",
    "【关闭】",
];

fn page_navigation(text: &str, out: &mut Vec<Raw>) {
    let mut start = 0usize;
    let mut run: Vec<(usize, usize)> = Vec::new();
    let flush = |run: &mut Vec<(usize, usize)>, out: &mut Vec<Raw>| {
        // a single word alone on a line may be a heading; two or more in a row are page controls
        if run.len() >= 2 {
            for (s, e) in run.iter() {
                let span = sl(text, *s, *e);
                out.push(Raw::warning(
                    "residue.page",
                    *s,
                    *e,
                    format!("网页导航残留“{span}”：复制网页时带入，应删除"),
                ));
            }
        }
        run.clear();
    };
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if !trimmed.is_empty() && NAV_LINES.contains(&trimmed) {
            let lead = content.len() - content.trim_start().len();
            run.push((start + lead, start + lead + trimmed.len()));
        } else if !trimmed.is_empty() {
            flush(&mut run, out);
        }
        start += line.len();
    }
    flush(&mut run, out);
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check, check_with};

    fn spans(text: &str, family: &str) -> Vec<(&'static str, String)> {
        check(text)
            .into_iter()
            .filter(|d| d.family() == family)
            .map(|d| (d.code, d.text))
            .collect()
    }

    #[test]
    fn placeholders() {
        let t =
            "破案率达到**%，抓获成员*人，对**河进行巡河，XX县、××镇、×村，签字：___，【】，（　），○○同志，□□单位。";
        let s: Vec<String> = spans(t, "placeholder").into_iter().map(|x| x.1).collect();
        assert_eq!(
            s,
            vec!["**", "*", "**", "XX", "××", "×", "___", "【】", "（　）", "○○", "□□"]
        );
        assert!(
            spans(
                "面积3×4米，2*3=6，X射线，XXL号，二〇〇八年，Windows XP，“数据要素×”行动，数据要素×行动",
                "placeholder"
            )
            .is_empty()
        );
    }

    #[test]
    fn missing_numbers() {
        assert_eq!(
            spans("完成全年任务12.67亿元的%，", "placeholder"),
            vec![("placeholder.missing-number", "%".to_string())]
        );
        assert_eq!(
            spans("全年实现增长%。", "placeholder"),
            vec![("placeholder.missing-number", "%".to_string())]
        );
        assert_eq!(
            spans("争取资金亿元，", "placeholder"),
            vec![("placeholder.missing-number", "亿元".to_string())]
        );
        assert!(spans("增速（%），每万元地区生产总值能耗下降，百亿元级产业", "placeholder").is_empty());
    }

    #[test]
    fn residue() {
        let t = "分管招商##paidbegin##引资工作。\n##paidend##\n{{ leader_name }}同志，{% if x %}，&nbsp;<p>";
        let s = spans(t, "residue");
        let texts: Vec<&str> = s.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "##paidbegin##",
                "##paidend##",
                "{{ leader_name }}",
                "{% if x %}",
                "&nbsp;",
                "<p>"
            ]
        );
        let nav = spans("下载\n打印\n全屏\n2026年工作报告\n", "residue");
        assert_eq!(nav.len(), 3);
        assert!(spans("一、下载\n", "residue").is_empty());
    }

    #[test]
    fn markdown_mode() {
        let md = "## 一、工作\n**一是注重理论武装。**认真学习。\n* 列表项\n---\n***\n";
        let d = check_with(md, &CheckOptions { markdown: true });
        assert!(
            d.iter().all(|d| d.family() != "placeholder" && d.family() != "residue"),
            "{d:?}"
        );
        let d = check_with("立案**起、下降**%", &CheckOptions { markdown: true });
        assert_eq!(d.iter().filter(|d| d.code == "placeholder.mask").count(), 2);
    }
}
