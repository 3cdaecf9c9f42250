//! Field types and the validation of one value.
//!
//! A value arrives as JSON (from the API, a form, or an import that already
//! turned a cell into text) and leaves normalised: money as a decimal string in
//! 元, dates as `YYYY-MM-DD`, enums as their canonical value, identifiers
//! upper-cased and checked. Every error names the field in Chinese.

use crate::access::Role;
use crate::ids;
use crate::money::{self, MoneyUnit};
use crate::period::Period;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The type of a ledger field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A whole number.
    Integer,
    /// An exact decimal.
    Decimal,
    /// An exact amount, stored in 元; accepts 元/万元/亿元.
    Money,
    /// A percentage, stored as the number before the % sign.
    Percent,
    /// A civil date.
    Date,
    /// An instant, stored in UTC; entered in Asia/Shanghai time.
    Datetime,
    /// A period (年/季/月/旬 or range).
    Period,
    /// One of the listed values.
    Enum,
    /// Any of the listed values.
    MultiEnum,
    /// Yes or no.
    Bool,
    /// A GB/T 2260 division code (county, township or village).
    Division,
    /// A unit (department or township government) by id.
    Unit,
    /// A person by id.
    Person,
    /// Another record by id.
    Record,
    /// 统一社会信用代码.
    CreditCode,
    /// 身份证号 (masked for roles that do not need it).
    IdCard,
    /// A phone number (masked for roles that do not need it).
    Phone,
}

impl FieldType {
    /// The type's Chinese name, for forms and errors.
    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "文本",
            FieldType::LongText => "长文本",
            FieldType::Integer => "整数",
            FieldType::Decimal => "数值",
            FieldType::Money => "金额",
            FieldType::Percent => "百分比",
            FieldType::Date => "日期",
            FieldType::Datetime => "日期时间",
            FieldType::Period => "期间",
            FieldType::Enum => "单选",
            FieldType::MultiEnum => "多选",
            FieldType::Bool => "是否",
            FieldType::Division => "行政区划",
            FieldType::Unit => "单位",
            FieldType::Person => "人员",
            FieldType::Record => "关联记录",
            FieldType::CreditCode => "统一社会信用代码",
            FieldType::IdCard => "身份证号",
            FieldType::Phone => "电话",
        }
    }
}

/// The part a field plays for the record as a whole: the store keeps these in
/// their own indexed columns so that lists filter on them fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// The responsible unit (责任单位): decides who handles the item.
    Unit,
    /// The division (乡镇/村) the item is in.
    Division,
    /// The leader who owns the item (包挂/包案领导).
    Owner,
    /// The item's deadline (整改期限/办理时限).
    Deadline,
    /// The record's title in lists.
    Title,
}

/// How a sensitive field is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mask {
    /// Not masked.
    None,
    /// A personal name: surname kept.
    Name,
    /// An ID number: region and last four kept.
    IdCard,
    /// A phone number.
    Phone,
    /// Everything hidden.
    Full,
}

fn default_true() -> bool {
    true
}

/// One field of a ledger kind, as written in a pack file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Stable ASCII key used in the API and storage (`company`).
    pub key: String,
    /// The Chinese name shown to users (企业名称).
    pub label: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Must have a value on create.
    #[serde(default)]
    pub required: bool,
    /// Enum values, in display order.
    #[serde(default)]
    pub values: Vec<String>,
    /// Other spellings accepted for enum values: synonym → value.
    #[serde(default)]
    pub synonyms: std::collections::BTreeMap<String, String>,
    /// Other header names accepted on import (隐患内容 for 隐患描述).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Lowest allowed number (integer, decimal, money in 元, percent).
    #[serde(default)]
    pub min: Option<Decimal>,
    /// Highest allowed number.
    #[serde(default)]
    pub max: Option<Decimal>,
    /// Longest allowed text, in characters.
    #[serde(default)]
    pub max_len: Option<usize>,
    /// For money: the unit a bare number is read in, and shown in.
    #[serde(default)]
    pub unit: Option<MoneyUnit>,
    /// For counts and measures: the unit label (个, 人, 户次…).
    #[serde(default)]
    pub measure: Option<String>,
    /// For record references: the ledger referred to.
    #[serde(default)]
    pub ledger: Option<String>,
    /// The part the field plays for the record.
    #[serde(default)]
    pub role: Option<FieldRole>,
    /// Masking; defaults by type (身份证号, phone) or `none`.
    #[serde(default)]
    pub mask: Option<Mask>,
    /// Roles that see the field unmasked (default: admin and office).
    #[serde(default)]
    pub unmasked_for: Option<Vec<Role>>,
    /// Personal information (身份证号, phone, a petitioner's name): stored
    /// encrypted with SM4-GCM (`lvzhi-store` `crypt.rs`), searched by exact
    /// value through a keyed blind index only. Text, id_card and phone
    /// fields without a role.
    #[serde(default)]
    pub encrypt: bool,
    /// Shown in list views.
    #[serde(default = "default_true")]
    pub list: bool,
    /// Help text under the form field.
    #[serde(default)]
    pub help: Option<String>,
    /// Filled by the system rather than typed: `actor` — the name of the user who
    /// takes a transition requiring the field (验收人, 审核人); read-only on forms.
    #[serde(default)]
    pub fill: Option<Fill>,
}

/// How the system fills a field (see [`FieldDef::fill`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// The display name of the user taking the transition.
    Actor,
}

/// A validation error on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's key.
    pub field: String,
    /// The field's Chinese name.
    pub label: String,
    /// What is wrong, in Chinese, without the field name.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.label, self.message)
    }
}

impl FieldDef {
    /// The masking that applies to this field.
    pub fn masking(&self) -> Mask {
        self.mask.unwrap_or(match self.ty {
            FieldType::IdCard => Mask::IdCard,
            FieldType::Phone => Mask::Phone,
            _ => Mask::None,
        })
    }

    /// Whether `role` sees this field unmasked.
    pub fn visible_to(&self, role: Role) -> bool {
        if self.masking() == Mask::None {
            return true;
        }
        match &self.unmasked_for {
            Some(roles) => roles.contains(&role),
            None => matches!(role, Role::Admin | Role::Office),
        }
    }

    /// The value as `role` may see it.
    pub fn mask_for(&self, role: Role, v: &Value) -> Value {
        if self.visible_to(role) {
            return v.clone();
        }
        let Some(s) = v.as_str() else { return v.clone() };
        Value::String(match self.masking() {
            Mask::None => s.to_string(),
            Mask::Name => ids::mask_name(s),
            Mask::IdCard => ids::mask_id_card(s),
            Mask::Phone => ids::mask_phone(s),
            Mask::Full => "******".to_string(),
        })
    }

    fn error(&self, message: impl Into<String>) -> FieldError {
        FieldError {
            field: self.key.clone(),
            label: self.label.clone(),
            message: message.into(),
        }
    }

    /// Whether a raw value counts as empty (null, blank string, empty list).
    pub fn is_empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        }
    }

    /// Validates and normalises one value. An empty value gives `Ok(None)`;
    /// whether that is allowed (required fields) is the caller's business.
    pub fn validate(&self, raw: &Value) -> Result<Option<Value>, FieldError> {
        if Self::is_empty(raw) {
            return Ok(None);
        }
        let text = match raw {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => String::new(),
        };
        let scalar = matches!(raw, Value::String(_) | Value::Number(_) | Value::Bool(_));
        if !scalar && self.ty != FieldType::MultiEnum {
            return Err(self.error(format!("应为{}，不能是列表或对象", self.ty.label())));
        }
        let v = match self.ty {
            FieldType::Text | FieldType::LongText => {
                let max = self
                    .max_len
                    .unwrap_or(if self.ty == FieldType::Text { 200 } else { 5000 });
                let n = text.chars().count();
                if n > max {
                    return Err(self.error(format!("长度{n}字，超过上限{max}字")));
                }
                if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| {
                    c.is_control() && !(self.ty == FieldType::LongText && (*c == '\n' || *c == '\t' || *c == '\r'))
                }) {
                    return Err(self.error(format!("第{}个字符是不可见的控制字符（U+{:04X}）", i + 1, c as u32)));
                }
                if text.starts_with(crate::crypto::SEALED_PREFIX) {
                    return Err(self.error(format!(
                        "不能以“{}”开头（密文的保留格式）",
                        crate::crypto::SEALED_PREFIX
                    )));
                }
                Value::String(text)
            }
            FieldType::Integer => {
                let d = money::parse_decimal(&text).map_err(|e| self.error(format!("“{text}”不是整数：{e}")))?;
                if !d.fract().is_zero() {
                    return Err(self.error(format!("“{text}”不是整数")));
                }
                self.check_range(d, &text)?;
                let i: i64 = i64::try_from(d).map_err(|_| self.error(format!("“{text}”超出范围")))?;
                Value::from(i)
            }
            FieldType::Decimal => {
                let d = money::parse_decimal(&text).map_err(|e| self.error(format!("“{text}”不是数值：{e}")))?;
                self.check_range(d, &text)?;
                Value::String(money::trim_decimal(d))
            }
            FieldType::Percent => {
                let t = text.trim_end_matches(['%', '％']);
                let d = money::parse_decimal(t).map_err(|e| self.error(format!("“{text}”不是百分比：{e}")))?;
                self.check_range(d, &text)?;
                Value::String(money::trim_decimal(d))
            }
            FieldType::Money => {
                let d = money::parse_money(&text, self.unit.unwrap_or(MoneyUnit::Yuan))
                    .map_err(|e| self.error(format!("“{text}”不是金额：{e}")))?;
                if d.scale() > 2 && !d.round_dp(2).eq(&d) {
                    return Err(self.error(format!("“{text}”精确到分以下")));
                }
                self.check_range(d, &text)?;
                Value::String(money::trim_decimal(d))
            }
            FieldType::Date => {
                let d = crate::time::parse_date(&text)
                    .ok_or_else(|| self.error(format!("“{text}”不是有效日期（如2026-03-05或2026年3月5日）")))?;
                Value::String(d.to_string())
            }
            FieldType::Datetime => {
                let ts = parse_datetime(&text)
                    .ok_or_else(|| self.error(format!("“{text}”不是有效的日期时间（如2026-03-05 14:30）")))?;
                Value::String(crate::time::stamp(ts))
            }
            FieldType::Period => {
                let p = Period::parse(&text).map_err(|e| self.error(e.to_string()))?;
                Value::String(p.to_string())
            }
            FieldType::Enum => Value::String(self.enum_value(&text)?),
            FieldType::MultiEnum => {
                let items: Vec<String> = match raw {
                    Value::Array(a) => a
                        .iter()
                        .map(|x| match x {
                            Value::String(s) => Ok(s.trim().to_string()),
                            _ => Err(self.error("多选值应为文本列表")),
                        })
                        .collect::<Result<_, _>>()?,
                    Value::String(s) => s
                        .split(['、', ',', '，', ';', '；'])
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect(),
                    _ => return Err(self.error("多选值应为文本列表")),
                };
                let mut out: Vec<String> = Vec::new();
                for it in items {
                    let v = self.enum_value(&it)?;
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Value::from(out)
            }
            FieldType::Bool => match text.as_str() {
                "true" | "是" | "1" | "Y" | "y" | "yes" => Value::Bool(true),
                "false" | "否" | "0" | "N" | "n" | "no" => Value::Bool(false),
                _ => return Err(self.error(format!("“{text}”应为“是”或“否”"))),
            },
            FieldType::Division => {
                let ok = matches!(text.len(), 6 | 9 | 12) && text.chars().all(|c| c.is_ascii_digit());
                if !ok {
                    return Err(self.error(format!("“{text}”不是行政区划代码（6、9或12位数字）")));
                }
                Value::String(text)
            }
            FieldType::Unit | FieldType::Person | FieldType::Record => {
                let id: i64 = text
                    .parse()
                    .map_err(|_| self.error(format!("“{text}”不是有效的编号")))?;
                if id <= 0 {
                    return Err(self.error(format!("“{text}”不是有效的编号")));
                }
                Value::from(id)
            }
            FieldType::CreditCode => {
                Value::String(ids::check_credit_code(&text).map_err(|e| self.error(format!("“{text}”{e}")))?)
            }
            FieldType::IdCard => Value::String(ids::check_id_card(&text).map_err(|e| self.error(e.to_string()))?),
            FieldType::Phone => Value::String(ids::check_phone(&text).map_err(|e| self.error(e.to_string()))?),
        };
        Ok(Some(v))
    }

    fn enum_value(&self, text: &str) -> Result<String, FieldError> {
        if self.values.iter().any(|v| v == text) {
            return Ok(text.to_string());
        }
        if let Some(v) = self.synonyms.get(text) {
            return Ok(v.clone());
        }
        Err(self.error(format!("“{text}”不是可选值（可选：{}）", self.values.join("、"))))
    }

    fn check_range(&self, d: Decimal, text: &str) -> Result<(), FieldError> {
        if let Some(min) = self.min
            && d < min
        {
            return Err(self.error(format!("“{text}”小于下限{}", money::trim_decimal(min))));
        }
        if let Some(max) = self.max
            && d > max
        {
            return Err(self.error(format!("“{text}”大于上限{}", money::trim_decimal(max))));
        }
        Ok(())
    }

    /// The value as a report or list shows it (money in 万元/亿元, 是/否…).
    pub fn display(&self, v: &Value) -> String {
        match (self.ty, v) {
            (_, Value::Null) => String::new(),
            (FieldType::Money, Value::String(s)) => match s.parse::<Decimal>() {
                Ok(d) => match self.unit {
                    Some(u) => money::format_money_in(d, u, 4),
                    None => money::format_money(d, 2),
                },
                Err(_) => s.clone(),
            },
            (FieldType::Percent, Value::String(s)) => format!("{s}%"),
            (FieldType::Bool, Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
            (FieldType::Date, Value::String(s)) => match s.parse::<jiff::civil::Date>() {
                Ok(d) => crate::time::date_cn(d),
                Err(_) => s.clone(),
            },
            (FieldType::MultiEnum, Value::Array(a)) => {
                a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("、")
            }
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        }
    }
}

/// Parses an instant: RFC 3339, or a Shanghai civil time "2026-03-05 14:30[:00]".
pub fn parse_datetime(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let s = s.replace('T', " ");
    let dt: jiff::civil::DateTime = s.parse().ok().or_else(|| format!("{s}:00").parse().ok())?;
    dt.to_zoned(crate::time::shanghai()).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(ty: FieldType) -> FieldDef {
        FieldDef {
            key: "f".into(),
            label: "字段".into(),
            ty,
            required: false,
            values: vec!["一般".into(), "重大".into()],
            synonyms: [("较大".to_string(), "重大".to_string())].into_iter().collect(),
            aliases: vec![],
            min: None,
            max: None,
            max_len: None,
            unit: None,
            measure: None,
            ledger: None,
            role: None,
            mask: None,
            unmasked_for: None,
            encrypt: false,
            list: true,
            help: None,
            fill: None,
        }
    }

    fn ok(ty: FieldType, v: Value) -> Value {
        field(ty).validate(&v).unwrap().unwrap()
    }
    fn bad(ty: FieldType, v: Value) -> String {
        let e = field(ty).validate(&v).unwrap_err();
        assert_eq!(e.label, "字段");
        e.message
    }

    #[test]
    fn text_types() {
        assert_eq!(ok(FieldType::Text, json!("  企业 ")), json!("企业"));
        assert!(bad(FieldType::Text, json!("a\u{0007}b")).contains("控制字符"));
        assert_eq!(
            ok(FieldType::LongText, json!("第一行\n第二行")),
            json!("第一行\n第二行")
        );
        assert!(bad(FieldType::Text, json!("x".repeat(201))).contains("超过上限200字"));
        assert!(bad(FieldType::Text, json!(["a"])).contains("不能是列表"));
        assert_eq!(field(FieldType::Text).validate(&json!("  ")).unwrap(), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(ok(FieldType::Integer, json!("1,141")), json!(1141));
        assert_eq!(ok(FieldType::Integer, json!(42)), json!(42));
        assert!(bad(FieldType::Integer, json!("3.5")).contains("不是整数"));
        assert!(bad(FieldType::Integer, json!("三")).contains("不是整数"));
        assert_eq!(ok(FieldType::Decimal, json!("3.050")), json!("3.05"));
        assert_eq!(ok(FieldType::Percent, json!("3.05%")), json!("3.05"));
        let mut f = field(FieldType::Integer);
        f.min = Some(Decimal::ZERO);
        f.max = Some(Decimal::from(100));
        assert!(f.validate(&json!(-1)).unwrap_err().message.contains("小于下限0"));
        assert!(f.validate(&json!(101)).unwrap_err().message.contains("大于上限100"));
    }

    #[test]
    fn money_in_units() {
        assert_eq!(ok(FieldType::Money, json!("21.6亿元")), json!("2160000000"));
        assert_eq!(ok(FieldType::Money, json!(21.6)), json!("21.6"));
        let mut f = field(FieldType::Money);
        f.unit = Some(MoneyUnit::Wan);
        assert_eq!(f.validate(&json!(398)).unwrap().unwrap(), json!("3980000"));
        assert_eq!(f.display(&json!("3980000")), "398万元");
        assert!(bad(FieldType::Money, json!("1.234元")).contains("分以下"));
        assert!(bad(FieldType::Money, json!("十万")).contains("不是金额"));
    }

    #[test]
    fn dates_periods() {
        assert_eq!(ok(FieldType::Date, json!("2026年3月5日")), json!("2026-03-05"));
        assert!(bad(FieldType::Date, json!("2026-02-30")).contains("不是有效日期"));
        assert_eq!(
            ok(FieldType::Datetime, json!("2026-03-05 14:30")),
            json!("2026-03-05T06:30:00.000000Z")
        );
        assert_eq!(ok(FieldType::Period, json!("2026-11-1")), json!("2026-11-1"));
        assert!(bad(FieldType::Period, json!("2026Q9")).contains("季度"));
        assert_eq!(field(FieldType::Date).display(&json!("2026-11-25")), "2026年11月25日");
    }

    #[test]
    fn enums_and_bools() {
        assert_eq!(ok(FieldType::Enum, json!("重大")), json!("重大"));
        assert_eq!(ok(FieldType::Enum, json!("较大")), json!("重大"));
        assert!(bad(FieldType::Enum, json!("特大")).contains("可选：一般、重大"));
        assert_eq!(
            ok(FieldType::MultiEnum, json!("一般、重大、一般")),
            json!(["一般", "重大"])
        );
        assert_eq!(ok(FieldType::MultiEnum, json!(["重大"])), json!(["重大"]));
        assert!(bad(FieldType::MultiEnum, json!([1])).contains("文本列表"));
        assert_eq!(ok(FieldType::Bool, json!("是")), json!(true));
        assert_eq!(ok(FieldType::Bool, json!(false)), json!(false));
        assert!(bad(FieldType::Bool, json!("也许")).contains("是"));
    }

    #[test]
    fn references_and_identifiers() {
        assert_eq!(ok(FieldType::Division, json!("620902100")), json!("620902100"));
        assert!(bad(FieldType::Division, json!("62090")).contains("行政区划代码"));
        assert_eq!(ok(FieldType::Unit, json!(7)), json!(7));
        assert!(bad(FieldType::Person, json!(0)).contains("编号"));
        assert!(bad(FieldType::Record, json!("x")).contains("编号"));
        assert_eq!(
            ok(FieldType::IdCard, json!("11010519491231002x")),
            json!("11010519491231002X")
        );
        assert!(bad(FieldType::IdCard, json!("110105194912310021")).contains("校验位"));
        assert!(bad(FieldType::CreditCode, json!("91440300708461136K")).contains("校验位"));
        assert!(bad(FieldType::Phone, json!("12345")).contains("电话"));
    }

    #[test]
    fn masking_by_role() {
        let f = field(FieldType::IdCard);
        let v = json!("11010519491231002X");
        assert_eq!(f.mask_for(Role::Office, &v), v);
        assert_eq!(f.mask_for(Role::UnitClerk, &v), json!("110105********002X"));
        assert_eq!(f.mask_for(Role::Auditor, &v), json!("110105********002X"));
        let mut n = field(FieldType::Text);
        n.mask = Some(Mask::Name);
        n.unmasked_for = Some(vec![Role::UnitHead]);
        assert_eq!(n.mask_for(Role::UnitHead, &json!("张三")), json!("张三"));
        assert_eq!(n.mask_for(Role::Office, &json!("张三")), json!("张*"));
    }

    proptest::proptest! {
        #[test]
        fn validation_never_panics(s in ".{0,40}") {
            for ty in [FieldType::Text, FieldType::Integer, FieldType::Decimal, FieldType::Money, FieldType::Percent,
                       FieldType::Date, FieldType::Datetime, FieldType::Period, FieldType::Enum, FieldType::MultiEnum,
                       FieldType::Bool, FieldType::Division, FieldType::Unit, FieldType::CreditCode,
                       FieldType::IdCard, FieldType::Phone] {
                let _ = field(ty).validate(&Value::String(s.clone()));
            }
        }
    }
}
