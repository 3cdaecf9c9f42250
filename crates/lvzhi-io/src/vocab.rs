//! Reading a header the way a county clerk writes it, and scoring how alike it
//! is to a field's label or alias.
//!
//! Both sides go through [`Matcher::forms`]: blanks and required-marks out,
//! bracketed remarks and trailing units out ("总投资（万元）" → "总投资"), a
//! year or month range made general ("2026年计划投资" → "年度计划投资",
//! "1-10月累计完成投资" → "累计完成投资"), the pack's synonyms read as their
//! group's first word (治理 → 整改, 受案 → 受理), fillers dropped, and a header
//! joining two names ("治理责任单位或部门") read as each of them.
//!
//! [`Matcher::score`] then says how alike two forms are, 0–100:
//! * the same: 100;
//! * the header ends with the name (Chinese puts the head noun last, so
//!   "计划整改期限" is a kind of "整改期限"): 80 + up to 20 by how much of the
//!   header the name covers; a two-character name ("标题") only 70;
//! * the name ends with the header ("时限" for "整改时限"): at most 80, a suggestion;
//! * otherwise the share of common character pairs (Dice), at most 80;
//! * a header carrying a qualifier (计划, 累计, 上年…) the name lacks is capped
//!   at 70: "年计划形象进度" is not "形象进度".
//!
//! At [`AUTO`] or above a column is mapped without asking; from [`SUGGEST`] it
//! is offered to the clerk.

use lvzhi_core::vocabulary::Vocabulary;

/// A column scoring this much is mapped without asking.
pub const AUTO: u8 = 85;
/// A column scoring this much is offered as a suggestion.
pub const SUGGEST: u8 = 60;

/// Header reading and scoring with a pack's vocabulary.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// (word, canonical), longest word first.
    replace: Vec<(Vec<char>, String)>,
    fillers: Vec<String>,
    qualifiers: Vec<String>,
    joiners: Vec<String>,
    units: Vec<String>,
}

/// One reading of a header or name, with how much it counts (100 = fully).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The canonical text.
    pub text: String,
    /// Its weight, 0–100.
    pub weight: u8,
}

impl Matcher {
    /// A matcher for a vocabulary.
    pub fn new(v: &Vocabulary) -> Matcher {
        let mut replace: Vec<(Vec<char>, String)> = Vec::new();
        for g in &v.synonyms {
            let Some(canon) = g.first() else { continue };
            // The canonical word reads as itself ("建设起止年限" is not "建设" + "起止年限").
            for w in g.iter() {
                replace.push((w.chars().collect(), canon.clone()));
            }
        }
        replace.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        let by_len = |mut v: Vec<String>| {
            v.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
            v
        };
        Matcher {
            replace,
            fillers: by_len(v.fillers.clone()),
            qualifiers: v.qualifiers.clone(),
            joiners: by_len(v.joiners.clone()),
            units: by_len(v.units.clone()),
        }
    }

    /// A header in canonical form (one reading; see [`Matcher::forms`] for all).
    pub fn canon(&self, s: &str) -> String {
        let s = crate::mapping::normalize_header(s);
        let s = strip_brackets(&s);
        let s = match s.split_once(':') {
            Some((a, _)) if !a.is_empty() => a.to_string(),
            _ => s,
        };
        let s = general_time(&s);
        let s = self.strip_unit(&s);
        let s = self.synonyms(&s);
        let mut out = s.clone();
        for f in &self.fillers {
            if out.chars().count() > f.chars().count() + 1 {
                out = out.replace(f.as_str(), "");
            }
        }
        if out.is_empty() { s } else { out }
    }

    /// Every reading of a header: the whole, and each name it joins.
    pub fn forms(&self, s: &str) -> Vec<Form> {
        let whole = self.canon(s);
        let mut out = vec![Form {
            text: whole.clone(),
            weight: 100,
        }];
        let mut parts = vec![whole.clone()];
        for j in &self.joiners {
            parts = parts
                .iter()
                .flat_map(|p| p.split(j.as_str()).map(str::to_string))
                .collect();
        }
        parts.retain(|p| !p.is_empty());
        // "涉及金额" and "参与单位" join nothing: every joined name has two characters or more.
        if parts.len() > 1 && parts.iter().all(|p| p.chars().count() >= 2) {
            let mut push = |text: String, weight: u8| {
                if !text.is_empty() && !out.iter().any(|f| f.text == text) {
                    out.push(Form { text, weight });
                }
            };
            push(parts[0].clone(), 95);
            for p in parts.iter().skip(1) {
                push(p.clone(), 90);
                // "整改责任单位或部门": the second word replaces the first's ending.
                let first: Vec<char> = parts[0].chars().collect();
                let n = p.chars().count();
                if n <= 2 && first.len() > n {
                    let stem: String = first[..first.len() - n].iter().collect();
                    push(format!("{stem}{p}"), 90);
                }
            }
        }
        out
    }

    /// The qualifiers a canonical text carries.
    pub fn qualifiers<'a>(&'a self, canon: &str) -> Vec<&'a str> {
        self.qualifiers
            .iter()
            .filter(|q| canon.contains(q.as_str()))
            .map(String::as_str)
            .collect()
    }

    /// How alike a header form and a name form are (0–100), and why.
    pub fn score(&self, header: &Form, name: &Form, header_qualifiers: &[&str]) -> (u8, &'static str) {
        let (h, n) = (&header.text, &name.text);
        let (hl, nl) = (h.chars().count(), n.chars().count());
        if hl == 0 || nl == 0 {
            return (0, "");
        }
        let (mut s, why) = if h == n {
            (100u32, "相同")
        } else if h.ends_with(n.as_str()) && nl >= 2 {
            if nl == 2 {
                (70, "以其结尾")
            } else {
                (80 + (20 * nl / hl) as u32, "以其结尾")
            }
        } else if n.ends_with(h.as_str()) && hl >= 2 {
            ((50 + 30 * hl / nl) as u32, "是其简称")
        } else {
            let d = dice(h, n);
            if d < 50 { (0, "") } else { (d.min(80), "字面相近") }
        };
        if s > 70 && !n.ends_with("期限") && header_qualifiers.iter().any(|q| !n.contains(q)) {
            s = 70;
        }
        s = s * u32::from(header.weight) / 100 * u32::from(name.weight) / 100;
        (s.min(100) as u8, why)
    }

    fn strip_unit(&self, s: &str) -> String {
        for u in &self.units {
            if let Some(rest) = s.strip_suffix(u.as_str())
                && rest.chars().count() >= 2
            {
                return rest.to_string();
            }
        }
        s.to_string()
    }

    fn synonyms(&self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        'outer: while i < chars.len() {
            for (w, canon) in &self.replace {
                if chars[i..].starts_with(w) {
                    out.push_str(canon);
                    i += w.len();
                    continue 'outer;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}

/// Drops bracketed remarks ("金额(万元)" → "金额"); keeps the inside when nothing else is left.
fn strip_brackets(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '<' | '《' => depth += 1,
            ')' | ']' | '】' | '〕' | '>' | '》' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    if out.is_empty() {
        s.chars().filter(|c| !"()[]【】〔〕<>《》".contains(*c)).collect()
    } else {
        out
    }
}

/// Makes a year or month range general: "2026年计划" → "年度计划", "2025年底" → "年底",
/// "本年完成" → "年度完成", "1-10月累计" → "累计".
fn general_time(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            let j = i + digits;
            // A month or month range: 10月, 1-10月, 1至10月.
            let mut k = j;
            if chars.get(k).is_some_and(|c| matches!(c, '-' | '至' | '—' | '~' | '－')) {
                let more = chars[k + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if more > 0 {
                    k += 1 + more;
                }
            }
            if chars.get(k) == Some(&'月') && digits <= 2 {
                i = k + 1;
                if chars.get(i) == Some(&'份') {
                    i += 1;
                }
                continue;
            }
            if digits == 4 && chars.get(j) == Some(&'年') {
                i = j;
                if out.is_empty() || !out.ends_with('年') {
                    out.push_str(year_word(chars.get(j + 1)));
                }
                i += if chars.get(j + 1) == Some(&'度') { 2 } else { 1 };
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    for p in ["本年度", "本年", "当年", "今年", "全年"] {
        if let Some(rest) = out.strip_prefix(p) {
            return format!("年度{rest}");
        }
    }
    if let Some(rest) = out.strip_prefix('年')
        && !rest.starts_with(['度', '底', '初', '末', '龄', '限', '月', '份'])
    {
        return format!("年度{rest}");
    }
    out
}

fn year_word(next: Option<&char>) -> &'static str {
    match next {
        Some('底') | Some('末') | Some('初') => "年",
        _ => "年度",
    }
}

/// Dice coefficient of character pairs, 0–100.
fn dice(a: &str, b: &str) -> u32 {
    let pairs = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (pa, mut pb) = (pairs(a), pairs(b));
    let total = pa.len() + pb.len();
    if total == 0 {
        return 0;
    }
    let mut common = 0;
    for p in &pa {
        if let Some(i) = pb.iter().position(|q| q == p) {
            pb.swap_remove(i);
            common += 1;
        }
    }
    (200 * common / total) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county() -> Matcher {
        let v = Vocabulary::from_toml(include_str!("../../../packs/county/vocabulary.toml")).unwrap();
        Matcher::new(&v)
    }

    #[test]
    fn headers_are_read_as_the_county_writes_them() {
        let m = county();
        assert_eq!(m.canon("总投资（万元）"), "总投资");
        assert_eq!(m.canon("2026年计划投资"), "年度计划投资");
        assert_eq!(m.canon("年计划投资"), "年度计划投资");
        assert_eq!(m.canon("本年完成投资"), "年度完成投资");
        assert_eq!(m.canon("1-10月累计完成投资"), "累计完成投资");
        assert_eq!(m.canon("2025年底累计完成投资"), "年底累计完成投资");
        assert_eq!(m.canon("治理责任单位"), "整改责任单位");
        assert_eq!(m.canon("受案时间"), "受理日期");
        assert_eq!(m.canon("限办时间"), "办理期限");
        assert_eq!(m.canon("巡河开始时间"), "巡河日期");
        assert_eq!(m.canon("欠薪人数(单位:人)"), "欠薪人数");
        assert_eq!(m.canon(" 隐患\n描述* "), "隐患描述");
        assert_eq!(m.canon("建设起止日期"), "建设起止年限");
        assert_eq!(m.canon("建设起止年限"), "建设起止年限");
        let forms: Vec<String> = m.forms("治理责任单位或部门").into_iter().map(|f| f.text).collect();
        assert!(forms.contains(&"整改责任单位".to_string()), "{forms:?}");
        assert_eq!(m.forms("涉及金额").len(), 1, "及 inside a word joins nothing");
    }

    #[test]
    fn scores_follow_the_head_noun() {
        let m = county();
        let f = |s: &str| Form {
            text: m.canon(s),
            weight: 100,
        };
        let q = |s: &str| {
            m.qualifiers(&m.canon(s))
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let sc = |h: &str, n: &str| {
            let qs = q(h);
            let qs: Vec<&str> = qs.iter().map(String::as_str).collect();
            m.score(&f(h), &f(n), &qs).0
        };
        assert_eq!(sc("治理措施", "整改措施"), 100);
        assert!(sc("计划治理期限", "整改期限") >= AUTO);
        assert!(sc("具体承办单位", "责任单位") >= AUTO);
        // A different head noun is never automatic.
        assert!(sc("信访事项编号", "信访事项") < AUTO);
        assert!(sc("工单标题", "标题") < AUTO);
        // A qualifier the name lacks: a suggestion at most.
        assert!(sc("年计划形象进度", "形象进度") < AUTO);
        assert!(sc("2025年底累计完成投资", "累计完成投资") < AUTO);
        assert!(sc("时限", "整改时限") < AUTO);
        assert!(sc("排查人", "验收人") < SUGGEST);
    }
}
