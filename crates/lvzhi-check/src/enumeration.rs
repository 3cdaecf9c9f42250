//! Enumeration: a stated count that the listed items contradict.
//!
//! "木材、钢材、工程机械租赁3个专业市场" lists three items and says 3: it holds.
//! "事故起数、死亡人数、经济损失“四个下降”" lists three and says four: it does not.
//! Items are separated by 、 (outside quotes); a final 和/及/与 may join one more,
//! so both readings are accepted. A list ending in 等 is open and not counted.

use rust_decimal::prelude::ToPrimitive;

use crate::diag::Raw;
use crate::number::{Approx, Quantity, char_at, char_before, is_cjk, sl};

/// Classifiers that count the items of a list.
const COUNTERS: &[&str] = &["个", "项", "大", "类", "种", "方面", "条"];

/// Fixed terms holding a count that is not the count of a list before them.
const FIXED_TERMS: &[&str] = &[
    "铁人三项",
    "三大球",
    "五项原则",
    "八项规定",
    "两项补贴",
    "三项制度",
    "四项基本原则",
    "两个确立",
    "两个维护",
    "四个意识",
    "四个自信",
];

/// Words that, ending the last item, show it is a verb phrase whose object is the count.
const VERB_ENDINGS: &[&str] = &[
    "加快", "推进", "发挥", "坚定", "做到", "增强", "实现", "落实", "建设", "提出", "实施", "开展", "形成", "打造",
    "建成", "确定", "获得", "成为", "启动", "完成", "建立", "出台", "制定", "培育", "创建", "争创", "推动", "达到",
    "新增", "突破", "举办", "办好", "抓好", "深化", "坚持", "强化", "优化", "完善", "健全", "提升", "提高", "扩大",
    "促进", "支持", "聚焦", "紧扣", "围绕", "赋予", "实行", "贯彻", "部署", "谋划", "编制", "发布", "印发", "设立",
    "组建", "引进", "落地", "承办", "召开", "荣获", "获评", "入选", "连跨", "跨越", "迈上", "攻克", "破解",
];

/// Verbs that, anywhere in the last item, introduce a new object.
const VERBS_INSIDE: &[&str] = &["入选", "提出", "连跨", "获评", "列入", "纳入", "跻身", "位列", "荣获"];

/// The text from `n` chars before `start` to `n` chars after `end`.
fn window(text: &str, start: usize, end: usize, n: usize) -> &str {
    let before = sl(text, 0, start);
    let a = before.char_indices().rev().take(n).last().map_or(start, |(i, _)| i);
    let after = sl(text, end, text.len());
    let b = after.char_indices().nth(n).map_or(text.len(), |(i, _)| end + i);
    sl(text, a, b)
}

fn is_counter_char(c: char) -> bool {
    matches!(c, '个' | '项' | '大' | '类' | '种' | '条')
}

/// Chars that end a list on its left.
fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '；'
            | '：'
            | '！'
            | '？'
            | '\n'
            | '\r'
            | '（'
            | '）'
            | '('
            | ')'
            | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '《'
            | '》'
    )
}

/// Checks every small count that directly follows a list.
pub(crate) fn check(text: &str, qs: &[Quantity], out: &mut Vec<Raw>) {
    for q in qs {
        if !q.unit.is_some_and(|u| COUNTERS.contains(&u)) || q.approx != Approx::Exact || q.decimals != 0 {
            continue;
        }
        if q.value.fract() != rust_decimal::Decimal::ZERO {
            continue;
        }
        let Some(n) = q.value.to_u32() else { continue };
        if !(2..=12).contains(&n) {
            continue;
        }
        let mut list_end = q.start;
        // for a quoted count, where its quote closes (a list may follow it: “四个不摘”：…)
        let mut after_quote = None;
        match char_before(text, q.start) {
            Some(c @ ('“' | '‘' | '"')) => {
                // “四个下降”: the quote must close soon after the count
                list_end -= c.len_utf8();
                // 三个“十条”: the quote is counted by the count before it
                if char_before(text, list_end).is_some_and(|b| {
                    is_counter_char(b) || crate::number::is_cn_numeral(b) || matches!(b, '的' | '以' | '了')
                }) {
                    continue;
                }
                let tail = sl(text, q.end, text.len());
                let Some((at, close)) = tail.char_indices().take(8).find(|(_, c)| matches!(c, '”' | '’' | '"'))
                else {
                    continue;
                };
                after_quote = Some(q.end + at + close.len_utf8());
            }
            Some(c) if is_cjk(c) || c == '”' || c == '’' || c == '"' => {
                // 3个专业市场: a head noun must follow the classifier
                if !char_at(text, q.end).is_some_and(is_cjk) {
                    continue;
                }
                if matches!(
                    c,
                    '各' | '共'
                        | '均'
                        | '约'
                        | '达'
                        | '有'
                        | '为'
                        | '第'
                        | '和'
                        | '及'
                        | '与'
                        | '等'
                        | '是'
                        | '的'
                        | '以'
                        | '了'
                ) {
                    continue;
                }
            }
            _ => continue,
        }
        // fixed terms that hold a count: 铁人三项, 五项原则, 八项规定…
        let win = window(text, q.start, q.end, 4);
        if FIXED_TERMS.iter().any(|t| win.contains(t)) {
            continue;
        }
        // a list right after the quote (“三个一批”，即新建一批、改造一批…) is the one counted
        let (items, conj, side) = match after_quote.and_then(|p| items_after(text, p)) {
            Some((items, conj)) => (items, conj, "后面"),
            None => {
                let Some((items, conj)) = list_items(text, list_end) else {
                    continue;
                };
                (items, conj, "前面")
            }
        };
        let listed = items.len() as u32;
        if n >= listed && n <= listed + conj {
            continue;
        }
        let shown: Vec<&str> = items.iter().map(|s| s.trim_start_matches(['“', '‘'])).collect();
        let msg = format!(
            "列举项数与所述数量不符：{side}列举了{listed}项（{}），文中称“{}”",
            shown.join("、"),
            sl(text, q.start, q.end)
        );
        out.push(
            Raw::error("enumeration.count", q.start, q.end, msg)
                .with_figures(format!("{listed}"), sl(text, q.start, q.end).to_string()),
        );
    }
}

/// The items of a list ending at `end`, and how many of them hold a joining 和/及/与.
/// `None` when the text before `end` is not a plain closed list.
fn list_items(text: &str, end: usize) -> Option<(Vec<&str>, u32)> {
    let head = sl(text, 0, end);
    // walk back to the boundary, at most 120 chars
    let mut start = end;
    let mut depth = 0i32;
    for (steps, (i, c)) in head.char_indices().rev().enumerate() {
        if steps > 120 {
            return None;
        }
        match c {
            '”' | '’' => depth += 1,
            '“' | '‘' => depth -= 1,
            _ => {}
        }
        if depth <= 0 && is_boundary(c) {
            break;
        }
        start = i;
    }
    let seg = sl(text, start, end);
    if seg
        .chars()
        .any(|c| c.is_ascii_digit() || crate::number::digit_value(c).is_some())
    {
        return None;
    }
    // split at 、 outside quotes
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut item_start = 0usize;
    for (i, c) in seg.char_indices() {
        match c {
            '“' | '‘' => depth += 1,
            '”' | '’' => depth -= 1,
            '、' if depth <= 0 => {
                items.push(seg.get(item_start..i).unwrap_or(""));
                item_start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    items.push(seg.get(item_start..).unwrap_or(""));
    if items.len() < 2 || items.iter().any(|s| s.trim().is_empty()) {
        return None;
    }
    // an open list (…等), or items that carry their own quoted objects (增强“四个意识”、坚定…)
    if items.iter().any(|s| s.contains('等')) {
        return None;
    }
    let quoted_whole = |s: &str| {
        let t = s.trim();
        (t.starts_with('“') && t.ends_with('”') || t.starts_with('‘') && t.ends_with('’'))
            && t.matches(['“', '‘']).count() == 1
    };
    // “一河一策”、“一湖一策”两项制度: quoted names are items; the first item may
    // carry the verb before its quote (坚持“一河一策”) when all the others are quoted names
    let others_quoted = items[1..].iter().all(|s| quoted_whole(s));
    let first_ok = |s: &str| others_quoted && s.trim_end().ends_with(['”', '’']) && s.matches(['“', '‘']).count() == 1;
    if items
        .iter()
        .enumerate()
        .any(|(i, s)| s.contains(['“', '”', '‘', '’', '"']) && !quoted_whole(s) && !(i == 0 && first_ok(s)))
    {
        return None;
    }
    // a Chinese count inside the list (扩消费六大工程、城建…) makes it a list of its own
    if seg
        .chars()
        .zip(seg.chars().skip(1))
        .any(|(a, b)| crate::number::cn_digit(a).is_some() && is_counter_char(b))
    {
        return None;
    }
    let last_i = items.len() - 1;
    for (i, s) in items.iter().enumerate() {
        let len = s.chars().count();
        if i > 0 && len > 12 {
            return None;
        }
    }
    let last = items[last_i];
    if VERB_ENDINGS.iter().any(|v| last.ends_with(v)) || VERBS_INSIDE.iter().any(|v| last.contains(v)) {
        return None;
    }
    let conj = joined(&items);
    Some((items, conj))
}

/// How many items hold a joining 和/及/与 (each may stand for two).
fn joined(items: &[&str]) -> u32 {
    items
        .iter()
        .filter(|s| {
            ["和", "及", "与", "以及", "并"]
                .iter()
                .any(|w| s.get(3..).is_some_and(|rest| rest.contains(w)))
        })
        .count() as u32
}

/// The items of a list introduced right after a closing quote at `pos`
/// (“四个不摘”：A、B、C、D。 / “三个一批”，即A、B、C。), up to the sentence end,
/// and how many hold a joining 和/及/与. `None` when no closed list of plain items follows.
fn items_after(text: &str, pos: usize) -> Option<(Vec<&str>, u32)> {
    let rest = sl(text, pos, text.len());
    let body = ["：", "，即：", "，即", "，包括", "，分别是", ":"]
        .iter()
        .find_map(|w| rest.strip_prefix(w))?;
    // 即将, 即使, 即可: not "that is"
    if body.starts_with(['将', '使', '可', '便', '时', '刻']) {
        return None;
    }
    let mut end = 0;
    for (steps, (i, c)) in body.char_indices().enumerate() {
        if steps > 200 {
            return None;
        }
        if crate::number::is_sentence_end(c) || c == '；' || c == ';' {
            break;
        }
        end = i + c.len_utf8();
    }
    let seg = body.get(..end)?;
    if seg
        .chars()
        .any(|c| crate::number::digit_value(c).is_some() || c == '，' || c == '（')
    {
        return None;
    }
    let items: Vec<&str> = seg.split('、').collect();
    if items.len() < 2
        || items.iter().any(|s| s.trim().is_empty() || s.chars().count() > 16)
        || items.iter().any(|s| s.contains('等'))
    {
        return None;
    }
    let conj = joined(&items);
    Some((items, conj))
}

#[cfg(test)]
mod tests {
    use crate::check;

    fn enum_diags(text: &str) -> Vec<String> {
        check(text)
            .into_iter()
            .filter(|d| d.family() == "enumeration")
            .map(|d| d.text)
            .collect()
    }

    #[test]
    fn counts() {
        assert!(enum_diags("目前木材、钢材、工程机械租赁3个专业市场已基本建成。").is_empty());
        assert_eq!(
            enum_diags("目前木材、钢材、工程机械租赁2个专业市场已基本建成。"),
            vec!["2个"]
        );
        assert!(enum_diags("实现事故起数、死亡人数、受伤人数和经济损失“四个下降”。").is_empty());
        assert_eq!(enum_diags("实现事故起数、死亡人数、经济损失“四个下降”。"), vec!["四个"]);
        assert!(enum_diags("集成电路、生物医药、人工智能三大先导产业规模突破2万亿元。").is_empty());
        assert!(enum_diags("带领发改、商务、住建等3个部门。").is_empty());
        assert!(enum_diags("一、二类企业").is_empty());
        assert!(enum_diags("坚持“一河一策”、“一湖一策”两项制度。").is_empty());
        assert_eq!(enum_diags("坚持“一河一策”、“一湖一策”三类制度。"), vec!["三类"]);
        // lists of verb phrases with their own quoted objects, and fixed terms
        assert!(enum_diags("增强“四个意识”、坚定“四个自信”、做到“两个维护”。").is_empty());
        assert!(enum_diags("推出扩大内需、促进经济增长的十项措施。").is_empty());
        assert!(enum_diags("围绕增速、结构、效率提出5项指标。").is_empty());
        assert!(enum_diags("办好混合团体世界杯、铁人三项世界杯。").is_empty());
        assert!(enum_diags("制定实施大气、水、土壤污染防治三个“十条”。").is_empty());
    }
}
