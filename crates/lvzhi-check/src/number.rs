//! The number extractor: one pass over the text that finds every quantity a
//! report states, in every form a report writes one.
//!
//! A *quantity* is a number with its magnitude (万, 亿…), its unit (元, 人, %…)
//! and its approximation (约, 以上…). Forms understood: ASCII and full-width
//! digits, thousands separators (`1,141`), decimals (`3.87`, `3．87`), Chinese
//! numerals (`一千一百四十一`, `两万`), mixed (`3.87亿元`, `6.32万人`), `%`, `％`,
//! `‰` and `个百分点`.
//!
//! Numbers that are names are not quantities and are dropped here: ordinals
//! (`第23届`), formulas (`“5+2”`), codes (`12345热线`, `G312国道`, `PM2.5`), years
//! (`2026年`), dates and ranges (`1-11月`, `7月份`), and list numbering at the
//! start of a line (`1.`, `（一）`).
//!
//! Offsets are byte offsets into the text (always on char boundaries); the
//! public diagnostics convert them to char offsets at the very end.

use rust_decimal::Decimal;

/// What a unit measures; relations only compare quantities of the same unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Money: 元, 美元…
    Money,
    /// Things counted one by one: 个, 件, 人… (an exact integer when written without 万/亿).
    Count,
    /// A percentage, value in percent.
    Percent,
    /// A per-mille figure, value in per mille.
    Permille,
    /// 个百分点.
    PercentPoint,
    /// 倍.
    Times,
    /// Durations: 年, 个月, 天…
    Time,
    /// Physical measures: 吨, 公里, 亩…
    Measure,
}

/// How a stated figure is qualified by an approximation word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approx {
    /// Written as an exact (possibly rounded) figure.
    Exact,
    /// 约, 左右, 大约: roughly.
    About,
    /// 以上, 超过, 逾, 余, 多, 不少于: the true value is at least the figure.
    AtLeast,
    /// 以下, 不到, 不足, 低于, 不超过: the true value is at most the figure.
    AtMost,
    /// 近: slightly less than the figure.
    Nearly,
}

/// One quantity found in the text.
#[derive(Debug, Clone)]
pub(crate) struct Quantity {
    /// Byte offset where an approximation word before the number starts (or `start`).
    pub pre_start: usize,
    /// Byte offset of the first digit.
    pub start: usize,
    /// Byte offset just after the digits and magnitude (before the unit).
    pub num_end: usize,
    /// Byte offset just after the unit (or `num_end` when there is none).
    pub end: usize,
    /// Byte offset after trailing approximation words (以上, 左右…), or `end`.
    pub post_end: usize,
    /// The value in units of `unit` (magnitude applied): 3.87亿元 → 387000000.
    pub value: Decimal,
    /// Half of the rounding unit of the last written digit, in the same scale (0 when exact).
    pub half: Decimal,
    /// Digits written after the decimal point.
    pub decimals: u32,
    /// The unit's base name (元, 人, %, 个百分点…), if any.
    pub unit: Option<&'static str>,
    /// The unit's kind, if any.
    pub kind: Option<Kind>,
    /// Approximation word attached to the figure.
    pub approx: Approx,
    /// Written with Chinese numerals.
    pub chinese: bool,
    /// Index of the sentence (split at 。！？ and line breaks).
    pub sentence: u32,
    /// Index of the clause (split at ，、；： as well), counted over the whole text.
    pub clause: u32,
    /// Byte offset where the clause holding the number starts.
    pub clause_start: usize,
    /// Byte offset where the sentence holding the number starts.
    pub sentence_start: usize,
}

impl Quantity {
    /// Whether the quantity is a percentage.
    pub fn is_percent(&self) -> bool {
        self.kind == Some(Kind::Percent)
    }

    /// Whether two quantities are in the same unit (so may be added or divided).
    pub fn same_unit(&self, other: &Quantity) -> bool {
        self.unit.is_some() && self.unit == other.unit
    }

    /// Interval of values the written figure stands for: [value − half, value + half].
    pub fn interval(&self) -> (Decimal, Decimal) {
        (self.value - self.half, self.value + self.half)
    }
}

/// A unit: its written form, the base name it compares under, its kind.
struct UnitDef {
    text: &'static str,
    base: &'static str,
    kind: Kind,
}

const fn u(text: &'static str, base: &'static str, kind: Kind) -> UnitDef {
    UnitDef { text, base, kind }
}

/// Units, matched longest first (the table is searched for the longest match).
static UNITS: &[UnitDef] = &[
    // money
    u("元", "元", Kind::Money),
    u("美元", "美元", Kind::Money),
    u("欧元", "欧元", Kind::Money),
    u("港元", "港元", Kind::Money),
    u("港币", "港元", Kind::Money),
    u("日元", "日元", Kind::Money),
    // percentages
    u("%", "%", Kind::Percent),
    u("％", "%", Kind::Percent),
    u("‰", "‰", Kind::Permille),
    u("个百分点", "个百分点", Kind::PercentPoint),
    u("百分点", "个百分点", Kind::PercentPoint),
    u("倍", "倍", Kind::Times),
    // counts
    u("人次", "人次", Kind::Count),
    u("户次", "户次", Kind::Count),
    u("家次", "家次", Kind::Count),
    u("架次", "架次", Kind::Count),
    u("车次", "车次", Kind::Count),
    u("艘次", "艘次", Kind::Count),
    u("批次", "批次", Kind::Count),
    u("人", "人", Kind::Count),
    u("名", "名", Kind::Count),
    u("个", "个", Kind::Count),
    u("项", "项", Kind::Count),
    u("件", "件", Kind::Count),
    u("起", "起", Kind::Count),
    u("户", "户", Kind::Count),
    u("家", "家", Kind::Count),
    u("条", "条", Kind::Count),
    u("处", "处", Kind::Count),
    u("次", "次", Kind::Count),
    u("所", "所", Kind::Count),
    u("座", "座", Kind::Count),
    u("辆", "辆", Kind::Count),
    u("台", "台", Kind::Count),
    u("套", "套", Kind::Count),
    u("宗", "宗", Kind::Count),
    u("批", "批", Kind::Count),
    u("位", "位", Kind::Count),
    u("支", "支", Kind::Count),
    u("间", "间", Kind::Count),
    u("张", "张", Kind::Count),
    u("份", "份", Kind::Count),
    u("场", "场", Kind::Count),
    u("只", "只", Kind::Count),
    u("头", "头", Kind::Count),
    u("株", "株", Kind::Count),
    u("篇", "篇", Kind::Count),
    u("部", "部", Kind::Count),
    u("栋", "栋", Kind::Count),
    u("艘", "艘", Kind::Count),
    u("架", "架", Kind::Count),
    u("类", "类", Kind::Count),
    u("种", "种", Kind::Count),
    u("大", "大", Kind::Count),
    u("方面", "方面", Kind::Count),
    u("路", "路", Kind::Count),
    u("轮", "轮", Kind::Count),
    u("期", "期", Kind::Count),
    u("宗", "宗", Kind::Count),
    u("笔", "笔", Kind::Count),
    u("例", "例", Kind::Count),
    u("册", "册", Kind::Count),
    // time
    u("年", "年", Kind::Time),
    u("个月", "个月", Kind::Time),
    u("月", "月", Kind::Time),
    u("天", "天", Kind::Time),
    u("日", "日", Kind::Time),
    u("小时", "小时", Kind::Time),
    u("分钟", "分钟", Kind::Time),
    u("周岁", "岁", Kind::Time),
    u("岁", "岁", Kind::Time),
    // measures
    u("吨", "吨", Kind::Measure),
    u("公斤", "公斤", Kind::Measure),
    u("千克", "公斤", Kind::Measure),
    u("克", "克", Kind::Measure),
    u("斤", "斤", Kind::Measure),
    u("平方公里", "平方公里", Kind::Measure),
    u("平方千米", "平方公里", Kind::Measure),
    u("平方米", "平方米", Kind::Measure),
    u("公里", "公里", Kind::Measure),
    u("千米", "公里", Kind::Measure),
    u("米", "米", Kind::Measure),
    u("亩", "亩", Kind::Measure),
    u("公顷", "公顷", Kind::Measure),
    u("立方米", "立方米", Kind::Measure),
    u("千瓦时", "千瓦时", Kind::Measure),
    u("千瓦", "千瓦", Kind::Measure),
    u("兆瓦", "兆瓦", Kind::Measure),
    u("标准箱", "标准箱", Kind::Measure),
    u("标箱", "标准箱", Kind::Measure),
    u("度", "度", Kind::Measure),
];

/// Words after a number that make it a name, not a quantity.
static NAME_SUFFIXES: &[&str] = &[
    "届",
    "号",
    "热线",
    "国道",
    "省道",
    "号线",
    "级",
    "季度",
    "版",
    "代",
    "楼",
    "层",
    "年代",
    "年度",
    "周年",
    "中全会",
    "路公交",
    "字",
    "码",
    "星",
    "线",
];

/// Approximation words written right before a number, longest first.
static PRE_APPROX: &[(&str, Approx)] = &[
    ("不少于", Approx::AtLeast),
    ("不低于", Approx::AtLeast),
    ("不超过", Approx::AtMost),
    ("不高于", Approx::AtMost),
    ("超过", Approx::AtLeast),
    ("不到", Approx::AtMost),
    ("不足", Approx::AtMost),
    ("大约", Approx::About),
    ("约", Approx::About),
    ("逾", Approx::AtLeast),
    ("超", Approx::AtLeast),
    ("近", Approx::Nearly),
];

/// Approximation words written right after a number (or its unit).
static POST_APPROX: &[(&str, Approx)] = &[
    ("以上", Approx::AtLeast),
    ("以下", Approx::AtMost),
    ("左右", Approx::About),
    ("上下", Approx::About),
    ("多", Approx::AtLeast),
    ("余", Approx::AtLeast),
];

/// A char that ends a sentence.
pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '\n' | '\r')
}

/// A char that ends a clause (without ending the sentence).
pub(crate) fn is_clause_sep(c: char) -> bool {
    matches!(c, '，' | ',' | '、' | '；' | ';' | '：' | ':')
}

/// Value of an ASCII or full-width digit.
pub(crate) fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Value of a Chinese numeral digit (not a magnitude).
pub(crate) fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Magnitude of a Chinese multiplier char.
fn cn_magnitude(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1_000,
        '万' => 10_000,
        '亿' => 100_000_000,
        _ => return None,
    })
}

/// Whether `c` is a Chinese numeral char (digit or magnitude).
pub(crate) fn is_cn_numeral(c: char) -> bool {
    cn_digit(c).is_some() || cn_magnitude(c).is_some()
}

/// Whether `c` is a CJK ideograph.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The char just before byte offset `pos`.
pub(crate) fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos).and_then(|s| s.chars().next_back())
}

/// The char at byte offset `pos`.
pub(crate) fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..).and_then(|s| s.chars().next())
}

/// The text before byte offset `pos`, at most `n` chars back, stopping after a char for which `stop` holds.
pub(crate) fn back_until(text: &str, pos: usize, n: usize, stop: impl Fn(char) -> bool) -> &str {
    let head = sl(text, 0, pos);
    let mut start = pos;
    for (i, c) in head.char_indices().rev().take(n) {
        if stop(c) {
            break;
        }
        start = i;
    }
    sl(text, start, pos)
}

/// Slice without panicking: empty when the range is not valid.
pub(crate) fn sl(text: &str, a: usize, b: usize) -> &str {
    text.get(a..b).unwrap_or("")
}

/// Parses a run of Chinese numerals into a value. Returns `None` for runs
/// that are not a number (e.g. "三四" meaning three or four) or overflow.
pub(crate) fn parse_chinese(s: &str) -> Option<u128> {
    let has_mag = s.chars().any(|c| cn_magnitude(c).is_some());
    if !has_mag {
        // digit-by-digit (二〇二五) is only a number when it holds a zero;
        // otherwise "三四" is "three or four".
        let n = s.chars().count();
        if n == 1 {
            return s.chars().next().and_then(cn_digit).map(u128::from);
        }
        if !s.chars().any(|c| c == '〇' || c == '零') {
            return None;
        }
        let mut v: u128 = 0;
        for c in s.chars() {
            v = v.checked_mul(10)?.checked_add(u128::from(cn_digit(c)?))?;
        }
        return Some(v);
    }
    let mut result: u128 = 0;
    let mut section: u128 = 0;
    let mut number: u128 = 0;
    let mut last_was_digit = false;
    for c in s.chars() {
        if let Some(d) = cn_digit(c) {
            if last_was_digit && number != 0 && d != 0 {
                // two digits in a row (三四百): not one number
                return None;
            }
            number = u128::from(d);
            last_was_digit = true;
            continue;
        }
        last_was_digit = false;
        match c {
            '十' | '百' | '千' => {
                let m = u128::from(cn_magnitude(c)?);
                if number == 0 && c == '十' {
                    number = 1;
                }
                section = section.checked_add(number.checked_mul(m)?)?;
                number = 0;
            }
            '万' => {
                section = section.checked_add(number)?;
                number = 0;
                result = result.checked_add(section.checked_mul(10_000)?)?;
                section = 0;
            }
            '亿' => {
                section = section.checked_add(number)?;
                number = 0;
                result = result.checked_add(section)?.checked_mul(100_000_000)?;
                section = 0;
            }
            _ => return None,
        }
    }
    result.checked_add(section)?.checked_add(number)
}

/// Units grouped by their first char, built once.
fn units_by_first() -> &'static std::collections::HashMap<char, Vec<&'static UnitDef>> {
    static MAP: std::sync::OnceLock<std::collections::HashMap<char, Vec<&'static UnitDef>>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut m: std::collections::HashMap<char, Vec<&'static UnitDef>> = std::collections::HashMap::new();
        for d in UNITS {
            if let Some(c) = d.text.chars().next() {
                m.entry(c).or_default().push(d);
            }
        }
        m
    })
}

/// A number's slot at the start of `rest`: magnitude chars (万, 亿, 千万…) then a
/// unit (个, 万元, %…). Returns the byte length of magnitude and unit, and the
/// unit's kind; `None` when no unit follows.
pub(crate) fn magnitude_unit_at(rest: &str) -> Option<(usize, Kind)> {
    let mut pos = 0;
    for c in rest.chars().take(3) {
        // 千米, 千克, 百分点 are units, not magnitudes
        if !matches!(c, '万' | '亿' | '千' | '百') || match_unit(&rest[pos..]).is_some() {
            break;
        }
        pos += c.len_utf8();
    }
    let u = match_unit(rest.get(pos..)?)?;
    Some((pos + u.text.len(), u.kind))
}

/// Longest unit written at the start of `rest`.
fn match_unit(rest: &str) -> Option<&'static UnitDef> {
    let first = rest.chars().next()?;
    let mut best: Option<&'static UnitDef> = None;
    for d in units_by_first().get(&first)? {
        if rest.starts_with(d.text) && best.is_none_or(|b| d.text.len() > b.text.len()) {
            best = Some(d);
        }
    }
    best
}

fn starts_with_any(rest: &str, list: &[&str]) -> bool {
    list.iter().any(|s| rest.starts_with(s))
}

/// Tracks sentence and clause positions while scanning.
#[derive(Default)]
struct Segmenter {
    sentence: u32,
    clause: u32,
    sentence_start: usize,
    clause_start: usize,
    line_start: usize,
}

impl Segmenter {
    fn advance(&mut self, c: char, pos: usize) {
        let next = pos + c.len_utf8();
        if is_sentence_end(c) {
            self.sentence += 1;
            self.clause += 1;
            self.sentence_start = next;
            self.clause_start = next;
            if c == '\n' || c == '\r' {
                self.line_start = next;
            }
        } else if is_clause_sep(c) {
            self.clause += 1;
            self.clause_start = next;
        }
    }
}

/// Extracts every quantity of `text`, in text order.
pub(crate) fn extract(text: &str) -> Vec<Quantity> {
    let mut out = Vec::new();
    let mut seg = Segmenter::default();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        // Fast path: ASCII that is not a digit, or a char that cannot start a number.
        if b < 0x80 {
            if b.is_ascii_digit() {
                let before = char_before(text, i);
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') {
                    // part of a code, an identifier or a version number
                    i = skip_alnum(text, i);
                    continue;
                }
                // a number, its unit and approximation words hold no separator
                // (a thousands comma is part of the number)
                i = scan_arabic(text, i, &seg, &mut out);
                continue;
            }
            seg.advance(b as char, i);
            i += 1;
            continue;
        }
        // Only chars whose first two bytes are in NUMBER_PAIRS (〇、。 ，；：！？
        // full-width digits, Chinese numerals) matter; skip the others undecoded,
        // with one table lookup instead of a branchy match.
        let len = utf8_len(b);
        if len != 3 || !pair_in(&NUMBER_PAIRS, b, bytes.get(i + 1).copied().unwrap_or(0)) {
            i += len;
            continue;
        }
        let c = decode3(bytes, i).unwrap_or('\u{FFFD}');
        if digit_value(c).is_some() {
            i = scan_arabic(text, i, &seg, &mut out);
            continue;
        }
        if cn_digit(c).is_some() || c == '十' {
            i = scan_chinese(text, i, &seg, &mut out);
            continue;
        }
        seg.advance(c, i);
        i += len;
    }
    out
}

/// A set of (first byte, second byte) prefixes of three-byte UTF-8 chars, as a
/// 1024-entry table indexed by the low bits of both bytes.
pub(crate) type PairSet = [bool; 1024];

/// Builds a [`PairSet`] at compile time.
pub(crate) const fn pair_set(pairs: &[(u8, u8)]) -> PairSet {
    let mut t = [false; 1024];
    let mut k = 0;
    while k < pairs.len() {
        let (a, b) = pairs[k];
        t[(((a & 0x0F) as usize) << 6) | ((b & 0x3F) as usize)] = true;
        k += 1;
    }
    t
}

/// Whether the three-byte char led by `b0`, `b1` has a prefix in `set`.
#[inline]
pub(crate) fn pair_in(set: &PairSet, b0: u8, b1: u8) -> bool {
    set[(((b0 & 0x0F) as usize) << 6) | ((b1 & 0x3F) as usize)]
}

/// Prefixes of the chars the number extractor looks at: E3 80 (、。〇), EF BC
/// (，；：！？．, full-width digits) and the Chinese numerals 一二三四五六七八九十两零.
static NUMBER_PAIRS: PairSet = pair_set(&[
    (0xE3, 0x80),
    (0xEF, 0xBC),
    (0xE4, 0xB8),
    (0xE4, 0xB9),
    (0xE4, 0xBA),
    (0xE5, 0x85),
    (0xE5, 0x8D),
    (0xE5, 0x9B),
    (0xE9, 0x9B),
]);

/// Length of the UTF-8 sequence led by byte `b` (1 for a stray continuation byte).
pub(crate) fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Decodes the three-byte char at `i` of valid UTF-8 `bytes`.
pub(crate) fn decode3(bytes: &[u8], i: usize) -> Option<char> {
    let (b0, b1, b2) = (*bytes.get(i)?, *bytes.get(i + 1)?, *bytes.get(i + 2)?);
    char::from_u32((u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F))
}

/// Skips over an ASCII alphanumeric run starting at `i`.
fn skip_alnum(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
        i += 1;
    }
    i
}

/// Whether the number starting at `start` is list numbering at the start of a line.
fn is_line_numbering(text: &str, seg: &Segmenter, start: usize, after: usize) -> bool {
    let next = char_at(text, after);
    if matches!(char_before(text, start), Some('(' | '（')) && matches!(next, Some(')' | '）')) {
        return true;
    }
    // cheap test first: only then look back over the line
    let numbering_mark = match next {
        Some('.' | '．' | '、' | ')' | '）' | '，') => true,
        Some(c) => c.is_whitespace(),
        None => false,
    };
    numbering_mark
        && sl(text, seg.line_start, start)
            .chars()
            .all(|c| c.is_whitespace() || c == '\u{3000}')
}

/// Number joined to another by a formula or range sign: "5+2", "1-11", "3～5".
fn joined_sign(c: Option<char>) -> bool {
    matches!(
        c,
        Some('+' | '＋' | '-' | '－' | '—' | '–' | '～' | '~' | '/' | '／' | ':' | '：' | '×' | '*' | '·')
    )
}

fn digit_after(text: &str, pos: usize) -> bool {
    char_at(text, pos).is_some_and(|c| digit_value(c).is_some() || is_cn_numeral(c))
}

/// Scans an Arabic-digit number at `start`; pushes it when it is a quantity.
/// Returns the byte offset to continue from.
fn scan_arabic(text: &str, start: usize, seg: &Segmenter, out: &mut Vec<Quantity>) -> usize {
    let mut digits = String::new();
    let mut decimals: u32 = 0;
    let mut seen_point = false;
    let mut pos = start;
    while let Some(c) = char_at(text, pos) {
        if let Some(d) = digit_value(c) {
            if digits.len() < 40 {
                digits.push(char::from(b'0' + d as u8));
                if seen_point {
                    decimals += 1;
                }
            }
            pos += c.len_utf8();
            continue;
        }
        if (c == '.' || c == '．') && !seen_point {
            let after = pos + c.len_utf8();
            if char_at(text, after).and_then(digit_value).is_some() {
                seen_point = true;
                if digits.len() < 40 {
                    digits.push('.');
                }
                pos = after;
                continue;
            }
            break;
        }
        if c == ',' && !seen_point {
            // thousands separator: exactly three digits follow
            let rest = sl(text, pos + 1, text.len());
            let three = rest.bytes().take(3).all(|b| b.is_ascii_digit()) && rest.len() >= 3;
            let fourth = rest.as_bytes().get(3).copied();
            if three && !fourth.is_some_and(|b| b.is_ascii_digit()) {
                pos += 1;
                continue;
            }
            break;
        }
        break;
    }
    let digits_end = pos;
    if seen_point && digits.ends_with('.') {
        digits.pop();
    }
    // no report writes more than a dozen decimals or thirty digits: not a quantity
    // (and rust_decimal holds at most 28 decimals)
    if decimals > 12 || digits.len() > 30 {
        return digits_end;
    }
    // A name: preceded by an ASCII letter handled by the caller; here the other forms.
    let before = char_before(text, start);
    let after_c = char_at(text, digits_end);
    if before == Some('第')
        || joined_sign(after_c) && digit_after(text, digits_end + after_c.map_or(0, char::len_utf8))
        || joined_sign(before)
            && char_before(text, start - before.map_or(0, char::len_utf8))
                .is_some_and(|c| digit_value(c).is_some() || c.is_ascii_alphabetic())
        || after_c.is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        || is_line_numbering(text, seg, start, digits_end)
    {
        return skip_name(text, digits_end);
    }
    let Ok(mut value) = digits.parse::<Decimal>() else {
        return digits_end;
    };
    finish(text, start, digits_end, &mut value, decimals, false, seg, out)
}

/// Skips the rest of a name-like number (more digits, letters, signs).
fn skip_name(text: &str, mut pos: usize) -> usize {
    while let Some(c) = char_at(text, pos) {
        if digit_value(c).is_some() || c.is_ascii_alphanumeric() || c == '.' {
            pos += c.len_utf8();
        } else {
            break;
        }
    }
    pos
}

/// Scans a Chinese-numeral number at `start`.
fn scan_chinese(text: &str, start: usize, seg: &Segmenter, out: &mut Vec<Quantity>) -> usize {
    let mut pos = start;
    while let Some(c) = char_at(text, pos) {
        if is_cn_numeral(c) {
            pos += c.len_utf8();
        } else {
            break;
        }
    }
    // A magnitude char at the end may belong to a unit (千米, 千克, 千瓦, 百分点).
    let mut run_end = pos;
    while run_end > start {
        let Some(last) = char_before(text, run_end) else { break };
        if cn_magnitude(last).is_some() && last != '十' {
            let rest = sl(text, run_end - last.len_utf8(), text.len());
            if matches!(last, '千' | '百') && match_unit(rest).is_some_and(|u| u.text.starts_with(last)) {
                run_end -= last.len_utf8();
                continue;
            }
        }
        break;
    }
    if run_end == start {
        return pos;
    }
    let run = sl(text, start, run_end);
    let before = char_before(text, start);
    if before == Some('第') || before.is_some_and(|c| c == '周' || c == '星') {
        return run_end;
    }
    // 一 inside a word: 统一, 唯一, 之一, 进一步, 同一…
    if run == "一" && before.is_some_and(|c| "统唯万之同单专划合归整逐如均进每任另纯".contains(c)) {
        return run_end;
    }
    if is_line_numbering(text, seg, start, run_end) {
        return run_end;
    }
    // The run must be followed by a unit (or a magnitude-bearing unit) to be a quantity:
    // 一批, 两万人, 四个; but not 一是, 统一, 万众.
    let rest = sl(text, run_end, text.len());
    let unit_follows = match_unit(rest).is_some() || starts_with_any(rest, &["余", "多"]);
    if !unit_follows {
        return run_end;
    }
    let Some(v) = parse_chinese(run) else {
        return run_end;
    };
    let Ok(v) = i128::try_from(v) else {
        return run_end;
    };
    let Some(mut value) = Decimal::try_from_i128_with_scale(v, 0).ok() else {
        return run_end;
    };
    finish(text, start, run_end, &mut value, 0, true, seg, out)
}

/// Common tail: magnitude chars, 余/多, unit, trailing approximation; pushes the quantity.
#[allow(clippy::too_many_arguments)]
fn finish(
    text: &str,
    start: usize,
    digits_end: usize,
    value: &mut Decimal,
    decimals: u32,
    chinese: bool,
    seg: &Segmenter,
    out: &mut Vec<Quantity>,
) -> usize {
    let mut pos = digits_end;
    let mut magnitude = Decimal::ONE;
    let mut has_magnitude = false;
    if !chinese {
        // magnitude chars: 万, 亿, 千万, 万亿, 百万… (but 千米/千克/千瓦 are units)
        loop {
            let rest = sl(text, pos, text.len());
            let Some(c) = rest.chars().next() else { break };
            if matches!(c, '千' | '百') && match_unit(rest).is_some_and(|u| u.text.starts_with(c)) {
                break;
            }
            match cn_magnitude(c) {
                Some(m) if c != '十' => {
                    magnitude = magnitude.checked_mul(Decimal::from(m)).unwrap_or(magnitude);
                    has_magnitude = true;
                    pos += c.len_utf8();
                }
                _ => break,
            }
        }
    } else {
        has_magnitude = sl(text, start, digits_end).chars().any(|c| matches!(c, '万' | '亿'));
    }
    let num_end = pos;
    let mut approx = Approx::Exact;
    // 余 / 多 between number and unit: 3000余人, 35万余元, 10多个
    let rest = sl(text, pos, text.len());
    for w in ["余", "多"] {
        if rest.starts_with(w) && match_unit(&rest[w.len()..]).is_some() {
            approx = Approx::AtLeast;
            pos += w.len();
            break;
        }
    }
    let rest = sl(text, pos, text.len());
    if rest.chars().next().is_some_and(|c| !c.is_ascii()) && starts_with_any(rest, NAME_SUFFIXES) {
        return pos;
    }
    let unit = match_unit(rest);
    let mut end = pos;
    if let Some(u) = unit {
        end += u.text.len();
    }
    // Dates and years are names.
    if let Some(u) = unit {
        let written = sl(text, start, digits_end);
        let int = !written.contains(['.', '．']);
        let ndigits = written.chars().filter(|c| digit_value(*c).is_some()).count();
        let after_unit = sl(text, end, text.len());
        match u.text {
            "年" if int
                && !has_magnitude
                && (ndigits >= 4 || chinese && value.scale() == 0 && *value >= Decimal::from(1900)) =>
            {
                return end;
            }
            "年" if int && !has_magnitude && (after_unit.starts_with('度') || after_unit.starts_with("代")) => {
                return end;
            }
            "月" if int && !has_magnitude && *value >= Decimal::ONE && *value <= Decimal::from(12) => return end,
            "日" if int && !has_magnitude && *value <= Decimal::from(31) => return end,
            _ => {}
        }
        if u.text == "月" || u.text == "日" {
            return end;
        }
    }
    // A number right after a month (1月5日) or before 日 is already handled; a
    // bare number followed by a range sign was handled by the caller.
    *value = value.checked_mul(magnitude).unwrap_or(*value);
    // beyond 10^20 base units (一万亿亿元) no report states a quantity; keeping
    // values this small also keeps every later sum and product far from overflow
    if value.abs() > Decimal::from(100_000_000_000_000_000_000u128) {
        return end;
    }
    let mut post_end = end;
    let after = sl(text, end, text.len());
    if approx == Approx::Exact {
        for (w, a) in POST_APPROX {
            if after.starts_with(w) {
                // 多 / 余 after a unit only count when no noun follows that uses them (多元, 多种)
                if (*w == "多" || *w == "余") && unit.is_none() {
                    break;
                }
                if *w == "多" && !matches!(unit.map(|u| u.kind), Some(Kind::Money | Kind::Count | Kind::Time)) {
                    break;
                }
                if *w == "多" || *w == "余" {
                    let nxt = sl(text, end + w.len(), text.len()).chars().next();
                    if nxt.is_some_and(is_cjk) {
                        break;
                    }
                }
                approx = *a;
                post_end = end + w.len();
                break;
            }
        }
    }
    let mut pre_start = start;
    if approx == Approx::Exact || approx == Approx::AtLeast {
        let before = sl(text, 0, start);
        for (w, a) in PRE_APPROX {
            if before.ends_with(w) {
                // 超 in 超过 handled by the longer entry; 近 as in 近年 is not before a digit.
                if approx == Approx::Exact {
                    approx = *a;
                }
                pre_start = start - w.len();
                break;
            }
        }
    }
    let kind = unit.map(|u| u.kind);
    // rounding: half a unit of the last written digit; exact for plain integer counts
    let exact = decimals == 0
        && !has_magnitude
        && matches!(kind, Some(Kind::Count) | Some(Kind::Money))
        && approx == Approx::Exact;
    let half = if exact {
        Decimal::ZERO
    } else {
        // decimals are capped when scanning, so the scale is always valid
        let h = Decimal::try_new(5, decimals + 1).unwrap_or(Decimal::ZERO);
        h.checked_mul(magnitude).unwrap_or(h)
    };
    out.push(Quantity {
        pre_start,
        start,
        num_end,
        end,
        post_end,
        value: *value,
        half,
        decimals,
        unit: unit.map(|u| u.base),
        kind,
        approx,
        chinese,
        sentence: seg.sentence,
        clause: seg.clause,
        clause_start: seg.clause_start,
        sentence_start: seg.sentence_start,
    });
    post_end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Vec<(String, Option<&'static str>, Approx)> {
        extract(text)
            .into_iter()
            .map(|q| (q.value.normalize().to_string(), q.unit, q.approx))
            .collect()
    }

    fn one(text: &str) -> (String, Option<&'static str>, Approx) {
        let v = q(text);
        assert_eq!(v.len(), 1, "{text}: {v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(parse_chinese("一千一百四十一"), Some(1141));
        assert_eq!(parse_chinese("两万"), Some(20000));
        assert_eq!(parse_chinese("十五"), Some(15));
        assert_eq!(parse_chinese("二十"), Some(20));
        assert_eq!(parse_chinese("三万亿"), Some(3_000_000_000_000));
        assert_eq!(parse_chinese("一亿五千万"), Some(150_000_000));
        assert_eq!(parse_chinese("一百零五"), Some(105));
        assert_eq!(parse_chinese("二〇二五"), Some(2025));
        assert_eq!(parse_chinese("三四"), None);
        assert_eq!(parse_chinese("四"), Some(4));
    }

    #[test]
    fn arabic_forms() {
        assert_eq!(one("完成3.87亿元，"), ("387000000".into(), Some("元"), Approx::Exact));
        assert_eq!(one("输转6.32万人"), ("63200".into(), Some("人"), Approx::Exact));
        assert_eq!(one("项目1,141个"), ("1141".into(), Some("个"), Approx::Exact));
        assert_eq!(one("项目１１４１个"), ("1141".into(), Some("个"), Approx::Exact));
        assert_eq!(one("增长5．8％"), ("5.8".into(), Some("%"), Approx::Exact));
        assert_eq!(one("标准0.5‰"), ("0.5".into(), Some("‰"), Approx::Exact));
        assert_eq!(one("提高3个百分点"), ("3".into(), Some("个百分点"), Approx::Exact));
        assert_eq!(one("一千一百四十一个"), ("1141".into(), Some("个"), Approx::Exact));
        assert_eq!(one("达两万人"), ("20000".into(), Some("人"), Approx::Exact));
        assert_eq!(
            one("规模2.29万亿元"),
            ("2290000000000".into(), Some("元"), Approx::Exact)
        );
        assert_eq!(one("3千米"), ("3".into(), Some("公里"), Approx::Exact));
        assert_eq!(one("装机5万千瓦"), ("50000".into(), Some("千瓦"), Approx::Exact));
    }

    #[test]
    fn approximations() {
        assert_eq!(one("约3亿元").2, Approx::About);
        assert_eq!(one("近3000人").2, Approx::Nearly);
        assert_eq!(one("35万余元").2, Approx::AtLeast);
        assert_eq!(one("3000余人").2, Approx::AtLeast);
        assert_eq!(one("30万人以上").2, Approx::AtLeast);
        assert_eq!(one("98%以上").2, Approx::AtLeast);
        assert_eq!(one("3%左右").2, Approx::About);
        assert_eq!(one("超过50%").2, Approx::AtLeast);
        assert_eq!(one("不到5%").2, Approx::AtMost);
        assert_eq!(one("10余次").2, Approx::AtLeast);
        assert_eq!(one("20多个").2, Approx::AtLeast);
    }

    #[test]
    fn names_are_not_quantities() {
        for t in [
            "第23届兰洽会",
            "“5+2”",
            "12345热线",
            "G312国道",
            "2026年",
            "1-11月",
            "7月份",
            "PM2.5浓度",
            "5G基站",
            "1.突出增强后劲",
            "（1）加强",
            "二〇二五年",
            "一是注重",
            "统一部署",
            "十四五规划",
            "3号线",
            "4A级景区",
            "11月底",
        ] {
            assert!(q(t).is_empty(), "{t}: {:?}", q(t));
        }
    }

    #[test]
    fn rounding_half_units() {
        let v = extract("完成21.6亿元");
        assert_eq!(v[0].half, Decimal::new(5_000_000, 0));
        let v = extract("排查3365件");
        assert_eq!(v[0].half, Decimal::ZERO);
        let v = extract("增长22%");
        assert_eq!(v[0].half, Decimal::new(5, 1));
        let v = extract("投资5000万元");
        assert_eq!(v[0].half, Decimal::from(5_000));
    }

    #[test]
    fn segments() {
        let v = extract("完成7.48亿元、同比增收4亿元，增长5.8%。排查3件");
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].sentence, v[2].sentence);
        assert_eq!(v[1].clause, v[0].clause + 1);
        assert_eq!(v[2].clause, v[1].clause + 1);
        assert_eq!(v[3].sentence, v[0].sentence + 1);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for t in [
            "1.00000000000000000000000000000001%",
            "0.0000000000000000000000000000000000005亿元",
            "1",
            "１",
            "1.",
            "1,",
            "1,00",
            "一",
            "十",
            "亿",
            "3万亿亿亿亿亿亿亿亿",
            "9999999999999999999999999999999999亿元",
            "1.2.3",
            "零零零零",
        ] {
            let _ = extract(t);
        }
    }
}
