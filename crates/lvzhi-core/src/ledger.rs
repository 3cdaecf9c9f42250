//! Ledger kinds (台账) and their closed-loop workflows, loaded from pack TOML.
//!
//! A pack is a folder: `pack.toml` (name, version) and `ledgers/*.toml`, one
//! ledger kind a file. This module parses and checks them; reading the files
//! is the caller's job (the binary embeds the standard pack).

use crate::access::Role;
use crate::calendar::{Calendar, CalendarError};
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
    /// A time limit in days (in the ledger's day count) for items in this state, counted from entering it.
    #[serde(default)]
    pub limit_days: Option<i32>,
    /// The time limit holds even when the record has a deadline of its own: the
    /// deadline in force is then the earlier of the two (签收 within 3 working days
    /// of 交办 while the 60-day 办理时限 runs).
    #[serde(default)]
    pub own_deadline: bool,
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
    /// Attachments the record must hold (not voided) before this transition is taken.
    #[serde(default)]
    pub evidence: Vec<EvidenceRule>,
    /// 转办: the step hands the record to another unit; the unit field must be
    /// given a unit other than the current one.
    #[serde(default)]
    pub transfer: bool,
    /// A part of the ledger's 延期 procedure (see [`Extension`]).
    #[serde(default)]
    pub extend: Option<ExtendStep>,
    /// The state the step leads to by the value it sets in an enum field
    /// (回访: 不满意 → 办理中); other values lead to `to`.
    #[serde(default)]
    pub branch: Option<Branch>,
    /// The step reopens an answered case (回访 不满意, 重新办理): when it leads to
    /// a state that is not final, the deadline is set anew, the `[deadline]`
    /// rule's `reopen_days` after the day of the step (the old one has passed
    /// or nearly so), and the event says why.
    #[serde(default)]
    pub reopen: bool,
}

/// A part of the 延期 procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtendStep {
    /// 延期申请: names the new deadline (the extension's field) and the reason.
    Request,
    /// 批准延期: the requested date becomes the deadline; the request is cleared.
    Approve,
    /// 不予延期: the request is cleared, the deadline stays.
    Refuse,
}

/// A step whose target state depends on a value it sets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The enum field the step sets (the step must be given it).
    pub field: String,
    /// Value → state; values not listed lead to the step's `to`.
    pub to: BTreeMap<String, String>,
}

/// A ledger's 延期 (extension of the deadline): a request names a date, the
/// unit head or the office approves or refuses it (transitions marked
/// `extend = "request" | "approve" | "refuse"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The date field a request names (申请延期至).
    pub field: String,
    /// The new deadline is at most this many days (in the ledger's count)
    /// after the current one (信访: 30 working days).
    #[serde(default)]
    pub max_days: Option<i32>,
    /// A date field set to the day of an approval (counted as 延期 in bulletins).
    #[serde(default)]
    pub stamp: Option<String>,
}

/// A ledger's 主办/协办 rule (`[co_units]`): a record's responsible unit is its
/// 主办单位 (the unit field); these roles, handling the record, may name 协办单位,
/// whose users then see the record and add their 协办意见 (issue 17).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoUnitRule {
    /// The roles that may set a record's 协办 units (those who 交办/转办 it).
    pub roles: Vec<Role>,
}

/// Why a step's own rule refuses it, on a field.
pub type StepRefusal = Vec<FieldError>;

/// What a step does beyond setting the values it is given: the state it leads
/// to and the changes its kind adds (see [`LedgerKind::plan_step`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    /// The state the record goes to.
    pub to: String,
    /// Field changes the step itself makes (a `null` clears a field).
    pub changes: Fields,
    /// Why the step changed the deadline on its own (a reopened case's new
    /// 办理时限), for the event; `None` when it did not.
    pub note: Option<String>,
}

/// Evidence a transition requires: at least `min` live attachments of the
/// named `kind` (整改后照片), or — without a kind — any photo (`photo = true`)
/// or any attachment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRule {
    /// The attachment kind (one of the ledger's `[attachments] kinds`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Only photos count.
    #[serde(default)]
    pub photo: bool,
    /// How many (default 1).
    #[serde(default = "one")]
    pub min: u32,
}

fn one() -> u32 {
    1
}

impl EvidenceRule {
    /// Whether an attachment of `kind` (a photo or not) counts for this rule.
    pub fn counts(&self, kind: &str, is_photo: bool) -> bool {
        self.kind.as_deref().is_none_or(|k| k == kind) && (!self.photo || is_photo)
    }

    /// The Chinese refusal when the rule is not met by transition `name`.
    pub fn message(&self, name: &str) -> String {
        let what = match (&self.kind, self.photo) {
            (Some(k), _) => format!("{}份“{k}”", self.min),
            (None, true) => format!("{}张照片", self.min),
            (None, false) => format!("{}个附件", self.min),
        };
        format!("“{name}”须先上传至少{what}")
    }
}

/// What attachments a ledger's records take.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRules {
    /// The kinds offered on upload (整改前照片, 整改后照片…); empty: [`DEFAULT_ATTACHMENT_KINDS`].
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Kinds shown side by side on the record page as before / after (two kinds).
    #[serde(default)]
    pub compare: Vec<String>,
    /// A date field a photo's capture time may not be before (发现日期).
    #[serde(default)]
    pub captured_after: Option<String>,
}

/// The attachment kinds of a ledger that names none.
pub const DEFAULT_ATTACHMENT_KINDS: &[&str] = &["现场照片", "证明材料", "其他"];

impl AttachmentRules {
    /// The kinds offered on upload.
    pub fn kinds(&self) -> Vec<String> {
        if self.kinds.is_empty() {
            DEFAULT_ATTACHMENT_KINDS.iter().map(|s| s.to_string()).collect()
        } else {
            self.kinds.clone()
        }
    }
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

/// A default deadline: a term by the value of an enum field (一般隐患 30 days,
/// 重大 90), or one term for every record, counted from the creation day or
/// from a date field of the record (信访: 60 working days from 受理日期).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultDays {
    /// The enum field whose value picks the term (absent: `all` for every record).
    #[serde(default)]
    pub field: Option<String>,
    /// Days (in the rule's count) for each value of `field`.
    #[serde(default)]
    pub days: BTreeMap<String, i32>,
    /// Calendar months for each value of `field` (建议提案: 3个月).
    #[serde(default)]
    pub months: BTreeMap<String, i32>,
    /// Days (in the rule's count) for every record, when there is no `field`.
    #[serde(default)]
    pub all: Option<i32>,
    /// The date field the term counts from; absent: the day the record is created.
    #[serde(default)]
    pub from: Option<String>,
}

/// How the days of a ledger's deadlines, time limits and warnings are counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Calendar days (自然日).
    #[default]
    CalendarDays,
    /// Working days (工作日), by the holiday calendar.
    WorkingDays,
}

/// How a record's deadline is found and when it turns yellow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// Yellow this many days (in `count`) before the deadline.
    #[serde(default = "default_warn_days")]
    pub warn_days: i32,
    /// Filled into the deadline field on create when it is empty.
    #[serde(default)]
    pub default_days: Option<DefaultDays>,
    /// Whether the ledger's days (default terms, state time limits, warnings)
    /// are calendar days or working days.
    #[serde(default)]
    pub count: DayCount,
    /// Overdue this many days (in `count`): the unit's head is told (once).
    #[serde(default)]
    pub escalate_head: Option<i32>,
    /// Overdue this many days (in `count`): the 分管领导 of the unit is told
    /// (once) and sees the item on the home page.
    #[serde(default)]
    pub escalate_leader: Option<i32>,
    /// A case reopened by a step marked `reopen` (回访 不满意 → 重新办理) must be
    /// handled again within this many days (in `count`) of the step; the new
    /// date becomes the deadline field (信访: 30 working days).
    #[serde(default)]
    pub reopen_days: Option<i32>,
}

impl DeadlineRule {
    /// `n` days of this rule's count after `start`.
    pub fn add_days(&self, cal: &Calendar, start: Date, n: i32) -> Result<Option<Date>, CalendarError> {
        match self.count {
            DayCount::CalendarDays => Ok(start.checked_add(jiff::Span::new().days(n)).ok()),
            DayCount::WorkingDays => cal.add_working_days(start, n).map(Some),
        }
    }

    /// The last deadline that is yellow on `today`: `warn_days` days (in this
    /// rule's count) ahead. Items due from `today` to this day are 临期.
    pub fn yellow_until(&self, cal: &Calendar, today: Date) -> Result<Date, CalendarError> {
        Ok(self.add_days(cal, today, self.warn_days)?.unwrap_or(today))
    }

    /// How many days (in this rule's count) `due` is behind `today` (0 if not overdue).
    pub fn days_overdue(&self, cal: &Calendar, due: Date, today: Date) -> Result<i32, CalendarError> {
        if today <= due {
            return Ok(0);
        }
        match self.count {
            DayCount::CalendarDays => Ok((today - due).get_days()),
            DayCount::WorkingDays => cal.working_days_between(due, today),
        }
    }

    /// The unit of this rule's days, as a person reads it (天, 个工作日).
    pub fn unit(&self) -> &'static str {
        match self.count {
            DayCount::CalendarDays => "天",
            DayCount::WorkingDays => "个工作日",
        }
    }
}

/// A rule between dates of one record (pack data, any ledger): the field may
/// not be earlier than another date field, later than another, or in the future.
/// Checked on create, edit, transition and import alike ([`LedgerKind::check_dates`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRule {
    /// The date field checked (整改完成日期).
    pub field: String,
    /// A date field it may not be earlier than (发现日期).
    #[serde(default)]
    pub not_before: Option<String>,
    /// A date field it may not be later than.
    #[serde(default)]
    pub not_after: Option<String>,
    /// Whether it may not be later than today.
    #[serde(default)]
    pub not_future: bool,
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
    /// The short name in record numbers (隐患〔2026〕第123号); default: `name`.
    #[serde(default)]
    pub number_prefix: Option<String>,
    /// The fields, in form order.
    pub fields: Vec<FieldDef>,
    /// The closed loop; a ledger without one (price observations) just records.
    #[serde(default)]
    pub workflow: Option<Workflow>,
    /// Deadline rules.
    #[serde(default)]
    pub deadline: DeadlineRule,
    /// Rules between the record's dates.
    #[serde(default)]
    pub date_rules: Vec<DateRule>,
    /// Attachment kinds and the photo date check.
    #[serde(default)]
    pub attachments: AttachmentRules,
    /// The 延期 procedure, when the ledger has one.
    #[serde(default)]
    pub extension: Option<Extension>,
    /// The 主办/协办 rule, when the ledger's records may have 协办 units.
    #[serde(default)]
    pub co_units: Option<CoUnitRule>,
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
            if f.encrypt
                && (f.role.is_some() || !matches!(f.ty, FieldType::Text | FieldType::IdCard | FieldType::Phone))
            {
                return Err(format!(
                    "字段“{}”不能加密存储：只有不承担角色的文本、身份证号、电话字段可以加密",
                    f.label
                ));
            }
            if matches!(f.ty, FieldType::Enum | FieldType::MultiEnum) && f.values.is_empty() {
                return Err(format!("选项字段“{}”没有可选值", f.label));
            }
            if f.fill.is_some() && f.ty != FieldType::Text {
                return Err(format!("字段“{}”由系统填写办理人，类型须为 text", f.label));
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
            match &dd.field {
                Some(key) => {
                    let f = self
                        .field(key)
                        .ok_or_else(|| format!("默认期限依据的字段“{key}”不存在"))?;
                    if let Some(v) = dd.days.keys().chain(dd.months.keys()).find(|v| !f.values.contains(v)) {
                        return Err(format!("默认期限中的“{v}”不是字段“{}”的可选值", f.label));
                    }
                }
                None if dd.all.is_none() => return Err("默认期限须指定依据字段（field）或统一期限（all）".into()),
                None => {}
            }
            if let Some(from) = &dd.from
                && self.field(from).is_none_or(|f| f.ty != FieldType::Date)
            {
                return Err(format!("默认期限的起算字段“{from}”不是本台账的日期字段"));
            }
            if self.role_field(FieldRole::Deadline).is_none() {
                return Err("设置了默认期限，但没有角色为 deadline 的日期字段".into());
            }
        }
        if let Some(k) = &self.attachments.captured_after
            && self.field(k).is_none_or(|f| f.ty != FieldType::Date)
        {
            return Err(format!("附件规则 captured_after 中的“{k}”不是本台账的日期字段"));
        }
        let kinds = self.attachments.kinds();
        if let Some(k) = self.attachments.compare.iter().find(|k| !kinds.contains(k)) {
            return Err(format!("附件对照类别“{k}”不在本台账的附件类别中"));
        }
        for r in &self.date_rules {
            let is_date = |k: &str| self.field(k).is_some_and(|f| f.ty == FieldType::Date);
            for k in std::iter::once(&r.field).chain(&r.not_before).chain(&r.not_after) {
                if !is_date(k) {
                    return Err(format!("日期规则中的“{k}”不是本台账的日期字段"));
                }
            }
            if r.not_before.is_none() && r.not_after.is_none() && !r.not_future {
                return Err(format!("日期规则“{}”没有任何约束", r.field));
            }
        }
        if let Some(c) = &self.co_units {
            if self.role_field(FieldRole::Unit).is_none() {
                return Err("设置了协办单位规则（[co_units]），但没有角色为 unit 的单位字段（主办单位）".into());
            }
            if c.roles.is_empty() {
                return Err("协办单位规则（[co_units]）没有列出可设置协办单位的角色".into());
            }
            if let Some(r) = c.roles.iter().find(|r| !r.writes()) {
                return Err(format!("协办单位规则中的角色“{}”不能修改记录", r.label()));
            }
        }
        if let Some(x) = &self.extension {
            let is_date = |k: &str| self.field(k).is_some_and(|f| f.ty == FieldType::Date);
            for k in std::iter::once(&x.field).chain(&x.stamp) {
                if !is_date(k) {
                    return Err(format!("延期规则中的“{k}”不是本台账的日期字段"));
                }
            }
            if self.role_field(FieldRole::Deadline).is_none() {
                return Err("设置了延期规则，但没有角色为 deadline 的日期字段".into());
            }
        }
        if let Some(wf) = &self.workflow {
            let has = |s: &str| wf.states.iter().any(|st| st.name == s);
            if let Some(s) = wf.states.iter().find(|s| s.own_deadline && s.limit_days.is_none()) {
                return Err(format!("状态“{}”设置了 own_deadline，但没有时限（limit_days）", s.name));
            }
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
                let kinds = self.attachments.kinds();
                for e in &t.evidence {
                    if let Some(k) = &e.kind
                        && !kinds.contains(k)
                    {
                        return Err(format!("流转“{}”要求的附件类别“{k}”不在本台账的附件类别中", t.name));
                    }
                    if e.min == 0 {
                        return Err(format!("流转“{}”的附件要求数量须至少为1", t.name));
                    }
                }
                self.check_step(t, &has)?;
            }
        }
        Ok(())
    }

    /// Checks a transition's step features (转办, 延期, branch) against the ledger.
    fn check_step(&self, t: &TransitionDef, has: &dyn Fn(&str) -> bool) -> Result<(), String> {
        if t.reopen && (self.deadline.reopen_days.is_none() || self.role_field(FieldRole::Deadline).is_none()) {
            return Err(format!(
                "流转“{}”会重新办理（reopen），但台账没有重新办理时限（[deadline] reopen_days）或办理时限字段",
                t.name
            ));
        }
        if self.deadline.reopen_days.is_some_and(|n| n <= 0) {
            return Err("重新办理时限（[deadline] reopen_days）须为正数".into());
        }
        if t.transfer {
            let unit = self.role_field(FieldRole::Unit).map(|f| f.key.as_str());
            if unit.is_none_or(|u| !t.requires.iter().any(|r| r == u)) {
                return Err(format!("转办流转“{}”须要求填写责任单位（角色为 unit 的字段）", t.name));
            }
        }
        if let Some(step) = t.extend {
            let x = self
                .extension
                .as_ref()
                .ok_or_else(|| format!("流转“{}”是延期步骤，但台账没有延期规则（[extension]）", t.name))?;
            if step == ExtendStep::Request && !t.requires.contains(&x.field) {
                return Err(format!("延期申请“{}”须要求填写“{}”", t.name, x.field));
            }
        }
        if let Some(b) = &t.branch {
            let f = self
                .field(&b.field)
                .filter(|f| f.ty == FieldType::Enum)
                .ok_or_else(|| format!("流转“{}”的分支字段“{}”不是本台账的选项字段", t.name, b.field))?;
            if !t.requires.contains(&b.field) {
                return Err(format!("流转“{}”须要求填写分支字段“{}”", t.name, f.label));
            }
            for (v, to) in &b.to {
                if !f.values.contains(v) {
                    return Err(format!("流转“{}”的分支值“{v}”不是字段“{}”的可选值", t.name, f.label));
                }
                if !has(to) {
                    return Err(format!("流转“{}”引用了不存在的状态“{to}”", t.name));
                }
            }
        }
        Ok(())
    }

    /// What taking `t` does beyond setting the values given (`given`: the
    /// validated changes of the request; `old`: the record's values before):
    /// the target state (by the branch value) and the changes of its kind —
    /// 转办 must name another unit; a 延期 request must name a date after the
    /// current deadline and within the extension's `max_days`; an approval
    /// moves the requested date into the deadline (and stamps the day), a
    /// refusal clears the request. Refusals are on the field concerned.
    pub fn plan_step(
        &self,
        t: &TransitionDef,
        old: &Fields,
        given: &Fields,
        today: Date,
        cal: &Calendar,
    ) -> Result<StepPlan, StepRefusal> {
        let value = |k: &str| {
            given
                .get(k)
                .filter(|v| !v.is_null())
                .or_else(|| old.get(k).filter(|v| !v.is_null()))
        };
        let date = |k: &str| value(k).and_then(|v| v.as_str()).and_then(|s| s.parse::<Date>().ok());
        let refuse = |k: &str, message: String| {
            vec![FieldError {
                field: k.to_string(),
                label: self.field(k).map_or(k.to_string(), |f| f.label.clone()),
                message,
            }]
        };
        let mut plan = StepPlan {
            to: t.to.clone(),
            changes: Fields::new(),
            note: None,
        };
        if t.transfer
            && let Some(u) = self.role_field(FieldRole::Unit)
            && given.get(&u.key).is_some_and(|v| !v.is_null())
            && given.get(&u.key) == old.get(&u.key)
        {
            return Err(refuse(&u.key, format!("“{}”须转给其他单位办理", t.name)));
        }
        if let (Some(step), Some(x), Some(df)) = (t.extend, &self.extension, self.role_field(FieldRole::Deadline)) {
            match step {
                ExtendStep::Request => {
                    let current = old
                        .get(&df.key)
                        .and_then(|v| v.as_str())
                        .and_then(|s| s.parse::<Date>().ok());
                    if let (Some(to), Some(current)) = (date(&x.field), current) {
                        let cn = crate::time::date_cn;
                        if to <= current {
                            return Err(refuse(
                                &x.field,
                                format!("申请延期至的日期须晚于现办理时限（{}）", cn(current)),
                            ));
                        }
                        if let Some(n) = x.max_days {
                            let last = self
                                .deadline
                                .add_days(cal, current, n)
                                .map_err(|e| refuse(&x.field, e.to_string()))?;
                            if let Some(last) = last.filter(|l| to > *l) {
                                return Err(refuse(
                                    &x.field,
                                    format!(
                                        "延期不能超过{n}{}，最迟至{}（现办理时限{}）",
                                        self.deadline.unit(),
                                        cn(last),
                                        cn(current)
                                    ),
                                ));
                            }
                        }
                    }
                }
                ExtendStep::Approve => {
                    let to = value(&x.field)
                        .cloned()
                        .ok_or_else(|| refuse(&x.field, "没有待审批的延期申请".into()))?;
                    plan.changes.insert(df.key.clone(), to);
                    plan.changes.insert(x.field.clone(), Value::Null);
                    if let Some(k) = &x.stamp {
                        plan.changes.insert(k.clone(), Value::String(today.to_string()));
                    }
                }
                ExtendStep::Refuse => {
                    plan.changes.insert(x.field.clone(), Value::Null);
                }
            }
        }
        if let Some(b) = &t.branch {
            let v = given
                .get(&b.field)
                .and_then(|v| v.as_str())
                .ok_or_else(|| refuse(&b.field, format!("“{}”须填写此项", t.name)))?;
            if let Some(to) = b.to.get(v) {
                plan.to = to.clone();
            }
        }
        if t.reopen
            && !self.is_final(&plan.to)
            && let (Some(n), Some(df)) = (self.deadline.reopen_days, self.role_field(FieldRole::Deadline))
        {
            let due = self
                .deadline
                .add_days(cal, today, n)
                .map_err(|e| refuse(&df.key, e.to_string()))?
                .ok_or_else(|| refuse(&df.key, "重新办理的办理时限超出可计算范围".into()))?;
            let cn = crate::time::date_cn;
            let why = match &t.branch {
                Some(b) => format!(
                    "{}为“{}”，重新办理",
                    self.field(&b.field).map_or(b.field.as_str(), |f| f.label.as_str()),
                    given.get(&b.field).and_then(|v| v.as_str()).unwrap_or_default()
                ),
                None => t.name.clone(),
            };
            let previous = old
                .get(&df.key)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Date>().ok())
                .map_or_else(|| "无".to_string(), cn);
            plan.note = Some(format!(
                "{why}：{}自{}起重新计算{n}{}，至{}（原{}）",
                df.label,
                cn(today),
                self.deadline.unit(),
                cn(due),
                previous
            ));
            plan.changes.insert(df.key.clone(), Value::String(due.to_string()));
        }
        Ok(plan)
    }

    /// The part of a record number before its sequence: 隐患〔2026〕第.
    pub fn number_head(&self, year: i16) -> String {
        format!("{}〔{year}〕第", self.number_prefix.as_deref().unwrap_or(&self.name))
    }

    /// A record's number as people say it: 隐患〔2026〕第123号.
    pub fn record_number(&self, year: i16, n: i64) -> String {
        format!("{}{n}号", self.number_head(year))
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

    /// Checks the pack's date rules on a record's values (`fields`: the whole
    /// record after the change). With `touched`, only the rules involving a
    /// touched field are checked, so an edit is not refused for dates it left
    /// alone. Every broken rule is reported, on the checked field, naming both
    /// dates: 整改完成日期（2026年3月1日）不能早于发现日期（2026年3月5日）.
    pub fn check_dates(
        &self,
        fields: &Fields,
        today: Date,
        touched: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(), Vec<FieldError>> {
        let date = |k: &str| {
            fields
                .get(k)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Date>().ok())
        };
        let label = |k: &str| self.field(k).map_or(k.to_string(), |f| f.label.clone());
        let cn = crate::time::date_cn;
        let mut errors = Vec::new();
        for r in &self.date_rules {
            let involved = |k: &str| touched.is_none_or(|t| t(k));
            let Some(d) = date(&r.field) else { continue };
            let mut fail = |message: String| {
                errors.push(FieldError {
                    field: r.field.clone(),
                    label: label(&r.field),
                    message,
                })
            };
            for (other, earlier) in [(&r.not_before, true), (&r.not_after, false)] {
                let Some(o) = other else { continue };
                if !(involved(&r.field) || involved(o)) {
                    continue;
                }
                let Some(od) = date(o) else { continue };
                if (earlier && d < od) || (!earlier && d > od) {
                    let word = if earlier { "早于" } else { "晚于" };
                    fail(format!(
                        "{}（{}）不能{word}{}（{}）",
                        label(&r.field),
                        cn(d),
                        label(o),
                        cn(od)
                    ));
                }
            }
            if r.not_future && involved(&r.field) && d > today {
                fail(format!("{}（{}）不能晚于今天（{}）", label(&r.field), cn(d), cn(today)));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Fills the deadline field from the default-days rule when it is empty
    /// (and, for a rule counted from a date field, when that field has a
    /// value). Returns whether it filled it; an error if the term counts
    /// working days into a year the calendar does not have.
    pub fn apply_default_deadline(
        &self,
        fields: &mut Fields,
        created: Date,
        cal: &Calendar,
    ) -> Result<bool, CalendarError> {
        let (Some(dd), Some(df)) = (&self.deadline.default_days, self.role_field(FieldRole::Deadline)) else {
            return Ok(false);
        };
        if fields.get(&df.key).is_some_and(|v| !v.is_null()) {
            return Ok(false);
        }
        let start = match &dd.from {
            None => created,
            Some(k) => match fields
                .get(k)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Date>().ok())
            {
                Some(d) => d,
                None => return Ok(false),
            },
        };
        let value = dd.field.as_ref().and_then(|f| fields.get(f)).and_then(|v| v.as_str());
        let due = if let Some(m) = value.and_then(|v| dd.months.get(v)) {
            start.checked_add(jiff::Span::new().months(*m)).ok()
        } else if let Some(n) = value.and_then(|v| dd.days.get(v)).or(dd.all.as_ref()) {
            self.deadline.add_days(cal, start, *n)?
        } else {
            None
        };
        match due {
            Some(d) => {
                fields.insert(df.key.clone(), Value::String(d.to_string()));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The deadline the default rule gives `fields` (their own deadline set
    /// aside), counted with `cal`; none if the rule does not apply.
    pub fn rule_deadline(&self, fields: &Fields, created: Date, cal: &Calendar) -> Result<Option<Date>, CalendarError> {
        let Some(df) = self.role_field(FieldRole::Deadline) else {
            return Ok(None);
        };
        let mut f = fields.clone();
        f.remove(&df.key);
        if !self.apply_default_deadline(&mut f, created, cal)? {
            return Ok(None);
        }
        Ok(f.get(&df.key).and_then(|v| v.as_str()).and_then(|s| s.parse().ok()))
    }

    /// The provisional (暂定) years the record's deadline in force was counted
    /// through: its deadline field when that is the default rule's working-day
    /// term, else the state's time limit. Empty for calendar days, for a
    /// deadline set by hand, and when every day counted has an official plan.
    pub fn provisional_years(
        &self,
        fields: &Fields,
        state: &str,
        state_since: Date,
        created: Date,
        cal: &Calendar,
    ) -> Vec<i16> {
        if self.deadline.count != DayCount::WorkingDays {
            return Vec::new();
        }
        let set = self
            .role_field(FieldRole::Deadline)
            .and_then(|df| fields.get(&df.key))
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<Date>().ok());
        match set {
            Some(due) => match (
                self.deadline_start(fields, created),
                self.rule_deadline(fields, created, cal),
            ) {
                (Some(start), Ok(Some(rule))) if rule == due => cal.provisional_years(start, due),
                _ => Vec::new(),
            },
            None => match self.effective_deadline(fields, state, state_since, cal) {
                Ok(Some(due)) => cal.provisional_years(state_since, due),
                _ => Vec::new(),
            },
        }
    }

    /// The day the default rule counts from: the rule's date field, else `created`.
    fn deadline_start(&self, fields: &Fields, created: Date) -> Option<Date> {
        let dd = self.deadline.default_days.as_ref()?;
        match &dd.from {
            None => Some(created),
            Some(k) => fields.get(k).and_then(|v| v.as_str()).and_then(|s| s.parse().ok()),
        }
    }

    /// The deadline in force: the deadline field, else the state's time limit
    /// counted (in the rule's days) from `state_since`; in a state whose limit
    /// is its own (`own_deadline`, 签收), the earlier of the two.
    pub fn effective_deadline(
        &self,
        fields: &Fields,
        state: &str,
        state_since: Date,
        cal: &Calendar,
    ) -> Result<Option<Date>, CalendarError> {
        if let Some(df) = self.role_field(FieldRole::Deadline)
            && let Some(d) = fields
                .get(&df.key)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Date>().ok())
        {
            // A state with a time limit of its own (签收): the earlier one holds.
            if let Some(n) = self
                .workflow
                .as_ref()
                .and_then(|w| w.states.iter().find(|s| s.name == state && s.own_deadline))
                .and_then(|s| s.limit_days)
                && let Some(own) = self.deadline.add_days(cal, state_since, n)?
            {
                return Ok(Some(own.min(d)));
            }
            return Ok(Some(d));
        }
        let limit = self
            .workflow
            .as_ref()
            .and_then(|w| w.states.iter().find(|s| s.name == state))
            .and_then(|s| s.limit_days);
        match limit {
            Some(n) => self.deadline.add_days(cal, state_since, n),
            None => Ok(None),
        }
    }

    /// A record's title for lists: the title field, or the first text field.
    pub fn title(&self, fields: &Fields) -> String {
        let f = self.role_field(FieldRole::Title).or_else(|| {
            self.fields
                .iter()
                .find(|f| matches!(f.ty, FieldType::Text) && !f.encrypt)
        });
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
                && !f.encrypt
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
        let cal = Calendar::embedded();
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2026, 1, 1), &cal),
            Ok(true)
        );
        assert_eq!(f["due"], json!("2026-04-01"));
        assert_eq!(l.title(&f), "配电箱未接地");
        assert_eq!(l.record_number(2026, 123), "安全生产隐患〔2026〕第123号");
        let short = pack(&HAZARD.replace(
            "name = \"安全生产隐患\"",
            "name = \"安全生产隐患\"\nnumber_prefix = \"隐患\"",
        ))
        .unwrap();
        assert_eq!(short.ledgers[0].record_number(2026, 7), "隐患〔2026〕第7号");
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
        let cal = Calendar::embedded();
        assert_eq!(
            l.effective_deadline(&f, "待交办", jiff::civil::date(2026, 11, 1), &cal),
            Ok(Some(jiff::civil::date(2026, 11, 4)))
        );
        assert_eq!(
            l.effective_deadline(&f, "整改中", jiff::civil::date(2026, 11, 1), &cal),
            Ok(None)
        );
    }

    #[test]
    fn date_rules_name_both_fields() {
        let text = format!(
            "{}{}",
            HAZARD.replace("[deadline]", "[[fields]]\nkey = \"found\"\nlabel = \"发现日期\"\ntype = \"date\"\n[[fields]]\nkey = \"fixed\"\nlabel = \"整改完成日期\"\ntype = \"date\"\n[deadline]"),
            "[[date_rules]]\nfield = \"fixed\"\nnot_before = \"found\"\nnot_future = true\n[[date_rules]]\nfield = \"found\"\nnot_after = \"due\"\n"
        );
        let p = pack(&text).unwrap();
        let l = p.ledger("hazard").unwrap();
        let today = jiff::civil::date(2026, 12, 5);
        let f = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert!(
            l.check_dates(&f(json!({"found": "2026-03-01", "fixed": "2026-03-05"})), today, None)
                .is_ok()
        );
        assert!(
            l.check_dates(&f(json!({"found": "2026-03-05", "fixed": "2026-03-05"})), today, None)
                .is_ok()
        );
        // Only one date given: nothing to compare.
        assert!(l.check_dates(&f(json!({"fixed": "2026-03-05"})), today, None).is_ok());
        let e = l
            .check_dates(&f(json!({"found": "2026-03-05", "fixed": "2026-03-01"})), today, None)
            .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].field.as_str(), e[0].label.as_str()), ("fixed", "整改完成日期"));
        assert_eq!(
            e[0].message,
            "整改完成日期（2026年3月1日）不能早于发现日期（2026年3月5日）"
        );
        let e = l
            .check_dates(&f(json!({"found": "2026-12-01", "fixed": "2026-12-30"})), today, None)
            .unwrap_err();
        assert_eq!(
            e[0].message,
            "整改完成日期（2026年12月30日）不能晚于今天（2026年12月5日）"
        );
        let e = l
            .check_dates(&f(json!({"found": "2026-12-01", "due": "2026-11-30"})), today, None)
            .unwrap_err();
        assert_eq!(
            e[0].message,
            "发现日期（2026年12月1日）不能晚于整改期限（2026年11月30日）"
        );
        // Every broken rule at once.
        let bad = f(json!({"found": "2026-12-10", "fixed": "2026-12-08", "due": "2026-12-09"}));
        assert_eq!(l.check_dates(&bad, today, None).unwrap_err().len(), 3);
        // An edit touching neither date is not refused for old values.
        let only_note = |k: &str| k == "note";
        assert!(l.check_dates(&bad, today, Some(&only_note)).is_ok());
        let fixed_only = |k: &str| k == "fixed";
        assert_eq!(l.check_dates(&bad, today, Some(&fixed_only)).unwrap_err().len(), 2);
        // A rule on a field that is not a date does not load.
        assert!(
            pack(&text.replace("not_before = \"found\"", "not_before = \"note\""))
                .unwrap_err()
                .message
                .contains("不是本台账的日期字段")
        );
    }

    /// A 信访-like ledger: 15 working days to accept, 60 working days from 受理日期 to handle.
    const PETITION: &str = r#"
key = "petition"
name = "信访件"
[[fields]]
key = "subject"
label = "信访事项"
type = "text"
[[fields]]
key = "received_on"
label = "受理日期"
type = "date"
[[fields]]
key = "due"
label = "办理时限"
type = "date"
role = "deadline"
[deadline]
warn_days = 3
count = "working_days"
default_days = { all = 60, from = "received_on" }
[workflow]
initial = "已登记"
states = [{ name = "已登记", limit_days = 15 }, { name = "办理中" }, { name = "已办结", final = true }]
"#;

    #[test]
    fn working_day_limits_across_the_2026_national_day() {
        let p = pack(PETITION).unwrap();
        let l = p.ledger("petition").unwrap();
        let cal = Calendar::embedded();
        let empty = Fields::new();
        // Registered Friday 9月18日: 15 working days run over 中秋 and 国庆 and
        // count the 调休 Sunday 9月20日 and Saturday 10月10日 → 10月15日
        // (15 calendar days would give 10月3日, a holiday).
        assert_eq!(
            l.effective_deadline(&empty, "已登记", jiff::civil::date(2026, 9, 18), &cal),
            Ok(Some(jiff::civil::date(2026, 10, 15)))
        );
        // No 受理日期 yet: no default deadline.
        let mut f = Fields::new();
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2026, 9, 1), &cal),
            Ok(false)
        );
        // Accepted 9月1日 (Tuesday): 60 working days → 11月30日.
        f.insert("received_on".into(), json!("2026-09-01"));
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2026, 9, 3), &cal),
            Ok(true)
        );
        assert_eq!(f["due"], json!("2026-11-30"));
        // Accepted 12月1日 2026: 60 working days end in 2027, counted by its
        // provisional plan (statutory holidays; 春节 2月5日–10日) → 3月2日, 暂定.
        let mut f = Fields::new();
        f.insert("received_on".into(), json!("2026-12-01"));
        let created = jiff::civil::date(2026, 12, 1);
        assert_eq!(l.apply_default_deadline(&mut f, created, &cal), Ok(true));
        assert_eq!(f["due"], json!("2027-03-02"));
        assert_eq!(l.provisional_years(&f, "已受理", created, created, &cal), [2027]);
        // A deadline set by hand is not the rule's: not marked.
        f.insert("due".into(), json!("2027-03-05"));
        assert!(l.provisional_years(&f, "已受理", created, created, &cal).is_empty());
        // Accepted 11月1日 2027: 60 working days end in 2028, which has no plan at all.
        let mut f = Fields::new();
        f.insert("received_on".into(), json!("2027-11-01"));
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2027, 11, 1), &cal)
                .unwrap_err()
                .to_string(),
            "2028年的节假日安排尚未录入，请管理员在日历中补充"
        );
        assert!(!f.contains_key("due"));
        // Yellow: 3 working days ahead of Wednesday 9月30日 is Saturday 10月10日 (worked).
        assert_eq!(
            l.deadline.yellow_until(&cal, jiff::civil::date(2026, 9, 30)),
            Ok(jiff::civil::date(2026, 10, 10))
        );
        assert_eq!(l.deadline.unit(), "个工作日");
    }

    /// A loop with the steps of issue 17: 签收 with its own time limit, 转办,
    /// 延期 request/approve/refuse, a 回访 branch.
    const STEPS: &str = r#"
key = "case"
name = "信访件"
[[fields]]
key = "subject"
label = "信访事项"
type = "text"
role = "title"
[[fields]]
key = "unit"
label = "责任单位"
type = "unit"
role = "unit"
[[fields]]
key = "due"
label = "办理时限"
type = "date"
role = "deadline"
[[fields]]
key = "extend_to"
label = "申请延期至"
type = "date"
[[fields]]
key = "extended_on"
label = "批准延期日期"
type = "date"
[[fields]]
key = "satisfaction"
label = "评价"
type = "enum"
values = ["满意", "基本满意", "不满意"]
[deadline]
count = "working_days"
reopen_days = 30
[extension]
field = "extend_to"
max_days = 30
stamp = "extended_on"
[workflow]
initial = "已交办"
states = [{ name = "已交办", limit_days = 3, own_deadline = true }, { name = "办理中" }, { name = "延期待批" }, { name = "已答复" }, { name = "已化解", final = true }]
[[workflow.transitions]]
name = "签收"
from = ["已交办"]
to = "办理中"
roles = ["unit_clerk"]
[[workflow.transitions]]
name = "转办"
from = ["办理中"]
to = "已交办"
roles = ["office"]
requires = ["unit"]
reason = true
transfer = true
[[workflow.transitions]]
name = "申请延期"
from = ["办理中"]
to = "延期待批"
roles = ["unit_clerk"]
requires = ["extend_to"]
extend = "request"
[[workflow.transitions]]
name = "批准延期"
from = ["延期待批"]
to = "办理中"
roles = ["unit_head"]
extend = "approve"
[[workflow.transitions]]
name = "不予延期"
from = ["延期待批"]
to = "办理中"
roles = ["unit_head"]
extend = "refuse"
[[workflow.transitions]]
name = "回访"
from = ["已答复"]
to = "已化解"
roles = ["office"]
requires = ["satisfaction"]
branch = { field = "satisfaction", to = { "不满意" = "办理中" } }
reopen = true
"#;

    fn step<'a>(l: &'a LedgerKind, name: &str) -> &'a TransitionDef {
        l.workflow
            .as_ref()
            .and_then(|w| w.transitions.iter().find(|t| t.name == name))
            .unwrap()
    }

    #[test]
    fn sign_limit_is_its_own_deadline_across_the_national_day() {
        let p = pack(STEPS).unwrap();
        let l = p.ledger("case").unwrap();
        let cal = Calendar::embedded();
        let f = |v: Value| v.as_object().unwrap().clone();
        // 交办 Wednesday 9月30日 2026: 3 working days skip 国庆 (10月1日–7日) and
        // count the 调休 Saturday 10月10日 → 10月10日 (calendar days: 10月3日).
        let rec = f(json!({"due": "2026-12-25"}));
        assert_eq!(
            l.effective_deadline(&rec, "已交办", jiff::civil::date(2026, 9, 30), &cal),
            Ok(Some(jiff::civil::date(2026, 10, 10)))
        );
        // Once signed, the 办理时限 holds again.
        assert_eq!(
            l.effective_deadline(&rec, "办理中", jiff::civil::date(2026, 9, 30), &cal),
            Ok(Some(jiff::civil::date(2026, 12, 25)))
        );
        // A 办理时限 earlier than the sign limit is the one in force.
        let early = f(json!({"due": "2026-10-09"}));
        assert_eq!(
            l.effective_deadline(&early, "已交办", jiff::civil::date(2026, 9, 30), &cal),
            Ok(Some(jiff::civil::date(2026, 10, 9)))
        );
        // own_deadline without a limit does not load.
        assert!(
            pack(&STEPS.replace("limit_days = 3, own_deadline", "own_deadline"))
                .unwrap_err()
                .message
                .contains("own_deadline")
        );
    }

    #[test]
    fn extension_transfer_and_branch_steps() {
        let p = pack(STEPS).unwrap();
        let l = p.ledger("case").unwrap();
        let cal = Calendar::embedded();
        let today = jiff::civil::date(2026, 12, 1);
        let f = |v: Value| v.as_object().unwrap().clone();
        let old = f(json!({"subject": "x", "unit": 7, "due": "2026-11-20"}));
        // 延期申请: a date after the current deadline, within 30 working days.
        let ok = l.plan_step(
            step(l, "申请延期"),
            &old,
            &f(json!({"extend_to": "2026-12-31"})),
            today,
            &cal,
        );
        assert_eq!(ok.unwrap().to, "延期待批");
        let e = l
            .plan_step(
                step(l, "申请延期"),
                &old,
                &f(json!({"extend_to": "2026-11-19"})),
                today,
                &cal,
            )
            .unwrap_err();
        assert_eq!(e[0].field, "extend_to");
        assert_eq!(e[0].message, "申请延期至的日期须晚于现办理时限（2026年11月20日）");
        // 30 working days after Friday 11月20日: 29 to 12月31日, 元旦 2027 (provisional
        // plan) is a holiday, so the last day is Monday 2027年1月4日.
        let e = l
            .plan_step(
                step(l, "申请延期"),
                &old,
                &f(json!({"extend_to": "2027-01-05"})),
                today,
                &cal,
            )
            .unwrap_err();
        assert_eq!(
            e[0].message,
            "延期不能超过30个工作日，最迟至2027年1月4日（现办理时限2026年11月20日）"
        );
        assert!(
            l.plan_step(
                step(l, "申请延期"),
                &old,
                &f(json!({"extend_to": "2027-01-04"})),
                today,
                &cal
            )
            .is_ok()
        );
        // 批准延期: the requested date becomes the deadline, the request is cleared, the day stamped.
        let pending = f(json!({"subject": "x", "unit": 7, "due": "2026-11-20", "extend_to": "2026-12-31"}));
        let plan = l
            .plan_step(step(l, "批准延期"), &pending, &Fields::new(), today, &cal)
            .unwrap();
        assert_eq!(plan.to, "办理中");
        assert_eq!(
            Value::Object(plan.changes),
            json!({"due": "2026-12-31", "extend_to": null, "extended_on": "2026-12-01"})
        );
        let plan = l
            .plan_step(step(l, "不予延期"), &pending, &Fields::new(), today, &cal)
            .unwrap();
        assert_eq!(Value::Object(plan.changes), json!({"extend_to": null}));
        // Nothing to approve.
        assert_eq!(
            l.plan_step(step(l, "批准延期"), &old, &Fields::new(), today, &cal)
                .unwrap_err()[0]
                .message,
            "没有待审批的延期申请"
        );
        // 转办 to the same unit is refused; to another passes.
        let e = l
            .plan_step(step(l, "转办"), &old, &f(json!({"unit": 7})), today, &cal)
            .unwrap_err();
        assert_eq!(e[0].message, "“转办”须转给其他单位办理");
        assert_eq!(
            l.plan_step(step(l, "转办"), &old, &f(json!({"unit": 8})), today, &cal)
                .unwrap()
                .to,
            "已交办"
        );
        // 回访: 不满意 reopens, the others close; the value must be given by the step.
        let visit = |v: &str| {
            l.plan_step(step(l, "回访"), &old, &f(json!({"satisfaction": v})), today, &cal)
                .unwrap()
                .to
        };
        assert_eq!(visit("不满意"), "办理中");
        assert_eq!(visit("满意"), "已化解");
        assert_eq!(visit("基本满意"), "已化解");
        let said = f(json!({"satisfaction": "满意"}));
        assert!(
            l.plan_step(step(l, "回访"), &said, &Fields::new(), today, &cal)
                .is_err()
        );
    }

    #[test]
    fn reopening_sets_a_new_deadline_across_the_national_day() {
        let p = pack(STEPS).unwrap();
        let l = p.ledger("case").unwrap();
        let cal = Calendar::embedded();
        let f = |v: Value| v.as_object().unwrap().clone();
        let old = f(json!({"subject": "x", "unit": 7, "due": "2026-09-25"}));
        // 回访 不满意 on Tuesday 9月29日: 30 working days skip 国庆 and count the
        // 调休 Saturday 10月10日 → Monday 11月16日.
        let plan = l
            .plan_step(
                step(l, "回访"),
                &old,
                &f(json!({"satisfaction": "不满意"})),
                jiff::civil::date(2026, 9, 29),
                &cal,
            )
            .unwrap();
        assert_eq!(plan.to, "办理中");
        assert_eq!(Value::Object(plan.changes), json!({"due": "2026-11-16"}));
        assert_eq!(
            plan.note.as_deref(),
            Some(
                "评价为“不满意”，重新办理：办理时限自2026年9月29日起重新计算30个工作日，至2026年11月16日（原2026年9月25日）"
            )
        );
        // Closing it (满意) leaves the deadline alone.
        let plan = l
            .plan_step(
                step(l, "回访"),
                &old,
                &f(json!({"satisfaction": "满意"})),
                jiff::civil::date(2026, 9, 29),
                &cal,
            )
            .unwrap();
        assert_eq!((plan.changes.len(), plan.note), (0, None));
        // A reopening step needs the rule's days.
        let e = pack(&STEPS.replace("reopen_days = 30\n", "")).unwrap_err();
        assert!(e.message.contains("reopen_days"), "{}", e.message);
        let e = pack(&STEPS.replace("reopen_days = 30", "reopen_days = 0")).unwrap_err();
        assert!(e.message.contains("须为正数"), "{}", e.message);
    }

    #[test]
    fn step_features_are_checked_at_load() {
        let bad = |from: &str, to: &str, needle: &str| {
            let e = pack(&STEPS.replace(from, to)).unwrap_err();
            assert!(e.message.contains(needle), "{}", e.message);
        };
        bad(
            "requires = [\"unit\"]\nreason = true\ntransfer",
            "reason = true\ntransfer",
            "转办",
        );
        bad("requires = [\"extend_to\"]\nextend", "extend", "申请延期");
        bad(
            "field = \"extend_to\"\nmax_days",
            "field = \"subject\"\nmax_days",
            "延期规则",
        );
        bad("\"不满意\" = \"办理中\"", "\"很差\" = \"办理中\"", "很差");
        bad("\"不满意\" = \"办理中\"", "\"不满意\" = \"重办\"", "重办");
        bad("requires = [\"satisfaction\"]\nbranch", "branch", "分支字段");
        bad(
            "[extension]\nfield = \"extend_to\"\nmax_days = 30\nstamp = \"extended_on\"\n",
            "",
            "[extension]",
        );
    }

    #[test]
    fn co_unit_rule_is_checked_at_load() {
        let ok = pack(&format!("{STEPS}\n[co_units]\nroles = [\"office\", \"unit_head\"]\n")).unwrap();
        let c = ok.ledger("case").unwrap().co_units.as_ref().unwrap();
        assert_eq!(c.roles, vec![Role::Office, Role::UnitHead]);
        assert!(pack(STEPS).unwrap().ledger("case").unwrap().co_units.is_none());
        let e = pack(&format!("{STEPS}\n[co_units]\nroles = [\"auditor\"]\n")).unwrap_err();
        assert!(e.message.contains("审计监督"), "{}", e.message);
        let e = pack(&format!("{STEPS}\n[co_units]\nroles = []\n")).unwrap_err();
        assert!(e.message.contains("[co_units]"), "{}", e.message);
        let no_unit = STEPS.replace("role = \"unit\"\n", "");
        let e = pack(&format!("{no_unit}\n[co_units]\nroles = [\"office\"]\n")).unwrap_err();
        assert!(e.message.contains("主办单位"), "{}", e.message);
    }

    #[test]
    fn months_from_a_date_field() {
        let text = PETITION
            .replace("default_days = { all = 60, from = \"received_on\" }", "default_days = { field = \"kind\", months = { \"建议\" = 3 }, days = { \"提案\" = 10 }, from = \"received_on\" }")
            .replace("count = \"working_days\"\n", "")
            .replace("[[fields]]\nkey = \"received_on\"", "[[fields]]\nkey = \"kind\"\nlabel = \"类型\"\ntype = \"enum\"\nvalues = [\"建议\", \"提案\"]\n[[fields]]\nkey = \"received_on\"");
        let p = pack(&text).unwrap();
        let l = p.ledger("petition").unwrap();
        let cal = Calendar::default();
        let mut f = Fields::new();
        f.insert("kind".into(), json!("建议"));
        f.insert("received_on".into(), json!("2026-11-30"));
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2026, 12, 5), &cal),
            Ok(true)
        );
        assert_eq!(f["due"], json!("2027-02-28"));
        let mut f = Fields::new();
        f.insert("kind".into(), json!("提案"));
        f.insert("received_on".into(), json!("2026-11-30"));
        assert_eq!(
            l.apply_default_deadline(&mut f, jiff::civil::date(2026, 12, 5), &cal),
            Ok(true)
        );
        assert_eq!(f["due"], json!("2026-12-10"));
        // Calendar days need no calendar, even in a year without a plan.
        assert_eq!(
            l.effective_deadline(&Fields::new(), "已登记", jiff::civil::date(2030, 1, 1), &cal),
            Ok(Some(jiff::civil::date(2030, 1, 16)))
        );
        assert!(
            pack(&text.replace("from = \"received_on\"", "from = \"subject\""))
                .unwrap_err()
                .message
                .contains("起算字段")
        );
        assert!(
            pack(&text.replace("\"建议\" = 3", "\"意见\" = 3"))
                .unwrap_err()
                .message
                .contains("意见")
        );
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
