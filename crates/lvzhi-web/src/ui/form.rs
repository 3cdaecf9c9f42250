//! Form inputs generated from a ledger's field definitions, and the submitted
//! form turned back into the JSON the store validates.
//!
//! Each input is prefilled with the text it would submit unchanged; a submitted
//! value is sent to the store only when it differs from that text (an emptied
//! input sends `null`). So an edit sends only what the user changed, and a
//! masked value (shown read-only) is never sent back.

use super::render::Names;
use lvzhi_core::access::Access;
use lvzhi_core::field::{FieldDef, FieldError, FieldType};
use serde_json::{Map, Value};

/// An option of a select or a checkbox group.
#[derive(Debug, Clone)]
pub struct Opt {
    /// The submitted value.
    pub value: String,
    /// What it says.
    pub label: String,
    /// Selected / checked.
    pub selected: bool,
}

/// One input of a form.
#[derive(Debug, Clone)]
pub struct Input {
    /// The field's key.
    pub key: String,
    /// The form field's name (`f.<key>`).
    pub name: String,
    /// The HTML id (unique on the page).
    pub id: String,
    /// The Chinese label.
    pub label: String,
    /// `text`, `textarea`, `date`, `datetime`, `number`, `select`, `checks` or `readonly`.
    pub kind: &'static str,
    /// `inputmode` for text inputs (`numeric`, `decimal`, `tel`), or empty.
    pub mode: &'static str,
    /// The value shown.
    pub value: String,
    /// The prefilled value (what "unchanged" submits).
    pub original: String,
    /// Options of selects and checkbox groups.
    pub options: Vec<Opt>,
    /// Required.
    pub required: bool,
    /// Help text under the input.
    pub help: String,
    /// The error at this input, in Chinese.
    pub error: String,
}

/// The form field name of a ledger field.
pub fn name_of(key: &str) -> String {
    format!("f.{key}")
}

/// The text an input shows for a stored value.
pub fn text_of(f: &FieldDef, v: Option<&Value>) -> String {
    let Some(v) = v else { return String::new() };
    match (f.ty, v) {
        (_, Value::Null) => String::new(),
        (FieldType::Bool, Value::Bool(b)) => if *b { "是" } else { "否" }.into(),
        // A bare number is read in the field's unit: keep the stored 元 explicit.
        (FieldType::Money, Value::String(s)) => format!("{s}元"),
        (FieldType::Datetime, Value::String(s)) => match s.parse::<jiff::Timestamp>() {
            Ok(t) => t
                .to_zoned(lvzhi_core::time::shanghai())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string(),
            Err(_) => s.clone(),
        },
        (FieldType::MultiEnum, Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Builds the input of field `f`, prefilled with `current`.
pub fn input(f: &FieldDef, current: Option<&Value>, a: &Access, names: &Names, prefix: &str) -> Input {
    let original = text_of(f, current);
    let mut inp = Input {
        key: f.key.clone(),
        name: name_of(&f.key),
        id: format!("{prefix}{}", f.key),
        label: f.label.clone(),
        kind: "text",
        mode: "",
        value: original.clone(),
        original: original.clone(),
        options: vec![],
        required: f.required,
        help: f.help.clone().unwrap_or_default(),
        error: String::new(),
    };
    // A value the user sees masked cannot be edited here.
    if current.is_some_and(|v| !v.is_null()) && !f.visible_to(a.role) {
        inp.kind = "readonly";
        inp.help = "含个人信息，已脱敏显示，不能在此修改".into();
        return inp;
    }
    // 验收人, 审核人…: the store records who took the step; never typed here.
    if f.fill.is_some() {
        inp.kind = "readonly";
        inp.help = "由系统自动记录为办理人，无需填写".into();
        return inp;
    }
    let choice = |value: String, label: String, selected: bool| Opt { value, label, selected };
    match f.ty {
        FieldType::LongText => inp.kind = "textarea",
        FieldType::Date => inp.kind = "date",
        FieldType::Datetime => inp.kind = "datetime",
        FieldType::Integer => inp.mode = "numeric",
        FieldType::Decimal | FieldType::Percent => inp.mode = "decimal",
        FieldType::Phone => inp.mode = "tel",
        FieldType::Money => {
            inp.mode = "decimal";
            if inp.help.is_empty() {
                let unit = f.unit.map(|u| u.label()).unwrap_or("元");
                inp.help = format!("不写单位时按{unit}计，也可写“12.5万元”“3亿元”");
            }
        }
        FieldType::Record => {
            inp.mode = "numeric";
            if inp.help.is_empty() {
                inp.help = "填写关联记录的编号".into();
            }
        }
        FieldType::Enum => {
            inp.kind = "select";
            inp.options = f
                .values
                .iter()
                .map(|v| choice(v.clone(), v.clone(), *v == original))
                .collect();
        }
        FieldType::MultiEnum => {
            inp.kind = "checks";
            let chosen: Vec<&str> = current
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            inp.options = f
                .values
                .iter()
                .map(|v| choice(v.clone(), v.clone(), chosen.contains(&v.as_str())))
                .collect();
        }
        FieldType::Bool => {
            inp.kind = "select";
            inp.options = ["是", "否"]
                .iter()
                .map(|v| choice((*v).into(), (*v).into(), *v == original))
                .collect();
        }
        FieldType::Unit => {
            inp.kind = "select";
            inp.options = names
                .units
                .iter()
                .filter(|u| !names.disabled_units.contains(&u.id) || u.id.to_string() == original)
                .map(|u| choice(u.id.to_string(), u.name.clone(), u.id.to_string() == original))
                .collect();
        }
        FieldType::Person => {
            inp.kind = "select";
            inp.options = names
                .people
                .iter()
                .map(|p| {
                    let label = if p.post.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{}（{}）", p.name, p.post)
                    };
                    choice(p.id.to_string(), label, p.id.to_string() == original)
                })
                .collect();
        }
        FieldType::Division => {
            inp.kind = "select";
            inp.options = division_options(names, a, &original);
        }
        _ => {}
    }
    // A stored value the lists no longer offer stays selectable.
    if inp.kind == "select" && !original.is_empty() && !inp.options.iter().any(|o| o.selected) {
        let label = match current {
            Some(v) => names.show(f, v),
            None => original.clone(),
        };
        inp.options.insert(0, choice(original.clone(), label, true));
    }
    inp
}

/// Townships and villages the user may place a record in (a township's
/// staff: their own township; county-wide roles: all), villages indented.
pub fn division_options(names: &Names, a: &Access, selected: &str) -> Vec<Opt> {
    names
        .divisions
        .iter()
        .filter(|d| d.level >= 2)
        .filter(|d| a.may_place_in(Some(&d.code)) || d.code == selected)
        .map(|d| Opt {
            value: d.code.clone(),
            label: if d.level >= 3 {
                format!("\u{3000}{}", names.division(&d.code))
            } else {
                d.name.clone()
            },
            selected: d.code == selected,
        })
        .collect()
}

/// Puts the submitted values back into the inputs (kept after an error).
pub fn refill(inputs: &mut [Input], form: &[(String, String)]) {
    for inp in inputs.iter_mut() {
        if inp.kind == "readonly" {
            continue;
        }
        let sent: Vec<&str> = form
            .iter()
            .filter(|(k, _)| *k == inp.name)
            .map(|(_, v)| v.as_str())
            .collect();
        if inp.kind == "checks" {
            for o in &mut inp.options {
                o.selected = sent.contains(&o.value.as_str());
            }
            inp.value = sent.join("、");
        } else {
            let v = sent.first().copied().unwrap_or("").to_string();
            if inp.kind == "select" {
                for o in &mut inp.options {
                    o.selected = o.value == v;
                }
            }
            inp.value = v;
        }
    }
}

/// The changed values of a submitted form, as the store's JSON fields.
/// Call after [`refill`]: compares each input's value with its original.
pub fn changes(inputs: &[Input]) -> Map<String, Value> {
    let mut m = Map::new();
    for inp in inputs {
        if inp.kind == "readonly" || inp.value.trim() == inp.original.trim() {
            continue;
        }
        let v = if inp.value.trim().is_empty() {
            Value::Null
        } else if inp.kind == "checks" {
            Value::from(
                inp.options
                    .iter()
                    .filter(|o| o.selected)
                    .map(|o| o.value.clone())
                    .collect::<Vec<_>>(),
            )
        } else {
            Value::String(inp.value.clone())
        };
        m.insert(inp.key.clone(), v);
    }
    m
}

/// Puts field errors at their inputs; returns those that belong to no input.
pub fn place_errors(inputs: &mut [Input], errors: Vec<FieldError>) -> Vec<String> {
    let mut rest = Vec::new();
    for e in errors {
        match inputs.iter_mut().find(|i| i.key == e.field) {
            Some(i) => {
                if !i.error.is_empty() {
                    i.error.push('；');
                }
                i.error.push_str(&e.message);
            }
            None => rest.push(e.to_string()),
        }
    }
    rest
}
