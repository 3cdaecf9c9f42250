//! Values as a report prints them: 21.6亿元, 114.2%, 增长21.8%, 下降6.38%,
//! 增收3.87亿元, 6.32万人, 第1位. Rounding is half away from zero.

use crate::def::FormulaKind;
use lvzhi_core::money;
use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds half away from zero.
pub fn round(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal with exactly `dp` decimals ("114.2", "10.0").
pub fn fixed(v: Decimal, dp: u32) -> String {
    let mut r = round(v, dp);
    r.rescale(dp);
    let s = r.to_string();
    if s.starts_with('-') && r.is_zero() {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A plain amount in `unit`: money in 元/万元/亿元, counts ≥ 1万 in 万.
fn amount(v: Decimal, unit: &str, decimals: Option<u32>) -> String {
    match unit {
        "元" => money::format_money(v, decimals.unwrap_or(2)),
        "%" => format!("{}%", fixed(v, decimals.unwrap_or(1))),
        _ => {
            if v.abs() >= Decimal::from(10_000) && v.fract().is_zero() {
                let w = round(v / Decimal::from(10_000), decimals.unwrap_or(2));
                format!("{}万{unit}", money::trim_decimal(w))
            } else {
                let r = match decimals {
                    Some(d) => fixed(v, d),
                    None => money::trim_decimal(round(v, 2)),
                };
                format!("{r}{unit}")
            }
        }
    }
}

/// The display of a value of an indicator with this unit, computed by this
/// formula (None for measures and statistics).
pub fn display(v: Decimal, unit: &str, decimals: Option<u32>, formula: Option<FormulaKind>) -> String {
    match formula {
        Some(FormulaKind::Growth) => {
            let d = decimals.unwrap_or(1);
            let r = round(v, d);
            if r.is_zero() {
                "持平".to_string()
            } else if r.is_sign_negative() {
                format!("下降{}%", fixed(-v, d))
            } else {
                format!("增长{}%", fixed(v, d))
            }
        }
        Some(FormulaKind::Increase) => {
            let (up, down) = if unit == "元" {
                ("增收", "减收")
            } else {
                ("增加", "减少")
            };
            if v.is_zero() {
                "持平".to_string()
            } else if v.is_sign_negative() {
                format!("{down}{}", amount(-v, unit, decimals))
            } else {
                format!("{up}{}", amount(v, unit, decimals))
            }
        }
        Some(FormulaKind::PpChange) => {
            let d = decimals.unwrap_or(2);
            let r = round(v, d);
            if r.is_zero() {
                "持平".to_string()
            } else if r.is_sign_negative() {
                format!("下降{}个百分点", money::trim_decimal(-r))
            } else {
                format!("提高{}个百分点", money::trim_decimal(r))
            }
        }
        Some(FormulaKind::Rank) => format!("第{}位", money::trim_decimal(v)),
        _ => amount(v, unit, decimals),
    }
}

/// The stored value string: exact for money and counts, two decimals for rates.
pub fn value_text(v: Decimal, unit: &str) -> String {
    if unit == "%" || unit == "个百分点" || (!v.fract().is_zero() && v.scale() > 2) {
        money::trim_decimal(round(v, 2))
    } else {
        money::trim_decimal(v)
    }
}

/// The unit a figure is shown in: its display's own (亿元 beside 305.77亿元,
/// 万元 beside 398万元), never the base unit of the exact value (元) when
/// the display scaled it; the indicator's unit otherwise.
pub fn shown_unit(display: &str, unit: &str) -> String {
    if unit == "元" {
        for u in ["亿元", "万元", "元"] {
            if display.ends_with(u) {
                return u.to_string();
            }
        }
    }
    unit.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_units() {
        assert_eq!(super::shown_unit("305.77亿元", "元"), "亿元");
        assert_eq!(super::shown_unit("398万元", "元"), "万元");
        assert_eq!(super::shown_unit("无数据", "元"), "元");
        assert_eq!(super::shown_unit("1141个", "个"), "个");
        assert_eq!(super::shown_unit("增长5.8%", "%"), "%");
    }

    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_rates_and_counts() {
        assert_eq!(display(d("2160000000"), "元", None, None), "21.6亿元");
        assert_eq!(display(d("203820000000"), "元", None, None), "2038.2亿元");
        assert_eq!(display(d("3980000"), "元", None, None), "398万元");
        assert_eq!(
            display(d("114.1649"), "%", Some(1), Some(FormulaKind::Completion)),
            "114.2%"
        );
        assert_eq!(display(d("108"), "%", Some(1), None), "108.0%");
        assert_eq!(display(d("1141"), "个", None, None), "1141个");
        assert_eq!(display(d("63200"), "人", None, None), "6.32万人");
        assert_eq!(display(d("426000"), "人", None, None), "42.6万人");
        assert_eq!(display(d("3.05"), "%", Some(2), None), "3.05%");
    }

    #[test]
    fn growth_and_change_words() {
        assert_eq!(display(d("21.827"), "%", None, Some(FormulaKind::Growth)), "增长21.8%");
        assert_eq!(
            display(d("-6.3829"), "%", Some(2), Some(FormulaKind::Growth)),
            "下降6.38%"
        );
        assert_eq!(display(d("0.01"), "%", None, Some(FormulaKind::Growth)), "持平");
        assert_eq!(
            display(d("387000000"), "元", None, Some(FormulaKind::Increase)),
            "增收3.87亿元"
        );
        assert_eq!(
            display(d("-41000000"), "元", None, Some(FormulaKind::Increase)),
            "减收4100万元"
        );
        assert_eq!(display(d("-3"), "起", None, Some(FormulaKind::Increase)), "减少3起");
        assert_eq!(
            display(d("-0.07"), "个百分点", None, Some(FormulaKind::PpChange)),
            "下降0.07个百分点"
        );
        assert_eq!(display(d("1"), "位", None, Some(FormulaKind::Rank)), "第1位");
    }

    #[test]
    fn value_texts() {
        assert_eq!(value_text(d("114.164904"), "%"), "114.16");
        assert_eq!(value_text(d("2160000000.00"), "元"), "2160000000");
        assert_eq!(fixed(d("-0.001"), 1), "0.0");
    }
}
