//! The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! Written as data here rather than derived by macros (utoipa): the API is
//! small, and the test below checks that every route of the router is
//! documented and every documented path is routed.

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
    ("get", "/api/v1/users", "用户列表（管理员）"),
    ("post", "/api/v1/users", "新增用户（管理员）"),
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
    ("get", "/api/v1/audit/events", "变更日志（审计、管理员）"),
    ("get", "/api/v1/audit/verify", "校验变更日志哈希链"),
    (
        "get",
        "/api/v1/indicators",
        "全部指标（period 期间、scope 范围），数值为精确小数",
    ),
    ("get", "/api/v1/indicators/{id}", "单个指标及其来源记录（可分页）"),
    ("get", "/api/v1/warnings", "当前预警及其依据"),
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

fn error_schema() -> Value {
    json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
        "required": ["code", "message"], "properties": {
            "code": {"type": "string", "examples": ["validation_failed"]},
            "message": {"type": "string"},
            "details": {"description": "字段错误列表等", "type": ["array", "object", "null"]}}}}})
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary) in OPERATIONS {
        let mut params = vec![];
        if path.contains("{template}") {
            params.push(json!({"name": "template", "in": "path", "required": true, "schema": {"type": "string"}}));
        }
        for name in ["ledger", "id"] {
            // Indicator and warning ids are strings.
            let string_id = path.starts_with("/api/v1/indicators") || path.starts_with("/api/v1/warnings");
            if path.contains(&format!("{{{name}}}")) {
                params.push(json!({"name": name, "in": "path", "required": true,
                    "schema": if name == "id" && !string_id { json!({"type": "integer", "minimum": 1}) } else { json!({"type": "string"}) }}));
            }
        }
        if (path.ends_with("/records") || path.ends_with("/export")) && *method == "get" {
            for (n, t, d) in [
                ("state", "string", "状态"),
                ("unit", "integer", "责任单位编号"),
                ("division", "string", "行政区划代码前缀"),
                ("owner", "integer", "包挂领导（人员编号）"),
                ("date_field", "string", "按哪个日期字段筛选"),
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
            ] {
                params.push(
                    json!({"name": n, "in": "query", "required": false, "schema": {"type": t}, "description": d}),
                );
            }
        }
        let mut op = json!({
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {"description": "成功"},
                "400": {"description": "请求无效", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "未登录"},
                "403": {"description": "超出权限范围或CSRF令牌错误"},
                "404": {"description": "不存在"},
                "409": {"description": "版本冲突或状态不允许"},
                "413": {"description": "请求体过大"},
                "422": {"description": "字段校验失败，details 列出每个字段"},
                "429": {"description": "登录失败次数过多"}
            }
        });
        if *method != "get" {
            op["requestBody"] = json!({"content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let public = *path == "/api/v1/auth/login"
            || *path == "/api/v1/openapi.json"
            || path.starts_with("/api/v1/assessments/ballot")
            || path.starts_with("/api/v1/assessments/receipts/");
        if path.contains("{code}") {
            params.push(json!({"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}));
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
            "schemas": {"Error": error_schema()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "lvzhi_session"}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_is_documented_once() {
        let doc = super::document();
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(n, super::OPERATIONS.len());
        let src = include_str!("mod.rs");
        for (_, path, _) in super::OPERATIONS {
            assert!(
                src.contains(&format!("\"{path}\"")),
                "{path} is documented but not routed"
            );
        }
        for line in src.lines().filter(|l| l.trim_start().starts_with(".route(\"/api")) {
            let path = line.split('"').nth(1).unwrap();
            assert!(doc["paths"].get(path).is_some(), "{path} is routed but not documented");
        }
    }
}
