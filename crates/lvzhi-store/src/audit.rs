//! The event log: reading it and verifying its hash chain.

use crate::db::{P, Row};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::event::{ChainVerifier, Event};
use serde::{Deserialize, Serialize};

/// The columns [`event_from_row`] reads, in order.
pub const EVENT_COLS: &str = "seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, prev_hash, hash";

/// Builds an event from a row of [`EVENT_COLS`]. Data that is not JSON (a
/// tampered row) is kept as a JSON string so that verification reports it.
pub fn event_from_row(r: &Row) -> Event {
    let data_text = r.t(8);
    Event {
        seq: r.i(0),
        at: r.t(1),
        actor: r.oi(2),
        actor_name: r.t(3),
        kind: r.t(4),
        entity: r.t(5),
        entity_id: r.ot(6),
        ledger: r.ot(7),
        data: serde_json::from_str(&data_text).unwrap_or(serde_json::Value::String(data_text)),
        prev_hash: r.t(9),
        hash: r.t(10),
    }
}

/// The result of a chain verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Events verified before the first break (all of them when intact).
    pub verified: i64,
    /// The first break, if any.
    pub error: Option<String>,
    /// Seq of the first broken event.
    pub broken_at: Option<i64>,
    /// Of the verified events, how many are hashed with SM3 (the rest: SHA-256).
    pub sm3_events: i64,
}

impl Store {
    /// Recomputes the whole chain, in pages, and names the first broken link.
    pub async fn verify_chain(&self) -> Result<Verification, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut v = ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let rows = c
                .conn()
                .rows(
                    &format!("SELECT {EVENT_COLS} FROM events WHERE seq > $1 ORDER BY seq LIMIT 5000"),
                    &[P::I(after)],
                )
                .await?;
            if rows.is_empty() {
                return Ok(Verification {
                    verified: v.count(),
                    error: None,
                    broken_at: None,
                    sm3_events: v.sm3_count(),
                });
            }
            for r in &rows {
                let e = event_from_row(r);
                if let Err(err) = v.push(&e) {
                    let at = err.seq();
                    return Ok(Verification {
                        verified: v.count(),
                        error: Some(err.to_string()),
                        broken_at: Some(at),
                        sm3_events: v.sm3_count(),
                    });
                }
                after = e.seq;
            }
        }
    }

    /// Switches a SHA-256 chain (a database from before SM3) to SM3: writes
    /// the sealing event, hashed with SM3, after which every event is SM3.
    /// Returns the seq sealed, or `None` when the chain is SM3 already (or empty).
    pub async fn seal_chain(&self) -> Result<Option<i64>, StoreError> {
        let (seq, hash) = self.chain_head().await?;
        if seq == 0 || lvzhi_core::crypto::HashAlg::of_digest(&hash) == lvzhi_core::crypto::HashAlg::Sm3 {
            return Ok(None);
        }
        self.audit_event(
            &Store::system_access(),
            lvzhi_core::event::SEAL_KIND,
            "chain",
            None,
            serde_json::json!({"sealed": seq, "sealed_hash": hash, "from": "SHA-256", "to": "SM3", "result": "ok"}),
        )
        .await?;
        Ok(Some(seq))
    }

    /// A page of the event log (auditors and admins), newest first, before `before`.
    pub async fn events(
        &self,
        a: &Access,
        before: Option<i64>,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let f = EventFilter {
            before,
            kind: kind.map(str::to_string),
            limit: Some(limit),
            ..EventFilter::default()
        };
        self.events_filtered(a, &f).await
    }
}

/// What the audit log is filtered by (all optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    /// Only events before this seq (paging, newest first).
    pub before: Option<i64>,
    /// A kind or a kind prefix (`auth.`, `record.update`).
    pub kind: Option<String>,
    /// The acting user's login name.
    pub actor: Option<String>,
    /// From this day (Asia/Shanghai, `2026-11-25`), inclusive.
    pub from: Option<String>,
    /// To this day (Asia/Shanghai), inclusive.
    pub to: Option<String>,
    /// One record's events.
    pub record: Option<i64>,
    /// At most this many (1–1000; default 100).
    pub limit: Option<i64>,
}

/// The kinds of events, grouped for the audit page's filter: (prefix, label).
pub const KIND_GROUPS: &[(&str, &str)] = &[
    ("auth.", "登录与会话"),
    ("user.", "用户与权限"),
    ("config.", "安全与系统配置"),
    ("record.", "台账记录"),
    ("org.", "组织机构"),
    ("export.", "导出与下载"),
    ("backup.", "备份与恢复"),
    ("chain.", "日志完整性"),
    ("assess.", "民主测评"),
    ("warning.", "预警"),
    ("report.", "报告模板"),
];

/// The Chinese name of an event kind (never the raw code for a known kind).
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "auth.login" => "登录",
        "auth.login_failed" => "登录失败",
        "auth.lockout" => "登录锁定",
        "auth.logout" => "退出登录",
        "auth.timeout" => "超时退出",
        "auth.revoke" => "结束会话",
        "user.add" => "添加用户",
        "user.password" => "修改密码",
        "user.role" => "变更角色与范围",
        "user.disable" => "停用用户",
        "user.enable" => "启用用户",
        "user.unlock" => "解除锁定",
        "user.import" => "批量导入用户",
        "user.2fa.begin" => "开始绑定双因素认证",
        "user.2fa.enable" => "启用双因素认证",
        "user.2fa.reset" => "重置双因素认证",
        "auth.2fa" => "动态验证码验证",
        "auth.2fa_failed" => "动态验证码错误",
        "config.policy" => "修改安全策略",
        "meta.set" => "修改系统设置",
        "record.create" => "登记",
        "record.update" => "修改",
        "record.transition" => "流转",
        "record.void" => "作废",
        "record.urge" => "催办",
        "record.assign" => "指派承办人",
        "record.co_units" => "设置协办单位",
        "record.opinion" => "协办意见",
        "ui.prefs" => "调整列表显示列",
        "org.divisions" => "导入行政区划",
        "org.unit.add" => "添加单位",
        "org.unit.rename" => "单位更名",
        "org.unit.disable" => "停用单位",
        "org.unit.enable" => "启用单位",
        "org.person.add" => "添加人员",
        "org.person.update" => "修改人员",
        "org.oversight" => "调整分管",
        "export.records" => "导出台账",
        "export.audit" => "导出审计日志",
        "export.report" => "下载报告",
        "export.attachment" => "下载附件",
        "backup.create" => "备份",
        "backup.restore" => "恢复备份",
        "chain.seal" => "哈希算法切换（SM3）",
        "assess.campaign.create" => "创建测评",
        "assess.campaign.open" => "开始测评",
        "assess.campaign.close" => "结束测评",
        "assess.campaign.publish" => "公布测评结果",
        "assess.tokens.issue" => "发放测评码",
        "assess.ballot" => "提交测评票",
        "warning.ack" => "确认预警",
        "report.template.save" => "保存报告模板",
        k if k.starts_with("auth.") => "登录与会话",
        k if k.starts_with("user.") => "用户变更",
        k if k.starts_with("org.") => "组织机构变更",
        k if k.starts_with("record.") => "台账记录变更",
        k if k.starts_with("assess.") => "民主测评",
        k if k.starts_with("export.") => "导出",
        k if k.starts_with("config.") => "配置变更",
        _ => "其他操作",
    }
}

/// The Chinese name of an event's result.
pub fn result_label(result: &str) -> &'static str {
    match result {
        "ok" => "成功",
        "bad_password" => "密码错误",
        "unknown_user" => "用户名不存在",
        "locked" => "账号已锁定",
        "address_locked" => "来源地址已锁定",
        "disabled" => "账号已停用",
        "ended" => "已结束",
        "refused" => "被拒绝",
        "password_ok" => "密码正确，待验证动态码",
        "pending" => "待确认",
        "bad_code" => "验证码错误",
        "" => "",
        _ => "其他",
    }
}

/// One event as the 审计 page shows it: every code turned into Chinese.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLine {
    /// Seq.
    pub seq: i64,
    /// The code of its kind (for links and filters; not shown as text).
    pub kind: String,
    /// When, in Asia/Shanghai (`2026年11月25日 10:00:00`).
    pub at: String,
    /// Who: the login name, or 系统.
    pub actor: String,
    /// What, in Chinese.
    pub action: String,
    /// On what: `隐患排查 第12号`, `用户 clerk_xd`, `单位 应急管理局`.
    pub target: String,
    /// The record it concerns, for a link.
    pub record: Option<i64>,
    /// The change, in Chinese.
    pub summary: String,
    /// The source address, when known.
    pub address: String,
    /// The result, in Chinese (empty for changes, which only succeed).
    pub result: String,
}

/// An instant in Asia/Shanghai, with seconds, dates without leading zeros.
pub fn local_time(stamp: &str) -> String {
    match stamp.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(lvzhi_core::time::shanghai())
            .strftime("%Y年%-m月%-d日 %H:%M:%S")
            .to_string(),
        Err(_) => stamp.to_string(),
    }
}

/// The UTC stamp at which a Shanghai day starts (`day_offset` 1: the next day's start).
fn day_start(day: &str, day_offset: i64) -> Result<String, StoreError> {
    let d = lvzhi_core::time::parse_date(day).ok_or_else(|| StoreError::BadRequest(format!("日期“{day}”无效")))?;
    let d = d
        .checked_add(jiff::Span::new().days(day_offset))
        .map_err(|e| StoreError::BadRequest(e.to_string()))?;
    let z = d
        .to_zoned(lvzhi_core::time::shanghai())
        .map_err(|e| StoreError::BadRequest(e.to_string()))?;
    Ok(lvzhi_core::time::stamp(z.timestamp()))
}

fn text(v: &serde_json::Value, key: &str) -> String {
    match &v[key] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Store {
    /// A page of the event log, filtered, newest first (auditors and administrators).
    pub async fn events_filtered(&self, a: &Access, f: &EventFilter) -> Result<Vec<Event>, StoreError> {
        audit_reader(a)?;
        let mut params = vec![P::I(f.before.unwrap_or(i64::MAX))];
        let mut sql = format!("SELECT {EVENT_COLS} FROM events WHERE seq < $1");
        let mut add = |cond: &str, p: P, params: &mut Vec<P>| {
            params.push(p);
            sql.push_str(&cond.replace("$n", &format!("${}", params.len())));
        };
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            add(" AND kind LIKE $n", P::T(format!("{k}%")), &mut params);
        }
        if let Some(u) = f.actor.as_deref().filter(|u| !u.is_empty()) {
            add(" AND actor_name = $n", P::T(u.trim().into()), &mut params);
        }
        if let Some(d) = f.from.as_deref().filter(|d| !d.is_empty()) {
            add(" AND at >= $n", P::T(day_start(d, 0)?), &mut params);
        }
        if let Some(d) = f.to.as_deref().filter(|d| !d.is_empty()) {
            add(" AND at < $n", P::T(day_start(d, 1)?), &mut params);
        }
        if let Some(r) = f.record {
            add(
                " AND entity = 'record' AND entity_id = $n",
                P::T(r.to_string()),
                &mut params,
            );
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            f.limit.unwrap_or(100).clamp(1, 1000)
        ));
        let mut c = self.pool.acquire().await?;
        let rows = c.conn().rows(&sql, &params).await?;
        let mut events: Vec<Event> = rows.iter().map(event_from_row).collect();
        // Personal data inside record events is masked like everywhere else.
        for e in &mut events {
            if let Some(kind) = e.ledger.as_deref().and_then(|l| self.pack.ledger(l)) {
                for part in ["before", "after"] {
                    if let Some(serde_json::Value::Object(m)) = e.data.get_mut(part) {
                        crate::records::mask_fields(kind, a.role, m);
                    }
                }
            }
        }
        Ok(events)
    }

    /// The filtered log as the 审计 page shows it: Chinese throughout.
    pub async fn audit_lines(&self, a: &Access, f: &EventFilter) -> Result<Vec<AuditLine>, StoreError> {
        let events = self.events_filtered(a, f).await?;
        let mut c = self.pool.acquire().await?;
        let names = |rows: Vec<crate::db::Row>| -> std::collections::HashMap<String, String> {
            rows.iter().map(|r| (r.i(0).to_string(), r.t(1))).collect()
        };
        let users = names(c.conn().rows("SELECT id, username FROM users", &[]).await?);
        let units = names(c.conn().rows("SELECT id, name FROM units", &[]).await?);
        let people = names(c.conn().rows("SELECT id, name FROM people", &[]).await?);
        drop(c);
        Ok(events
            .iter()
            .map(|e| self.describe(e, &users, &units, &people))
            .collect())
    }

    fn describe(
        &self,
        e: &Event,
        users: &std::collections::HashMap<String, String>,
        units: &std::collections::HashMap<String, String>,
        people: &std::collections::HashMap<String, String>,
    ) -> AuditLine {
        let ledger = e.ledger.as_deref().and_then(|l| self.pack.ledger(l));
        let id = e.entity_id.clone().unwrap_or_default();
        let lookup = |m: &std::collections::HashMap<String, String>| m.get(&id).cloned().unwrap_or_else(|| id.clone());
        let target = match e.entity.as_str() {
            "record" => match ledger {
                Some(l) => format!("{} 第{id}号", l.name),
                None => format!("记录 第{id}号"),
            },
            "user" => {
                let name = users.get(&id).cloned().unwrap_or_else(|| text(&e.data, "username"));
                format!("用户 {name}")
            }
            "unit" => format!("单位 {}", lookup(units)),
            "person" => format!("人员 {}", lookup(people)),
            "division" => "行政区划".into(),
            "config" | "meta" => "系统配置".into(),
            "report_template" => format!("报告模板 {id}"),
            "campaign" => format!("测评 第{id}号"),
            "database" => "数据库".into(),
            "chain" => "变更日志".into(),
            _ if id.is_empty() => "—".into(),
            _ => format!("第{id}号"),
        };
        let d = &e.data;
        let field_labels = |part: &str| -> String {
            d[part]
                .as_object()
                .map(|m| {
                    m.keys()
                        .map(|k| {
                            ledger
                                .and_then(|l| l.field(k))
                                .map(|f| f.label.clone())
                                .unwrap_or_else(|| k.clone())
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default()
        };
        let role_name = |k: &str| {
            Role::parse(k)
                .map(|r| r.label().to_string())
                .unwrap_or_else(|| k.to_string())
        };
        let summary = match e.kind.as_str() {
            "record.transition" => format!("{}：{} → {}", text(d, "transition"), text(d, "from"), text(d, "to")),
            "record.void" => format!("原因：{}", text(d, "reason")),
            "record.update" => format!("修改：{}", field_labels("after")),
            "record.urge" => format!("第{}次催办", text(d, "urge_count")),
            "record.assign" => format!("承办人：{}", text(d, "name")),
            "record.co_units" => format!("协办单位：{}", unit_names(&d["co_units"])),
            "record.opinion" => format!("{}：{}", text(d, "unit_name"), text(d, "text")),
            "auth.lockout" => format!(
                "{}锁定至{}",
                if text(d, "scope") == "address" {
                    "来源地址"
                } else {
                    "账号"
                },
                local_time(&text(d, "until"))
            ),
            "auth.login" | "auth.login_failed" => {
                format!("{}登录", if text(d, "kind") == "api" { "接口" } else { "网页" })
            }
            "auth.timeout" => format!("{}分钟未操作", text(d, "idle_minutes")),
            "user.password" => {
                if d["reset"] == true {
                    "管理员重置，须于下次登录时修改".into()
                } else {
                    "本人修改".into()
                }
            }
            "user.add" | "user.role" => {
                let after = if e.kind == "user.add" {
                    d.clone()
                } else {
                    d["after"].clone()
                };
                let mut s = format!("角色：{}", role_name(&text(&after, "role")));
                if let Some(u) = after["unit"].as_i64() {
                    s.push_str(&format!(
                        "，单位：{}",
                        units.get(&u.to_string()).cloned().unwrap_or_default()
                    ));
                }
                if let Some(dv) = after["division"].as_str() {
                    s.push_str(&format!("，范围：{dv}"));
                }
                if e.kind == "user.role" {
                    s = format!("由 {} 改为 {}", role_name(&text(&d["before"], "role")), s);
                }
                s
            }
            "config.policy" => "修改密码与登录策略".into(),
            "meta.set" => format!("{} = {}", text(d, "key"), text(d, "value")),
            "export.records" | "export.audit" | "export.report" | "export.attachment" => {
                let mut s = text(d, "what");
                let n = text(d, "rows");
                if !n.is_empty() {
                    s.push_str(&format!("，{n}条"));
                }
                s
            }
            "backup.create" => format!("备份到 {}", text(d, "file")),
            "backup.restore" => format!(
                "从 {} 恢复：恢复后至事件 #{}，此前至事件 #{}（#{}–#{} 被回滚）",
                text(d, "file"),
                text(d, "backup_head"),
                text(d, "replaced_head"),
                d["backup_head"].as_i64().unwrap_or(0) + 1,
                text(d, "replaced_head"),
            ),
            "chain.seal" => format!("此前 {} 个事件用 SHA-256，此后用 SM3", text(d, "sealed")),
            _ => String::new(),
        };
        AuditLine {
            seq: e.seq,
            kind: e.kind.clone(),
            at: local_time(&e.at),
            actor: if e.actor_name.is_empty() || e.actor_name == "system" {
                "系统".into()
            } else {
                e.actor_name.clone()
            },
            action: kind_label(&e.kind).into(),
            target,
            record: (e.entity == "record").then(|| id.parse().ok()).flatten(),
            summary,
            address: text(d, "address"),
            result: result_label(&text(d, "result")).into(),
        }
    }
}

/// The audit administrator and 纪委/审计 supervision read the log (三员分立:
/// not the system or the security administrator).
fn audit_reader(a: &Access) -> Result<(), StoreError> {
    if a.role.reads_audit_log() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "只有审计管理员和审计监督人员可以查看完整变更日志".into(),
        ))
    }
}

/// "财政局、住建局" from a list of `{id, name}` (an event's 协办 units); "无" when empty.
pub fn unit_names(v: &serde_json::Value) -> String {
    let names: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["name"].as_str()).collect())
        .unwrap_or_default();
    if names.is_empty() {
        "无".into()
    } else {
        names.join("、")
    }
}
