//! Exact amounts of money. Stored and computed in 元 as [`Decimal`]; entered
//! and shown in 元/万元/亿元 the way county documents write them.

use rust_decimal::Decimal;
use std::fmt;

/// A unit in which an amount may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MoneyUnit {
    /// 元
    #[serde(rename = "元")]
    Yuan,
    /// 万元 (10⁴ 元)
    #[serde(rename = "万元")]
    Wan,
    /// 亿元 (10⁸ 元)
    #[serde(rename = "亿元")]
    Yi,
}

impl MoneyUnit {
    /// How many 元 one of this unit is.
    pub fn factor(self) -> Decimal {
        match self {
            MoneyUnit::Yuan => Decimal::ONE,
            MoneyUnit::Wan => Decimal::from(10_000),
            MoneyUnit::Yi => Decimal::from(100_000_000),
        }
    }
    /// The unit's Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::Wan => "万元",
            MoneyUnit::Yi => "亿元",
        }
    }
}

impl fmt::Display for MoneyUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Nothing but blanks.
    #[error("值为空")]
    Empty,
    /// A character that does not belong in a number, with its 1-based position.
    #[error("第{pos}个字符“{ch}”不是数字")]
    BadChar {
        /// 1-based character position.
        pos: usize,
        /// The offending character.
        ch: char,
    },
    /// Digits that do not form a number (two points, a lone sign, too long).
    #[error("“{0}”不是有效的数字")]
    Malformed(String),
}

/// Normalises full-width digits and punctuation to ASCII and drops thousands
/// separators and blanks.
pub fn normalize_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '．' | '。' => out.push('.'),
            '－' | '−' => out.push('-'),
            '＋' => out.push('+'),
            ',' | '，' | ' ' | '\u{3000}' | '\u{a0}' | '_' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Parses a plain decimal number (full-width digits and thousands separators
/// allowed). Used for the decimal, percent and integer field types too.
pub fn parse_decimal(input: &str) -> Result<Decimal, NumberError> {
    let s = normalize_digits(input.trim());
    if s.is_empty() {
        return Err(NumberError::Empty);
    }
    for (i, c) in s.chars().enumerate() {
        if !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)) {
            return Err(NumberError::BadChar { pos: i + 1, ch: c });
        }
    }
    s.parse::<Decimal>()
        .map_err(|_| NumberError::Malformed(input.trim().to_string()))
}

/// Parses an amount such as "21.6亿元", "5,000万", "1.2万元", "￥398.00" or a
/// bare number, which is read in `default_unit`. Returns 元.
pub fn parse_money(input: &str, default_unit: MoneyUnit) -> Result<Decimal, NumberError> {
    let mut s = input.trim();
    for prefix in ["￥", "¥", "RMB", "人民币"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
        }
    }
    let (num, unit) = if let Some(n) = s.strip_suffix("亿元").or_else(|| s.strip_suffix("亿")) {
        (n, MoneyUnit::Yi)
    } else if let Some(n) = s.strip_suffix("万元").or_else(|| s.strip_suffix("万")) {
        (n, MoneyUnit::Wan)
    } else if let Some(n) = s.strip_suffix("元") {
        (n, MoneyUnit::Yuan)
    } else {
        (s, default_unit)
    };
    let value = parse_decimal(num)?;
    value
        .checked_mul(unit.factor())
        .ok_or_else(|| NumberError::Malformed(input.trim().to_string()))
}

/// Trims trailing zeros of a decimal's fraction ("21.60" → "21.6", "5.00" → "5").
pub fn trim_decimal(d: Decimal) -> String {
    let s = d.normalize().to_string();
    if s == "-0" { "0".to_string() } else { s }
}

/// Shows an amount in 元 the way a report does: 亿元 from 1亿, 万元 from 1万,
/// otherwise 元; at most `max_decimals` decimals, trailing zeros trimmed.
pub fn format_money(yuan: Decimal, max_decimals: u32) -> String {
    let abs = yuan.abs();
    let unit = if abs >= MoneyUnit::Yi.factor() {
        MoneyUnit::Yi
    } else if abs >= MoneyUnit::Wan.factor() {
        MoneyUnit::Wan
    } else {
        MoneyUnit::Yuan
    };
    format_money_in(yuan, unit, max_decimals)
}

/// Shows an amount in 元 in a chosen unit, rounded half away from zero.
pub fn format_money_in(yuan: Decimal, unit: MoneyUnit, max_decimals: u32) -> String {
    let v = (yuan / unit.factor())
        .round_dp_with_strategy(max_decimals, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{}{}", trim_decimal(v), unit.label())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_every_written_form() {
        assert_eq!(parse_money("21.6亿元", MoneyUnit::Yuan).unwrap(), d("2160000000"));
        assert_eq!(parse_money("21.6亿", MoneyUnit::Yuan).unwrap(), d("2160000000"));
        assert_eq!(parse_money("5,000万", MoneyUnit::Yuan).unwrap(), d("50000000"));
        assert_eq!(parse_money("1.2万元", MoneyUnit::Yuan).unwrap(), d("12000"));
        assert_eq!(parse_money("￥398.50", MoneyUnit::Yuan).unwrap(), d("398.50"));
        assert_eq!(parse_money("３９８万元", MoneyUnit::Yuan).unwrap(), d("3980000"));
        assert_eq!(parse_money("12", MoneyUnit::Wan).unwrap(), d("120000"));
        assert_eq!(parse_money("-15万元", MoneyUnit::Yuan).unwrap(), d("-150000"));
    }

    #[test]
    fn rejects_bad_amounts_naming_the_character() {
        assert_eq!(parse_money("", MoneyUnit::Yuan), Err(NumberError::Empty));
        assert_eq!(
            parse_money("12a万元", MoneyUnit::Yuan),
            Err(NumberError::BadChar { pos: 3, ch: 'a' })
        );
        assert!(matches!(
            parse_money("1.2.3", MoneyUnit::Yuan),
            Err(NumberError::Malformed(_))
        ));
        assert!(parse_money("万元", MoneyUnit::Yuan).is_err());
        assert!(parse_money("1-2", MoneyUnit::Yuan).is_err());
    }

    #[test]
    fn formats_at_unit_boundaries() {
        assert_eq!(format_money(d("2160000000"), 2), "21.6亿元");
        assert_eq!(format_money(d("100000000"), 2), "1亿元");
        assert_eq!(format_money(d("99999999"), 2), "10000万元");
        assert_eq!(format_money(d("3980000"), 2), "398万元");
        assert_eq!(format_money(d("9999"), 2), "9999元");
        assert_eq!(format_money(d("10000"), 2), "1万元");
        assert_eq!(format_money(d("-387000000"), 2), "-3.87亿元");
        assert_eq!(format_money_in(d("1867000000"), MoneyUnit::Yi, 1), "18.7亿元");
        assert_eq!(format_money_in(d("125000"), MoneyUnit::Wan, 0), "13万元");
    }
}
