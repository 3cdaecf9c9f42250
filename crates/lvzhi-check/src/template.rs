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
                b'*' | b'X' | b'x' | b'_' | b'(' | b'%' | b'#' | b'{' | b'$' | b'<' | b'&' | b' '
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
                // a single X where a number or a name belongs: X个, Ｘ%, Ｘ县
                let single = n == 1
                    && (slot_follows(text, end)
                        || matches!(c, 'Ｘ' | 'ｘ') && after.is_some_and(|a| NAME_SLOT_SUFFIX.contains(a)));
                if (n >= 2 || single) && !glued(before) && !glued(after) {
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
                    // ×县, ×镇, ×万元: a single × is a slot only before a CJK char ("数据要素×" is a
                    // programme's name), and not in a formula (补助标准×人数=补助资金)
                    !digitish(before)
                        && (after.is_some_and(is_cjk) || slot_follows(text, end))
                        && !sl(text, 0, i).ends_with("要素")
                        && !in_formula(text, i, end)
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
            '○' | '□' | '△' => {
                let end = run_end(text, i, c);
                let before = char_before(text, i);
                // ○ written for zero between Chinese numerals (二○二五年) is not a slot
                let zero = c == '○'
                    && (before.is_some_and(|b| cn_digit(b).is_some())
                        || char_at(text, end).is_some_and(|a| cn_digit(a).is_some()));
                // a single one where a number belongs (建成○个); a ○ bullet opens a line before a word
                let single =
                    end - i == len && slot_follows(text, end) && before.is_none_or(|b| digit_value(b).is_none());
                if (end - i >= 2 * len || single) && !zero {
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
                // a single ＿ where a number belongs: 投资＿万元
                let single = c == '＿' && n == 1 && slot_follows(text, end);
                if (n >= min || single) && !hr {
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
            '亿' | '万' => {
                missing_amount(text, i, out);
            }
            ' ' | '\u{3000}' => {
                i = bare_space(text, i, out);
                continue;
            }
            '，' | '、' | '。' | '；' => {
                missing_count(text, i, out);
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

/// Chars before 万/亿 that make the magnitude a word of its own, not a figure
/// with its digits gone: 超亿元, 过亿元, 近万元, 数亿元, 每万元, 上万元…
const MAGNITUDE_WORDS: &str = "超过上近逾数几破余多每单约个第";

/// Idioms that end in a magnitude and a unit: not a figure with its digits gone.
const MAGNITUDE_IDIOMS: &[&str] = &["千家万户", "千门万户", "万家", "万户侯"];

/// 资金达亿元、进出口亿元、完成了万元、转移就业万人 — a magnitude and unit after a
/// verb, a noun or a preposition, with no number before them. Not 万元以上, 亿元级,
/// 千亿元产业, 万元GDP能耗 (something follows), nor 超亿元, 每万元 (a word before).
fn missing_amount(text: &str, i: usize, out: &mut Vec<Raw>) {
    let Some((len, _)) = crate::number::magnitude_unit_at(sl(text, i, text.len())) else {
        return;
    };
    let end = i + len;
    let after = char_at(text, end);
    if !after.is_none_or(|c| is_clause_sep(c) || is_sentence_end(c) || c == '的') {
        return;
    }
    let Some(start) = slot_start(text, i) else { return };
    let before = sl(text, 0, i);
    if !MAGNITUDE_WORDS.contains(char_before(before, before.len()).unwrap_or(' '))
        && !MAGNITUDE_IDIOMS.iter().any(|w| sl(text, 0, end).ends_with(w))
    {
        let unit = sl(text, i, end);
        let what = if unit.ends_with('元') { "金额" } else { "数值" };
        out.push(Raw::error(
            "placeholder.missing-number",
            start,
            end,
            format!("缺少数字：“{unit}”前没有填写{what}"),
        ));
    }
}

/// Where a number's slot before byte offset `i` starts: at `i` after a CJK word
/// char, or at the spaces left where the number was ("增长 %"). `None` when a
/// digit, a numeral, punctuation or the line start comes before.
fn slot_start(text: &str, i: usize) -> Option<usize> {
    let head = sl(text, 0, i);
    let trimmed = head.trim_end_matches([' ', '\u{3000}']);
    if head.len() - trimmed.len() > 3 * '\u{3000}'.len_utf8() {
        return None;
    }
    let p = trimmed.chars().next_back()?;
    (is_cjk(p) && !crate::number::is_cn_numeral(p)).then_some(trimmed.len())
}

/// Units a number's slot is checked before: money, shares, counts, measures.
const SLOT_UNITS: &[&str] = &[
    "元",
    "美元",
    "%",
    "％",
    "‰",
    "个百分点",
    "百分点",
    "倍",
    "人次",
    "户次",
    "人",
    "名",
    "个",
    "项",
    "件",
    "户",
    "家",
    "条",
    "处",
    "所",
    "座",
    "辆",
    "台",
    "套",
    "宗",
    "批",
    "笔",
    "例",
    "吨",
    "亩",
    "公里",
    "平方米",
    "平方公里",
    "公顷",
    "立方米",
    "千瓦",
    "千瓦时",
];

/// Whether a number's slot follows `end`: an optional magnitude and a unit of
/// [`SLOT_UNITS`] that does not begin a word (个人, 项目, 人员 are words).
fn slot_follows(text: &str, end: usize) -> bool {
    let rest = sl(text, end, text.len());
    let Some((len, _)) = crate::number::magnitude_unit_at(rest) else {
        return false;
    };
    let written = rest.get(..len).unwrap_or("");
    let unit = written.trim_start_matches(['万', '亿', '千', '百']);
    if !SLOT_UNITS.contains(&unit) {
        return false;
    }
    unit.len() != written.len() || !crate::repetition::WORD_STARTS.iter().any(|w| rest.starts_with(w))
}

/// Chars after a single full-width Ｘ that make it a name's slot (Ｘ县, Ｘ镇).
const NAME_SLOT_SUFFIX: &str = "县镇乡村市区局委办组";

/// Whether the `×` at `i..end` is a multiplication sign in a formula written in
/// words (补助标准×补助人数=补助资金, 按单价×面积计算).
fn in_formula(text: &str, i: usize, end: usize) -> bool {
    let is_stop = |c: char| is_sentence_end(c) || matches!(c, '，' | '；' | ',' | ';');
    let before = crate::number::back_until(text, i, 30, is_stop);
    let after: String = sl(text, end, text.len())
        .chars()
        .take(30)
        .take_while(|c| !is_stop(*c))
        .collect();
    let clause = format!("{before}{after}");
    ["=", "＝", "÷", "计算", "核定", "测算", "乘以", "公式", "系数"]
        .iter()
        .any(|w| clause.contains(w))
}

/// A run of spaces where a number belongs: "增长 %", "完成投资　万元", "建成 个".
/// Returns the byte offset after the run.
fn bare_space(text: &str, i: usize, out: &mut Vec<Raw>) -> usize {
    let end = run_end_any(text, i, &[' ', '\u{3000}']);
    let Some(p) = char_before(text, i) else { return end };
    if end - i > 9 || !is_cjk(p) || crate::number::is_cn_numeral(p) {
        return end;
    }
    let rest = sl(text, end, text.len());
    // 万元/亿元 after spaces are the magnitude branch's; here % and units without magnitude
    if rest.starts_with(['万', '亿']) || !slot_follows(text, end) {
        return end;
    }
    let Some((len, _)) = crate::number::magnitude_unit_at(rest) else {
        return end;
    };
    let unit_end = end + len;
    // a unit must end its phrase (建成 个，) — else it is a word after a space, or a
    // letter-spaced heading (个 人 总 结, 重 点 项 目)
    let unit = sl(text, end, unit_end);
    let tail = char_at(text, unit_end);
    let closed = tail.is_none_or(|c| is_clause_sep(c) || is_sentence_end(c) || matches!(c, '的' | '）' | ')'));
    if !matches!(unit, "%" | "％" | "‰") && !closed {
        return end;
    }
    let span = sl(text, i, unit_end);
    out.push(Raw::error(
        "placeholder.missing-number",
        i,
        unit_end,
        format!(
            "缺少数字：“{unit}”前只有空格“{}”，应填写数值",
            span.trim_end_matches(unit)
        ),
    ));
    unit_end
}

/// Verbs after which a count unit must have a number: 新增个、, 受理件，
const COUNT_VERBS: &[&str] = &[
    "新增", "建成", "完成", "培育", "引进", "实施", "开工", "投产", "受理", "办结", "排查", "整改", "创建", "认定",
    "发放", "接待", "签约", "共计", "合计", "累计", "共有", "达到", "实现", "开展", "举办", "查处", "立案", "化解",
    "调处", "新建", "改造", "帮扶", "救助",
];

/// Count units checked after [`COUNT_VERBS`] (not 人, 户, 家: 负责人, 帮扶户, 专家 are nouns).
const BARE_COUNT_UNITS: &[&str] = &[
    "个", "项", "件", "所", "座", "处", "宗", "批", "场", "条", "人次", "户次", "家次",
];

/// 新增个、受理件， — a count unit right after a verb and before a separator at `sep`.
fn missing_count(text: &str, sep: usize, out: &mut Vec<Raw>) {
    // quick test on the last char first: separators are frequent
    if !char_before(text, sep).is_some_and(|c| {
        matches!(
            c,
            '个' | '项' | '件' | '所' | '座' | '处' | '宗' | '批' | '场' | '条' | '次'
        )
    }) {
        return;
    }
    let head = sl(text, 0, sep);
    let Some(&unit) = BARE_COUNT_UNITS.iter().rev().find(|u| head.ends_with(**u)) else {
        return;
    };
    let ustart = sep - unit.len();
    let head = sl(text, 0, ustart);
    let head = head.strip_suffix('了').unwrap_or(head);
    // 个 after a noun (新增市场主体个，) — but not 这个, 各个, 整个, 几个…
    let noun_ge = unit == "个"
        && char_before(head, head.len()).is_some_and(|c| {
            is_cjk(c) && !crate::number::is_cn_numeral(c) && !"这那各整每某哪几真半单些两多余来个逐".contains(c)
        });
    if noun_ge || COUNT_VERBS.iter().any(|v| head.ends_with(v)) {
        out.push(Raw::error(
            "placeholder.missing-number",
            ustart,
            sep,
            format!("缺少数字：“{unit}”前没有填写数量"),
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
