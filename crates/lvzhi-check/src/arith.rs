//! Arithmetic relations: a stated figure that the text's own numbers contradict.
//!
//! Every detector looks at the quantities of one sentence, matches a fixed
//! phrasing around them (a relation is only checked when the wording leaves no
//! doubt about which numbers it relates), and computes the figure with
//! interval arithmetic in exact decimals: each input stands for the interval
//! its rounding allows (21.6亿元 is 21.55–21.65亿元; 3365件 is exact), and a
//! stated figure is wrong only when no value in that interval rounds to it
//! (a stated 22% matches 21.5%–22.5%; "98%以上" needs at least 98%).
//!
//! Relations: completion (`完成X、完成预算Y的P%`), growth with an absolute
//! change (`完成A、同比增收B，增长P%`, declines, direction), growth from–to
//! (`由X增加到Y，增长P%`, `N倍`, `翻番`, `N个百分点`), rate (`排查N件，成功调处K件，
//! 成功率P%`), share (`T，其中…K，占比P%`) and sum of parts (`T，其中A、B、C`).

use rust_decimal::{Decimal, RoundingStrategy};

use crate::diag::Raw;
use crate::number::{Approx, Kind, Quantity, is_clause_sep, sl};

/// An interval of possible values with the point value computed from the figures as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Iv {
    lo: Decimal,
    hi: Decimal,
    mid: Decimal,
}

impl Iv {
    fn of(q: &Quantity) -> Iv {
        let (lo, hi) = q.interval();
        Iv { lo, hi, mid: q.value }
    }

    fn sub(self, o: Iv) -> Option<Iv> {
        Some(Iv {
            lo: self.lo.checked_sub(o.hi)?,
            hi: self.hi.checked_sub(o.lo)?,
            mid: self.mid.checked_sub(o.mid)?,
        })
    }

    fn add(self, o: Iv) -> Option<Iv> {
        Some(Iv {
            lo: self.lo.checked_add(o.lo)?,
            hi: self.hi.checked_add(o.hi)?,
            mid: self.mid.checked_add(o.mid)?,
        })
    }

    /// Division of non-negative by positive intervals.
    fn div(self, o: Iv) -> Option<Iv> {
        if o.lo <= Decimal::ZERO || o.mid <= Decimal::ZERO || self.lo < Decimal::ZERO {
            return None;
        }
        Some(Iv {
            lo: self.lo.checked_div(o.hi)?,
            hi: self.hi.checked_div(o.lo)?,
            mid: self.mid.checked_div(o.mid)?,
        })
    }

    fn scale(self, k: Decimal) -> Option<Iv> {
        Some(Iv {
            lo: self.lo.checked_mul(k)?,
            hi: self.hi.checked_mul(k)?,
            mid: self.mid.checked_mul(k)?,
        })
    }

    fn abs(self) -> Iv {
        if self.lo >= Decimal::ZERO {
            self
        } else if self.hi <= Decimal::ZERO {
            Iv {
                lo: -self.hi,
                hi: -self.lo,
                mid: -self.mid,
            }
        } else {
            Iv {
                lo: Decimal::ZERO,
                hi: self.hi.max(-self.lo),
                mid: self.mid.abs(),
            }
        }
    }
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Whether a stated figure agrees with the computed interval, given its rounding and approximation.
fn agrees(c: Iv, stated: &Quantity) -> bool {
    let s = stated.value;
    let h = stated.half;
    match stated.approx {
        Approx::Exact => c.hi >= s - h && c.lo <= s + h,
        Approx::About => {
            let tol = (s.abs() / Decimal::TEN).max(h);
            c.hi >= s - tol && c.lo <= s + tol
        }
        Approx::AtLeast => c.hi >= s,
        Approx::AtMost => c.lo <= s,
        Approx::Nearly => c.lo <= s + h && c.hi >= s - s.abs() / Decimal::TEN,
    }
}

/// Formats a decimal with `dp` decimals, rounding half away from zero.
pub(crate) fn fmt_dec(d: Decimal, dp: u32) -> String {
    let r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let mut s = r.to_string();
    if dp > 0 && !s.contains('.') {
        s.push('.');
        for _ in 0..dp {
            s.push('0');
        }
    }
    s
}

/// The figure as written, without approximation words: "112%", "21.6亿元".
fn written(text: &str, q: &Quantity) -> String {
    sl(text, q.start, q.end).to_string()
}

/// The stated figure with its approximation words: "98%以上".
fn written_full(text: &str, q: &Quantity) -> String {
    sl(text, q.pre_start, q.post_end).to_string()
}

/// Operands for a formula: numbers alone when they share magnitude and unit, else with them.
fn operands(text: &str, qs: &[&Quantity]) -> Vec<String> {
    let split = |q: &Quantity| -> (String, String) {
        let num = sl(text, q.start, q.num_end);
        if q.chinese {
            return (sl(text, q.start, q.end).to_string(), String::new());
        }
        let digits_end = num
            .char_indices()
            .rev()
            .find(|(_, c)| !matches!(c, '万' | '亿' | '千' | '百'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let n = num.get(..digits_end).unwrap_or(num).to_string();
        let suffix = format!("{}{}", num.get(digits_end..).unwrap_or(""), sl(text, q.num_end, q.end));
        (n, suffix)
    };
    let parts: Vec<(String, String)> = qs.iter().map(|q| split(q)).collect();
    let same = parts.windows(2).all(|w| w[0].1 == w[1].1)
        && !parts.iter().any(|p| p.1.is_empty() && qs.iter().any(|q| q.chinese));
    parts
        .into_iter()
        .map(|(n, s)| if same { n } else { format!("{n}{s}") })
        .collect()
}

/// The magnitude and suffix ("万亩" → 10000) shared by all quantities, if they share one.
fn common_suffix(text: &str, qs: &[&Quantity]) -> Option<(Decimal, String)> {
    let mut out: Option<(Decimal, String)> = None;
    for q in qs {
        if q.chinese {
            return None;
        }
        let num = sl(text, q.start, q.num_end);
        let mag_text: String = num
            .chars()
            .rev()
            .take_while(|c| matches!(c, '万' | '亿' | '千' | '百'))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut mag = Decimal::ONE;
        for c in mag_text.chars() {
            let m = match c {
                '万' => 10_000i64,
                '亿' => 100_000_000,
                '千' => 1_000,
                _ => 100,
            };
            mag = mag.checked_mul(Decimal::from(m))?;
        }
        let sfx = format!("{mag_text}{}", sl(text, q.num_end, q.end));
        match &out {
            None => out = Some((mag, sfx)),
            Some((_, s)) if *s == sfx => {}
            Some(_) => return None,
        }
    }
    out
}

/// Decimals to show a computed percentage with: as many as stated, at least one.
fn shown_dp(stated: &Quantity) -> u32 {
    stated.decimals.clamp(1, 4)
}

/// Direction of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Up,
    Down,
}

impl Dir {
    fn word(self) -> &'static str {
        match self {
            Dir::Up => "增长",
            Dir::Down => "下降",
        }
    }
}

/// Comparison words that may open a change phrase.
const COMPARATORS: &[&str] = &[
    "与上年相比",
    "与去年相比",
    "比上年同期",
    "较上年同期",
    "比去年同期",
    "较去年同期",
    "同比",
    "比上年",
    "较上年",
    "比去年",
    "较去年",
    "比年初",
    "较年初",
];

const UP_CHANGE: &[&str] = &["增收", "增加", "增长", "多收", "净增", "提高", "上升", "增"];
const DOWN_CHANGE: &[&str] = &["减收", "减少", "下降", "少收", "净减", "降低", "下滑", "减"];
const UP_RATE: &[&str] = &[
    "增长",
    "增加",
    "提高",
    "上升",
    "提升",
    "增幅为",
    "增幅达",
    "增幅",
    "增速为",
    "增速",
    "增",
];
const DOWN_RATE: &[&str] = &["下降", "减少", "降低", "下滑", "回落", "降幅为", "降幅", "减", "降"];

/// Matches `^(comparator)?(verb)(了)?$` and returns the direction.
fn verb_dir(prefix: &str, up: &[&str], down: &[&str]) -> Option<Dir> {
    let mut p = prefix.trim();
    for c in COMPARATORS {
        if let Some(r) = p.strip_prefix(c) {
            p = r;
            break;
        }
    }
    let p = p.strip_suffix('了').unwrap_or(p);
    if up.contains(&p) {
        Some(Dir::Up)
    } else if down.contains(&p) {
        Some(Dir::Down)
    } else {
        None
    }
}

fn prefix<'a>(text: &'a str, q: &Quantity) -> &'a str {
    sl(text, q.clause_start, q.pre_start)
}

/// Text from the end of `a` (after approximation words) to the start of `b`.
fn between<'a>(text: &'a str, a: &Quantity, b: &Quantity) -> &'a str {
    sl(text, a.post_end, b.pre_start)
}

/// Whether the rest of `a`'s clause after it is empty: only a separator lies between `a` and the next clause.
fn ends_clause(text: &str, a: &Quantity, next_clause_start: usize) -> bool {
    let rest = sl(text, a.post_end, next_clause_start);
    let mut it = rest.chars();
    matches!((it.next(), it.next()), (Some(c), None) if is_clause_sep(c))
}

fn plain(q: &Quantity) -> bool {
    q.approx == Approx::Exact
}

fn amount(q: &Quantity) -> bool {
    matches!(q.kind, Some(Kind::Money | Kind::Count | Kind::Measure))
}

/// A figure used as a reference in a completion ("完成预算18.92亿元的112%"): not a current total.
fn is_reference(text: &str, qs: &[Quantity], k: usize) -> bool {
    let q = &qs[k];
    let p = prefix(text, q);
    if ["预算", "计划", "任务", "目标"].iter().any(|w| p.ends_with(w)) {
        return true;
    }
    qs.get(k + 1)
        .is_some_and(|n| n.is_percent() && between(text, q, n) == "的")
}

/// Runs every arithmetic detector over the quantities.
pub(crate) fn check(text: &str, qs: &[Quantity], out: &mut Vec<Raw>) {
    for k in 0..qs.len() {
        completion(text, qs, k, out);
        growth_with_change(text, qs, k, out);
        growth_new_total(text, qs, k, out);
        from_to(text, qs, k, out);
        rate(text, qs, k, out);
        share(text, qs, k, out);
    }
    sum_of_parts(text, qs, out);
    share_sum(text, qs, out);
}

fn mismatch(
    code: &'static str,
    text: &str,
    stated: &Quantity,
    what: &str,
    formula: String,
    expected: String,
    out: &mut Vec<Raw>,
) {
    let stated_s = written_full(text, stated);
    let msg = format!("{what}计算有误：{formula}={expected}，文中为{stated_s}");
    out.push(Raw::error(code, stated.start, stated.end, msg).with_figures(expected, stated_s));
}

/// 完成X、完成预算Y的P%: P = X ÷ Y.
fn completion(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    let p = &qs[k];
    if !p.is_percent() || k < 2 {
        return;
    }
    let y = &qs[k - 1];
    if y.sentence != p.sentence || !amount(y) || !plain(y) || between(text, y, p) != "的" {
        return;
    }
    let yp = prefix(text, y);
    if !["预算", "计划", "任务", "目标"].iter().any(|w| yp.contains(w)) || yp.chars().count() > 12 {
        return;
    }
    // X: the nearest earlier figure of the same unit, at most two clauses back.
    let Some(x) = qs[..k - 1]
        .iter()
        .rev()
        .take_while(|x| x.sentence == p.sentence && x.clause + 2 >= y.clause)
        .find(|x| x.same_unit(y))
    else {
        return;
    };
    if !plain(x) || verb_dir(prefix(text, x), UP_CHANGE, DOWN_CHANGE).is_some() {
        return;
    }
    let Some(c) = Iv::of(x).div(Iv::of(y)).and_then(|r| r.scale(HUNDRED)) else {
        return;
    };
    if agrees(c, p) {
        return;
    }
    let ops = operands(text, &[x, y]);
    let expected = format!("{}%", fmt_dec(c.mid, shown_dp(p)));
    mismatch(
        "arithmetic.completion",
        text,
        p,
        "完成比例",
        format!("{}÷{}", ops[0], ops[1]),
        expected,
        out,
    );
}

/// 完成A、同比增收B，增长P%: P = B ÷ (A − B); a decline: P = B ÷ (A + B).
fn growth_with_change(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    let b = &qs[k];
    if !amount(b) || !plain(b) || k == 0 {
        return;
    }
    let Some(dir_b) = verb_dir(prefix(text, b), UP_CHANGE, DOWN_CHANGE) else {
        return;
    };
    // A: the nearest earlier same-unit figure in the sentence that is neither a
    // change nor a reference, at most three clauses back.
    let mut a_idx = None;
    for i in (0..k).rev() {
        let a = &qs[i];
        if a.sentence != b.sentence || a.clause + 3 < b.clause {
            break;
        }
        if !a.same_unit(b) {
            continue;
        }
        if is_reference(text, qs, i) {
            continue;
        }
        if verb_dir(prefix(text, a), UP_CHANGE, DOWN_CHANGE).is_some() {
            return;
        }
        a_idx = Some(i);
        break;
    }
    let Some(a_idx) = a_idx else { return };
    let a = &qs[a_idx];
    if !plain(a) {
        return;
    }
    // Only percents and references may lie between A and B (a completion, say).
    if (a_idx + 1..k).any(|i| !qs[i].is_percent() && !is_reference(text, qs, i)) {
        return;
    }
    let Some(p) = qs.get(k + 1) else { return };
    if p.sentence != b.sentence || !p.is_percent() || p.clause != b.clause + 1 || !ends_clause(text, b, p.clause_start)
    {
        return;
    }
    let Some(dir_p) = verb_dir(prefix(text, p), UP_RATE, DOWN_RATE) else {
        return;
    };
    report_growth(text, a, b, p, dir_b, dir_p, out);
}

/// Checks P against B ÷ (A ∓ B), or reports a direction contradiction.
fn report_growth(text: &str, a: &Quantity, b: &Quantity, p: &Quantity, dir_b: Dir, dir_p: Dir, out: &mut Vec<Raw>) {
    if dir_b != dir_p {
        let change = written_full(text, b);
        let msg = format!(
            "增减方向矛盾：前文为{}{change}，此处却称“{}”",
            if dir_b == Dir::Up { "增加" } else { "减少" },
            dir_p.word()
        );
        let start = p.clause_start;
        out.push(
            Raw::error("arithmetic.direction", start, p.end, msg)
                .with_figures(dir_b.word().to_string(), dir_p.word().to_string()),
        );
        return;
    }
    let (ia, ib) = (Iv::of(a), Iv::of(b));
    let base = match dir_b {
        Dir::Up => ia.sub(ib),
        Dir::Down => ia.add(ib),
    };
    let Some(c) = base.and_then(|base| ib.div(base)).and_then(|r| r.scale(HUNDRED)) else {
        return;
    };
    if agrees(c, p) {
        return;
    }
    let ops = operands(text, &[b, a, b]);
    let (what, sign) = match dir_b {
        Dir::Up => ("增长率", '−'),
        Dir::Down => ("降幅", '+'),
    };
    let expected = format!("{}%", fmt_dec(c.mid, shown_dp(p)));
    mismatch(
        "arithmetic.growth",
        text,
        p,
        what,
        format!("{}÷({}{sign}{})", ops[0], ops[1], ops[2]),
        expected,
        out,
    );
}

/// 新增B，达到A，增长P%: P = B ÷ (A − B).
fn growth_new_total(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    let a = &qs[k];
    if k == 0 || !amount(a) || !plain(a) {
        return;
    }
    let ap = prefix(text, a);
    if ![
        "达到",
        "达",
        "累计达到",
        "累计达",
        "总数达到",
        "总量达到",
        "累计",
        "增至",
        "增加到",
        "增长到",
    ]
    .contains(&ap)
    {
        return;
    }
    let b = &qs[k - 1];
    if b.sentence != a.sentence
        || b.clause + 1 != a.clause
        || !b.same_unit(a)
        || !plain(b)
        || !ends_clause(text, b, a.clause_start)
    {
        return;
    }
    let bp = prefix(text, b);
    let new = ["新增", "净增", "新发展", "新培育", "新认定"]
        .iter()
        .any(|w| bp.starts_with(w));
    let change = verb_dir(bp, UP_CHANGE, DOWN_CHANGE);
    let dir_b = if new {
        Dir::Up
    } else if let Some(d) = change {
        d
    } else {
        return;
    };
    let Some(p) = qs.get(k + 1) else { return };
    if p.sentence != a.sentence || !p.is_percent() || p.clause != a.clause + 1 || !ends_clause(text, a, p.clause_start)
    {
        return;
    }
    let Some(dir_p) = verb_dir(prefix(text, p), UP_RATE, DOWN_RATE) else {
        return;
    };
    if dir_b == Dir::Down && ap.contains('增') {
        return;
    }
    report_growth(text, a, b, p, dir_b, dir_p, out);
}

const FROM_TO_VERBS: &[&str] = &[
    "增加", "增长", "提高", "上升", "提升", "扩大", "增", "升", "提", "下降", "减少", "降低", "缩小", "缩减", "压减",
    "压缩", "减", "降",
];

fn from_to_dir(verb: &str) -> Option<Dir> {
    match verb {
        "" => None,
        "增加" | "增长" | "提高" | "上升" | "提升" | "扩大" | "增" | "升" | "提" => Some(Dir::Up),
        _ => Some(Dir::Down),
    }
}

/// 由X增加到Y，增长P% / 提高N个百分点 / 增长N倍 / 翻一番.
fn from_to(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    if k == 0 {
        return;
    }
    let (x, y) = (&qs[k - 1], &qs[k]);
    if x.sentence != y.sentence || x.clause != y.clause || !plain(x) || !plain(y) {
        return;
    }
    // rankings: 排名由369位上升到235位 is a rise
    if matches!(x.unit, Some("位" | "名")) || prefix(text, x).contains('排') {
        return;
    }
    let both_percent = x.is_percent() && y.is_percent();
    if !(both_percent || (amount(x) && x.same_unit(y))) {
        return;
    }
    // between X and Y: (的)? verb? (到|至)
    let mid = between(text, x, y);
    let mid = mid.strip_suffix('了').unwrap_or(mid);
    let Some(verb) = mid.strip_suffix('到').or_else(|| mid.strip_suffix('至')) else {
        return;
    };
    if !(verb.is_empty() || FROM_TO_VERBS.contains(&verb)) {
        return;
    }
    // before X: 由/从, at most 8 chars back, with no 到/至 in between
    let xp = prefix(text, x);
    let Some(from_pos) = xp.rfind(['由', '从']) else {
        return;
    };
    let after_from = xp.get(from_pos + 3..).unwrap_or("");
    if after_from.chars().count() > 8 || after_from.contains(['到', '至']) {
        return;
    }
    let dir = from_to_dir(verb);
    if let Some(d) = dir {
        let wrong = match d {
            Dir::Up => y.value < x.value,
            Dir::Down => y.value > x.value,
        };
        if wrong && (y.value - x.value).abs() > x.half + y.half {
            let msg = format!(
                "增减方向矛盾：由{}到{}是{}，文中却称“{verb}”",
                written(text, x),
                written(text, y),
                if y.value > x.value { "增加" } else { "减少" }
            );
            let start = x.post_end;
            out.push(
                Raw::error("arithmetic.direction", start, y.pre_start, msg).with_figures(
                    if y.value > x.value { "增加" } else { "减少" }.to_string(),
                    verb.to_string(),
                ),
            );
            return;
        }
    }
    let (ix, iy) = (Iv::of(x), Iv::of(y));
    let ops = operands(text, &[y, x, x]);
    // 翻番 in the next clause
    let rest_start = y.post_end;
    let rest = sl(text, rest_start, text.len());
    let rest = rest.trim_start_matches(is_clause_sep);
    let rest = rest.strip_prefix("实现").unwrap_or(rest);
    for (w, n) in [
        ("翻了一番", 2),
        ("翻一番", 2),
        ("翻番", 2),
        ("翻了两番", 4),
        ("翻两番", 4),
        ("翻了一番多", 2),
    ] {
        if rest.starts_with(w) {
            let Some(c) = iy.div(ix) else { return };
            let n = Decimal::from(n);
            // 翻番 is loose: allow a tenth either way
            if c.hi >= n * Decimal::new(9, 1) && c.lo <= n * Decimal::new(11, 1) {
                return;
            }
            let msg = format!(
                "倍数计算有误：{}÷{}={}倍，“{w}”应为{}倍",
                ops[0],
                ops[1],
                fmt_dec(c.mid, 2),
                n
            );
            let s = rest_start + (sl(text, rest_start, text.len()).len() - rest.len());
            out.push(
                Raw::error("arithmetic.multiple", s, s + w.len(), msg)
                    .with_figures(format!("{}倍", fmt_dec(c.mid, 2)), w.to_string()),
            );
            return;
        }
    }
    let Some(mut g) = qs.get(k + 1) else { return };
    if g.sentence != y.sentence || !(g.clause == y.clause + 1 || g.clause == y.clause) {
        return;
    }
    let mut gp = if g.clause == y.clause {
        between(text, y, g)
    } else {
        prefix(text, g)
    };
    if g.clause != y.clause && !ends_clause(text, y, g.clause_start) {
        return;
    }
    // 由A增加到B，净增C: C = B − A; a growth rate may follow (净增C，增长P%)
    if !both_percent && g.same_unit(y) && plain(g) {
        if !difference(text, x, y, g, gp, out) {
            return;
        }
        match qs.get(k + 2) {
            Some(n) if n.sentence == g.sentence && n.clause == g.clause + 1 && ends_clause(text, g, n.clause_start) => {
                g = n;
                gp = prefix(text, n);
            }
            _ => return,
        }
    }
    match g.kind {
        Some(Kind::Percent) => {
            let Some(dir_g) = verb_dir(gp, UP_RATE, DOWN_RATE) else {
                return;
            };
            let actual = if y.value >= x.value { Dir::Up } else { Dir::Down };
            if dir_g != actual && (y.value - x.value).abs() > x.half + y.half {
                let msg = format!(
                    "增减方向矛盾：由{}到{}是{}，文中却称“{}”",
                    written(text, x),
                    written(text, y),
                    actual.word(),
                    dir_g.word()
                );
                out.push(
                    Raw::error("arithmetic.direction", g.clause_start.max(y.post_end), g.end, msg)
                        .with_figures(actual.word().into(), dir_g.word().into()),
                );
                return;
            }
            let Some(c) = iy
                .sub(ix)
                .map(Iv::abs)
                .and_then(|d| d.div(ix))
                .and_then(|r| r.scale(HUNDRED))
            else {
                return;
            };
            if agrees(c, g) {
                return;
            }
            if both_percent {
                // "由12%提高到15%，提高3%" is often meant as points: accept either reading
                if let Some(pp) = iy.sub(ix).map(Iv::abs)
                    && agrees(pp, g)
                {
                    return;
                }
            }
            let what = if actual == Dir::Up { "增长率" } else { "降幅" };
            let expected = format!("{}%", fmt_dec(c.mid, shown_dp(g)));
            let formula = if actual == Dir::Up {
                format!("({}−{})÷{}", ops[0], ops[1], ops[2])
            } else {
                format!("({}−{})÷{}", ops[1], ops[0], ops[2])
            };
            mismatch("arithmetic.growth", text, g, what, formula, expected, out);
        }
        Some(Kind::PercentPoint) if both_percent => {
            if verb_dir(gp, UP_RATE, DOWN_RATE).is_none() {
                return;
            }
            let Some(c) = iy.sub(ix).map(Iv::abs) else { return };
            if agrees(c, g) {
                return;
            }
            let expected = format!("{}个百分点", fmt_dec(c.mid, g.decimals.max(x.decimals).max(y.decimals)));
            let formula = if y.value >= x.value {
                format!("{}−{}", written(text, y), written(text, x))
            } else {
                format!("{}−{}", written(text, x), written(text, y))
            };
            mismatch(
                "arithmetic.percentage-points",
                text,
                g,
                "百分点",
                formula,
                expected,
                out,
            );
        }
        Some(Kind::Times) => {
            // 增长N倍: Y = X × (N + 1); 是…的N倍 / 为…的N倍: Y = X × N
            let Some(ratio) = iy.div(ix) else { return };
            let grew = verb_dir(gp, UP_RATE, &[]).is_some();
            let is_times = gp.starts_with('是') || gp.starts_with('为') || gp.starts_with("相当于");
            let c = if grew {
                let Some(c) = ratio.sub(Iv {
                    lo: Decimal::ONE,
                    hi: Decimal::ONE,
                    mid: Decimal::ONE,
                }) else {
                    return;
                };
                c
            } else if is_times && (gp.ends_with('的') || gp.len() <= 3) {
                ratio
            } else {
                return;
            };
            if agrees(c, g) {
                return;
            }
            let expected = format!("{}倍", fmt_dec(c.mid, 1));
            let formula = if grew {
                format!("{}÷{}−1", ops[0], ops[1])
            } else {
                format!("{}÷{}", ops[0], ops[1])
            };
            let stated_s = written_full(text, g);
            let msg = if grew {
                format!("倍数计算有误：{formula}={expected}（“增长N倍”指增加后为原来的N+1倍），文中为{stated_s}")
            } else {
                format!("倍数计算有误：{formula}={expected}，文中为{stated_s}")
            };
            out.push(Raw::error("arithmetic.multiple", g.start, g.end, msg).with_figures(expected, stated_s));
        }
        _ => {}
    }
}

/// 由A增加到B，净增C: checks C against B − A. Returns whether C agrees (so a
/// growth rate after it may be checked too).
fn difference(text: &str, x: &Quantity, y: &Quantity, g: &Quantity, gp: &str, out: &mut Vec<Raw>) -> bool {
    // 年均增加C, 人均增加C: not the whole difference
    let whole = sl(text, g.sentence_start, g.pre_start);
    if ["年均", "平均", "每年", "人均", "户均"]
        .iter()
        .any(|w| gp.contains(w) || whole.ends_with(w))
    {
        return false;
    }
    let Some(dir_g) = verb_dir(gp, UP_CHANGE, DOWN_CHANGE) else {
        return false;
    };
    let actual = if y.value >= x.value { Dir::Up } else { Dir::Down };
    let (ix, iy) = (Iv::of(x), Iv::of(y));
    if dir_g != actual && (y.value - x.value).abs() > x.half + y.half {
        let msg = format!(
            "增减方向矛盾：由{}到{}是{}，文中却称“{}”",
            written(text, x),
            written(text, y),
            actual.word(),
            gp
        );
        out.push(
            Raw::error("arithmetic.direction", g.clause_start.max(y.post_end), g.end, msg)
                .with_figures(actual.word().into(), dir_g.word().into()),
        );
        return false;
    }
    let Some(c) = iy.sub(ix).map(Iv::abs) else {
        return false;
    };
    if agrees(c, g) {
        return true;
    }
    let ops = operands(text, &[y, x, g]);
    let (a, b) = if actual == Dir::Up {
        (&ops[0], &ops[1])
    } else {
        (&ops[1], &ops[0])
    };
    // the difference in the stated figure's own magnitude and unit
    let expected = match common_suffix(text, &[g]) {
        Some((mag, sfx)) => format!("{}{sfx}", fmt_trim(c.mid.checked_div(mag).unwrap_or(c.mid))),
        None => format!("{}{}", fmt_trim(c.mid), g.unit.unwrap_or("")),
    };
    mismatch(
        "arithmetic.difference",
        text,
        g,
        "增减量",
        format!("{a}−{b}"),
        expected,
        out,
    );
    false
}

/// A decimal with at most four decimals, trailing zeros dropped.
fn fmt_trim(d: Decimal) -> String {
    d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// The words that may stand between 率 and the rate's figure.
const RATE_LINKS: &[&str] = &[
    "",
    "达到",
    "达",
    "为",
    "是",
    "保持在",
    "稳定在",
    "提高到",
    "提升到",
    "上升到",
    "高达",
    "达到了",
];

/// 排查N件，成功调处K件，调处成功率P%: P = K ÷ N.
fn rate(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    let p = &qs[k];
    if !p.is_percent() || k < 2 {
        return;
    }
    let pp = prefix(text, p);
    let Some(rpos) = pp.rfind('率') else { return };
    let link = pp.get(rpos + '率'.len_utf8()..).unwrap_or("");
    if !RATE_LINKS.contains(&link) {
        return;
    }
    // the two chars before 率 name the act (整改率 → 整改); with 完成/到位 after
    // the act (整改完成率, 资金到位率) the two chars before them name it
    let before: Vec<char> = pp.get(..rpos).unwrap_or("").chars().rev().take(4).collect();
    if before.len() < 2 || !before[..2].iter().all(|c| crate::number::is_cjk(*c)) {
        return;
    }
    let stem: String = before[..2].iter().rev().collect();
    if ["增长", "利用", "覆盖", "使用", "贡献", "实现"].contains(&stem.as_str()) {
        return;
    }
    let mut stems = vec![stem];
    if before.len() == 4
        && before.iter().all(|c| crate::number::is_cjk(*c))
        && ["完成", "到位"].contains(&stems[0].as_str())
    {
        stems.push(before[2..].iter().rev().collect());
    }
    // K: an earlier count whose clause opens with the stem ("成功调处3298件").
    let mut kk = None;
    for i in (0..k).rev() {
        let q = &qs[i];
        if q.sentence != p.sentence || q.clause + 3 < p.clause {
            break;
        }
        if q.kind == Some(Kind::Count) && stems.iter().any(|s| prefix(text, q).contains(s.as_str())) {
            kk = Some(i);
            break;
        }
    }
    let rate_name: String = if stems.len() == 2 {
        before.iter().rev().collect()
    } else {
        stems[0].clone()
    };
    let Some(ki) = kk else { return };
    if ki == 0 {
        return;
    }
    let part = &qs[ki];
    let mut total = &qs[ki - 1];
    if total.sentence != p.sentence || total.clause + 1 != part.clause || !plain(part) {
        return;
    }
    if !ends_clause(text, total, part.clause_start) {
        return;
    }
    // 排查N条，其中重大隐患M条，已整改K条: the total is the figure before 其中
    if prefix(text, total).starts_with("其中") && !prefix(text, part).starts_with("其中") {
        let Some(t) = qs[..ki - 1]
            .iter()
            .rev()
            .take_while(|t| t.sentence == p.sentence)
            .find(|t| sl(text, t.post_end, total.pre_start).contains("其中"))
        else {
            return;
        };
        if !ends_clause(text, t, total.clause_start) {
            return;
        }
        total = t;
    }
    if !plain(total) || !(total.same_unit(part) || per_visit(total, part)) {
        return;
    }
    // nothing but the part between it and the rate
    if qs[ki + 1..k].iter().any(|q| q.same_unit(part) || q.is_percent()) {
        return;
    }
    let Some(c) = Iv::of(part).div(Iv::of(total)).and_then(|r| r.scale(HUNDRED)) else {
        return;
    };
    if agrees(c, p) {
        return;
    }
    let ops = operands(text, &[part, total]);
    let expected = format!("{}%", fmt_dec(c.mid, shown_dp(p)));
    mismatch(
        "arithmetic.rate",
        text,
        p,
        &format!("{rate_name}率"),
        format!("{}÷{}", ops[0], ops[1]),
        expected,
        out,
    );
}

/// Counts in a unit and in its visits (户 and 户次, 人 and 人次): a rate may relate them.
fn per_visit(total: &Quantity, part: &Quantity) -> bool {
    match (total.unit, part.unit) {
        (Some(a), Some(b)) => {
            total.kind == Some(Kind::Count)
                && part.kind == Some(Kind::Count)
                && (a.strip_suffix('次') == Some(b) || b.strip_suffix('次') == Some(a))
        }
        _ => false,
    }
}

/// T，其中…K，占比P%: P = K ÷ T.
fn share(text: &str, qs: &[Quantity], k: usize, out: &mut Vec<Raw>) {
    let p = &qs[k];
    if !p.is_percent() || k < 2 {
        return;
    }
    let mut pp = prefix(text, p);
    for link in ["达到", "为", "达", "是", "约"] {
        if let Some(r) = pp.strip_suffix(link) {
            pp = r;
            break;
        }
    }
    let ok = pp.ends_with("占比")
        || pp.ends_with("所占比重")
        || pp.ends_with("所占比例")
        || pp
            .strip_suffix('的')
            .is_some_and(|r| r.starts_with("占总") && r.chars().count() <= 6);
    if !ok {
        return;
    }
    let part = &qs[k - 1];
    if part.sentence != p.sentence || part.is_percent() || !amount(part) || !plain(part) || part.clause + 1 < p.clause {
        return;
    }
    // 其中 between the total and the part
    let head = sl(text, part.sentence_start, part.pre_start);
    let Some(qi) = head.rfind("其中") else { return };
    let qi_abs = part.sentence_start + qi;
    let Some(t_idx) = qs[..k - 1].iter().rposition(|q| q.post_end <= qi_abs) else {
        return;
    };
    let total = &qs[t_idx];
    if total.sentence != p.sentence || !total.same_unit(part) || !plain(total) {
        return;
    }
    let gap = sl(text, total.post_end, qi_abs);
    if gap.chars().count() > 1 {
        return;
    }
    let Some(c) = Iv::of(part).div(Iv::of(total)).and_then(|r| r.scale(HUNDRED)) else {
        return;
    };
    if agrees(c, p) {
        return;
    }
    let ops = operands(text, &[part, total]);
    let expected = format!("{}%", fmt_dec(c.mid, shown_dp(p)));
    mismatch(
        "arithmetic.share",
        text,
        p,
        "占比",
        format!("{}÷{}", ops[0], ops[1]),
        expected,
        out,
    );
}

/// Words that make an item after 其中 something other than a part of the total.
const NOT_PART: &[&str] = &[
    "增", "减", "新", "累计", "达", "占", "比", "较", "同比", "完成", "实现", "下降", "提高", "上升", "超", "计划",
    "预计", "目标", "投资", "总", "共", "已",
];

/// T，其中A a、B b、C c: a + b + c must not exceed T.
fn sum_of_parts(text: &str, qs: &[Quantity], out: &mut Vec<Raw>) {
    for (t_idx, total) in qs.iter().enumerate() {
        if !amount(total) || !plain(total) {
            continue;
        }
        // a change (比去年增加4000亿元，其中…) is not the total the parts make up
        let tp = prefix(text, total);
        if verb_dir(tp, UP_CHANGE, DOWN_CHANGE).is_some()
            || ["增加", "减少", "增长", "下降", "比", "较"]
                .iter()
                .any(|w| tp.contains(w))
        {
            continue;
        }
        let Some((cursor, first)) = qizhong_after(text, qs, t_idx) else {
            continue;
        };
        let mut parts: Vec<&Quantity> = Vec::new();
        let mut cursor = cursor;
        let mut exhaustive = false;
        for q in &qs[first..] {
            if q.sentence != total.sentence || !q.same_unit(total) || !plain(q) {
                break;
            }
            let item_prefix = sl(text, cursor, q.pre_start);
            let sep = item_prefix.chars().next().filter(|c| is_clause_sep(*c));
            let item_prefix = item_prefix.strip_prefix(is_clause_sep).unwrap_or(item_prefix);
            let n = item_prefix.chars().count();
            if n == 0 && !parts.is_empty() || n > 12 {
                break;
            }
            // parts after a comma (not 、) must be short labels: a longer clause starts a new topic
            if matches!(sep, Some('，' | ',')) && n > 6 {
                break;
            }
            if item_prefix
                .chars()
                .any(|c| is_clause_sep(c) || crate::number::digit_value(c).is_some())
            {
                break;
            }
            if NOT_PART.iter().any(|w| item_prefix.contains(w)) {
                break;
            }
            exhaustive = REST_WORDS.iter().any(|w| item_prefix.starts_with(w));
            parts.push(q);
            cursor = q.post_end;
            // the item must end at a separator or the sentence end
            match crate::number::char_at(text, cursor) {
                Some(c) if is_clause_sep(c) => {}
                Some(c) if crate::number::is_sentence_end(c) => break,
                None => break,
                _ => break,
            }
        }
        if parts.len() < 2 {
            continue;
        }
        let Some(sum) = sum_of(&parts) else { return };
        let t = Iv::of(total);
        let over = sum.lo > t.hi;
        // with 其余/其他 the parts are the whole: they must make up the total exactly
        let short = exhaustive && sum.hi < t.lo;
        if !over && !short {
            continue;
        }
        let mut all: Vec<&Quantity> = parts.clone();
        all.push(total);
        let ops = operands(text, &all);
        let (Some(last), Some(first)) = (parts.last(), parts.first()) else {
            continue;
        };
        let formula = ops[..parts.len()].join("+");
        let dp = parts.iter().map(|q| q.decimals).max().unwrap_or(0);
        // show the sum in the parts' own magnitude and unit when they share one
        let expected = match common_suffix(text, &parts) {
            Some((mag, sfx)) => format!("{}{sfx}", fmt_dec(sum.mid.checked_div(mag).unwrap_or(sum.mid), dp)),
            None => format!("{}{}", fmt_dec(sum.mid, dp), total.unit.unwrap_or("")),
        };
        let stated = written(text, total);
        let msg = if over {
            format!("分项之和大于总数：{formula}={expected}，而总数为{stated}")
        } else {
            format!("分项之和小于总数：{formula}={expected}，而总数为{stated}（含“其余/其他”的分项应合计为总数）")
        };
        out.push(Raw::error("arithmetic.sum", first.start, last.end, msg).with_figures(expected, stated));
    }
}

/// Whether the words before a percentage make it a share of a whole: 占, 占比,
/// 比重, 占全县的 (with an optional 为/达/是 before the figure).
fn share_label(p: &str) -> bool {
    let mut p = p;
    for link in ["达到", "为", "达", "是", "约"] {
        if let Some(r) = p.strip_suffix(link) {
            p = r;
            break;
        }
    }
    let core = p.replace("增加值", "");
    if ["增长", "增加", "减少", "提高", "下降", "上升", "降低", "增幅", "降幅"]
        .iter()
        .any(|w| core.contains(w))
    {
        return false;
    }
    p.ends_with('占')
        || p.ends_with("占比")
        || p.ends_with("比重")
        || p.ends_with('的') && p.rfind('占').is_some_and(|i| p.len() - i <= 18)
}

/// The whole a share label names: "占GDP比重达" → "GDP", "占全部投资的" → "全部投资",
/// "城镇人口占" / "占比" → "" (the whole of the sentence).
fn share_whole(label: &str) -> &str {
    let Some(i) = label.rfind('占') else { return "" };
    let mut w = label.get(i + '占'.len_utf8()..).unwrap_or("");
    for link in ["达到", "为", "达", "是", "约"] {
        if let Some(r) = w.strip_suffix(link) {
            w = r;
            break;
        }
    }
    for tail in ["的比重", "的比例", "比重", "比例", "的", "比"] {
        if let Some(r) = w.strip_suffix(tail) {
            return r;
        }
    }
    w
}

/// Shares of one whole that exceed it: "其中城镇人口占41.2%、农村人口占61.8%" (a 、 list),
/// "占比分别为14.2%、38.5%、49.3%"; with 其余/其他 they must make up 100%.
fn share_sum(text: &str, qs: &[Quantity], out: &mut Vec<Raw>) {
    let mut i = 0;
    while i < qs.len() {
        let q = &qs[i];
        i += 1;
        if !q.is_percent() || !plain(q) {
            continue;
        }
        let head = sl(text, q.sentence_start, q.pre_start);
        let pp = prefix(text, q);
        let respectively = ["分别为", "分别占", "分别是", "分别达到", "分别达", "分别"]
            .iter()
            .find_map(|w| pp.strip_suffix(w))
            .is_some_and(|r| share_label(r) || r.ends_with("结构"))
            // "A、B占比分别为x%、y%" is often each item's own share (炼铁、炼钢先进产能占比分别…):
            // only the parts of one named whole are summed
            && ["三次产业", "一二三产业", "一、二、三产业", "结构"].iter().any(|w| head.contains(w));
        let labelled = !respectively && head.contains("其中") && share_label(pp);
        if !respectively && !labelled {
            continue;
        }
        let mut run = vec![q];
        let mut exhaustive = false;
        // evidence that the shares partition one whole: a 、 list (clause by clause, even of one
        // named whole, they may overlap: 工业投资占全部投资的…，民间投资占全部投资的…)
        let mut partition = true;
        while let Some(n) = qs.get(i) {
            let Some(last) = run.last() else { break };
            if n.sentence != q.sentence || !n.is_percent() || !plain(n) {
                break;
            }
            let gap = between(text, last, n);
            if respectively {
                if !matches!(gap, "、" | "和" | "，" | ",") {
                    break;
                }
            } else {
                let sep = gap.chars().next();
                let label = gap.trim_start_matches(is_clause_sep);
                if !sep.is_some_and(is_clause_sep)
                    || label.chars().count() > 12
                    || label.chars().any(is_clause_sep)
                    || !share_label(label)
                {
                    break;
                }
                // shares of different wholes (占GDP比重, 占全部投资的) do not add up
                let (a, b) = (share_whole(prefix(text, q)), share_whole(label));
                if !a.is_empty() && !b.is_empty() && a != b {
                    break;
                }
                partition &= sep == Some('、');
                exhaustive = REST_WORDS.iter().any(|w| label.starts_with(w));
            }
            run.push(n);
            i += 1;
        }
        if run.len() < 2 {
            continue;
        }
        let Some(sum) = sum_of(&run) else { return };
        // shares given clause by clause may overlap (高新技术产业占比…，战略性新兴产业占比…)
        let over = sum.lo > HUNDRED && (partition || exhaustive);
        let short = exhaustive && sum.hi < HUNDRED;
        if !over && !short {
            continue;
        }
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            continue;
        };
        let dp = run.iter().map(|q| q.decimals).max().unwrap_or(0);
        let formula = run.iter().map(|q| written(text, q)).collect::<Vec<_>>().join("+");
        let expected = format!("{}%", fmt_dec(sum.mid, dp));
        let msg = if over {
            format!("各部分占比之和超过100%：{formula}={expected}")
        } else {
            format!("各部分占比之和不足100%：{formula}={expected}（含“其余/其他”的各部分应合计为100%）")
        };
        out.push(
            Raw::error("arithmetic.share-sum", first.start, last.end, msg).with_figures(expected, "100%".to_string()),
        );
    }
}

/// The sum of the intervals of `qs` (`None` on overflow).
fn sum_of(qs: &[&Quantity]) -> Option<Iv> {
    let zero = Iv {
        lo: Decimal::ZERO,
        hi: Decimal::ZERO,
        mid: Decimal::ZERO,
    };
    qs.iter().try_fold(zero, |s, q| s.add(Iv::of(q)))
}

/// Words opening the last item of a breakdown that make it exhaustive (the rest of the total).
const REST_WORDS: &[&str] = &["其余", "其他", "其它", "剩余", "余下", "另有"];

/// Where the breakdown of `qs[t_idx]` starts: just after a 其中 that follows the
/// total, directly or after clauses holding only percentages (a growth rate or a
/// share: "投资85.6亿元，同比增长12.3%，其中…"). Returns the byte offset after 其中 and
/// the index of the first quantity after it.
fn qizhong_after(text: &str, qs: &[Quantity], t_idx: usize) -> Option<(usize, usize)> {
    let total = &qs[t_idx];
    let after = sl(text, total.post_end, text.len());
    let gap_len = after
        .chars()
        .take_while(|c| is_clause_sep(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    if gap_len <= 3 && after.get(gap_len..).is_some_and(|r| r.starts_with("其中")) {
        return Some((total.post_end + gap_len + "其中".len(), t_idx + 1));
    }
    if gap_len == 0 || gap_len > 3 {
        return None;
    }
    // an intervening clause: at most 24 chars, only percentages in it
    let window: String = after.chars().take(30).collect();
    let at = window.find("其中")?;
    let gap = window.get(..at)?;
    if gap.chars().any(crate::number::is_sentence_end) || !gap.ends_with(is_clause_sep) {
        return None;
    }
    let q_at = total.post_end + at;
    let mut first = t_idx + 1;
    let mut rates = 0;
    while let Some(q) = qs.get(first) {
        if q.pre_start >= q_at {
            break;
        }
        if !matches!(q.kind, Some(Kind::Percent | Kind::PercentPoint)) {
            return None;
        }
        rates += 1;
        first += 1;
    }
    if rates == 0 {
        return None;
    }
    Some((q_at + "其中".len(), first))
}

#[cfg(test)]
mod tests {
    use crate::check;

    fn codes(text: &str) -> Vec<(&'static str, String)> {
        check(text)
            .into_iter()
            .filter(|d| d.family() == "arithmetic")
            .map(|d| (d.code, d.text))
            .collect()
    }

    fn clean(text: &str) {
        let c = codes(text);
        assert!(c.is_empty(), "{text}: {c:?}");
    }

    fn flags(text: &str, code: &str, span: &str) {
        let c = codes(text);
        assert!(
            c.iter().any(|(k, s)| *k == code && s == span),
            "{text}: expected {code} on {span}, got {c:?}"
        );
    }

    #[test]
    fn completion() {
        flags(
            "全县财政总收入完成21.6亿元、完成预算18.92亿元的112%。",
            "arithmetic.completion",
            "112%",
        );
        clean("全县财政总收入完成21.6亿元、完成预算18.92亿元的114.2%。");
        clean("全县财政总收入完成21.6亿元、完成预算18.92亿元的114%。");
        clean("达到13.68亿元，完成全年任务12.67亿元的108%。");
        flags(
            "达到13.68亿元，完成全年任务12.67亿元的118%。",
            "arithmetic.completion",
            "118%",
        );
    }

    #[test]
    fn growth_with_change() {
        flags(
            "一般公共预算收入完成7.48亿元、同比增收4亿元，增长5.8%。",
            "arithmetic.growth",
            "5.8%",
        );
        clean("一般公共预算收入完成7.48亿元、同比增收4亿元，增长115%。");
        clean("财政总收入完成21.6亿元、完成预算18.92亿元的114.2%，同比增收3.87亿元，增长22%。");
        flags(
            "财政总收入完成21.6亿元、完成预算18.92亿元的114.2%，同比增收3.87亿元，增长32%。",
            "arithmetic.growth",
            "32%",
        );
        clean("政府性基金收入预计完成3.6亿元，同比增收2.29亿元，增长175%。");
        clean("完成150万元，同比减少15万元，下降9.1%。");
        flags("完成150万元，同比减少15万元，下降10%。", "arithmetic.growth", "10%");
        flags(
            "完成150万元，同比减少15万元，增长9.1%。",
            "arithmetic.direction",
            "增长9.1%",
        );
        clean("新增进出口备案企业8户，达到88户，增长10%。");
        flags("新增进出口备案企业8户，达到88户，增长20%。", "arithmetic.growth", "20%");
    }

    #[test]
    fn from_to() {
        clean("由上年的3.2万人增加到3.6万人，增长12.5%。");
        flags("由上年的3.2万人增加到3.6万人，增长25%。", "arithmetic.growth", "25%");
        // 3.2万 and 3.6万 are rounded: 15% is within their rounding
        clean("由上年的3.2万人增加到3.6万人，增长15%。");
        clean("由1.2亿元增加到3.6亿元，增长2倍。");
        flags("由1.2亿元增加到3.6亿元，增长3倍。", "arithmetic.multiple", "3倍");
        clean("由1.2亿元增加到3.6亿元，是上年的3倍。");
        flags("由1.2亿元增加到3.6亿元，是上年的2倍。", "arithmetic.multiple", "2倍");
        clean("由1.8亿元增加到3.6亿元，翻了一番。");
        flags("由1.2亿元增加到3.6亿元，翻了一番。", "arithmetic.multiple", "翻了一番");
        clean("由12%提高到15%，提高3个百分点。");
        flags(
            "由12%提高到15%，提高5个百分点。",
            "arithmetic.percentage-points",
            "5个百分点",
        );
        // 12% and 15% are rounded: 2 points is within their rounding (12.4% → 14.6%)
        clean("由12%提高到15%，提高2个百分点。");
        flags("由3.6万人增加到3.2万人，增长12.5%。", "arithmetic.direction", "增加到");
        clean("从2020年的5.2万元提高到2025年的6.5万元。");
        clean("在“世界500强”排名由369位上升到235位。");
    }

    #[test]
    fn rate_and_share() {
        clean("全县共排查各类矛盾纠纷3365件，成功调处3298件，调处成功率达到98%以上。");
        flags(
            "全县共排查各类矛盾纠纷3365件，成功调处3198件，调处成功率达到98%以上。",
            "arithmetic.rate",
            "98%",
        );
        clean("支出32.4亿元，其中教育支出8.2亿元，占比25.3%。");
        flags(
            "支出32.4亿元，其中教育支出8.2亿元，占比35.3%。",
            "arithmetic.share",
            "35.3%",
        );
    }

    #[test]
    fn sum_of_parts() {
        clean("学校86所，其中小学52所、初中24所、高中10所。");
        flags(
            "学校86所，其中小学52所、初中24所、高中12所。",
            "arithmetic.sum",
            "52所、初中24所、高中12所",
        );
        let d = check("新增营造林148万亩，其中南北山绿化工程143万亩、城镇绿化23万亩。");
        assert_eq!(d[0].message, "分项之和大于总数：143+23=166万亩，而总数为148万亩");
        // a change is not a total; a long clause after a comma is a new topic
        clean("财政赤字1.2万亿元，比去年预算增加4000亿元，其中中央财政赤字8500亿元，代地方发债3500亿元。");
        clean("新增营造林148万亩、其中南北山绿化工程43万亩，修复治理退化草原517万亩，治理水土流失23万亩。");
        clean("学校86所，其中小学52所、初中24所。");
    }

    #[test]
    fn rounding_edges() {
        // 22% matches 21.5%–22.5%
        clean("完成100亿元、完成预算100亿元的100%。");
        clean("完成215件，同比增加0件，增长0%。");
        // exact counts: 43/200 = 21.5% → 22% matches at the edge, 21.4% does not
        clean("共排查200件，成功调处43件，调处成功率21.5%。");
        clean("共排查200件，成功调处43件，调处成功率22%。");
        flags("共排查200件，成功调处43件，调处成功率23%。", "arithmetic.rate", "23%");
        flags(
            "共排查200件，成功调处43件，调处成功率21.4%。",
            "arithmetic.rate",
            "21.4%",
        );
        // 98%以上 holds for 98.01%, not for 97.99%
        clean("共排查10000件，成功调处9801件，调处成功率98%以上。");
        flags(
            "共排查10000件，成功调处9799件，调处成功率98%以上。",
            "arithmetic.rate",
            "98%",
        );
        // 约 widens the tolerance
        clean("共排查200件，成功调处43件，调处成功率约20%。");
    }

    #[test]
    fn number_forms_in_relations() {
        clean("学校八十六所，其中小学五十二所、初中二十四所、高中十所。");
        flags(
            "学校八十六所，其中小学五十二所、初中二十四所、高中十二所。",
            "arithmetic.sum",
            "五十二所、初中二十四所、高中十二所",
        );
        clean("全县共排查各类矛盾纠纷３３６５件，成功调处３２９８件，调处成功率达到９８％以上。");
        clean("谋划项目1,141个，其中新建项目1,000个、续建项目141个。");
        clean("支出32.4亿元，其中教育支出82000万元，占比25.3%。");
    }
}
