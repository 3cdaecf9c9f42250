//! Annual assessment (年度考核民主测评): campaigns, ballots, tallies and
//! weighted results. Pure: no I/O, no clock, no randomness of its own (the
//! caller supplies random bytes for tokens and receipts).
//!
//! * A [`CampaignDef`] names the year, the subjects (the leaders assessed),
//!   the evaluator groups with their weights (percent, summing to exactly
//!   100), and the open and close instants. Every subject is graded on the
//!   five dimensions 德、能、勤、绩、廉 and on an overall grade ([`Item`]),
//!   each with one of 优秀/称职/基本称职/不称职 ([`Grade`]).
//! * A [`Ballot`] grades every subject on every item — all or nothing.
//! * A [`Tally`] counts the ballots per group, subject, item and grade; it is
//!   what is published at close and what an auditor recounts.
//! * [`compute`] turns a tally into weighted shares.
//!
//! **Weighting.** For a subject, an item and a grade, the weighted share is
//! `Σ_g w_g · c_g / n_g ÷ Σ_g w_g`, over the groups `g` that cast at least
//! one ballot, where `w_g` is the group's weight, `c_g` the group's ballots
//! giving that grade and `n_g` the group's ballots. A group without ballots
//! is left out and the remaining weights are renormalised; such groups are
//! listed in [`Results::groups_without_ballots`] so that the sheet can say so.
//!
//! **Rounding.** Shares are computed as exact fractions (i128 numerator and
//! denominator) and rounded once, to 0.1 percentage points, half away from
//! zero (`12.35%` → `12.4%`). 称职以上率 is rounded from the exact sum of
//! 优秀 and 称职, not added from rounded figures, so it may differ by 0.1
//! from the sum of the two shown shares.
//!
//! **Tokens and receipts.** A token is 10 characters from [`ALPHABET`] (31
//! characters without 0/O/1/I/L, about 49.5 bits), shown as `ABCDE-FGHJK`.
//! A receipt is 8 characters from the same alphabet, shown as `ABCD-EFGH`;
//! it is drawn independently of the token, so it cannot lead back to it.

use crate::Decimal;
use crate::field::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The characters of tokens and receipts: digits and capitals without the
/// ambiguous 0, O, 1, I and L.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a token (without the separator).
pub const TOKEN_LEN: usize = 10;
/// Characters in a receipt (without the separator).
pub const RECEIPT_LEN: usize = 8;

/// What is graded: the five dimensions and the overall grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    /// 德.
    De,
    /// 能.
    Neng,
    /// 勤.
    Qin,
    /// 绩.
    Ji,
    /// 廉.
    Lian,
    /// 总体评价.
    Overall,
}

impl Item {
    /// Every item, in the order of the sheet.
    pub const ALL: [Item; 6] = [Item::De, Item::Neng, Item::Qin, Item::Ji, Item::Lian, Item::Overall];

    /// The Chinese name (德 … 总体评价).
    pub fn label(self) -> &'static str {
        match self {
            Item::De => "德",
            Item::Neng => "能",
            Item::Qin => "勤",
            Item::Ji => "绩",
            Item::Lian => "廉",
            Item::Overall => "总体评价",
        }
    }

    /// The item named `s`.
    pub fn parse(s: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.label() == s)
    }

    /// Position in [`Item::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// 优秀.
    Excellent,
    /// 称职.
    Competent,
    /// 基本称职.
    Basic,
    /// 不称职.
    Incompetent,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 4] = [Grade::Excellent, Grade::Competent, Grade::Basic, Grade::Incompetent];

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Competent => "称职",
            Grade::Basic => "基本称职",
            Grade::Incompetent => "不称职",
        }
    }

    /// The grade named `s`.
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.label() == s)
    }

    /// Position in [`Grade::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An evaluator group (县级领导, 部门主要负责人 …) and its weight in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDef {
    /// Name.
    pub name: String,
    /// Weight in percent (30 means 30%); at most two decimals.
    pub weight: Decimal,
}

/// A leader being assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDef {
    /// Name.
    pub name: String,
    /// Post (副县长).
    #[serde(default)]
    pub post: String,
    /// The person in the org tree, when there is one.
    #[serde(default)]
    pub person_id: Option<i64>,
}

/// A campaign as the office defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDef {
    /// The year assessed.
    pub year: i32,
    /// Title (2026年度县级领导班子和领导干部民主测评).
    pub title: String,
    /// Evaluator groups with weights summing to 100.
    pub groups: Vec<GroupDef>,
    /// The leaders assessed.
    pub subjects: Vec<SubjectDef>,
    /// Ballots are accepted from this instant …
    pub opens_at: jiff::Timestamp,
    /// … until (excluding) this one.
    pub closes_at: jiff::Timestamp,
    /// Results are published only from this many ballots on (0: no minimum):
    /// below it they could point to single evaluators.
    #[serde(default)]
    pub min_ballots: u32,
}

fn err(field: &str, label: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        label: label.into(),
        message: message.into(),
    }
}

/// The most groups and subjects of one campaign.
pub const MAX_GROUPS: usize = 12;
/// The most subjects of one campaign.
pub const MAX_SUBJECTS: usize = 200;
/// The largest minimum number of ballots a campaign may set.
pub const MAX_MIN_BALLOTS: u32 = 100_000;

impl CampaignDef {
    /// Every problem of the definition at once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        if !(2000..=2100).contains(&self.year) {
            e.push(err("year", "年度", format!("{}不是有效年度", self.year)));
        }
        if self.title.trim().is_empty() {
            e.push(err("title", "名称", "不能为空"));
        }
        if self.groups.is_empty() {
            e.push(err("groups", "测评组", "至少设一个测评组"));
        }
        if self.groups.len() > MAX_GROUPS {
            e.push(err("groups", "测评组", format!("最多{MAX_GROUPS}个")));
        }
        let mut names = std::collections::BTreeSet::new();
        let mut sum = Decimal::ZERO;
        for (i, g) in self.groups.iter().enumerate() {
            let key = format!("groups.{i}");
            if g.name.trim().is_empty() {
                e.push(err(&key, "测评组名称", "不能为空"));
            } else if !names.insert(g.name.trim().to_string()) {
                e.push(err(&key, "测评组名称", format!("“{}”重复", g.name.trim())));
            }
            if g.weight <= Decimal::ZERO || g.weight > Decimal::ONE_HUNDRED {
                e.push(err(&key, "权重", format!("{}%应大于0且不超过100%", g.weight)));
            } else if g.weight.normalize().scale() > 2 {
                e.push(err(&key, "权重", format!("{}%最多两位小数", g.weight)));
            }
            sum += g.weight;
        }
        if !self.groups.is_empty() && sum != Decimal::ONE_HUNDRED {
            e.push(err(
                "groups",
                "权重",
                format!("各组权重合计应为100%，现为{}%", sum.normalize()),
            ));
        }
        if self.subjects.is_empty() {
            e.push(err("subjects", "测评对象", "至少一名"));
        }
        if self.subjects.len() > MAX_SUBJECTS {
            e.push(err("subjects", "测评对象", format!("最多{MAX_SUBJECTS}名")));
        }
        for (i, s) in self.subjects.iter().enumerate() {
            if s.name.trim().is_empty() {
                e.push(err(&format!("subjects.{i}"), "测评对象姓名", "不能为空"));
            }
        }
        if self.min_ballots > MAX_MIN_BALLOTS {
            e.push(err("min_ballots", "最少有效票数", format!("不能超过{MAX_MIN_BALLOTS}")));
        }
        if self.closes_at <= self.opens_at {
            e.push(err("closes_at", "结束时间", "应晚于开始时间"));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

/// Turns random bytes into `len` characters of [`ALPHABET`] without bias
/// (bytes ≥ 248 are skipped). `next` is called until enough are accepted.
pub fn code_from_random(len: usize, next: &mut impl FnMut() -> u8) -> String {
    let mut s = String::with_capacity(len);
    while s.len() < len {
        let b = next();
        if b < 248 {
            s.push(char::from(ALPHABET[usize::from(b % 31)]));
        }
    }
    s
}

/// Shows a code in groups: `ABCDEFGHJK` → `ABCDE-FGHJK`, `ABCDEFGH` → `ABCD-EFGH`.
pub fn display_code(code: &str) -> String {
    let half = code.len() / 2;
    match (code.get(..half), code.get(half..)) {
        (Some(a), Some(b)) if code.is_ascii() && half > 0 => format!("{a}-{b}"),
        _ => code.to_string(),
    }
}

/// Normalises a typed code of `len` characters: spaces and dashes dropped,
/// letters upper-cased; `None` when what is left is not `len` characters of
/// [`ALPHABET`].
pub fn normalize_code(input: &str, len: usize) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '－' | '—' | '\u{3000}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == len && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// A validated ballot: for every subject (by id) a grade on every item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot(pub BTreeMap<i64, [Grade; 6]>);

impl Ballot {
    /// Parses `{"<subject id>": {"德": "优秀", …, "总体评价": "称职"}, …}` against
    /// the campaign's subjects. Every subject and every item must be graded,
    /// nothing else may be present; all problems are listed.
    pub fn parse(raw: &Value, subjects: &[i64]) -> Result<Ballot, Vec<FieldError>> {
        let mut e = Vec::new();
        let Some(obj) = raw.as_object() else {
            return Err(vec![err("grades", "选票", "应为按测评对象分组的评价")]);
        };
        for k in obj.keys() {
            if !k.parse::<i64>().is_ok_and(|id| subjects.contains(&id)) {
                e.push(err(
                    &format!("grades.{k}"),
                    "测评对象",
                    format!("“{k}”不是本次测评的对象"),
                ));
            }
        }
        let mut out = BTreeMap::new();
        for &s in subjects {
            let key = format!("grades.{s}");
            let Some(m) = obj.get(&s.to_string()).and_then(Value::as_object) else {
                e.push(err(&key, "测评对象", "未评价"));
                continue;
            };
            if let Some(bad) = m.keys().find(|k| Item::parse(k).is_none()) {
                e.push(err(&key, "测评项目", format!("“{bad}”不是测评项目")));
            }
            let mut grades = [Grade::Excellent; 6];
            for item in Item::ALL {
                match m.get(item.label()).and_then(Value::as_str).map(Grade::parse) {
                    Some(Some(g)) => grades[item.index()] = g,
                    Some(None) => e.push(err(
                        &format!("{key}.{}", item.label()),
                        item.label(),
                        "应为优秀、称职、基本称职或不称职",
                    )),
                    None => e.push(err(&format!("{key}.{}", item.label()), item.label(), "未评价")),
                }
            }
            out.insert(s, grades);
        }
        if e.is_empty() { Ok(Ballot(out)) } else { Err(e) }
    }

    /// The canonical JSON form (subjects by id, items by name, grades by name):
    /// the same ballot always gives the same text, whatever the client sent.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        for (s, grades) in &self.0 {
            let mut m = Map::new();
            for item in Item::ALL {
                m.insert(item.label().into(), Value::String(grades[item.index()].label().into()));
            }
            o.insert(s.to_string(), Value::Object(m));
        }
        Value::Object(o)
    }
}

/// Counts of one subject in one group: `[item][grade]`.
pub type Counts = [[u64; 4]; 6];

/// The count of ballots: per group the number of ballots, per group and
/// subject the grades given on each item. What is published at close.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Ballots per group id.
    pub ballots: BTreeMap<i64, u64>,
    /// Group id → subject id → `[item][grade]`.
    pub counts: BTreeMap<i64, BTreeMap<i64, Counts>>,
}

impl Tally {
    /// Adds one ballot of `group`.
    pub fn add(&mut self, group: i64, ballot: &Ballot) {
        *self.ballots.entry(group).or_default() += 1;
        let g = self.counts.entry(group).or_default();
        for (s, grades) in &ballot.0 {
            let c = g.entry(*s).or_insert([[0; 4]; 6]);
            for item in Item::ALL {
                c[item.index()][grades[item.index()].index()] += 1;
            }
        }
    }

    /// The total number of ballots.
    pub fn total(&self) -> u64 {
        self.ballots.values().sum()
    }
}

/// A percentage rounded to 0.1 (half away from zero), e.g. `85.3` for 85.3%.
pub type Percent = Decimal;

/// Weighted shares of one subject on one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    /// 德 … 总体评价.
    pub item: &'static str,
    /// Weighted share of each grade, in the order of [`Grade::ALL`].
    pub shares: [Percent; 4],
    /// 优秀率 (the weighted share of 优秀).
    pub excellent_rate: Percent,
    /// 称职以上率 (优秀 + 称职, rounded from the exact sum).
    pub competent_or_better_rate: Percent,
}

/// The results of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectResult {
    /// Subject id.
    pub subject: i64,
    /// One per item, in the order of [`Item::ALL`].
    pub items: Vec<ItemResult>,
}

/// The results of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Results {
    /// One per subject, in the order given.
    pub subjects: Vec<SubjectResult>,
    /// Groups that cast no ballot (left out; the others' weights renormalised).
    pub groups_without_ballots: Vec<i64>,
    /// Ballots per group.
    pub ballots: BTreeMap<i64, u64>,
}

/// Why results could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    /// No group cast a ballot.
    #[error("尚无选票，无法计算")]
    NoBallots,
    /// A weight with more than four decimals or out of range.
    #[error("权重{0}无效")]
    BadWeight(Decimal),
    /// The fractions grew beyond i128 (absurdly many groups or ballots).
    #[error("数值过大，无法精确计算")]
    Overflow,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// An exact non-negative fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frac {
    p: i128,
    q: i128,
}

impl Frac {
    const ZERO: Frac = Frac { p: 0, q: 1 };

    fn new(p: i128, q: i128) -> Result<Frac, ComputeError> {
        if q <= 0 {
            return Err(ComputeError::Overflow);
        }
        let g = gcd(p, q).max(1);
        Ok(Frac { p: p / g, q: q / g })
    }

    fn add(self, o: Frac) -> Result<Frac, ComputeError> {
        let g = gcd(self.q, o.q).max(1);
        let q = (self.q / g).checked_mul(o.q).ok_or(ComputeError::Overflow)?;
        let p = self
            .p
            .checked_mul(o.q / g)
            .and_then(|a| o.p.checked_mul(self.q / g).and_then(|b| a.checked_add(b)))
            .ok_or(ComputeError::Overflow)?;
        Frac::new(p, q)
    }

    /// The fraction as a percentage rounded to 0.1, half away from zero.
    fn percent(self) -> Result<Percent, ComputeError> {
        round_tenths_percent(self.p, self.q)
    }
}

/// `p / q` as a percentage rounded to 0.1 percentage points, half away from
/// zero: `round_tenths_percent(1, 8)` is 12.5, `(247, 2000)` (12.35%) is 12.4.
pub fn round_tenths_percent(p: i128, q: i128) -> Result<Percent, ComputeError> {
    if q == 0 {
        return Err(ComputeError::Overflow);
    }
    // tenths of a percent = p * 1000 / q, rounded half away from zero.
    let num = p.checked_mul(1000).ok_or(ComputeError::Overflow)?;
    let neg = (num < 0) != (q < 0);
    let (n, d) = (num.abs(), q.abs());
    let t = n
        .checked_mul(2)
        .and_then(|n2| n2.checked_add(d))
        .map(|x| x / (2 * d))
        .ok_or(ComputeError::Overflow)?;
    let t = i64::try_from(t).map_err(|_| ComputeError::Overflow)?;
    Ok(Decimal::new(if neg { -t } else { t }, 1))
}

/// A weight as an integer in ten-thousandths of a percent.
fn weight_units(w: Decimal) -> Result<i128, ComputeError> {
    let scaled = w.checked_mul(Decimal::from(10_000)).ok_or(ComputeError::BadWeight(w))?;
    if w <= Decimal::ZERO || scaled.fract() != Decimal::ZERO {
        return Err(ComputeError::BadWeight(w));
    }
    i128::try_from(scaled).map_err(|_| ComputeError::BadWeight(w))
}

/// The weighted results of a tally. `groups` are `(group id, weight in
/// percent)`; `subjects` the subject ids in the order of the sheet. See the
/// module documentation for the weighting and the rounding.
pub fn compute(groups: &[(i64, Decimal)], subjects: &[i64], tally: &Tally) -> Result<Results, ComputeError> {
    let mut voting = Vec::new();
    let mut without = Vec::new();
    for &(g, w) in groups {
        let n = tally.ballots.get(&g).copied().unwrap_or(0);
        if n == 0 {
            without.push(g);
        } else {
            voting.push((g, weight_units(w)?, i128::from(n)));
        }
    }
    if voting.is_empty() {
        return Err(ComputeError::NoBallots);
    }
    let total_w: i128 = voting.iter().map(|v| v.1).sum();
    let mut out = Vec::with_capacity(subjects.len());
    for &s in subjects {
        let mut items = Vec::with_capacity(6);
        for item in Item::ALL {
            let mut fr = [Frac::ZERO; 4];
            for &(g, w, n) in &voting {
                let c = tally
                    .counts
                    .get(&g)
                    .and_then(|m| m.get(&s))
                    .map(|c| c[item.index()])
                    .unwrap_or([0; 4]);
                for k in 0..4 {
                    let num = w.checked_mul(i128::from(c[k])).ok_or(ComputeError::Overflow)?;
                    fr[k] = fr[k].add(Frac::new(num, n)?)?;
                }
            }
            let share = |f: Frac| -> Result<Frac, ComputeError> {
                Frac::new(f.p, f.q.checked_mul(total_w).ok_or(ComputeError::Overflow)?)
            };
            let shares = [
                share(fr[0])?.percent()?,
                share(fr[1])?.percent()?,
                share(fr[2])?.percent()?,
                share(fr[3])?.percent()?,
            ];
            let good = share(fr[0].add(fr[1])?)?.percent()?;
            items.push(ItemResult {
                item: item.label(),
                shares,
                excellent_rate: shares[0],
                competent_or_better_rate: good,
            });
        }
        out.push(SubjectResult { subject: s, items });
    }
    Ok(Results {
        subjects: out,
        groups_without_ballots: without,
        ballots: tally.ballots.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn def() -> CampaignDef {
        CampaignDef {
            min_ballots: 0,
            year: 2026,
            title: "2026年度民主测评".into(),
            groups: vec![
                GroupDef {
                    name: "县级领导".into(),
                    weight: d("30"),
                },
                GroupDef {
                    name: "部门主要负责人".into(),
                    weight: d("40"),
                },
                GroupDef {
                    name: "乡镇党政正职".into(),
                    weight: d("30"),
                },
            ],
            subjects: vec![SubjectDef {
                name: "王建国".into(),
                post: "副区长".into(),
                person_id: None,
            }],
            opens_at: "2026-12-01T00:00:00Z".parse().unwrap(),
            closes_at: "2026-12-02T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn campaign_validation() {
        assert!(def().validate().is_ok());
        let mut c = def();
        c.groups[0].weight = d("31");
        let e = c.validate().unwrap_err();
        assert!(e.iter().any(|e| e.message.contains("合计应为100%，现为101%")), "{e:?}");
        let mut c = def();
        c.groups[1].name = "县级领导".into();
        c.groups[2].weight = d("-1");
        c.subjects.clear();
        c.closes_at = c.opens_at;
        c.title = " ".into();
        let e = c.validate().unwrap_err();
        assert_eq!(e.len(), 6, "{e:?}");
        let mut c = def();
        c.groups[0].weight = d("33.333");
        c.groups[1].weight = d("36.667");
        assert!(c.validate().unwrap_err().iter().any(|e| e.message.contains("两位小数")));
        c.groups[0].weight = d("33.33");
        c.groups[1].weight = d("36.67");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn codes() {
        let mut i = 0u8;
        let mut next = || {
            i = i.wrapping_add(37);
            i
        };
        let t = code_from_random(TOKEN_LEN, &mut next);
        assert_eq!(t.len(), 10);
        assert!(t.bytes().all(|b| ALPHABET.contains(&b)));
        let shown = display_code(&t);
        assert_eq!(shown.len(), 11);
        assert_eq!(normalize_code(&shown.to_lowercase(), TOKEN_LEN), Some(t.clone()));
        assert_eq!(normalize_code(&format!(" {shown} "), TOKEN_LEN), Some(t));
        assert_eq!(normalize_code("ABCDE-FGHJ0", TOKEN_LEN), None);
        assert_eq!(normalize_code("ABCDE-FGHJ", TOKEN_LEN), None);
        assert_eq!(normalize_code("ABCDE-FGHJKÉ", TOKEN_LEN), None);
        assert_eq!(display_code("ABCD2345"), "ABCD-2345");
        // bytes >= 248 are skipped: no bias.
        let mut seq = [255u8, 248, 0, 30, 247].into_iter().cycle();
        assert_eq!(code_from_random(3, &mut || seq.next().unwrap_or(0)), "2ZZ"); // 247 % 31 = 30
    }

    fn full(g: &str) -> Value {
        json!({"德": g, "能": g, "勤": g, "绩": g, "廉": g, "总体评价": g})
    }

    #[test]
    fn ballots_are_all_or_nothing() {
        let b = Ballot::parse(&json!({"7": full("优秀"), "9": full("称职")}), &[7, 9]).unwrap();
        assert_eq!(b.0[&9], [Grade::Competent; 6]);
        assert_eq!(Ballot::parse(&b.to_json(), &[7, 9]).unwrap(), b);
        let mut partial = full("优秀");
        partial.as_object_mut().unwrap().remove("廉");
        let e = Ballot::parse(&json!({"7": partial, "9": full("很好"), "11": full("优秀")}), &[7, 9]).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"grades.11"), "{fields:?}");
        assert!(fields.contains(&"grades.7.廉"), "{fields:?}");
        assert!(fields.contains(&"grades.9.德"), "{fields:?}");
        assert!(Ballot::parse(&json!({"7": full("优秀")}), &[7, 9]).is_err());
        assert!(Ballot::parse(&json!([1]), &[7]).is_err());
        let mut extra = full("优秀");
        extra.as_object_mut().unwrap().insert("才".into(), json!("优秀"));
        assert!(Ballot::parse(&json!({"7": extra}), &[7]).is_err());
    }

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(round_tenths_percent(1, 8).unwrap(), d("12.5"));
        assert_eq!(round_tenths_percent(247, 2000).unwrap(), d("12.4")); // 12.35
        assert_eq!(round_tenths_percent(2469, 20000).unwrap(), d("12.3")); // 12.345
        assert_eq!(round_tenths_percent(1, 3).unwrap(), d("33.3"));
        assert_eq!(round_tenths_percent(2, 3).unwrap(), d("66.7"));
        assert_eq!(round_tenths_percent(-247, 2000).unwrap(), d("-12.4"));
        assert_eq!(round_tenths_percent(1, 1).unwrap(), d("100.0"));
        assert_eq!(round_tenths_percent(0, 7).unwrap(), d("0.0"));
        assert_eq!(round_tenths_percent(1999, 2000).unwrap(), d("100.0")); // 99.95 → 100.0
    }

    fn ballot(s: i64, g: Grade) -> Ballot {
        Ballot([(s, [g; 6])].into_iter().collect())
    }

    #[test]
    fn weighted_shares() {
        // 县级领导 30%: 3 ballots, 2 优秀; 部门 40%: 4 ballots, 1 优秀 3 称职;
        // 乡镇 30%: 8 ballots, 1 优秀 6 称职 1 基本称职.
        let mut t = Tally::default();
        for (g, grades) in [
            (1, vec![Grade::Excellent, Grade::Excellent, Grade::Competent]),
            (
                2,
                vec![Grade::Excellent, Grade::Competent, Grade::Competent, Grade::Competent],
            ),
            (
                3,
                vec![
                    Grade::Excellent,
                    Grade::Competent,
                    Grade::Competent,
                    Grade::Competent,
                    Grade::Competent,
                    Grade::Competent,
                    Grade::Competent,
                    Grade::Basic,
                ],
            ),
        ] {
            for gr in grades {
                t.add(g, &ballot(5, gr));
            }
        }
        let groups = [(1, d("30")), (2, d("40")), (3, d("30"))];
        let r = compute(&groups, &[5], &t).unwrap();
        let it = &r.subjects[0].items[5];
        assert_eq!(it.item, "总体评价");
        // 优秀: 30*2/3 + 40*1/4 + 30*1/8 = 20 + 10 + 3.75 = 33.75 → 33.8
        assert_eq!(it.excellent_rate, d("33.8"));
        // 称职: 30*1/3 + 40*3/4 + 30*6/8 = 10 + 30 + 22.5 = 62.5
        assert_eq!(it.shares[1], d("62.5"));
        // 基本称职: 30*1/8 = 3.75 → 3.8 ; 不称职 0
        assert_eq!(it.shares[2], d("3.8"));
        assert_eq!(it.shares[3], d("0.0"));
        // 称职以上: exact 96.25 → 96.3 (not 33.8 + 62.5 = 96.3 by chance; see next)
        assert_eq!(it.competent_or_better_rate, d("96.3"));
        assert!(r.groups_without_ballots.is_empty());
        assert_eq!(t.total(), 15);

        // A group without ballots is left out, the others renormalised.
        let mut t2 = Tally::default();
        t2.add(1, &ballot(5, Grade::Excellent));
        t2.add(2, &ballot(5, Grade::Competent));
        t2.add(2, &ballot(5, Grade::Competent));
        let r = compute(&groups, &[5], &t2).unwrap();
        // 优秀: 30*1 / 70 = 42.857… → 42.9
        assert_eq!(r.subjects[0].items[0].excellent_rate, d("42.9"));
        assert_eq!(r.subjects[0].items[0].shares[1], d("57.1"));
        assert_eq!(r.subjects[0].items[0].competent_or_better_rate, d("100.0"));
        assert_eq!(r.groups_without_ballots, vec![3]);
        assert_eq!(compute(&groups, &[5], &Tally::default()), Err(ComputeError::NoBallots));
    }

    #[test]
    fn competent_or_better_is_rounded_from_the_exact_sum() {
        // one group, 8 ballots: 优秀 1/8 = 12.5, 称职 ... use thirds: 1 优秀, 1 称职, 1 基本 of 3
        let mut t = Tally::default();
        for g in [Grade::Excellent, Grade::Competent, Grade::Basic] {
            t.add(1, &ballot(5, g));
        }
        let r = compute(&[(1, d("100"))], &[5], &t).unwrap();
        let it = &r.subjects[0].items[0];
        assert_eq!(it.shares[0] + it.shares[1], d("66.6"));
        assert_eq!(it.competent_or_better_rate, d("66.7"));
    }

    #[test]
    fn tally_round_trips_through_json() {
        let mut t = Tally::default();
        t.add(3, &ballot(5, Grade::Basic));
        let s = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Tally>(&s).unwrap(), t);
    }
}
