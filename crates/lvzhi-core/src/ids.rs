//! Identifier checks and masking: 统一社会信用代码 (GB 32100-2015),
//! 居民身份证号码 (GB 11643-1999, MOD 11-2), phone numbers and personal names.

/// The 31 characters a 统一社会信用代码 may use (no I, O, Z, S, V).
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why an identifier is invalid; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong number of characters.
    #[error("应为{expected}位，实际为{actual}位")]
    Length {
        /// Required length.
        expected: usize,
        /// Given length.
        actual: usize,
    },
    /// A character not allowed at a 1-based position.
    #[error("第{pos}位“{ch}”不是允许的字符")]
    BadChar {
        /// 1-based position.
        pos: usize,
        /// The character.
        ch: char,
    },
    /// The check character does not match.
    #[error("校验位错误：应为“{expected}”，实际为“{actual}”")]
    Check {
        /// The check character the other characters give.
        expected: char,
        /// The check character written.
        actual: char,
    },
    /// The birth date inside an ID number is not a real date.
    #[error("出生日期“{0}”无效")]
    BirthDate(String),
    /// Not a phone number.
    #[error("不是有效的手机号或固定电话号码")]
    Phone,
}

/// The check character of the first 17 characters of a 统一社会信用代码.
fn credit_check_char(first17: &[u32]) -> char {
    let sum: u32 = first17.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
    let c = (31 - sum % 31) % 31;
    CREDIT_CHARS.chars().nth(c as usize).unwrap_or('0')
}

/// Validates a 统一社会信用代码 and returns it upper-cased.
pub fn check_credit_code(input: &str) -> Result<String, IdError> {
    let s: String = input.trim().to_ascii_uppercase();
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return Err(IdError::Length {
            expected: 18,
            actual: chars.len(),
        });
    }
    let mut values = Vec::with_capacity(18);
    for (i, &c) in chars.iter().enumerate() {
        match CREDIT_CHARS.find(c) {
            Some(v) => values.push(v as u32),
            None => return Err(IdError::BadChar { pos: i + 1, ch: c }),
        }
    }
    let expected = credit_check_char(&values[..17]);
    if expected != chars[17] {
        return Err(IdError::Check {
            expected,
            actual: chars[17],
        });
    }
    Ok(s)
}

/// Completes 17 characters into a valid 统一社会信用代码 (for generated demo data and tests).
pub fn complete_credit_code(first17: &str) -> Option<String> {
    let values: Option<Vec<u32>> = first17
        .chars()
        .map(|c| CREDIT_CHARS.find(c).map(|v| v as u32))
        .collect();
    let values = values?;
    if values.len() != 17 {
        return None;
    }
    Some(format!("{first17}{}", credit_check_char(&values)))
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

fn id_check_char(first17: &[u32]) -> char {
    let sum: u32 = first17.iter().zip(ID_WEIGHTS).map(|(v, w)| v * w).sum();
    ID_CHECK[(sum % 11) as usize]
}

/// Validates an 18-digit 身份证号 (check character and birth date) and returns
/// it with a capital X.
pub fn check_id_card(input: &str) -> Result<String, IdError> {
    let s: String = input.trim().to_ascii_uppercase();
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return Err(IdError::Length {
            expected: 18,
            actual: chars.len(),
        });
    }
    let mut digits = Vec::with_capacity(17);
    for (i, &c) in chars[..17].iter().enumerate() {
        match c.to_digit(10) {
            Some(v) => digits.push(v),
            None => return Err(IdError::BadChar { pos: i + 1, ch: c }),
        }
    }
    if !(chars[17].is_ascii_digit() || chars[17] == 'X') {
        return Err(IdError::BadChar { pos: 18, ch: chars[17] });
    }
    let birth: String = chars[6..14].iter().collect();
    let y: i16 = birth[0..4].parse().unwrap_or(0);
    let m: i8 = birth[4..6].parse().unwrap_or(0);
    let d: i8 = birth[6..8].parse().unwrap_or(0);
    if !(1900..=2100).contains(&y) || jiff::civil::Date::new(y, m, d).is_err() {
        return Err(IdError::BirthDate(birth));
    }
    let expected = id_check_char(&digits);
    if expected != chars[17] {
        return Err(IdError::Check {
            expected,
            actual: chars[17],
        });
    }
    Ok(s)
}

/// Completes 17 digits into a valid 身份证号 (for generated demo data and tests).
pub fn complete_id_card(first17: &str) -> Option<String> {
    let digits: Option<Vec<u32>> = first17.chars().map(|c| c.to_digit(10)).collect();
    let digits = digits?;
    if digits.len() != 17 {
        return None;
    }
    Some(format!("{first17}{}", id_check_char(&digits)))
}

/// Validates a mainland mobile number (11 digits, 1[3-9]…) or a landline
/// (area code 0xx/0xxx, a dash optional, 7–8 digits, optional extension).
pub fn check_phone(input: &str) -> Result<String, IdError> {
    let s: String = input.trim().chars().filter(|c| *c != ' ').collect();
    let digits_only = s.chars().all(|c| c.is_ascii_digit());
    if digits_only && s.len() == 11 && s.starts_with('1') && matches!(s.as_bytes()[1], b'3'..=b'9') {
        return Ok(s);
    }
    let main = s.split(['转', '#']).next().unwrap_or("");
    let parts: Vec<&str> = main.split('-').collect();
    let ok = match parts.as_slice() {
        [area, num] => {
            area.starts_with('0')
                && (3..=4).contains(&area.len())
                && area.chars().all(|c| c.is_ascii_digit())
                && (7..=8).contains(&num.len())
                && num.chars().all(|c| c.is_ascii_digit())
        }
        [num] => (7..=8).contains(&num.len()) && num.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    if ok { Ok(s) } else { Err(IdError::Phone) }
}

/// Masks an ID number: the region code and last four stay ("620902********1234").
pub fn mask_id_card(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let keep_tail = 4;
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - keep_tail..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6 - keep_tail))
}

/// Masks a phone number: mobiles keep 3 + 4 digits ("138****5678"), others the last 4.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 11 && chars.iter().all(|c| c.is_ascii_digit()) {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        return format!("{head}****{tail}");
    }
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{tail}", "*".repeat(chars.len() - 4))
}

/// Masks a personal name: the surname stays ("张*", "欧阳**").
pub fn mask_name(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 | 3 => format!("{}{}", chars[0], "*".repeat(chars.len() - 1)),
        n => format!("{}{}{}", chars[0], chars[1], "*".repeat(n - 2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_code_check_character() {
        // The example of GB 32100-2015, and a published company code.
        assert_eq!(check_credit_code("91350100M000100Y43").unwrap(), "91350100M000100Y43");
        assert_eq!(check_credit_code("91440300708461136t").unwrap(), "91440300708461136T");
        assert_eq!(
            check_credit_code("91440300708461136K"),
            Err(IdError::Check {
                expected: 'T',
                actual: 'K'
            })
        );
        assert_eq!(
            check_credit_code("9111000071093155"),
            Err(IdError::Length {
                expected: 18,
                actual: 16
            })
        );
        assert_eq!(
            check_credit_code("91110000710931I55J"),
            Err(IdError::BadChar { pos: 15, ch: 'I' })
        );
        let made = complete_credit_code("91620902MA7XK3L2P").unwrap();
        assert!(check_credit_code(&made).is_ok());
    }

    #[test]
    fn id_card_check_character_and_birth_date() {
        // The example of GB 11643-1999's annex.
        assert_eq!(check_id_card("11010519491231002X").unwrap(), "11010519491231002X");
        assert_eq!(check_id_card("11010519491231002x").unwrap(), "11010519491231002X");
        assert_eq!(
            check_id_card("110105194912310021"),
            Err(IdError::Check {
                expected: 'X',
                actual: '1'
            })
        );
        assert_eq!(
            check_id_card("110105194902300021").unwrap_err(),
            IdError::BirthDate("19490230".into())
        );
        assert!(matches!(check_id_card("1101051949123100"), Err(IdError::Length { .. })));
        assert_eq!(
            check_id_card("11010519491231A02X"),
            Err(IdError::BadChar { pos: 15, ch: 'A' })
        );
        let made = complete_id_card("62090219800229123").unwrap();
        assert!(check_id_card(&made).is_ok());
    }

    #[test]
    fn phones() {
        assert!(check_phone("13812345678").is_ok());
        assert!(check_phone("0937-2612345").is_ok());
        assert!(check_phone("09372612345").is_err());
        assert!(check_phone("12812345678").is_err());
        assert!(check_phone("138123456789").is_err());
        assert!(check_phone("abc").is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_card("11010519491231002X"), "110105********002X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0937-2612345"), "********2345");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳修文"), "欧阳**");
    }
}

/// Runs of ASCII letters and digits in `text` that read as an 18-digit 身份证号
/// (17 digits and a check character) or an 11-digit mobile number (1…): what
/// a search of a database file or dump for leaked personal numbers looks for.
/// A run inside a longer one (a hash, a hex ciphertext) is not one.
pub fn find_personal_numbers(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run = &text[start..i];
        let id = run.len() == 18
            && run[..17].bytes().all(|c| c.is_ascii_digit())
            && matches!(run.as_bytes()[17], b'0'..=b'9' | b'X' | b'x');
        let mobile = run.len() == 11 && run.starts_with('1') && run.bytes().all(|c| c.is_ascii_digit());
        if id || mobile {
            out.push(run);
        }
    }
    out
}

#[cfg(test)]
mod find_tests {
    #[test]
    fn finds_ids_and_mobiles_not_hashes() {
        let t = "x 62090219900101123X,13912345678；sm3:a62090219900101123Xb 139123456789 abc";
        assert_eq!(
            super::find_personal_numbers(t),
            vec!["62090219900101123X", "13912345678"]
        );
    }
}
