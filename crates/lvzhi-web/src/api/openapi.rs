//! The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! Written as data here rather than derived by macros (utoipa is not a
//! dependency, and the handlers answer `serde_json::Value`s, so derives would
//! not describe the wire shapes anyway). The tests below hold it honest: every
//! route of the router is documented with its path parameters, every request
//! body's example validates against its schema, and the crate's
//! `tests/openapi.rs` validates real responses of the sample county.

use serde_json::{Value, json};

/// Every documented `(method, path)`.
pub const OPERATIONS: &[(&str, &str, &str)] = &[
    ("post", "/api/v1/auth/login", "登录，返回令牌并设置会话Cookie"),
    ("post", "/api/v1/auth/logout", "退出登录"),
    ("post", "/api/v1/auth/password", "修改本人密码"),
    ("get", "/api/v1/auth/sessions", "登录会话列表"),
    ("delete", "/api/v1/auth/sessions/{id}", "结束登录会话"),
    ("get", "/api/v1/me", "当前用户及其权限范围"),
    ("get", "/api/v1/org/divisions", "行政区划（可按代码前缀筛选）"),
    ("get", "/api/v1/org/units", "单位"),
    ("get", "/api/v1/org/people", "人员及分管单位"),
    ("get", "/api/v1/users", "用户列表（系统管理员、安全管理员）"),
    ("post", "/api/v1/users", "新增用户（系统管理员，普通账号）"),
    ("post", "/api/v1/auth/totp", "登录第二步：动态验证码或恢复码"),
    (
        "post",
        "/api/v1/auth/totp/enrol",
        "开始绑定动态验证码（返回密钥与二维码）",
    ),
    (
        "post",
        "/api/v1/auth/totp/confirm",
        "确认绑定动态验证码（返回一次性恢复码）",
    ),
    (
        "post",
        "/api/v1/users/import",
        "批量创建用户（系统管理员）：请求体为xlsx（表头：单位、角色、姓名、手机号），可选查询参数 name=文件名、check=true 只检查；有错误时422并逐行逐列列出，不创建任何用户；成功时返回各账号的一次性密码（仅此一次）",
    ),
    ("post", "/api/v1/users/{name}/role", "变更用户角色与范围（安全管理员）"),
    (
        "post",
        "/api/v1/users/{name}/password",
        "重置他人密码（普通账号：系统管理员；管理员账号：安全管理员）",
    ),
    ("post", "/api/v1/users/{name}/unlock", "解除登录锁定（安全管理员）"),
    ("post", "/api/v1/users/{name}/state", "停用或启用用户"),
    (
        "post",
        "/api/v1/users/{name}/totp/reset",
        "重置用户的双因素认证（安全管理员）",
    ),
    ("get", "/api/v1/security/policy", "身份鉴别安全策略"),
    ("put", "/api/v1/security/policy", "修改身份鉴别安全策略（安全管理员）"),
    ("get", "/api/v1/ledgers", "台账种类"),
    ("get", "/api/v1/ledgers/{ledger}", "台账的字段与流程定义"),
    (
        "get",
        "/api/v1/ledgers/{ledger}/records",
        "记录列表：筛选、排序、游标分页",
    ),
    ("post", "/api/v1/ledgers/{ledger}/records", "新建记录"),
    (
        "get",
        "/api/v1/ledgers/{ledger}/export",
        "导出记录列表为 xlsx 或 csv（format；筛选条件同记录列表，按权限范围与脱敏）",
    ),
    ("get", "/api/v1/records/{id}", "记录详情"),
    ("patch", "/api/v1/records/{id}", "修改记录字段（须提交当前版本号）"),
    (
        "post",
        "/api/v1/records/{id}/transitions",
        "执行流转（交办、退回、销号…）",
    ),
    ("post", "/api/v1/records/{id}/void", "作废记录（须填写原因）"),
    ("post", "/api/v1/records/{id}/urge", "催办"),
    ("get", "/api/v1/records/{id}/events", "记录的变更历史"),
    (
        "get",
        "/api/v1/records/{id}/co-units",
        "主办单位、协办单位和协办意见，及本人可否设置协办单位、填写协办意见",
    ),
    (
        "put",
        "/api/v1/records/{id}/co-units",
        "设置协办单位（整组替换，空列表为全部取消；台账[co_units]所列角色，新增单位收到站内信）",
    ),
    (
        "post",
        "/api/v1/records/{id}/opinions",
        "协办单位经办人或负责人填写协办意见（记入办理过程，主办单位收到站内信）",
    ),
    (
        "get",
        "/api/v1/records/{id}/attachments",
        "记录的附件（证据材料），含照片拍摄时间、位置和提示",
    ),
    (
        "post",
        "/api/v1/records/{id}/attachments",
        "上传附件（multipart/form-data：kind 附件类别，file 一个或多个文件；类型按内容识别，单个默认不超过20MB）",
    ),
    (
        "get",
        "/api/v1/attachments/{id}",
        "附件原文件（与变更日志中的摘要核对后提供）",
    ),
    (
        "get",
        "/api/v1/attachments/{id}/thumbnail",
        "照片缩略图（JPEG，不含EXIF）",
    ),
    (
        "post",
        "/api/v1/attachments/{id}/void",
        "作废附件（须填写原因；文件不删除）",
    ),
    (
        "get",
        "/api/v1/notices",
        "本人站内信（unread 只看未读，before 分页），含未读数",
    ),
    ("post", "/api/v1/notices/read", "本人站内信全部标为已读"),
    ("post", "/api/v1/notices/{id}/read", "一条站内信标为已读"),
    (
        "get",
        "/api/v1/outbox",
        "外发通知渠道（密钥不回显）及发送记录（系统管理员）",
    ),
    (
        "post",
        "/api/v1/outbox/channels",
        "新增外发通知渠道（企业微信、钉钉、短信网关；系统管理员）",
    ),
    ("get", "/api/v1/audit/events", "变更日志（审计、管理员）"),
    ("get", "/api/v1/audit/verify", "校验变更日志哈希链"),
    (
        "get",
        "/api/v1/indicators",
        "全部指标（period 期间、scope 范围），数值为精确小数",
    ),
    ("get", "/api/v1/indicators/{id}", "单个指标及其来源记录（可分页）"),
    ("get", "/api/v1/warnings", "当前预警及其依据"),
    (
        "get",
        "/api/v1/supervise/ranks",
        "评星挂旗：各单位到期、按期办结、超期未办结、临期、按期办结率、名次、评星和红旗",
    ),
    (
        "get",
        "/api/v1/supervise/warned",
        "督查督办的超期（红）与临期（黄）事项数，合计及按单位（可按台账、单位筛选）",
    ),
    (
        "get",
        "/api/v1/supervise/escalations",
        "超期升级链条（政府办、系统管理员）：超过台账升级天数的在办事项，逐件列出何时通知责任单位、何时报单位负责人和分管领导（姓名、时间）、催办次数及各通知是否已读（可按台账、单位筛选）",
    ),
    (
        "get",
        "/api/v1/dashboard",
        "领导驾驶舱：分管领域本年指标的按月走势（每点注明期间）、各乡镇对比、红黄预警（按单位）",
    ),
    ("post", "/api/v1/warnings/{id}/ack", "确认预警（附说明，记入变更日志）"),
    ("get", "/api/v1/reports", "报告模板列表（内置模板和自定义模板）"),
    (
        "get",
        "/api/v1/reports/{template}/source",
        "报告模板原文（自定义模板可指定 version）",
    ),
    (
        "get",
        "/api/v1/reports/{template}/versions",
        "自定义报告模板的全部版本（保存人、时间、说明）",
    ),
    (
        "post",
        "/api/v1/reports/{template}/versions",
        "保存自定义报告模板的新版本（先校验语法和指标，错误指明行号）",
    ),
    (
        "get",
        "/api/v1/reports/{template}",
        "由记录生成报告（period、person、scope、format=md|html|docx）",
    ),
    ("get", "/api/v1/assessments", "民主测评列表（政府办、管理员、审计）"),
    (
        "post",
        "/api/v1/assessments",
        "新建民主测评：年度、测评对象、测评组及权重、起止时间",
    ),
    (
        "post",
        "/api/v1/assessments/ballot",
        "测评人凭选票码打开选票（无需登录）",
    ),
    (
        "post",
        "/api/v1/assessments/ballot/cast",
        "测评人投票（全部填写才有效），返回回执码",
    ),
    ("get", "/api/v1/assessments/receipts/{code}", "查询回执码是否已计入"),
    ("get", "/api/v1/assessments/{id}", "民主测评详情"),
    ("post", "/api/v1/assessments/{id}/tokens", "按测评组生成一次性选票码"),
    ("post", "/api/v1/assessments/{id}/open", "开启测评"),
    ("post", "/api/v1/assessments/{id}/close", "结束测评并公布计票结果"),
    ("post", "/api/v1/assessments/{id}/publish", "公布已结束测评的计票结果"),
    (
        "get",
        "/api/v1/assessments/{id}/turnout",
        "实时参评情况（各组发放与收回选票）",
    ),
    (
        "get",
        "/api/v1/assessments/{id}/results",
        "测评结果：各对象各项的加权等次比例",
    ),
    (
        "get",
        "/api/v1/assessments/{id}/recount",
        "审计复核：公布结果与库中选票、投票事件一致",
    ),
    ("get", "/api/v1/assessments/{id}/receipts", "已结束测评的全部回执码"),
    (
        "get",
        "/api/v1/assessments/{id}/sheet",
        "测评结果表（format=docx|xlsx）",
    ),
    ("get", "/api/v1/openapi.json", "本文档"),
];

/// A JSON Schema pattern: some character other than white space (the handlers
/// trim strings and refuse empty ones).
const NOT_BLANK: &str = "\\S";
/// The largest unit id a body may name: unit ids are small, and below this bound a float
/// written without fraction (`12.0`) is read exactly.
const MAX_UNIT_ID: i64 = 900_719_925_474_099;

/// A period as `lvzhi_core::period::Period::parse` reads it: a year, a
/// quarter (`2026Q3`), a month (`2026-11`) or a 旬 (`2026-11-1`). (It also
/// reads a day `2026-11-05` and a range `2026-01..2026-11`, left out here:
/// a pattern cannot say that a range ends after it starts.)
const PERIOD: &str = "^(19[0-9]{2}|2[01][0-9]{2}|2200)(Q[1-4]|-(0?[1-9]|1[0-2])(-[1-3])?)?$";

/// A scope as `lvzhi_metrics::Scope::parse` reads it (empty: the county).
const SCOPE: &str =
    "^(county|全县|(division:)?([0-9]{6}|[0-9]{9}|[0-9]{12})|(unit|leader|oversees|owns|baogua):[1-9][0-9]{0,17})?$";

/// The role names (`lvzhi_core::access::Role`).
const ROLES: &[&str] = &[
    "admin",
    "sec_admin",
    "audit_admin",
    "office",
    "leader",
    "unit_clerk",
    "unit_head",
    "auditor",
    "evaluator",
];

fn error_schema() -> Value {
    json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
        "required": ["code", "message"], "properties": {
            "code": {"type": "string", "examples": ["validation_failed"]},
            "message": {"type": "string"},
            "details": {"description": "字段错误列表等", "type": ["array", "object", "null"]}}}}})
}

/// The schemas of the bodies and responses, in `components.schemas`.
fn schemas() -> Value {
    let s = |v: &str| json!({"type": "string", "examples": [v]});
    // A string the server trims and refuses when nothing is left.
    let text = |v: &str| json!({"type": "string", "minLength": 1, "pattern": NOT_BLANK, "examples": [v]});
    // A record's version (i64 in the handlers).
    let version = json!({"type": "integer", "minimum": 1, "maximum": i64::MAX, "examples": [1]});
    let opt_s = json!({"type": ["string", "null"]});
    let opt_i = json!({"type": ["integer", "null"]});
    let fields = json!({"type": "object", "description": "字段键 → 值（字段定义见 GET /api/v1/ledgers/{ledger}）",
        "additionalProperties": true});
    let mut m = serde_json::Map::new();
    m.insert("Error".into(), error_schema());
    m.insert(
        "LoginBody".into(),
        json!({"type": "object", "required": ["username", "password"], "additionalProperties": false,
            "properties": {"username": s("admin"), "password": s("password1")}}),
    );
    m.insert(
        "Login".into(),
        json!({"type": "object", "required": ["token", "csrf", "expires_at", "user"], "properties": {
            "token": {"type": "string"}, "csrf": {"type": "string"}, "expires_at": {"type": "string"},
            "user": {"type": "object", "required": ["username", "role"], "properties": {
                "username": {"type": "string"}, "display_name": {"type": "string"}, "role": {"type": "string"},
                "unit": opt_i, "division": opt_s}}}}),
    );
    m.insert(
        "Me".into(),
        json!({"type": "object", "required": ["username", "display_name", "role", "role_label", "csrf", "expires_at"],
            "properties": {"username": {"type": "string"}, "display_name": {"type": "string"},
                "role": {"type": "string"}, "role_label": {"type": "string"}, "unit": opt_i, "division": opt_s,
                "person": opt_i, "oversees": {"type": ["array", "null"]}, "csrf": {"type": "string"},
                "expires_at": {"type": "string"}}}),
    );
    m.insert(
        "Items".into(),
        json!({"type": "object", "required": ["items"], "description": "列表：items 为对象数组",
            "properties": {"items": {"type": "array", "items": {"type": "object"}}}}),
    );
    m.insert("UserBody".into(), json!({"type": "object", "required": ["username", "password", "role"], "additionalProperties": false,
            "properties": {"username": s("clerk_new"), "display_name": s("新办事员"), "password": s("a-long-password-2026"),
                "role": {"type": "string", "examples": ["unit_clerk"],
                    "enum": ["office", "leader", "unit_clerk", "unit_head", "auditor", "evaluator"]},
                "unit_id": {"type": ["integer", "null"], "minimum": 1, "maximum": i64::MAX, "examples": [1]},
                "division": opt_s, "person_id": {"type": ["integer", "null"], "minimum": 1, "maximum": i64::MAX}}}));
    let role_enum = json!({"type": "string", "examples": ["unit_head"], "enum": ROLES});
    m.insert(
        "CodeBody".into(),
        json!({"type": "object", "required": ["code"],
        "properties": {"code": s("287082")}}),
    );
    m.insert(
        "RoleBody".into(),
        json!({"type": "object", "required": ["role"], "additionalProperties": false,
        "properties": {"role": role_enum, "unit_id": {"type": ["integer", "null"], "minimum": 1, "maximum": i64::MAX, "examples": [1]},
            "division": opt_s}}),
    );
    m.insert(
        "ResetBody".into(),
        json!({"type": "object", "required": ["password"], "additionalProperties": false,
        "properties": {"password": s("Reset#county-2026")}}),
    );
    m.insert(
        "StateBody".into(),
        json!({"type": "object", "required": ["disabled"], "additionalProperties": false,
        "properties": {"disabled": {"type": "boolean", "examples": [true]}}}),
    );
    m.insert(
        "Policy".into(),
        json!({"type": "object", "additionalProperties": false, "properties": {
        "min_length": {"type": "integer", "minimum": 8, "maximum": 64, "examples": [8]},
        "min_classes": {"type": "integer", "minimum": 1, "maximum": 4, "examples": [3]},
        "history": {"type": "integer", "minimum": 0, "maximum": 24},
        "expiry_days": {"type": "integer", "minimum": 0, "maximum": 3650, "examples": [90]},
        "first_login_change": {"type": "boolean"},
        "max_failed": {"type": "integer", "minimum": 1, "maximum": 100, "examples": [5]},
        "max_failed_per_address": {"type": "integer", "minimum": 1, "maximum": 10000},
        "lock_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "idle_minutes": {"type": "integer", "minimum": 1, "maximum": 1440, "examples": [30]},
        "session_hours": {"type": "integer", "minimum": 1, "maximum": 720},
        "totp_roles": {"type": "array", "items": {"type": "string", "enum": ROLES}, "uniqueItems": true,
            "examples": [["admin", "sec_admin", "audit_admin", "auditor"]]}}}),
    );
    m.insert(
        "Enrolment".into(),
        json!({"type": "object", "required": ["secret", "uri", "qr_svg"], "properties": {
        "secret": {"type": "string"}, "uri": {"type": "string"}, "qr_svg": {"type": "string"}}}),
    );
    m.insert(
        "RecoveryCodes".into(),
        json!({"type": "object", "required": ["recovery_codes"], "properties": {
        "recovery_codes": {"type": "array", "items": {"type": "string"}}}}),
    );
    m.insert(
        "Created".into(),
        json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}),
    );
    m.insert(
        "Ledger".into(),
        json!({"type": "object", "required": ["key", "name", "fields"], "properties": {
            "key": {"type": "string"}, "name": {"type": "string"}, "fields": {"type": "array"}}}),
    );
    m.insert(
        "Record".into(),
        json!({"type": "object",
            "required": ["id", "ledger", "state", "closed", "voided", "title", "fields", "version", "warning",
                         "actions", "can_edit", "can_void"],
            "properties": {"id": {"type": "integer"}, "ledger": {"type": "string"}, "state": {"type": "string"},
                "unit_id": opt_i, "division": opt_s, "owner_id": opt_i, "deadline": opt_s,
                "closed": {"type": "boolean"}, "voided": {"type": "boolean"}, "title": {"type": "string"},
                "fields": {"type": "object"}, "version": {"type": "integer"},
                "warning": {"type": "string", "enum": ["none", "yellow", "red"]},
                "actions": {"type": "array", "items": {"type": "string"}},
                "can_edit": {"type": "boolean"}, "can_void": {"type": "boolean"}}}),
    );
    m.insert(
        "Page".into(),
        json!({"type": "object", "required": ["items", "next"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
            "next": opt_s, "total": opt_i}}),
    );
    m.insert(
        "CreateBody".into(),
        json!({"type": "object", "required": ["fields"], "additionalProperties": false,
            "properties": {"fields": fields}}),
    );
    m.insert(
        "UpdateBody".into(),
        json!({"type": "object", "required": ["version", "fields"], "additionalProperties": false,
            "properties": {"version": version, "fields": fields}}),
    );
    m.insert(
        "TransitionBody".into(),
        json!({"type": "object", "required": ["transition", "version"], "additionalProperties": false,
            "properties": {"transition": text("交办"), "version": version,
                "fields": fields, "reason": opt_s}}),
    );
    m.insert(
        "VoidBody".into(),
        json!({"type": "object", "required": ["version", "reason"], "additionalProperties": false,
            "properties": {"version": version, "reason": text("重复录入")}}),
    );
    m.insert(
        "AttachmentVoidBody".into(),
        json!({"type": "object", "required": ["reason"], "additionalProperties": false,
            "properties": {"reason": text("拍错了地点")}}),
    );
    m.insert(
        "Attachments".into(),
        json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array"}}}),
    );
    m.insert(
        "Uploaded".into(),
        json!({"type": "object", "required": ["ids"], "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}}),
    );
    m.insert(
        "Voided".into(),
        json!({"type": "object", "required": ["voided"], "properties": {"voided": {"type": "boolean"}}}),
    );
    let unit = json!({"type": "object", "required": ["id", "name"], "additionalProperties": false,
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}});
    m.insert(
        "CoUnitsBody".into(),
        json!({"type": "object", "required": ["units"], "additionalProperties": false,
            "properties": {"units": {"type": "array", "maxItems": 20, "description": "协办单位编号（整组，至多20个；不能含主办单位）",
                // Unit ids are small; the bound keeps `1234567890123456.0` (a float the JSON parser
                // may read one unit off, so with a fraction) out of the schema-valid data.
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_UNIT_ID}, "examples": [[3, 5]]}}}),
    );
    m.insert(
        "OpinionBody".into(),
        json!({"type": "object", "required": ["text"], "additionalProperties": false,
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": NOT_BLANK,
                "examples": ["我局已配合现场核查，同意主办单位的处理意见"]}}}),
    );
    m.insert(
        "CoUnits".into(),
        json!({"type": "object", "additionalProperties": false,
            "required": ["record_id", "enabled", "lead", "co_units", "opinions", "may_set", "may_opine", "my_co_unit"],
            "properties": {"record_id": {"type": "integer"},
                "enabled": {"type": "boolean", "description": "台账是否设协办单位"},
                "lead": {"description": "主办单位", "oneOf": [unit.clone(), {"type": "null"}]},
                "co_units": {"type": "array", "items": unit.clone()},
                "opinions": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["seq", "at", "unit_id", "unit_name", "actor", "text"],
                    "properties": {"seq": {"type": "integer"}, "at": {"type": "string"}, "unit_id": {"type": "integer"},
                        "unit_name": {"type": "string"}, "actor": {"type": "string"}, "text": {"type": "string"}}}},
                "may_set": {"type": "boolean"}, "may_opine": {"type": "boolean"},
                "my_co_unit": {"type": ["integer", "null"], "description": "本人单位为协办单位时的单位编号"}}}),
    );
    m.insert(
        "UrgeBody".into(),
        json!({"type": "object", "additionalProperties": false, "properties": {"note": s("请于本周内办结")}}),
    );
    m.insert(
        "Verify".into(),
        json!({"type": "object", "description": "哈希链校验结果"}),
    );
    m.insert(
        "Indicators".into(),
        json!({"type": "object", "required": ["period", "period_label", "scope", "items"], "properties": {
            "period": {"type": "string"}, "period_label": {"type": "string"}, "scope": {"type": "string"},
            "items": {"type": "array"}}}),
    );
    m.insert(
        "Indicator".into(),
        json!({"type": "object", "required": ["indicator", "sources", "records", "links"], "properties": {
            "indicator": {"type": "object"}, "sources": {"type": "array"},
            "records": {"type": "object", "required": ["items", "total"]}, "links": {"type": "object"}}}),
    );
    m.insert(
        "Warnings".into(),
        json!({"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array"}, "total": {"type": "integer"}}}),
    );
    m.insert(
        "AckBody".into(),
        json!({"type": "object", "required": ["note"], "additionalProperties": false,
            "properties": {"note": text("已约谈责任单位，限期整改")}}),
    );
    m.insert(
        "Notices".into(),
        json!({"type": "object", "required": ["items", "unread"], "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["id", "kind", "kind_label", "title", "body", "created_at"],
                "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["assign", "return", "urge", "due_soon", "overdue", "escalate", "extend", "progress", "closed", "ballot", "digest"]},
                    "kind_label": {"type": "string"}, "record_id": {"type": ["integer", "null"]}, "href": {"type": ["string", "null"]},
                    "title": {"type": "string"}, "body": {"type": "string"}, "actor_name": {"type": "string"},
                    "created_at": {"type": "string"}, "read_at": {"type": ["string", "null"]}}}},
            "unread": {"type": "integer"}}}),
    );
    // A channel's method is GET in any case, POST otherwise.
    const GET: &str = "^[Gg][Ee][Tt]$";
    m.insert(
        "ChannelBody".into(),
        json!({"type": "object", "required": ["kind", "name", "url"], "additionalProperties": false, "properties": {
            "kind": {"type": "string", "enum": ["wecom", "dingtalk", "sms", "email"], "examples": ["dingtalk"]},
            "name": text("县政府办钉钉群"),
            "url": {"type": "string", "pattern": "^(https?|smtps?)://", "examples": ["https://oapi.dingtalk.com/robot/send?access_token=xxxx"]},
            "secret": s("SECxxxx"),
            "method": {"type": "string", "description": "GET，其他（含不填）为 POST", "examples": ["POST"]},
            "body_template": s("{\"mobile\":\"{phone}\",\"content\":\"{text}\"}"), "phone": s("13800000000"),
            "ca_file": s("/etc/lvzhi/ca.pem"), "smtp_user": s("duty@example.gov.cn"),
            "mail_from": s("duty@example.gov.cn"), "mail_to": s("office@example.gov.cn"),
            "units": {"type": "array", "description": "接收范围：这些单位的用户（经办人、负责人等）的通知；不选单位且不含县级领导则接收全部通知。单位须存在。",
                "items": {"type": "integer", "minimum": 1, "maximum": i64::MAX}, "examples": [[]]},
            "leaders": {"type": "boolean", "description": "接收发给县级领导的通知（领导群）", "examples": [false]},
            "notice_kinds": {"type": "array", "description": "只外发这些类型的通知；不选则全部类型",
                "items": {"type": "string", "enum": lvzhi_store::outbox::NOTICE_KINDS}, "examples": [["urge", "escalate"]]}},
            // Robots and gateways speak HTTP(S), e-mail SMTP(S); an SMS gateway needs the receiving
            // phone, and a POST one a body template with {text}; e-mail needs sender and recipients.
            "oneOf": [
                {"properties": {"kind": {"enum": ["wecom", "dingtalk"]}, "url": {"pattern": "^https?://"}}},
                {"properties": {"kind": {"const": "sms"}, "url": {"pattern": "^https?://"}, "method": {"pattern": GET},
                    "phone": {"pattern": "\\S"}}, "required": ["phone", "method"]},
                {"properties": {"kind": {"const": "sms"}, "url": {"pattern": "^https?://"}, "method": {"not": {"pattern": GET}},
                    "body_template": {"type": "string", "pattern": "\\{text\\}"}, "phone": {"pattern": "\\S"}},
                    "required": ["phone", "body_template"]},
                {"properties": {"kind": {"const": "email"}, "url": {"pattern": "^smtps?://"},
                    "mail_from": {"pattern": "\\S"}, "mail_to": {"pattern": "\\S"}}, "required": ["mail_from", "mail_to"]}]}),
    );
    m.insert(
        "Outbox".into(),
        json!({"type": "object", "required": ["channels", "deliveries"], "properties": {
            "channels": {"type": "array", "items": {"type": "object", "required": ["id", "kind", "kind_label", "name", "url", "secret_set", "enabled",
                "audience", "units", "unit_names", "leaders", "notice_kinds", "audience_label"],
                "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["wecom", "dingtalk", "sms", "email"]},
                    "kind_label": {"type": "string"}, "name": {"type": "string"}, "url": {"type": "string"},
                    "secret_set": {"type": "boolean"}, "method": {"type": "string"}, "phone": {"type": "string"}, "enabled": {"type": "boolean"},
                    "body_template": {"type": "string"}, "ca_file": {"type": "string"}, "smtp_user": {"type": "string"},
                    "mail_from": {"type": "string"}, "mail_to": {"type": "string"},
                    "audience": {"type": "string", "enum": ["all", "units"]},
                    "units": {"type": "array", "items": {"type": "integer"}},
                    "unit_names": {"type": "array", "items": {"type": "string"}},
                    "leaders": {"type": "boolean"},
                    "notice_kinds": {"type": "array", "items": {"type": "string", "enum": lvzhi_store::outbox::NOTICE_KINDS}},
                    "audience_label": {"type": "string"}}}},
            "deliveries": {"type": "array", "items": {"type": "object", "required": ["id", "notice_id", "idem_key", "status", "attempts"],
                "properties": {"id": {"type": "integer"}, "notice_id": {"type": "integer"}, "title": {"type": "string"},
                    "channel": {"type": "string"}, "idem_key": {"type": "string"},
                    "status": {"type": "string", "enum": ["pending", "delivered", "failed"]}, "attempts": {"type": "integer"},
                    "last_error": {"type": "string"}, "next_at": {"type": "string"}, "delivered_at": {"type": ["string", "null"]}}}}}}),
    );
    m.insert(
        "NoticesRead".into(),
        json!({"type": "object", "required": ["read", "unread"], "properties": {
            "read": {"type": "integer"}, "unread": {"type": "integer"}}}),
    );
    m.insert(
        "Acked".into(),
        json!({"type": "object", "required": ["warning"], "properties": {"warning": {"type": "object"}}}),
    );
    m.insert(
        "Reports".into(),
        json!({"type": "object", "required": ["items", "templates"], "properties": {
            "items": {"type": "array"}, "templates": {"type": "array"}}}),
    );
    m.insert(
        "Source".into(),
        json!({"type": "object", "description": "模板原文及版本信息"}),
    );
    m.insert(
        "Versions".into(),
        json!({"type": "object", "required": ["name", "items"], "properties": {
            "name": {"type": "string"}, "items": {"type": "array"}}}),
    );
    m.insert(
        "SaveBody".into(),
        json!({"type": "object", "required": ["source"], "additionalProperties": false, "properties": {
            "source": text("# {{ period_label }}工作报告\n"),
            "parent": {"type": "integer", "minimum": 0, "maximum": i64::MAX, "examples": [0]},
            "base": opt_s, "note": opt_s}}),
    );
    m.insert(
        "Saved".into(),
        json!({"type": "object", "required": ["name", "version"], "properties": {
            "name": {"type": "string"}, "version": {"type": "integer"}}}),
    );
    m.insert("CampaignBody".into(), json!({"type": "object", "required": ["year", "title", "groups", "subjects", "opens_at", "closes_at"],
            "description": "各组权重合计应为100，组名不重复，结束时间晚于开始时间",
            "properties": {"year": {"type": "integer", "minimum": 2000, "maximum": 2100, "examples": [2026]},
                "title": text("2026年度县级领导干部民主测评"),
                "groups": {"type": "array", "minItems": 1, "maxItems": 12, "items": {"type": "object", "required": ["name", "weight"],
                    "properties": {"name": text("县级领导"), "weight": {"type": "string", "description": "权重（百分数，精确小数，最多两位小数）",
                        "pattern": "^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$", "examples": ["30"]}}}},
                "subjects": {"type": "array", "minItems": 1, "maxItems": 200, "items": {"type": "object", "required": ["name"],
                    "properties": {"name": text("王建国"), "post": {"type": "string"}}}},
                "opens_at": {"type": "string", "format": "date-time"},
                "closes_at": {"type": "string", "format": "date-time"},
                "min_ballots": {"type": "integer", "minimum": 0, "maximum": 100000,
                    "description": "收回有效选票少于此数时不公布结果（0：不设下限）"}}}));
    m.insert(
        "Campaign".into(),
        json!({"type": "object",
            "required": ["id", "year", "title", "state", "opens_at", "closes_at", "published", "groups", "subjects"],
            "properties": {"id": {"type": "integer"}, "year": {"type": "integer"}, "title": {"type": "string"},
                "state": {"type": "string"}, "opens_at": {"type": "string"}, "closes_at": {"type": "string"},
                "closed_at": opt_s, "published": {"type": "boolean"}, "groups": {"type": "array"},
                "subjects": {"type": "array"}}}),
    );
    m.insert(
        "TokensBody".into(),
        json!({"type": "object", "required": ["group_id", "count"], "additionalProperties": false,
            "properties": {"group_id": {"type": "integer", "minimum": 1, "maximum": i64::MAX, "examples": [1]},
                "count": {"type": "integer", "minimum": 1, "maximum": 5000, "examples": [10]}}}),
    );
    m.insert(
        "Tokens".into(),
        json!({"type": "object", "required": ["group_id", "tokens"], "properties": {
            "group_id": {"type": "integer"}, "tokens": {"type": "array", "items": {"type": "string"}}}}),
    );
    m.insert(
        "BallotBody".into(),
        json!({"type": "object", "required": ["code"], "additionalProperties": false, "properties": {
            "code": s("ABCDE-FGHJK"), "campaign": {"type": ["integer", "null"], "minimum": 1, "maximum": i64::MAX}}}),
    );
    m.insert("CastBody".into(), json!({"type": "object", "required": ["code", "campaign", "grades"], "additionalProperties": false,
        "properties": {"code": s("ABCDE-FGHJK"), "campaign": {"type": "integer", "minimum": 1, "maximum": i64::MAX, "examples": [1]},
            "grades": {"type": "object", "description": "{\"对象编号\": {\"德\": \"优秀\", …, \"总体评价\": \"称职\"}}",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}}}}}));
    m.insert(
        "PasswordBody".into(),
        json!({"type": "object", "required": ["old", "new"], "properties": {"old": s("Old#county-2026"), "new": s("New#county-2027")}}),
    );
    // Other parts of the form are ignored.
    m.insert(
        "Upload".into(),
        json!({"type": "object", "required": ["file"], "properties": {
        "kind": {"type": "string", "description": "附件类别（台账定义的附件种类）", "examples": ["整改前照片"]},
        "file": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}}}}),
    );
    m.insert(
        "Cast".into(),
        json!({"type": "object", "required": ["campaign", "receipt"], "properties": {
            "campaign": {"type": "integer"}, "receipt": {"type": "string"}}}),
    );
    m.insert(
        "Turnout".into(),
        json!({"type": "object", "required": ["items", "issued", "voted"], "properties": {
            "items": {"type": "array"}, "issued": {"type": "integer"}, "voted": {"type": "integer"}}}),
    );
    m.insert("Ballot".into(), json!({"type": "object", "required": ["campaign", "subjects", "items", "grades"], "properties": {
            "campaign": {"type": "object", "required": ["id", "title"]}, "subjects": {"type": "array"},
            "items": {"type": "array", "items": {"type": "string"}}, "grades": {"type": "array", "items": {"type": "string"}}}}));
    m.insert(
        "Receipt".into(),
        json!({"type": "object", "required": ["counted", "campaigns"], "properties": {
            "counted": {"type": "boolean"}, "campaigns": {"type": "array"}}}),
    );
    // The escalation chain (`lvzhi_store::notices::ChainItem`).
    let told = json!({"type": "object", "additionalProperties": false, "required": ["username", "name", "at", "read_at"],
        "properties": {"username": {"type": "string"}, "name": {"type": "string"},
            "at": {"type": "string", "description": "首次通知时间（UTC）"},
            "read_at": {"type": ["string", "null"], "description": "首次阅读时间；null 为未读"}}});
    let step = json!({"type": "object", "additionalProperties": false, "required": ["at", "to"],
        "properties": {"at": {"type": ["string", "null"], "description": "首次通知时间；null 为尚未通知"},
            "to": {"type": "array", "items": told}}});
    m.insert(
        "Escalations".into(),
        json!({"type": "object", "additionalProperties": false, "required": ["as_of", "total", "items"], "properties": {
            "as_of": {"type": "string", "format": "date"}, "total": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                "required": ["id", "ledger", "ledger_name", "number", "title", "state", "unit_id", "unit", "deadline",
                    "days_overdue", "day_unit", "escalate_head", "escalate_leader", "unit_told", "head", "leader",
                    "urged", "last_urge", "href"],
                "properties": {"id": {"type": "integer"}, "ledger": {"type": "string"}, "ledger_name": {"type": "string"},
                    "number": {"type": ["string", "null"]}, "title": {"type": "string"}, "state": {"type": "string"},
                    "unit_id": {"type": "integer"}, "unit": {"type": "string"},
                    "deadline": {"type": "string", "format": "date"},
                    "days_overdue": {"type": "integer", "minimum": 1}, "day_unit": {"type": "string", "enum": ["天", "个工作日"]},
                    "escalate_head": {"type": ["integer", "null"]}, "escalate_leader": {"type": ["integer", "null"]},
                    "unit_told": step.clone(), "head": step.clone(), "leader": step.clone(),
                    "urged": {"type": "integer", "minimum": 0}, "last_urge": step,
                    "href": {"type": "string"}}}}}}),
    );
    m.insert("Object".into(), json!({"type": "object"}));
    Value::Object(m)
}

/// What an operation answers on success.
enum Success {
    /// JSON of a component schema.
    Json(&'static str),
    /// A file in one of these media types.
    Files(&'static [&'static str]),
    /// No content.
    Empty,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The request body schema, success status and success content of an operation.
fn shape(method: &str, path: &str) -> (Option<&'static str>, u16, Success) {
    let tail = path.trim_start_matches("/api/v1");
    match (method, tail) {
        ("post", "/auth/login") => (Some("LoginBody"), 200, Success::Json("Login")),
        ("post", "/auth/logout") => (None, 204, Success::Empty),
        ("post", "/auth/password") => (Some("PasswordBody"), 204, Success::Empty),
        ("get", "/me") => (None, 200, Success::Json("Me")),
        ("post", "/users") => (Some("UserBody"), 201, Success::Json("Created")),
        ("post", "/auth/totp") => (Some("CodeBody"), 200, Success::Json("Object")),
        ("post", "/auth/totp/enrol") => (None, 200, Success::Json("Enrolment")),
        ("post", "/auth/totp/confirm") => (Some("CodeBody"), 200, Success::Json("RecoveryCodes")),
        ("post", "/users/import") => (None, 201, Success::Json("Object")),
        ("post", "/users/{name}/role") => (Some("RoleBody"), 204, Success::Empty),
        ("post", "/users/{name}/password") => (Some("ResetBody"), 204, Success::Empty),
        ("post", "/users/{name}/state") => (Some("StateBody"), 204, Success::Empty),
        ("post", "/users/{name}/unlock" | "/users/{name}/totp/reset") => (None, 204, Success::Empty),
        ("get", "/security/policy") => (None, 200, Success::Json("Policy")),
        ("put", "/security/policy") => (Some("Policy"), 200, Success::Json("Policy")),
        ("get", "/ledgers/{ledger}") => (None, 200, Success::Json("Ledger")),
        ("get", "/ledgers/{ledger}/records") => (None, 200, Success::Json("Page")),
        ("post", "/ledgers/{ledger}/records") => (Some("CreateBody"), 201, Success::Json("Record")),
        ("get", "/ledgers/{ledger}/export") => (None, 200, Success::Files(&[XLSX, "text/csv; charset=utf-8"])),
        ("get", "/records/{id}") => (None, 200, Success::Json("Record")),
        ("patch", "/records/{id}") => (Some("UpdateBody"), 200, Success::Json("Record")),
        ("post", "/records/{id}/transitions") => (Some("TransitionBody"), 200, Success::Json("Record")),
        ("post", "/records/{id}/void") => (Some("VoidBody"), 200, Success::Json("Record")),
        ("post", "/records/{id}/urge") => (Some("UrgeBody"), 200, Success::Json("Record")),
        ("get", "/records/{id}/co-units") => (None, 200, Success::Json("CoUnits")),
        ("put", "/records/{id}/co-units") => (Some("CoUnitsBody"), 200, Success::Json("CoUnits")),
        ("post", "/records/{id}/opinions") => (Some("OpinionBody"), 201, Success::Json("CoUnits")),
        ("get", "/records/{id}/attachments") => (None, 200, Success::Json("Attachments")),
        ("post", "/records/{id}/attachments") => (Some("Upload"), 201, Success::Json("Uploaded")),
        ("get", "/attachments/{id}") => (
            None,
            200,
            Success::Files(&[
                "image/jpeg",
                "image/png",
                "image/webp",
                "image/heic",
                "application/pdf",
                DOCX,
                XLSX,
            ]),
        ),
        ("get", "/attachments/{id}/thumbnail") => (None, 200, Success::Files(&["image/jpeg"])),
        ("post", "/attachments/{id}/void") => (Some("AttachmentVoidBody"), 200, Success::Json("Voided")),
        ("get", "/audit/verify") => (None, 200, Success::Json("Verify")),
        ("get", "/indicators") => (None, 200, Success::Json("Indicators")),
        ("get", "/indicators/{id}") => (None, 200, Success::Json("Indicator")),
        ("get", "/warnings") => (None, 200, Success::Json("Warnings")),
        ("get", "/supervise/warned" | "/dashboard") => (None, 200, Success::Json("Object")),
        ("get", "/supervise/escalations") => (None, 200, Success::Json("Escalations")),
        ("post", "/warnings/{id}/ack") => (Some("AckBody"), 200, Success::Json("Acked")),
        ("get", "/notices") => (None, 200, Success::Json("Notices")),
        ("get", "/outbox") => (None, 200, Success::Json("Outbox")),
        ("post", "/outbox/channels") => (Some("ChannelBody"), 201, Success::Json("Created")),
        ("post", "/notices/read" | "/notices/{id}/read") => (None, 200, Success::Json("NoticesRead")),
        ("get", "/reports") => (None, 200, Success::Json("Reports")),
        ("get", "/reports/{template}/source") => (None, 200, Success::Json("Source")),
        ("get", "/reports/{template}/versions") => (None, 200, Success::Json("Versions")),
        ("post", "/reports/{template}/versions") => (Some("SaveBody"), 201, Success::Json("Saved")),
        ("get", "/reports/{template}") => (
            None,
            200,
            Success::Files(&["text/markdown; charset=utf-8", "text/html; charset=utf-8", DOCX]),
        ),
        ("post", "/assessments") => (Some("CampaignBody"), 201, Success::Json("Campaign")),
        ("post", "/assessments/ballot") => (Some("BallotBody"), 200, Success::Json("Ballot")),
        ("post", "/assessments/ballot/cast") => (Some("CastBody"), 201, Success::Json("Cast")),
        ("get", "/assessments/receipts/{code}") => (None, 200, Success::Json("Receipt")),
        ("get", "/assessments/{id}") => (None, 200, Success::Json("Campaign")),
        ("post", "/assessments/{id}/tokens") => (Some("TokensBody"), 201, Success::Json("Tokens")),
        ("post", "/assessments/{id}/open") => (None, 200, Success::Json("Campaign")),
        ("get", "/assessments/{id}/turnout") => (None, 200, Success::Json("Turnout")),
        ("get", "/assessments/{id}/sheet") => (None, 200, Success::Files(&[DOCX, XLSX])),
        ("get", "/assessments/{id}/results" | "/assessments/{id}/recount" | "/openapi.json")
        | ("post", "/assessments/{id}/close" | "/assessments/{id}/publish") => (None, 200, Success::Json("Object")),
        _ => (None, 200, Success::Json("Items")),
    }
}

/// The query parameters of an operation: (name, JSON type, description).
fn query(method: &str, path: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    const LIST: &[(&str, &str, &str)] = &[
        ("state", "string", "状态"),
        ("unit", "integer", "责任单位编号"),
        ("division", "string", "行政区划代码前缀"),
        ("owner", "integer", "包挂领导（人员编号）"),
        (
            "date_field",
            "string",
            "按哪个日期字段筛选（不填：台账的第一个日期字段）",
        ),
        ("from", "string", "起始日期 YYYY-MM-DD"),
        ("to", "string", "截止日期 YYYY-MM-DD"),
        ("warning", "string", "red 超期 / yellow 临期 / warned 两者"),
        ("q", "string", "全文检索"),
        ("open", "boolean", "只看未办结"),
        ("include_voided", "boolean", "含已作废"),
        ("sort", "string", "id / deadline / updated / created"),
        ("cursor", "string", "上一页返回的 next"),
        ("limit", "integer", "每页条数 1-500，默认50"),
        ("count", "boolean", "同时返回总数"),
    ];
    const EXPORT: &[(&str, &str, &str)] = &[
        ("format", "string", "xlsx（默认）或 csv"),
        ("state", "string", "状态"),
        ("unit", "integer", "责任单位编号"),
        ("division", "string", "行政区划代码前缀"),
        ("owner", "integer", "包挂领导（人员编号）"),
        (
            "date_field",
            "string",
            "按哪个日期字段筛选（不填：台账的第一个日期字段）",
        ),
        ("from", "string", "起始日期 YYYY-MM-DD"),
        ("to", "string", "截止日期 YYYY-MM-DD"),
        ("warning", "string", "red / yellow / warned"),
        ("q", "string", "全文检索"),
        ("open", "boolean", "只看未办结"),
        ("include_voided", "boolean", "含已作废"),
        ("sort", "string", "id / deadline / updated / created"),
    ];
    const INDICATOR: &[(&str, &str, &str)] = &[
        (
            "period",
            "string",
            "2026、2026Q3、2026-11、2026-01..2026-11（默认本年）",
        ),
        ("scope", "string", "范围（默认全县）"),
        ("source", "integer", "只列第几个来源的记录"),
        ("cursor", "string", "来源记录的分页游标"),
        ("limit", "integer", "每页条数"),
    ];
    if method != "get" {
        return &[];
    }
    match path.trim_start_matches("/api/v1") {
        "/ledgers/{ledger}/records" => LIST,
        "/ledgers/{ledger}/export" => EXPORT,
        "/org/divisions" => &[("prefix", "string", "行政区划代码前缀")],
        "/audit/events" => &[
            ("before", "integer", "只列此编号之前的事件"),
            ("kind", "string", "事件类型"),
            ("limit", "integer", "条数 1-1000，默认100"),
        ],
        "/indicators" => &INDICATOR[..2],
        "/indicators/{id}" => INDICATOR,
        "/warnings" => &[("level", "string", "red / yellow"), ("rule", "string", "预警规则")],
        "/notices" => &[
            ("unread", "boolean", "只看未读"),
            ("before", "integer", "只列此编号之前的消息"),
            ("limit", "integer", "条数 1-500，默认50"),
        ],
        "/reports/{template}" => &[
            ("period", "string", "期间"),
            ("person", "string", "人员"),
            ("scope", "string", "范围"),
            ("format", "string", "md / html / docx"),
            (
                "issue",
                "string",
                "通报期数（如 11 → 〔2026〕第11期），默认为本年度同类通报的下一期",
            ),
        ],
        "/supervise/ranks" => &[("period", "string", "期间")],
        "/supervise/warned" => &[
            ("ledger", "string", "台账（有办理期限的台账）"),
            ("unit", "integer", "责任单位编号"),
        ],
        "/supervise/escalations" => &[
            ("ledger", "string", "台账（有超期升级规则的台账；不填为全部）"),
            ("unit", "integer", "责任单位编号"),
        ],
        "/reports/{template}/source" => &[("version", "integer", "自定义模板的版本号")],
        "/assessments/{id}/sheet" => &[("format", "string", "docx（默认）或 xlsx")],
        _ => &[],
    }
}

/// The path parameters named in `path`, with their schemas and demo examples.
fn path_params(path: &str) -> Vec<Value> {
    let string_id = path.starts_with("/api/v1/indicators") || path.starts_with("/api/v1/warnings");
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = match name {
                "id" if !string_id => json!({"type": "integer", "minimum": 1, "maximum": i64::MAX, "examples": [1]}),
                "id" => json!({"type": "string", "minLength": 1}),
                "ledger" => json!({"type": "string", "minLength": 1, "examples": ["hazard"]}),
                _ => json!({"type": "string", "minLength": 1}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// The error statuses an operation may answer, with their meaning.
fn errors(method: &str, path: &str, has_body: bool, public: bool) -> Vec<(u16, &'static str)> {
    let mut out = vec![(400, "请求无效（参数、路径或JSON格式）"), (404, "不存在或超出权限范围")];
    if !public || path == "/api/v1/auth/login" {
        out.push((401, "未登录、会话已过期或用户名密码错误"));
    }
    if !public {
        out.push((403, "无此权限或CSRF令牌错误"));
    }
    out.push((422, "字段校验失败（details 列出每个字段）或模板运行错误"));
    out.push((409, "版本冲突或当前状态不允许（如测评尚无选票）"));
    if method != "get" {
        out.push((507, "存储空间已满，本次修改未保存"));
    }
    // A body sent where none or JSON is expected: any write may meet these.
    if has_body || method != "get" {
        out.push((413, "请求体过大"));
        out.push((415, "请求体应为JSON（Content-Type: application/json）"));
    }
    if path == "/api/v1/auth/login" || path.starts_with("/api/v1/assessments/ballot") || path.contains("/receipts/") {
        out.push((429, "尝试次数过多，请稍后再试（Retry-After）"));
    }
    out.push((503, "数据库暂时不可用，请稍后重试"));
    out.sort_unstable();
    out
}

/// Whether an operation needs no login.
fn is_public(path: &str) -> bool {
    path == "/api/v1/auth/login"
        || path == "/api/v1/openapi.json"
        || path.starts_with("/api/v1/assessments/ballot")
        || path.starts_with("/api/v1/assessments/receipts/")
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The example of each request body: valid demo values.
pub fn body_example(name: &str) -> Value {
    match name {
        "LoginBody" => json!({"username": "admin", "password": "password1"}),
        "UserBody" => json!({"username": "clerk_new", "display_name": "新办事员", "password": "a-long-password-2026",
            "role": "unit_clerk", "unit_id": 1}),
        // A hazard (POST /api/v1/ledgers/hazard/records), as in the demo county.
        "CreateBody" => json!({"fields": {"description": "配电箱未接地", "company": "演示公司", "industry": "工贸",
            "grade": "一般", "township": "620902100", "found_on": "2026-11-20"}}),
        "UpdateBody" => json!({"version": 1, "fields": {"measures": "立即断电，三日内完成接地"}}),
        // 交办 of a hazard 待交办 to 应急管理局 (unit 12 of the demo county).
        "TransitionBody" => json!({"transition": "交办", "version": 1,
            "fields": {"responsible_unit": 12, "deadline": "2026-12-20"}}),
        "VoidBody" => json!({"version": 1, "reason": "重复录入"}),
        "UrgeBody" => json!({"note": "请于本周内办结"}),
        "CoUnitsBody" => json!({"units": [3, 5]}),
        "OpinionBody" => json!({"text": "我局已配合现场核查，同意主办单位的处理意见"}),
        "AttachmentVoidBody" => json!({"reason": "拍错了地点"}),
        "AckBody" => json!({"note": "已约谈责任单位，限期整改"}),
        "SaveBody" => json!({"source": "# {{ period_label }}工作报告\n", "parent": 0, "note": "初稿"}),
        "CampaignBody" => json!({"year": 2026, "title": "2026年度县级领导干部民主测评",
            "groups": [{"name": "县级领导", "weight": "30"}, {"name": "部门主要负责人", "weight": "70"}],
            "subjects": [{"name": "王建国", "post": "常务副区长"}],
            "opens_at": "2026-12-01T00:00:00Z", "closes_at": "2026-12-31T00:00:00Z"}),
        "TokensBody" => json!({"group_id": 1, "count": 10}),
        "CodeBody" => json!({"code": "287082"}),
        "RoleBody" => json!({"role": "unit_head", "unit_id": 1}),
        "ResetBody" => json!({"password": "Reset#county-2026"}),
        "StateBody" => json!({"disabled": true}),
        "Policy" => {
            json!({"min_length": 8, "min_classes": 3, "history": 5, "expiry_days": 90, "first_login_change": true,
            "max_failed": 5, "max_failed_per_address": 20, "lock_minutes": 15, "idle_minutes": 30, "session_hours": 12,
            "totp_roles": ["admin", "sec_admin", "audit_admin", "auditor"]})
        }
        "BallotBody" => json!({"code": "ABCDE-FGHJK"}),
        "ChannelBody" => json!({"kind": "dingtalk", "name": "县政府办钉钉群",
            "url": "http://10.0.0.8/robot/send?access_token=xxxx", "secret": "SECxxxx"}),
        "CastBody" => {
            json!({"code": "ABCDE-FGHJK", "campaign": 1, "grades": {"1": {"德": "优秀", "总体评价": "称职"}}})
        }
        "PasswordBody" => json!({"old": "Old#county-2026", "new": "New#county-2027"}),
        // A PDF: files are sniffed by their content.
        "Upload" => json!({"kind": "整改前照片", "file": ["%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
            2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n\
            trailer<</Root 1 0 R>>\n%%EOF\n"]}),
        _ => json!({}),
    }
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary) in OPERATIONS {
        let (body, status, ok) = shape(method, path);
        let public = is_public(path);
        let mut params = path_params(path);
        for (n, t, d) in query(method, path) {
            let schema = match (*n, path.trim_start_matches("/api/v1")) {
                // The indicators read an empty period as the default (this year).
                ("period", "/indicators" | "/indicators/{id}") => {
                    json!({"type": "string", "pattern": format!("{PERIOD}|^$"), "examples": ["2026"]})
                }
                ("period", _) => json!({"type": "string", "pattern": PERIOD, "examples": ["2026"]}),
                ("scope", _) => json!({"type": "string", "pattern": SCOPE, "examples": ["county"]}),
                ("issue", _) => {
                    json!({"type": "string", "pattern": "^(第?0*[1-9][0-9]{0,3}期?)?$", "examples": ["11"]})
                }
                ("sort", _) => json!({"type": "string", "enum": ["id", "created", "deadline", "updated"]}),
                // An empty value is no filter (as an HTML form sends it).
                ("warning", _) => json!({"type": "string", "enum": ["red", "yellow", "warned", ""]}),
                ("division", _) => json!({"type": "string", "pattern": "^[0-9]*$", "examples": ["620902"]}),
                ("from" | "to", _) => json!({"type": "string", "format": "date", "examples": ["2026-11-01"]}),
                ("date_field", _) => json!({"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "examples": ["found_on"],
                    "description": "台账的日期字段键（见 GET /api/v1/ledgers/{ledger}），与 from、to 同用"}),
                // `value~id` of the previous page's `next`.
                ("cursor", "/ledgers/{ledger}/records") => json!({"type": "string", "pattern": "^[^~]*~[0-9]{1,18}$"}),
                // An offset into the sources' records.
                ("cursor", _) => json!({"type": "string", "pattern": "^[0-9]{1,18}$"}),
                ("format", "/ledgers/{ledger}/export") => json!({"type": "string", "enum": ["xlsx", "csv"]}),
                ("format", "/reports/{template}") => json!({"type": "string", "enum": ["md", "html", "docx"]}),
                ("format", _) => json!({"type": "string", "enum": ["docx", "xlsx"]}),
                ("level", _) => json!({"type": "string", "enum": ["red", "yellow"]}),
                ("limit", "/audit/events") => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                ("limit", _) => json!({"type": "integer", "minimum": 1, "maximum": 500}),
                // An index into the figure's sources (usize in the handler).
                ("source", _) => json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
                // The handlers read integers as i64.
                (_, _) if *t == "integer" => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
                _ => json!({"type": t}),
            };
            params.push(json!({"name": n, "in": "query", "required": false, "schema": schema, "description": d}));
        }
        let mut responses = serde_json::Map::new();
        responses.insert(
            status.to_string(),
            match ok {
                Success::Json(name) => {
                    json!({"description": "成功", "content": {"application/json": {"schema": schema_ref(name)}}})
                }
                Success::Files(types) => {
                    let content: serde_json::Map<String, Value> = types
                        .iter()
                        .map(|t| (t.to_string(), json!({"schema": {"type": "string", "format": "binary"}})))
                        .collect();
                    json!({"description": "文件", "content": content})
                }
                Success::Empty => json!({"description": "成功，无内容"}),
            },
        );
        for (code, description) in errors(method, path, body.is_some(), public) {
            responses.insert(
                code.to_string(),
                json!({"description": description,
                       "content": {"application/json": {"schema": schema_ref("Error")}}}),
            );
        }
        let mut op = json!({"summary": summary, "parameters": params, "responses": responses});
        if let Some(name) = body {
            let media = if name == "Upload" {
                "multipart/form-data"
            } else {
                "application/json"
            };
            op["requestBody"] = json!({"required": true, "content": {media: {
                "schema": schema_ref(name), "example": body_example(name)}}});
        }
        if !public {
            op["security"] = json!([{"bearer": []}, {"cookie": []}]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "履职 lvzhi API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "县级政府台账、闭环流程与变更日志的JSON接口。错误格式：{\"error\":{\"code\",\"message\",\"details\"}}"},
        "paths": Value::Object(paths),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "lvzhi_session"}
            }
        }
    })
}

/// Checks `value` against `schema` (a subset of JSON Schema: `$ref` into
/// `doc`'s components, `type`, `enum`, `required`, `properties`,
/// `additionalProperties: false`, `items`, `minItems`, `minimum`, `minLength`).
/// Returns the first violation as `path: what`.
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = doc
            .pointer(&format!("/components/schemas/{name}"))
            .ok_or_else(|| format!("{at}: unknown schema {r}"))?;
        return validate(doc, target, value, at);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            return Err(format!("{at}: expected {types:?}, got {actual}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {e:?}"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        return Err(format!("{at}: {n} < {min}"));
    }
    if let (Some(min), Some(s)) = (schema.get("minLength").and_then(Value::as_u64), value.as_str())
        && (s.chars().count() as u64) < min
    {
        return Err(format!("{at}: shorter than {min}"));
    }
    if let Some(obj) = value.as_object() {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !obj.contains_key(key) {
                return Err(format!("{at}: missing required key “{key}”"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => validate(doc, sub, v, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: unexpected key “{k}”"));
                }
                None => {}
            }
        }
    }
    if let Some(arr) = value.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (arr.len() as u64) < min
        {
            return Err(format!("{at}: fewer than {min} items"));
        }
        if let Some(items) = schema.get("items") {
            for (i, v) in arr.iter().enumerate() {
                validate(doc, items, v, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{OPERATIONS, document, validate};
    use serde_json::{Value, json};

    /// The `(method, path)` pairs routed in `mod.rs`, read from its source.
    fn routed() -> Vec<(String, String)> {
        let src = include_str!("mod.rs");
        let router = src
            .split("pub fn router()")
            .nth(1)
            .unwrap()
            .split(".fallback(")
            .next()
            .unwrap();
        let mut out = vec![];
        for route in router.split(".route(").skip(1) {
            let path = route.split('"').nth(1).unwrap();
            if !path.starts_with("/api/") {
                continue;
            }
            let handlers = route.split_once(&format!("\"{path}\"")).unwrap().1;
            for m in ["get", "post", "patch", "put", "delete"] {
                if handlers.contains(&format!("{m}(")) {
                    out.push((m.to_string(), path.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_with_its_path_parameters() {
        let doc = document();
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(n, OPERATIONS.len(), "an operation is documented twice");
        let routes = routed();
        assert!(routes.len() >= 40, "the router parser found only {routes:?}");
        for (method, path) in &routes {
            let op = &doc["paths"][path.as_str()][method.as_str()];
            assert!(op.is_object(), "{method} {path} is routed but not documented");
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let named: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            assert_eq!(declared, named, "{method} {path}: path parameters");
        }
        for (method, path, _) in OPERATIONS {
            assert!(
                routes.iter().any(|(m, p)| m == method && p == path),
                "{method} {path} is documented but not routed"
            );
        }
    }

    #[test]
    fn every_operation_has_a_success_schema_and_every_body_a_valid_example() {
        let doc = document();
        let mut bodies = 0;
        for (method, path, _) in OPERATIONS {
            let op = &doc["paths"][*path][*method];
            let responses = op["responses"].as_object().unwrap();
            let (code, ok) = responses.iter().find(|(c, _)| c.starts_with('2')).unwrap();
            assert!(
                code == "204" || ok["content"].as_object().is_some_and(|c| !c.is_empty()),
                "{method} {path}: {code} has no content schema"
            );
            assert!(
                responses.contains_key("400") && responses.contains_key("404"),
                "{method} {path}"
            );
            if let Some(body) = op.get("requestBody") {
                bodies += 1;
                let media = body["content"].as_object().unwrap().values().next().unwrap();
                validate(&doc, &media["schema"], &media["example"], "example")
                    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
                assert!(
                    responses.contains_key("415") && responses.contains_key("413"),
                    "{method} {path}"
                );
                // A wrong body must not validate: the schema is not a bare object.
                assert!(
                    validate(&doc, &media["schema"], &json!({"unexpected": 1}), "x").is_err(),
                    "{method} {path}: the body schema accepts anything"
                );
            }
            for e in responses.iter().filter(|(c, _)| !c.starts_with('2')).map(|(_, r)| r) {
                assert_eq!(
                    e["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error"
                );
            }
        }
        assert_eq!(bodies, 25);
    }

    #[test]
    fn the_walker_catches_what_it_claims_to() {
        let doc = document();
        let rec = json!({"$ref": "#/components/schemas/Record"});
        assert!(
            validate(&doc, &rec, &json!({"id": 1}), "r")
                .unwrap_err()
                .contains("missing")
        );
        let err = validate(&doc, &json!({"type": "integer"}), &json!("1"), "r").unwrap_err();
        assert!(err.contains("expected"), "{err}");
        let e = json!({"type": "string", "enum": ["a"]});
        assert!(validate(&doc, &e, &json!("b"), "r").is_err());
        let arr = json!({"type": "array", "items": {"type": "string"}});
        assert!(validate(&doc, &arr, &json!(["a", 2]), "r").is_err());
        assert!(validate(&doc, &json!({"type": ["string", "null"]}), &Value::Null, "r").is_ok());
    }
}
