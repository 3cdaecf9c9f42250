//! Chinese number and text helpers, usable in templates as filters and
//! functions: amounts in 万元/亿元, 增长/下降 chosen by the sign, 增收/减收,
//! percentage points, ranks (全市第一), dates (2026年11月25日), Chinese
//! numerals and the official heading levels (一、（一）1.（1）).
//!
//! Every helper is exact (`rust_decimal`) and rounds half away from zero.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Why a helper cannot format its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}”不是数值")]
pub struct NotANumber(pub String);

/// Parses a decimal ("21.6", "-6.3829", "1e3" is refused).
pub fn dec(s: &str) -> Result<Decimal, NotANumber> {
    Decimal::from_str(s.trim()).map_err(|_| NotANumber(s.to_string()))
}

fn round(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounded to at most `dp` decimals, trailing zeros dropped ("21.60" → "21.6").
pub fn trim(v: Decimal, dp: u32) -> String {
    let r = round(v, dp).normalize();
    if r.is_zero() { "0".to_string() } else { r.to_string() }
}

/// Rounded to exactly `dp` decimals ("108" → "108.0").
pub fn fixed(v: Decimal, dp: u32) -> String {
    let mut r = round(v, dp);
    r.rescale(dp);
    if r.is_zero() {
        r = r.abs();
    }
    r.to_string()
}

/// An amount in 元 as a report prints it: ≥ 1亿 in 亿元, ≥ 1万 in 万元, else 元,
/// with at most `dp` decimals (2 by default): 2160000000 → 21.6亿元,
/// 3980000 → 398万元, 99999999 → 1亿元 (rounded up across the boundary).
pub fn amount(yuan: Decimal, dp: u32) -> String {
    let yi = Decimal::from(100_000_000);
    let wan = Decimal::from(10_000);
    let a = yuan.abs();
    let sign = if yuan.is_sign_negative() && !yuan.is_zero() {
        "-"
    } else {
        ""
    };
    // Decide the unit after rounding, so 9999.999万元 becomes 1亿元, not 10000万元.
    if a >= yi || round(a / wan, dp) >= wan {
        format!("{sign}{}亿元", trim(a / yi, dp))
    } else if a >= wan || round(a, dp) >= wan {
        format!("{sign}{}万元", trim(a / wan, dp))
    } else {
        format!("{sign}{}元", trim(a, dp))
    }
}

/// A growth rate in percent with its word: 增长21.8%, 下降6.38%, 持平 (never "增长-6.38%").
pub fn growth(pct: Decimal, dp: u32) -> String {
    let r = round(pct, dp);
    if r.is_zero() {
        "持平".to_string()
    } else if r.is_sign_negative() {
        format!("下降{}%", fixed(-r, dp))
    } else {
        format!("增长{}%", fixed(r, dp))
    }
}

/// A change in money with its word: 增收3.87亿元, 减收4100万元, 持平.
pub fn income_change(yuan: Decimal, dp: u32) -> String {
    if yuan.is_zero() {
        "持平".to_string()
    } else if yuan.is_sign_negative() {
        format!("减收{}", amount(-yuan, dp))
    } else {
        format!("增收{}", amount(yuan, dp))
    }
}

/// A change in percentage points: 提高1.2个百分点, 下降0.07个百分点, 持平.
pub fn points(pp: Decimal, dp: u32) -> String {
    let r = round(pp, dp);
    if r.is_zero() {
        "持平".to_string()
    } else if r.is_sign_negative() {
        format!("下降{}个百分点", trim(-r, dp))
    } else {
        format!("提高{}个百分点", trim(r, dp))
    }
}

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A non-negative integer in Chinese numerals: 1 → 一, 10 → 十, 23 → 二十三,
/// 105 → 一百零五, 2026 → 二千零二十六, 10000 → 一万.
pub fn cn_number(n: u64) -> String {
    if n == 0 {
        return DIGITS[0].to_string();
    }
    if n >= 100_000_000 {
        let hi = cn_number(n / 100_000_000);
        let lo = n % 100_000_000;
        return if lo == 0 {
            format!("{hi}亿")
        } else if lo < 10_000_000 {
            format!("{hi}亿零{}", cn_small_or_wan(lo))
        } else {
            format!("{hi}亿{}", cn_small_or_wan(lo))
        };
    }
    cn_small_or_wan(n)
}

fn cn_small_or_wan(n: u64) -> String {
    if n >= 10_000 {
        let hi = cn_below_10000(n / 10_000, true);
        let lo = n % 10_000;
        if lo == 0 {
            format!("{hi}万")
        } else if lo < 1000 {
            format!("{hi}万零{}", cn_below_10000(lo, false))
        } else {
            format!("{hi}万{}", cn_below_10000(lo, false))
        }
    } else {
        cn_below_10000(n, true)
    }
}

fn cn_below_10000(n: u64, leading: bool) -> String {
    let units = ["千", "百", "十", ""];
    let ds = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = String::new();
    let mut zero = false;
    let mut started = false;
    for (i, d) in ds.iter().enumerate() {
        if *d == 0 {
            if started {
                zero = true;
            }
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        // 十一, not 一十一, at the start of a number.
        if !(leading && !started && i == 2 && *d == 1) {
            out.push_str(DIGITS.get(*d as usize).copied().unwrap_or(""));
        }
        out.push_str(units[i]);
        started = true;
    }
    out
}

/// A rank with its area: (1, "全市") → 全市第一.
pub fn rank(n: u64, area: &str) -> String {
    format!("{area}第{}", cn_number(n))
}

/// A date as official documents print it: 2026-11-25 → 2026年11月25日.
pub fn cn_date(iso: &str) -> Result<String, NotANumber> {
    let d: jiff::civil::Date = iso.trim().parse().map_err(|_| NotANumber(iso.to_string()))?;
    Ok(format!("{}年{}月{}日", d.year(), d.month(), d.day()))
}

/// The official heading number of `n` (1-based) at `level`:
/// 1 → 一、, 2 → （一）, 3 → 1., 4 → （1）.
pub fn heading_number(level: u8, n: u64) -> String {
    match level {
        1 => format!("{}、", cn_number(n)),
        2 => format!("（{}）", cn_number(n)),
        3 => format!("{n}."),
        _ => format!("（{n}）"),
    }
}

/// The enumerators of the seed's prose: 1 → 一是, 2 → 二是.
pub fn ordinal_shi(n: u64) -> String {
    format!("{}是", cn_number(n))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        dec(s).unwrap()
    }

    #[test]
    fn amounts_and_boundaries() {
        assert_eq!(amount(d("2160000000"), 2), "21.6亿元");
        assert_eq!(amount(d("203820000000"), 2), "2038.2亿元");
        assert_eq!(amount(d("3980000"), 2), "398万元");
        assert_eq!(amount(d("100000000"), 2), "1亿元");
        assert_eq!(amount(d("99999999"), 2), "1亿元");
        assert_eq!(amount(d("99940000"), 2), "9994万元");
        assert_eq!(amount(d("10000"), 2), "1万元");
        assert_eq!(amount(d("9999.996"), 2), "1万元");
        assert_eq!(amount(d("9999"), 2), "9999元");
        assert_eq!(amount(d("0"), 2), "0元");
        assert_eq!(amount(d("-41000000"), 2), "-4100万元");
        assert_eq!(amount(d("1368000000"), 1), "13.7亿元");
        assert_eq!(amount(d("2662500"), 2), "266.25万元");
    }

    #[test]
    fn growth_by_sign() {
        assert_eq!(growth(d("21.827"), 1), "增长21.8%");
        assert_eq!(growth(d("-6.3829"), 2), "下降6.38%");
        assert_eq!(growth(d("-0.04"), 1), "持平");
        assert_eq!(growth(d("0.05"), 1), "增长0.1%");
        assert_eq!(growth(d("10"), 1), "增长10.0%");
        assert!(!growth(d("-6.38"), 2).contains('-'));
    }

    #[test]
    fn income_and_points() {
        assert_eq!(income_change(d("387000000"), 2), "增收3.87亿元");
        assert_eq!(income_change(d("-41000000"), 2), "减收4100万元");
        assert_eq!(income_change(d("0"), 2), "持平");
        assert_eq!(points(d("1.234"), 2), "提高1.23个百分点");
        assert_eq!(points(d("-0.07"), 2), "下降0.07个百分点");
        assert_eq!(points(d("0.004"), 2), "持平");
    }

    #[test]
    fn numerals_ranks_dates_headings() {
        let cases = [
            (0, "零"),
            (1, "一"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (23, "二十三"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
            (2026, "二千零二十六"),
            (10000, "一万"),
            (10010, "一万零一十"),
            (120000, "十二万"),
            (100000000, "一亿"),
        ];
        for (n, s) in cases {
            assert_eq!(cn_number(n), s, "{n}");
        }
        assert_eq!(rank(1, "全市"), "全市第一");
        assert_eq!(rank(3, "全省"), "全省第三");
        assert_eq!(cn_date("2026-11-25").unwrap(), "2026年11月25日");
        assert_eq!(cn_date("2026-01-05").unwrap(), "2026年1月5日");
        assert!(cn_date("2026-13-01").is_err());
        assert_eq!(heading_number(1, 5), "五、");
        assert_eq!(heading_number(2, 2), "（二）");
        assert_eq!(heading_number(3, 1), "1.");
        assert_eq!(heading_number(4, 3), "（3）");
        assert_eq!(ordinal_shi(4), "四是");
        assert_eq!(trim(d("21.60"), 2), "21.6");
        assert_eq!(fixed(d("108"), 1), "108.0");
        assert!(dec("abc").is_err());
    }
}
