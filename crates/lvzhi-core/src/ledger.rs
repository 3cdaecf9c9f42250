//! Ledger kinds (台账) and their closed-loop workflows, loaded from pack TOML.
//!
//! A pack is a folder: `pack.toml` (name, version) and `ledgers/*.toml`, one
//! ledger kind a file. This module parses and checks them; reading the files
//! is the caller's job (the binary embeds the standard pack).

use crate::access::Role;
use crate::field::{FieldDef, FieldError, FieldRole, FieldType};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn default_warn_days() -> i32 {
    3
}
fn default_create_roles() -> Vec<Role> {
    vec![Role::Admin, Role::Office, Role::UnitClerk, Role::UnitHead]
}
fn default_edit_roles() -> Vec<Role> {
    vec![Role::Admin, Role::Office, Role::UnitClerk, Role::UnitHead]
}
fn default_void_roles() -> Vec<Role> {
    vec![Role::Admin, Role::Office, Role::UnitHead]
}

/// A state of a workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    /// The state's name (待交办).
    pub name: String,
    /// A closed state (已销号, 已结案): no deadline warnings, no edits.
    #[serde(default, rename = "final")]
    pub is_final: bool,
    /// A time limit in days for items in this state, counted from entering it.
    #[serde(default)]
    pub limit_days: Option<i32>,
}

/// A transition between states.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    /// The action's name, shown on its button (交办, 退回).
    pub name: String,
    /// States it may be taken from.
    pub from: Vec<String>,
    /// The state it leads to.
    pub to: String,
    /// Roles that may take it.
    pub roles: Vec<Role>,
    /// Fields that must have a value after the transition (the request may supply them).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Whether a reason (说明) is required, e.g. for 退回.
    #[serde(default)]
    pub reason: bool,
}

/// A workflow: the closed loop of a ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// The state a new record starts in.
    pub initial: String,
    /// All states.
    pub states: Vec<StateDef>,
    /// All transitions.
    #[serde(default)]
    pub transitions: Vec<TransitionDef>,
}

/// A default deadline by the value of an enum field: 一般隐患 30 days, 重大 90.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultDays {
    /// The enum field.
    pub field: String,
    /// Days from creation for each value.
    pub days: BTreeMap<String, i32>,
}

/// How a record's deadline is found and when it turns yellow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// Yellow this many days before the deadline.
    #[serde(default = "default_warn_days")]
    pub warn_days: i32,
    /// Filled into the deadline field on create when it is empty.
    #[serde(default)]
    pub default_days: Option<DefaultDays>,
}

/// One ledger kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerKind {
    /// Stable ASCII key (`hazard`).
    pub key: String,
    /// Chinese name (安全生产隐患).
    pub name: String,
    /// What the ledger is for.
    #[serde(default)]
    pub description: String,
    /// A grouping for menus (安全生产, 信访维稳…).
    #[serde(default)]
    pub category: String,
    /// The fields, in form order.
    pub fields: Vec<FieldDef>,
    /// The closed loop; a ledger without one (price observations) just records.
    #[serde(default)]
    pub workflow: Option<Workflow>,
    /// Deadline rules.
    #[serde(default)]
    pub deadline: DeadlineRule,
    /// Roles that may create records.
    #[serde(default = "default_create_roles")]
    pub create_roles: Vec<Role>,
    /// Roles that may edit fields of open records.
    #[serde(default = "default_edit_roles")]
    pub edit_roles: Vec<Role>,
    /// Roles that may void a record (with a reason).
    #[serde(default = "default_void_roles")]
    pub void_roles: Vec<Role>,
}

/// The state of records of a ledger without a workflow.
pub const NO_WORKFLOW_STATE: &str = "已登记";

/// Why a pack is invalid: the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct PackError {
    /// The pack file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

/// A loaded, checked pack.
#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    /// The pack's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Ledger kinds by key, in file-name order.
    pub ledgers: Vec<LedgerKind>,
    /// Header words for import (`vocabulary.toml`; empty when absent).
    pub vocabulary: crate::vocabulary::Vocabulary,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    name: String,
    version: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
}

impl Pack {
    /// Parses a pack from its files: `(path, text)` pairs, paths relative to
    /// the pack folder (`pack.toml`, `ledgers/hazard.toml`, `vocabulary.toml`). Other files are
    /// ignored here (indicators and report templates are read by their crates).
    pub fn from_files(files: &[(String, String)]) -> Result<Pack, PackError> {
        let meta_text = files
            .iter()
            .find(|(p, _)| p == "pack.toml")
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| PackError {
                file: "pack.toml".into(),
                message: "缺少 pack.toml".into(),
            })?;
        let meta: PackMeta = toml::from_str(meta_text).map_err(|e| PackError {
            file: "pack.toml".into(),
            message: e.to_string(),
        })?;
        let mut ledger_files: Vec<&(String, String)> = files
            .iter()
            .filter(|(p, _)| p.starts_with("ledgers/") && p.ends_with(".toml"))
            .collect();
        ledger_files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut ledgers = Vec::new();
        for (path, text) in ledger_files {
            let kind: LedgerKind = toml::from_str(text).map_err(|e| PackError {
                file: path.clone(),
                message: e.to_string(),
            })?;
            kind.check().map_err(|message| PackError {
                file: path.clone(),
                message,
            })?;
            if ledgers.iter().any(|l: &LedgerKind| l.key == kind.key) {
                return Err(PackError {
                    file: path.clone(),
                    message: format!("台账键“{}”重复", kind.key),
                });
            }
            ledgers.push(kind);
        }
        let vocabulary = match files.iter().find(|(p, _)| p == "vocabulary.toml") {
            Some((_, text)) => crate::vocabulary::Vocabulary::from_toml(text).map_err(|message| PackError {
                file: "vocabulary.toml".into(),
                message,
            })?,
            None => crate::vocabulary::Vocabulary::default(),
        };
        let pack = Pack {
            name: meta.name,
            version: meta.version,
            ledgers,
            vocabulary,
        };
        for l in &pack.ledgers {
            for f in &l.fields {
                if f.ty == FieldType::Record {
                    let target = f.ledger.as_deref().unwrap_or("");
                    if pack.ledger(target).is_none() {
                        return Err(PackError {
                            file: format!("ledgers/{}.toml", l.key),
                            message: format!("字段“{}”关联的台账“{target}”不存在", f.label),
                        });
                    }
                }
            }
        }
        Ok(pack)
    }

    /// A ledger kind by key.
    pub fn ledger(&self, key: &str) -> Option<&LedgerKind> {
        self.ledgers.iter().find(|l| l.key == key)
    }
}

/// The field values of a record after validation.
pub type Fields = Map<String, Value>;

/// The key under which a record keeps extra information: columns of an imported
/// sheet that are no field of the ledger, as `{"督办领导": "张三", …}` (header →
/// text). It is part of the record's fields (and so of its events), validated by
/// [`validate_extra`], searched, shown and exported under its own headers; no
/// pack field may use the key.
pub const EXTRA_KEY: &str = "extra";

/// At most this many extra entries on one record.
pub const EXTRA_MAX_ENTRIES: usize = 64;
/// Longest extra header, in characters.
pub const EXTRA_MAX_NAME: usize = 100;
/// Longest extra value, in characters.
pub const EXTRA_MAX_VALUE: usize = 2000;

/// Validates a record's extra information: an object of header → text (numbers
/// and booleans become text); empty values are dropped; `None` when nothing is left.
pub fn validate_extra(raw: &Value) -> Result<Option<Value>, FieldError> {
    let err = |message: String| FieldError {
        field: EXTRA_KEY.into(),
        label: "附加信息".into(),
        message,
    };
    let obj = match raw {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(err("应为“列名: 内容”的对象".into())),
    };
    if obj.len() > EXTRA_MAX_ENTRIES {
        return Err(err(format!("最多{EXTRA_MAX_ENTRIES}项")));
    }
    let mut out = Map::new();
    for (k, v) in obj {
        let name = k.trim();
        if name.is_empty() || name.chars().count() > EXTRA_MAX_NAME {
            return Err(err(format!("列名“{name}”应为1到{EXTRA_MAX_NAME}个字")));
        }
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            _ => return Err(err(format!("“{name}”的内容应为文本"))),
        };
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > EXTRA_MAX_VALUE {
            return Err(err(format!("“{name}”的内容超过{EXTRA_MAX_VALUE}字")));
        }
        out.insert(name.to_string(), Value::String(text));
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

impl LedgerKind {
    /// Checks the kind's internal consistency; the error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.key.is_empty()
            || !self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!("台账键“{}”只能包含小写字母、数字和下划线", self.key));
        }
        let mut seen = std::collections::HashSet::new();
        let mut roles = std::collections::HashSet::new();
        for f in &self.fields {
            if f.key == EXTRA_KEY {
                return Err(format!("字段键“{EXTRA_KEY}”留给导入的附加信息，不能用作字段"));
            }
            if !seen.insert(f.key.as_str()) {
                return Err(format!("字段键“{}”重复", f.key));
            }
            if matches!(f.ty, FieldType::Enum | FieldType::MultiEnum) && f.values.is_empty() {
                return Err(format!("选项字段“{}”没有可选值", f.label));
            }
            if let Some(r) = f.role {
                if !roles.insert(format!("{r:?}")) {
                    return Err(format!("字段角色 {r:?} 被多个字段使用"));
                }
                let ok = match r {
                    FieldRole::Unit => f.ty == FieldType::Unit,
                    FieldRole::Division => f.ty == FieldType::Division,
                    FieldRole::Owner => f.ty == FieldType::Person,
                    FieldRole::Deadline => f.ty == FieldType::Date,
                    FieldRole::Title => matches!(f.ty, FieldType::Text | FieldType::LongText),
                };
                if !ok {
                    return Err(format!("字段“{}”的类型与其角色 {r:?} 不符", f.label));
                }
            }
        }
        if let Some(dd) = &self.deadline.default_days {
            let f = self
                .field(&dd.field)
                .ok_or_else(|| format!("默认期限依据的字段“{}”不存在", dd.field))?;
            if let Some(v) = dd.days.keys().find(|v| !f.values.contains(v)) {
                return Err(format!("默认期限中的“{v}”不是字段“{}”的可选值", f.label));
            }
            if self.role_field(FieldRole::Deadline).is_none() {
                return Err("设置了默认期限，但没有角色为 deadline 的日期字段".into());
            }
        }
        if let Some(wf) = &self.workflow {
            let has = |s: &str| wf.states.iter().any(|st| st.name == s);
            if !has(&wf.initial) {
                return Err(format!("初始状态“{}”不在状态列表中", wf.initial));
            }
            for t in &wf.transitions {
                for s in t.from.iter().chain(std::iter::once(&t.to)) {
                    if !has(s) {
                        return Err(format!("流转“{}”引用了不存在的状态“{s}”", t.name));
                    }
                }
                for r in &t.requires {
                    if self.field(r).is_none() {
                        return Err(format!("流转“{}”要求的字段“{r}”不存在", t.name));
                    }
                }
                if t.roles.is_empty() {
                    return Err(format!("流转“{}”没有可操作的角色", t.name));
                }
            }
        }
        Ok(())
    }

    /// A field by key.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The field playing a role, if any.
    pub fn role_field(&self, role: FieldRole) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.role == Some(role))
    }

    /// The state a new record starts in.
    pub fn initial_state(&self) -> &str {
        self.workflow
            .as_ref()
            .map(|w| w.initial.as_str())
            .unwrap_or(NO_WORKFLOW_STATE)
    }

    /// Whether a state is closed (final).
    pub fn is_final(&self, state: &str) -> bool {
        self.workflow
            .as_ref()
            .and_then(|w| w.states.iter().find(|s| s.name == state))
            .is_some_and(|s| s.is_final)
    }

    /// The transitions open from `state` to `role`.
    pub fn transitions_for(&self, state: &str, role: Role) -> Vec<&TransitionDef> {
        match &self.workflow {
            Some(w) => w
                .transitions
                .iter()
                .filter(|t| t.from.iter().any(|s| s == state) && t.roles.contains(&role))
                .collect(),
            None => vec![],
        }
    }

    /// Validates a whole set of field values (create: `partial` false, all
    /// required fields must be present; update: `partial` true, only the given
    /// keys). Unknown keys are errors. Returns the normalised values, or every
    /// error at once.
    pub fn validate(&self, input: &Map<String, Value>, partial: bool) -> Result<Fields, Vec<FieldError>> {
        let mut out = Map::new();
        let mut errors = Vec::new();
        for key in input.keys() {
            if key != EXTRA_KEY && self.field(key).is_none() {
                errors.push(FieldError {
                    field: key.clone(),
                    label: key.clone(),
                    message: format!("台账“{}”没有此字段", self.name),
                });
            }
        }
        for f in &self.fields {
            match input.get(&f.key) {
                Some(raw) => match f.validate(raw) {
                    Ok(Some(v)) => {
                        out.insert(f.key.clone(), v);
                    }
                    Ok(None) if f.required => errors.push(FieldError {
                        field: f.key.clone(),
                        label: f.label.clone(),
                        message: "必填".into(),
                    }),
                    Ok(None) => {
                        out.insert(f.key.clone(), Value::Null);
                    }
                    Err(e) => errors.push(e),
                },
                None if f.required && !partial => errors.push(FieldError {
                    field: f.key.clone(),
                    label: f.label.clone(),
                    message: "必填".into(),
                }),
                None => {}
            }
        }
        if let Some(raw) = input.get(EXTRA_KEY) {
            match validate_extra(raw) {
                Ok(Some(v)) => {
                    out.insert(EXTRA_KEY.to_string(), v);
                }
                Ok(None) => {
                    out.insert(EXTRA_KEY.to_string(), Value::Null);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    /// Fills the deadline field from the default-days rule when it is empty.
    pub fn apply_default_deadline(&self, fields: &mut Fields, created: Date) {
        let (Some(dd), Some(df)) = (&self.deadline.default_days, self.role_field(FieldRole::Deadline)) else {
            return;
        };
        if fields.get(&df.key).is_some_and(|v| !v.is_null()) {
            return;
        }
        let Some(days) = fields
            .get(&dd.field)
            .and_then(|v| v.as_str())
            .and_then(|v| dd.days.get(v))
        else {
            return;
        };
        if let Ok(d) = created.checked_add(jiff::Span::new().days(*days)) {
            fields.insert(df.key.clone(), Value::String(d.to_string()));
        }
    }

    /// The deadline in force: the deadline field, else the state's time limit
    /// counted from `state_since`.
    pub fn effective_deadline(&self, fields: &Fields, state: &str, state_since: Date) -> Option<Date> {
        if let Some(df) = self.role_field(FieldRole::Deadline)
            && let Some(d) = fields
                .get(&df.key)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Date>().ok())
        {
            return Some(d);
        }
        let limit = self
            .workflow
            .as_ref()?
            .states
            .iter()
            .find(|s| s.name == state)?
            .limit_days?;
        state_since.checked_add(jiff::Span::new().days(limit)).ok()
    }

    /// A record's title for lists: the title field, or the first text field.
    pub fn title(&self, fields: &Fields) -> String {
        let f = self
            .role_field(FieldRole::Title)
            .or_else(|| self.fields.iter().find(|f| matches!(f.ty, FieldType::Text)));
        f.and_then(|f| fields.get(&f.key))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .chars()
            .take(80)
            .collect()
    }

    /// Text that a search over the record matches: every text-like field.
    pub fn search_text(&self, fields: &Fields) -> String {
        let mut s = String::new();
        for f in &self.fields {
            if matches!(
                f.ty,
                FieldType::Text | FieldType::LongText | FieldType::Enum | FieldType::CreditCode
            ) && f.masking() == crate::field::Mask::None
                && let Some(v) = fields.get(&f.key).and_then(|v| v.as_str())
            {
                s.push_str(v);
                s.push(' ');
            }
        }
        if let Some(Value::Object(extra)) = fields.get(EXTRA_KEY) {
            for v in extra.values().filter_map(Value::as_str) {
                s.push_str(v);
                s.push(' ');
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const META: &str = "name = \"测试\"\nversion = \"1\"\n";
    const HAZARD: &str = r#"
key = "hazard"
name = "安全生产隐患"
[[fields]]
key = "desc"
label = "隐患描述"
type = "long_text"
required = true
role = "title"
[[fields]]
key = "grade"
label = "隐患等级"
type = "enum"
values = ["一般", "重大"]
required = true
[[fields]]
key = "due"
label = "整改期限"
type = "date"
role = "deadline"
[[fields]]
key = "note"
label = "验收意见"
type = "text"
[deadline]
warn_days = 3
default_days = { field = "grade", days = { "一般" = 30, "重大" = 90 } }
[workflow]
initial = "待交办"
states = [{ name = "待交办", limit_days = 3 }, { name = "整改中" }, { name = "已销号", final = true }]
[[workflow.transitions]]
name = "交办"
from = ["待交办"]
to = "整改中"
roles = ["office"]
[[workflow.transitions]]
name = "销号"
from = ["整改中"]
to = "已销号"
roles = ["office"]
requires = ["note"]
"#;

    fn pack(ledger: &str) -> Result<Pack, PackError> {
        Pack::from_files(&[
            ("pack.toml".into(), META.into()),
            ("ledgers/a.toml".into(), ledger.into()),
        ])
    }

    #[test]
    fn loads_and_validates_a_ledger() {
        let p = pack(HAZARD).unwrap();
        let l = p.ledger("hazard").unwrap();
        assert_eq!(l.initial_state(), "待交办");
        assert!(l.is_final("已销号"));
        assert_eq!(l.transitions_for("待交办", Role::Office).len(), 1);
        assert!(l.transitions_for("待交办", Role::UnitClerk).is_empty());
        let input = json!({"desc": "配电箱未接地", "grade": "重大"});
        let mut f = l.validate(input.as_object().unwrap(), false).unwrap();
        l.apply_default_deadline(&mut f, jiff::civil::date(2026, 1, 1));
        assert_eq!(f["due"], json!("2026-04-01"));
        assert_eq!(l.title(&f), "配电箱未接地");
        let errs = l
            .validate(json!({"grade": "特大", "x": 1}).as_object().unwrap(), false)
            .unwrap_err();
        let labels: Vec<_> = errs.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["x", "隐患描述", "隐患等级"]);
        assert!(l.validate(json!({"grade": "一般"}).as_object().unwrap(), true).is_ok());
    }

    #[test]
    fn extra_information_is_accepted_explicitly() {
        let p = pack(HAZARD).unwrap();
        let l = p.ledger("hazard").unwrap();
        let input =
            json!({"desc": "配电箱未接地", "grade": "重大", "extra": {"督办领导": " 张三 ", "空": "", "户数": 3}});
        let f = l.validate(input.as_object().unwrap(), false).unwrap();
        assert_eq!(f["extra"], json!({"督办领导": "张三", "户数": "3"}));
        assert!(l.search_text(&f).contains("张三"));
        assert!(
            l.validate(
                json!({"desc": "x", "grade": "一般", "extra": "张三"})
                    .as_object()
                    .unwrap(),
                false
            )
            .is_err()
        );
        assert!(
            l.validate(
                json!({"desc": "x", "grade": "一般", "extra": {"a": [1]}})
                    .as_object()
                    .unwrap(),
                false
            )
            .is_err()
        );
        let long: serde_json::Map<String, Value> = (0..65).map(|i| (format!("列{i}"), json!("x"))).collect();
        assert!(
            l.validate(
                json!({"desc": "x", "grade": "一般", "extra": long})
                    .as_object()
                    .unwrap(),
                false
            )
            .is_err()
        );
        assert!(pack(&HAZARD.replace("key = \"note\"", "key = \"extra\"")).is_err());
    }

    #[test]
    fn state_time_limits() {
        let p = pack(HAZARD).unwrap();
        let l = p.ledger("hazard").unwrap();
        let f = Fields::new();
        assert_eq!(
            l.effective_deadline(&f, "待交办", jiff::civil::date(2026, 11, 1)),
            Some(jiff::civil::date(2026, 11, 4))
        );
        assert_eq!(l.effective_deadline(&f, "整改中", jiff::civil::date(2026, 11, 1)), None);
    }

    #[test]
    fn rejects_inconsistent_packs() {
        assert!(
            pack(&HAZARD.replace("to = \"整改中\"", "to = \"不存在\""))
                .unwrap_err()
                .message
                .contains("不存在的状态")
        );
        assert!(
            pack(&HAZARD.replace("requires = [\"note\"]", "requires = [\"nope\"]"))
                .unwrap_err()
                .message
                .contains("nope")
        );
        assert!(
            pack(&HAZARD.replace("\"重大\" = 90", "\"特大\" = 90"))
                .unwrap_err()
                .message
                .contains("特大")
        );
        assert!(pack(&HAZARD.replace("key = \"hazard\"", "key = \"Hazard\"")).is_err());
        assert!(
            pack(&HAZARD.replace("type = \"date\"", "type = \"text\""))
                .unwrap_err()
                .message
                .contains("角色")
        );
        let e = pack(&HAZARD.replace("required = true\nrole", "requird = true\nrole")).unwrap_err();
        assert_eq!(e.file, "ledgers/a.toml");
    }
}
