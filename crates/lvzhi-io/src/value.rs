//! From a cell to the raw value [`FieldDef::validate`] takes: Excel date
//! serials to dates, numbers to exact decimal text, amounts in a column's unit
//! (a header "金额（万元）" reads a bare 398 as 398万元), 18-digit numbers that
//! Excel has already rounded refused with a reason.

use crate::org::OrgIndex;
use crate::sheet::{Cell, number_text};
use jiff::civil::{Date, DateTime};
use lvzhi_core::field::{FieldDef, FieldType};
use lvzhi_core::money::MoneyUnit;
use serde::Serialize;
use serde_json::Value;

/// Why a cell was refused: a stable code for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A required field is empty.
    Required,
    /// The value does not validate (type, range, enum, check digit…).
    Invalid,
    /// A unit, person or division name that is not in the organisation.
    UnknownReference,
    /// A name that fits several units, people or divisions.
    AmbiguousReference,
    /// A long number Excel has already rounded (身份证号 stored as a number).
    Precision,
    /// An Excel error value (#DIV/0!, #REF!…).
    CellError,
    /// The record would fall outside the importing user's scope.
    OutOfScope,
    /// An unknown workflow state in the 状态 column.
    UnknownState,
}

impl ErrorKind {
    /// A short English description, for the CLI's second language.
    pub fn english(self) -> &'static str {
        match self {
            ErrorKind::Required => "required value missing",
            ErrorKind::Invalid => "invalid value",
            ErrorKind::UnknownReference => "unknown unit, person or division",
            ErrorKind::AmbiguousReference => "ambiguous name",
            ErrorKind::Precision => "number stored as a number lost its last digits; format the column as text",
            ErrorKind::CellError => "the cell holds an Excel error",
            ErrorKind::OutOfScope => "outside your scope",
            ErrorKind::UnknownState => "unknown workflow state",
        }
    }
}

/// A refusal of one cell, before the field's name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRefusal {
    /// Why.
    pub kind: ErrorKind,
    /// The reason in Chinese, without the column name.
    pub message: String,
}

fn refuse(kind: ErrorKind, message: impl Into<String>) -> CellRefusal {
    CellRefusal {
        kind,
        message: message.into(),
    }
}

/// The 1900-system date of an Excel serial (with Excel's 1900-02-29 bug).
pub fn serial_to_datetime(serial: f64) -> Option<DateTime> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    if days == 60 {
        return None; // 1900-02-29, which never was
    }
    let epoch = if days < 60 {
        jiff::civil::date(1899, 12, 31)
    } else {
        jiff::civil::date(1899, 12, 30)
    };
    let date = epoch.checked_add(jiff::Span::new().days(days)).ok()?;
    let ms = ((serial - serial.floor()) * 86_400_000.0).round() as i64;
    let ms = ms.min(86_399_999);
    let time = jiff::civil::Time::midnight()
        .checked_add(jiff::Span::new().milliseconds(ms))
        .ok()?;
    Some(date.to_datetime(time))
}

/// The 1900-system serial of a civil date-time (inverse of [`serial_to_datetime`]).
pub fn datetime_to_serial(y: u16, m: u8, d: u8, h: u8, mi: u8, s: u8, ms: u16) -> Option<f64> {
    let date = Date::new(y as i16, m as i8, d as i8).ok()?;
    Some(date_serial(date)? + (h as f64 * 3600.0 + mi as f64 * 60.0 + s as f64 + ms as f64 / 1000.0) / 86_400.0)
}

/// The Excel serial of a date (1900 system).
pub fn date_serial(date: Date) -> Option<f64> {
    let epoch = jiff::civil::date(1899, 12, 30);
    let days = (date - epoch).get_days() as f64;
    let days = if days < 61.0 { days - 1.0 } else { days };
    if days < 1.0 { None } else { Some(days) }
}

/// Whether text is a number Excel wrote in scientific form ("1.10105E+17").
fn scientific(s: &str) -> bool {
    let s = s.trim();
    let Some((mant, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mant.is_empty()
        && mant.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

/// Turns a cell into the raw JSON value for `f` (names of units, people and
/// divisions resolved through `org`), or refuses it. `Ok(Value::Null)` is empty.
pub fn cell_value(
    cell: &Cell,
    f: &FieldDef,
    column_unit: Option<MoneyUnit>,
    org: &OrgIndex,
) -> Result<Value, CellRefusal> {
    if cell.is_empty() {
        return Ok(Value::Null);
    }
    if let Cell::Error(e) = cell {
        return Err(refuse(
            ErrorKind::CellError,
            format!("单元格为Excel错误值“{e}”，请检查公式"),
        ));
    }
    let num = match cell {
        Cell::Number(x) => Some(*x),
        Cell::Int(i) => Some(*i as f64),
        _ => None,
    };
    if let Some(x) = num
        && !x.is_finite()
    {
        return Err(refuse(ErrorKind::Invalid, "不是有限的数值"));
    }
    match f.ty {
        FieldType::Date | FieldType::Datetime => {
            let serial = match cell {
                Cell::Date(s) => Some(*s),
                Cell::Number(x) => Some(*x),
                Cell::Int(i) => Some(*i as f64),
                // A CSV saved from Excel may carry the bare serial (46086).
                Cell::Text(t) => {
                    let t = t.trim();
                    let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
                    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
                    if int.len() == 5 && digits(int) && digits(frac) {
                        t.parse::<f64>().ok()
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(s) = serial {
                let dt = serial_to_datetime(s)
                    .ok_or_else(|| refuse(ErrorKind::Invalid, format!("“{}”不是有效的Excel日期", number_text(s))))?;
                return Ok(Value::String(if f.ty == FieldType::Date {
                    dt.date().to_string()
                } else {
                    dt.strftime("%Y-%m-%d %H:%M:%S").to_string()
                }));
            }
            Ok(Value::String(cell.text()))
        }
        FieldType::Money => match (cell, num) {
            (_, Some(x)) => {
                let unit = column_unit.or(f.unit).unwrap_or(MoneyUnit::Yuan);
                Ok(Value::String(format!("{}{}", number_text(x), unit.label())))
            }
            (Cell::Text(t), None) => {
                let t = t.trim();
                let bare = lvzhi_core::money::parse_decimal(t).is_ok();
                match (bare, column_unit) {
                    (true, Some(u)) => Ok(Value::String(format!("{t}{}", u.label()))),
                    _ => Ok(Value::String(t.to_string())),
                }
            }
            _ => Ok(Value::String(cell.text())),
        },
        FieldType::IdCard | FieldType::CreditCode | FieldType::Phone | FieldType::Text | FieldType::LongText => {
            if let Some(x) = num
                && x.abs() >= 9_007_199_254_740_992.0
                && matches!(f.ty, FieldType::IdCard | FieldType::CreditCode)
            {
                return Err(refuse(
                    ErrorKind::Precision,
                    format!(
                        "以数值格式保存（{}），Excel已丢失末几位，请把该列设为文本格式后重新填写",
                        number_text(x)
                    ),
                ));
            }
            if let Cell::Text(t) = cell
                && matches!(f.ty, FieldType::IdCard | FieldType::CreditCode)
                && scientific(t)
            {
                return Err(refuse(
                    ErrorKind::Precision,
                    format!(
                        "“{}”是科学计数法，Excel已丢失末几位，请把该列设为文本格式后重新填写",
                        t.trim()
                    ),
                ));
            }
            Ok(Value::String(cell.text()))
        }
        FieldType::Bool => match cell {
            Cell::Bool(b) => Ok(Value::Bool(*b)),
            _ => Ok(Value::String(cell.text())),
        },
        FieldType::Unit => match cell {
            Cell::Text(t) => org.unit(t).map(Value::from),
            _ => Ok(Value::String(cell.text())),
        },
        FieldType::Person => match cell {
            Cell::Text(t) => org.person(t).map(Value::from),
            _ => Ok(Value::String(cell.text())),
        },
        FieldType::Division => org.division(&cell.text()).map(Value::String),
        _ => Ok(Value::String(cell.text())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials() {
        let d = |s: f64| serial_to_datetime(s).map(|d| d.to_string());
        assert_eq!(d(46086.0).as_deref(), Some("2026-03-05T00:00:00"));
        assert_eq!(d(46086.5).as_deref(), Some("2026-03-05T12:00:00"));
        assert_eq!(d(1.0).as_deref(), Some("1900-01-01T00:00:00"));
        assert_eq!(d(59.0).as_deref(), Some("1900-02-28T00:00:00"));
        assert_eq!(d(61.0).as_deref(), Some("1900-03-01T00:00:00"));
        assert_eq!(d(60.0), None);
        assert_eq!(d(0.0), None);
        assert_eq!(d(f64::NAN), None);
        assert_eq!(date_serial(jiff::civil::date(2026, 3, 5)), Some(46086.0));
        assert_eq!(date_serial(jiff::civil::date(1900, 1, 1)), Some(1.0));
        assert_eq!(datetime_to_serial(2026, 3, 5, 12, 0, 0, 0), Some(46086.5));
    }

    #[test]
    fn scientific_numbers() {
        assert!(scientific("1.10105E+17"));
        assert!(scientific("9.1e17"));
        assert!(!scientific("91350100M000100Y43"));
        assert!(!scientific("E+17"));
    }
}
