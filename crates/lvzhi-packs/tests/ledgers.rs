//! Domain-level checks of every ledger of the embedded county pack.
//!
//! For each ledger: its closed loop can be walked from the initial state to
//! every state and every final state by the roles the pack names; a realistic
//! sample record validates; a bad value in any field is rejected with a
//! Chinese error naming that field; personal data is masked for clerks unless
//! the ledger says otherwise; and the fields the indicators are computed from
//! exist with the expected keys and types.
// Always true for an integration test; written out so that clippy's
// allow-{unwrap,expect,panic}-in-tests also covers the helpers below.
#![cfg(test)]

use lvzhi_core::access::Role;
use lvzhi_core::field::{FieldDef, FieldRole, FieldType, Mask};
use lvzhi_core::ledger::{LedgerKind, Pack};
use lvzhi_core::money::MoneyUnit;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

fn pack() -> Pack {
    lvzhi_packs::county().unwrap_or_else(|e| panic!("the county pack does not load: {e}"))
}

fn ledger<'a>(pack: &'a Pack, key: &str) -> &'a LedgerKind {
    pack.ledger(key).unwrap_or_else(|| panic!("no ledger {key}"))
}

/// The ledgers of the standard pack, with the initial and final states of their loops
/// (an empty initial state: no workflow).
const LOOPS: &[(&str, &str, &[&str])] = &[
    ("accident", "", &[]),
    ("dispute", "已受理", &["调解成功", "调解不成"]),
    ("duty_log", "", &[]),
    ("hazard", "待交办", &["已销号"]),
    ("investment_lead", "线索", &["开工", "终止"]),
    ("petition", "已登记", &["已化解", "已终结", "不予受理"]),
    ("price_case", "已立案", &["已结案"]),
    ("price_observation", "", &[]),
    ("project", "谋划", &["投产", "终止"]),
    ("project_issue", "待协调", &["已解决"]),
    ("proposal", "已交办", &["已评价"]),
    ("river_issue", "已发现", &["已销号"]),
    ("river_patrol", "", &[]),
    ("safety_inspection", "", &[]),
    ("statistic", "草稿", &["已审核"]),
    ("supervision", "已交办", &["已办结"]),
    ("wage_arrears", "已受理", &["已结案"]),
];

/// One realistic record per ledger, with every field filled.
fn sample(key: &str) -> Value {
    match key {
        "accident" => json!({
            "title": "312国道清水镇段两车相撞事故",
            "kind": "交通事故",
            "grade": "一般",
            "occurred_on": "2026年3月14日",
            "township": "620902101",
            "location": "G312线K2791+300处",
            "party": "酒泉某运输有限公司",
            "credit_code": "91440300708461136T",
            "deaths": 1,
            "injuries": "2",
            "direct_loss": "3.6",
            "unit": 12,
            "cause": "货车驾驶人疲劳驾驶，越过中心线与对向小客车相撞。",
            "handling": "交警大队已立案调查，肇事驾驶人被依法刑事拘留。"
        }),
        "dispute" => json!({
            "summary": "两户村民因宅基地界址发生争执",
            "kind": "土地纠纷",
            "source": "排查",
            "parties": "王建国、李秀兰",
            "party_count": 2,
            "party_phone": "13909371234",
            "township": "620902102",
            "mediation_org": "总寨镇人民调解委员会",
            "org_type": "乡镇",
            "unit": 21,
            "mediator": "赵志明",
            "received_on": "2026-04-02",
            "amount": "0.8",
            "result": "双方确认以原有围墙中线为界，签订调解协议。",
            "agreement_form": "书面",
            "transferred_to": "诉讼",
            "concluded_on": "2026-04-10"
        }),
        "duty_log" => json!({
            "leader": 3,
            "kind": "会议",
            "meeting_kind": "重点欠薪案件协调会议",
            "presided": "是",
            "held_on": "2026-01-18",
            "end_on": "2026-01-18",
            "location": "区政府三楼会议室",
            "topic": "春节前重点欠薪案件协调会议",
            "units": "人社局、住建局、信访局、公安分局",
            "township": "620902",
            "unit": 15,
            "companies_met": 0,
            "outcome": "协调解决3起重点欠薪案件，涉及农民工126人、工资286万元。"
        }),
        "hazard" => json!({
            "description": "配电箱未接地，消防通道堆放杂物",
            "company": "酒泉市某商贸有限公司",
            "credit_code": "91350100M000100Y43",
            "industry": "商场",
            "grade": "一般隐患",
            "township": "620902001",
            "responsible_unit": 8,
            "inspection": "2026年冬季安全生产大检查",
            "inspection_ref": 41,
            "found_on": "2026-12-03",
            "deadline": "2027-01-02",
            "measures": "重新敷设接地线，清理消防通道。",
            "rectified_on": "2026-12-20",
            "acceptance": "经复查已整改到位。",
            "accepted_by": "孙伟",
            "contact_phone": "0937-2612345",
            "number": "YH-2026-0123",
            "location": "一楼配电室",
            "rectifier": "王建国",
            "listed": false
        }),
        "investment_lead" => json!({
            "name": "城郊综合市场建设项目",
            "company": "江苏某商业管理有限公司",
            "credit_code": "91440300708461136T",
            "origin_region": "江苏",
            "industry": "商贸",
            "channel": "节会",
            "referrer": "陈立新",
            "first_contact_on": "2026-03-20",
            "intended_investment": "5亿元",
            "signed_amount": 48000,
            "signed_on": "2026-07-07",
            "signing_event": "第23届兰洽会",
            "landed_on": "2026-09-15",
            "started_on": "2026-10-08",
            "project_ref": 102,
            "township": "620902109",
            "leader": 3,
            "unit": 17,
            "next_follow_up_on": "2026-11-01",
            "contact": "周经理",
            "contact_phone": "13812345678",
            "progress": "已完成工商注册，正在办理用地手续。"
        }),
        "petition" => json!({
            "number": "XF6209022026000123",
            "subject": "反映征地补偿款未足额发放",
            "petitioner": "张国强",
            "id_card": "11010519491231002x",
            "phone": "13993712345",
            "address": "肃州区西洞镇某村三组",
            "persons": 1,
            "is_collective": false,
            "form": "走访",
            "visit_type": "初信初访",
            "category": "征地",
            "content": "2025年修建乡村道路占用承包地2.3亩，补偿款至今只发放一半。",
            "township": "620902100",
            "unit": 22,
            "leader": 3,
            "registered_on": "2026-05-06",
            "received_on": "2026-05-08",
            "deadline": "2026-07-07",
            "extend_to": "2026-07-20",
            "extended_on": "2026-06-15",
            "is_backlog": "否",
            "handling": "经核实，剩余补偿款因权属争议暂缓发放，现已确权。",
            "reply": "剩余补偿款于6月底前发放到位。",
            "replied_on": "2026-06-20",
            "satisfaction": "满意",
            "resolved_on": "2026-06-30"
        }),
        "price_case" => json!({
            "title": "车用天然气擅自涨价调查",
            "kind": "车用天然气",
            "form": "专项",
            "target": "全县6个加气站",
            "credit_code": "91350100M000100Y43",
            "township": "620902",
            "unit": 19,
            "filed_on": "2026-02-11",
            "deadline": "2026-05-12",
            "findings": "2家加气站未执行政府指导价，多收价款。",
            "illegal_amount": "12.5",
            "refund_amount": "8.2",
            "penalty_amount": "4.3",
            "decision": "责令退还多收价款，并处罚款。",
            "decided_on": "2026-03-20",
            "closed_on": "2026-04-15"
        }),
        "price_observation" => json!({
            "item": "猪肉（精瘦肉）",
            "item_class": "肉类",
            "spec": "鲜肉",
            "point": "富康农贸市场",
            "point_type": "菜市场",
            "township": "620902001",
            "observed_on": "2026-11-05",
            "price": "32.50",
            "price_unit": "元/kg",
            "unit": 19,
            "observer": "刘芳",
            "remarks": "较上期上涨0.5元"
        }),
        "project" => json!({
            "period": "2025—2027年",
            "nature": "新建",
            "stage": "主体施工",
            "name": "物流港三期",
            "code": "2026-620902-59-01-012345",
            "category": "物流",
            "level": "市重点",
            "content": "新建仓储库房4.2万平方米、冷链库1万吨及配套设施。",
            "owner_company": "酒泉某物流港有限公司",
            "credit_code": "91350100M000100Y43",
            "total_investment": "3.2亿元",
            "plan_year": 2026,
            "annual_plan_investment": 12000,
            "annual_completed_investment": "1.15亿元",
            "planned_on": "2026-01-10",
            "planned_start_on": "2026-04-01",
            "planned_completion_on": "2027-10-31",
            "prep_started_on": "2026-02-01",
            "started_on": "2026-04-08",
            "progress": "主体结构完成80%",
            "completed_on": "2027-10-20",
            "operating_on": "2027-12-01",
            "leader": 3,
            "unit": 16,
            "township": "620902003",
            "hundred_days": "是",
            "star": "★★★★",
            "is_trade_logistics": true,
            "contact": "马俊",
            "contact_phone": "13893712345",
            "remarks": "列入百日攻坚清单"
        }),
        "project_issue" => json!({
            "project": 102,
            "description": "项目用地涉及基本农田调整，需报省厅审批",
            "kind": "土地",
            "urgency": "紧急",
            "township": "620902003",
            "leader": 3,
            "unit": 23,
            "co_units": "发改局、住建局",
            "raised_on": "2026-03-02",
            "deadline": "2026-03-09",
            "measures": "召开专题会议，自然资源局专人赴省厅汇报。",
            "approach": "专题会",
            "resolved_on": "2026-03-08",
            "result": "省厅已批复用地调整方案。"
        }),
        "proposal" => json!({
            "kind": "建议",
            "number": "第15号",
            "title": "关于加快城区蔬菜零售市场建设的建议",
            "session": "区十九届人大三次会议",
            "year": 2026,
            "proposer": "王红梅",
            "proposer_phone": "13309371234",
            "subject": "城建",
            "content": "建议在新建小区配建标准化蔬菜零售网点。",
            "lead_unit": 18,
            "co_units": "住建局、市场监管局",
            "leader": 3,
            "assigned_on": "2026-03-15",
            "deadline": "2026-06-13",
            "reply": "已新建公益性蔬菜零售市场4个。",
            "replied_on": "2026-06-01",
            "reply_category": "A",
            "satisfaction": "满意",
            "evaluated_on": "2026-06-20"
        }),
        "river_issue" => json!({
            "description": "河道右岸堆放建筑垃圾约200立方米",
            "kind": "垃圾",
            "river": "北大河",
            "reach": "清水镇段",
            "patrol": 77,
            "township": "620902101",
            "unit": 24,
            "river_chief": 5,
            "found_on": "2026-06-03",
            "deadline": "2026-07-03",
            "measures": "清运建筑垃圾，设置围挡和警示牌。",
            "rectified_on": "2026-06-25",
            "verification": "已清理完毕，河岸恢复原貌。",
            "verified_by": "何平"
        }),
        "river_patrol" => json!({
            "river": "北大河",
            "reach": "清水镇段（上游界至G312桥）",
            "river_chief": 5,
            "chief_level": "区级",
            "patrol_kind": "督查",
            "township": "620902101",
            "unit": 24,
            "patrolled_on": "2026-06-03",
            "distance_km": "12.5",
            "issues_found": 1,
            "summary": "全程巡查，发现右岸堆放建筑垃圾1处。"
        }),
        "safety_inspection" => json!({
            "title": "2026年冬季安全生产大检查（客运汽车站）",
            "targets": "酒泉汽车站、富康商场、第一中学",
            "industry": "人员密集场所",
            "kind": "大检查",
            "leader": 3,
            "unit": 11,
            "township": "620902001",
            "inspected_on": "2026-12-01",
            "units_checked": "3",
            "hazards_found": 7,
            "participants": "应急局、消防救援大队、交通运输局",
            "summary": "检查3家单位，发现隐患7条，当场整改4条。"
        }),
        "statistic" => json!({
            "indicator": "城镇新增就业人数",
            "domain": "就业",
            "period": "2026-01..2026-11",
            "division": "620902",
            "unit": 14,
            "value": "7,090",
            "measure": "人",
            "last_year_value": "6850",
            "target": "7000",
            "source": "人社局就业信息系统",
            "due_on": "2026-12-05",
            "submitted_on": "2026-12-03",
            "preparer": "李娜",
            "reviewed_by": "王强",
            "review_note": "数据与系统一致。",
            "remarks": "含返乡创业带动就业"
        }),
        "supervision" => json!({
            "title": "落实第12次常务会议议定事项：南滨河路年底前通车",
            "number": "督〔2026〕23号",
            "source": "会议议定",
            "source_detail": "区政府第12次常务会议",
            "urgency": "一般",
            "leader": 3,
            "unit": 16,
            "co_units": "交通运输局、自然资源局",
            "township": "620902",
            "assigned_on": "2026-08-10",
            "deadline": "2026-12-31",
            "progress": "路基工程完成，正在铺设沥青。",
            "result": "南滨河路已于12月20日建成通车。",
            "completed_on": "2026-12-20",
            "review_note": "经实地核查，已办结。"
        }),
        "wage_arrears" => json!({
            "title": "某建筑公司拖欠安置小区项目农民工工资案",
            "company": "甘肃某建筑工程有限公司",
            "credit_code": "91440300708461136T",
            "industry": "建筑施工",
            "project_name": "东关安置小区二期",
            "project_ref": 102,
            "level": "重点案件",
            "workers": 46,
            "amount": "86.4",
            "source": "12345",
            "received_on": "2026-01-05",
            "township": "620902002",
            "unit": 14,
            "leader": 3,
            "deadline": "2026-02-04",
            "complainant": "马有福",
            "complainant_phone": "15109371234",
            "measures": "约谈总包单位，动用工资保证金先行垫付。",
            "paid_amount": "86.4",
            "closed_on": "2026-01-30",
            "result": "欠薪全部结清，农民工签字确认。"
        }),
        other => panic!("no sample for ledger {other}"),
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// A value of the field's type that validation must reject, and a fragment of
/// the message it must give.
fn bad_value(f: &FieldDef) -> (Value, &'static str) {
    match f.ty {
        FieldType::Text | FieldType::LongText => (json!("甲\u{7}乙"), "控制字符"),
        FieldType::Integer => (json!("3.5"), "不是整数"),
        FieldType::Decimal => (json!("三点五"), "不是数值"),
        FieldType::Money => (json!("十万"), "不是金额"),
        FieldType::Percent => (json!("百分之十"), "不是百分比"),
        FieldType::Date => (json!("2026-02-30"), "不是有效日期"),
        FieldType::Datetime => (json!("昨天下午"), "不是有效的日期时间"),
        FieldType::Period => (json!("2026Q9"), "季度"),
        FieldType::Enum | FieldType::MultiEnum => (json!("不存在的选项"), "不是可选值"),
        FieldType::Bool => (json!("也许"), "应为“是”或“否”"),
        FieldType::Division => (json!("62090"), "行政区划代码"),
        FieldType::Unit | FieldType::Person | FieldType::Record => (json!("第三个"), "编号"),
        // The check character of this code is T.
        FieldType::CreditCode => (json!("91440300708461136K"), "校验位"),
        // The check character of this number is X.
        FieldType::IdCard => (json!("110105194912310021"), "校验位"),
        FieldType::Phone => (json!("12345"), "电话"),
    }
}

#[test]
fn the_pack_holds_exactly_the_standard_ledgers() {
    let pack = pack();
    let keys: Vec<&str> = pack.ledgers.iter().map(|l| l.key.as_str()).collect();
    let expected: Vec<&str> = LOOPS.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(keys, expected);
    for (path, text) in lvzhi_packs::county_files() {
        if path.starts_with("ledgers/") {
            assert!(
                text.starts_with('#'),
                "{path}: should open with a comment naming its seed section"
            );
        }
    }
}

#[test]
fn every_loop_can_be_walked_to_every_state() {
    let pack = pack();
    for (key, initial, finals) in LOOPS {
        let l = ledger(&pack, key);
        let Some(wf) = &l.workflow else {
            assert!(initial.is_empty(), "{key}: expected a workflow");
            assert!(l.transitions_for(l.initial_state(), Role::Admin).is_empty());
            continue;
        };
        assert_eq!(l.initial_state(), *initial, "{key}");
        let declared_finals: Vec<&str> = wf
            .states
            .iter()
            .filter(|s| s.is_final)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(declared_finals, *finals, "{key}: final states");

        // Breadth-first over the transitions some role may take.
        let mut reached = BTreeSet::from([l.initial_state().to_string()]);
        let mut taken = BTreeSet::new();
        let mut queue = VecDeque::from([l.initial_state().to_string()]);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        while let Some(state) = queue.pop_front() {
            for role in Role::ALL {
                for t in l.transitions_for(&state, role) {
                    taken.insert(t.name.clone());
                    edges.entry(state.clone()).or_default().insert(t.to.clone());
                    if reached.insert(t.to.clone()) {
                        queue.push_back(t.to.clone());
                    }
                }
            }
        }
        for s in &wf.states {
            assert!(reached.contains(&s.name), "{key}: state {} is unreachable", s.name);
        }
        for f in *finals {
            assert!(l.is_final(f), "{key}: {f} should be final");
            assert!(reached.contains(*f), "{key}: final state {f} is unreachable");
        }
        for t in &wf.transitions {
            assert!(
                taken.contains(&t.name),
                "{key}: transition {} can never be taken",
                t.name
            );
        }
        // No dead ends: an open state leads on; a closed state leads nowhere;
        // from every open state some closed state can still be reached.
        for s in &wf.states {
            let out = edges.get(&s.name).map(|e| e.len()).unwrap_or(0);
            if s.is_final {
                assert_eq!(out, 0, "{key}: final state {} has transitions out", s.name);
                continue;
            }
            assert!(out > 0, "{key}: open state {} is a dead end", s.name);
            let mut seen = BTreeSet::from([s.name.clone()]);
            let mut q = VecDeque::from([s.name.clone()]);
            let mut closes = false;
            while let Some(x) = q.pop_front() {
                closes |= l.is_final(&x);
                for y in edges.get(&x).into_iter().flatten() {
                    if seen.insert(y.clone()) {
                        q.push_back(y.clone());
                    }
                }
            }
            assert!(closes, "{key}: no final state can be reached from {}", s.name);
        }
    }
}

#[test]
fn transitions_require_existing_fields_reasons_and_the_right_roles() {
    let pack = pack();
    let needs_reason = [
        "退回",
        "终止",
        "调解不成",
        "不予受理",
        "终结",
        "撤案",
        "暂停",
        "重办",
        "重新办理",
        "申请调整",
    ];
    for l in &pack.ledgers {
        let Some(wf) = &l.workflow else { continue };
        for t in &wf.transitions {
            let what = format!("{} / {}", l.key, t.name);
            for r in &t.requires {
                assert!(l.field(r).is_some(), "{what}: requires unknown field {r}");
            }
            if needs_reason.iter().any(|w| t.name.contains(w)) {
                assert!(t.reason, "{what}: should require a reason");
            }
            assert!(
                !t.roles.contains(&Role::Auditor) && !t.roles.contains(&Role::Evaluator),
                "{what}: auditors and evaluators write nothing"
            );
            if t.name.contains("交办") {
                assert!(t.roles.contains(&Role::Office), "{what}: the office dispatches");
            }
            if ["销号", "审核", "结案", "办结", "评价"]
                .iter()
                .any(|w| t.name.contains(w))
            {
                assert!(
                    t.roles.contains(&Role::Office) || t.roles.contains(&Role::UnitHead),
                    "{what}: closing is for the office or a unit head"
                );
                assert!(!t.roles.contains(&Role::UnitClerk), "{what}: a clerk does not close");
            }
        }
        for roles in [&l.create_roles, &l.edit_roles, &l.void_roles] {
            assert!(
                !roles.contains(&Role::Auditor) && !roles.contains(&Role::Evaluator),
                "{}",
                l.key
            );
        }
    }
}

#[test]
fn every_sample_validates_and_covers_every_field() {
    let pack = pack();
    for l in &pack.ledgers {
        let input = obj(sample(&l.key));
        for f in &l.fields {
            assert!(input.contains_key(&f.key), "{}: the sample lacks {}", l.key, f.key);
        }
        let fields = l
            .validate(&input, false)
            .unwrap_or_else(|e| panic!("{}: sample rejected: {e:?}", l.key));
        assert!(!l.title(&fields).is_empty(), "{}: empty title", l.key);
        assert!(!l.search_text(&fields).is_empty(), "{}", l.key);
    }
    // Spot checks of normalisation: units, synonyms, identifiers.
    let p = ledger(&pack, "project");
    let f = p.validate(&obj(sample("project")), false).unwrap();
    assert_eq!(f["total_investment"], json!("320000000"));
    assert_eq!(f["annual_plan_investment"], json!("120000000"));
    assert_eq!(f["category"], json!("商贸物流"));
    assert_eq!(f["star"], json!("四星"));
    assert_eq!(f["hundred_days"], json!(true));
    let inv = ledger(&pack, "investment_lead");
    let f = inv.validate(&obj(sample("investment_lead")), false).unwrap();
    assert_eq!(f["signed_amount"], json!("480000000"));
    assert_eq!(f["intended_investment"], json!("500000000"));
    assert_eq!(f["channel"], json!("节会招商"));
    assert_eq!(f["origin_region"], json!("长三角"));
    let pet = ledger(&pack, "petition");
    let f = pet.validate(&obj(sample("petition")), false).unwrap();
    assert_eq!(f["id_card"], json!("11010519491231002X"));
    assert_eq!(f["visit_type"], json!("初访"));
    assert_eq!(f["form"], json!("来访"));
    let st = ledger(&pack, "statistic");
    let f = st.validate(&obj(sample("statistic")), false).unwrap();
    assert_eq!(f["value"], json!("7090"));
    assert_eq!(f["period"], json!("2026-01-01..2026-11-30"));
    let d = ledger(&pack, "duty_log");
    let f = d.validate(&obj(sample("duty_log")), false).unwrap();
    assert_eq!(f["meeting_kind"], json!("欠薪协调会议"));
    let po = ledger(&pack, "price_observation");
    let f = po.validate(&obj(sample("price_observation")), false).unwrap();
    assert_eq!(f["price"], json!("32.5"));
    assert_eq!(f["price_unit"], json!("元/公斤"));
}

#[test]
fn a_bad_value_in_any_field_is_rejected_naming_the_field() {
    let pack = pack();
    for l in &pack.ledgers {
        let good = obj(sample(&l.key));
        for f in &l.fields {
            let (bad, fragment) = bad_value(f);
            let mut input = good.clone();
            input.insert(f.key.clone(), bad.clone());
            let errs = match l.validate(&input, false) {
                Ok(_) => panic!("{}.{}: {bad} was accepted", l.key, f.key),
                Err(e) => e,
            };
            assert_eq!(errs.len(), 1, "{}.{}: {errs:?}", l.key, f.key);
            let e = &errs[0];
            assert_eq!(e.field, f.key);
            assert_eq!(e.label, f.label);
            assert!(e.message.contains(fragment), "{}.{}: {}", l.key, f.key, e.message);
            assert!(e.to_string().starts_with(&format!("{}：", f.label)), "{e}");

            // Below the lower bound, where there is one.
            if let Some(min) = f.min {
                let mut input = good.clone();
                input.insert(f.key.clone(), json!((min - lvzhi_core::Decimal::ONE).to_string()));
                let errs = l.validate(&input, false).unwrap_err();
                assert_eq!(errs[0].label, f.label);
                assert!(errs[0].message.contains("小于下限"), "{}", errs[0]);
            }
            // A required field left out.
            if f.required {
                let mut input = good.clone();
                input.remove(&f.key);
                let errs = l.validate(&input, false).unwrap_err();
                assert_eq!(errs.len(), 1);
                assert_eq!(
                    (errs[0].label.as_str(), errs[0].message.as_str()),
                    (f.label.as_str(), "必填")
                );
                // An update that does not touch it is fine.
                assert!(l.validate(&input, true).is_ok());
            }
        }
        // A field the ledger does not have.
        let mut input = good.clone();
        input.insert("no_such_field".into(), json!("x"));
        let errs = l.validate(&input, false).unwrap_err();
        assert!(errs[0].message.contains(&l.name), "{}", errs[0]);
    }
}

#[test]
fn schemas_are_well_formed_for_import_and_display() {
    let pack = pack();
    for l in &pack.ledgers {
        let k = &l.key;
        assert!(
            l.role_field(FieldRole::Title).is_some() || l.fields.iter().any(|f| f.ty == FieldType::Text),
            "{k}: no title"
        );
        assert!(
            l.role_field(FieldRole::Title).is_some(),
            "{k}: every standard ledger names its title field"
        );
        assert!(
            !l.name.is_empty() && !l.description.is_empty() && !l.category.is_empty(),
            "{k}"
        );
        // Header names for import: labels and aliases never collide within a ledger.
        let mut headers = BTreeMap::new();
        for f in &l.fields {
            assert!(
                f.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{k}.{}: keys are ASCII snake case",
                f.key
            );
            assert!(!f.label.is_ascii(), "{k}.{}: labels are Chinese", f.key);
            for h in std::iter::once(&f.label).chain(&f.aliases) {
                if let Some(other) = headers.insert(h.clone(), f.key.clone()) {
                    panic!("{k}: header {h} names both {other} and {}", f.key);
                }
            }
            // Enum values are distinct; synonyms lead to listed values.
            let distinct: BTreeSet<&String> = f.values.iter().collect();
            assert_eq!(distinct.len(), f.values.len(), "{k}.{}: duplicate values", f.key);
            for (syn, v) in &f.synonyms {
                assert!(
                    f.values.contains(v),
                    "{k}.{}: synonym {syn} → {v} is not a value",
                    f.key
                );
                assert!(
                    !f.values.contains(syn),
                    "{k}.{}: synonym {syn} is itself a value",
                    f.key
                );
                assert_eq!(f.validate(&json!(syn)).unwrap(), Some(json!(v)));
            }
            // The county writes money in 万元.
            if f.ty == FieldType::Money {
                assert_eq!(f.unit, Some(MoneyUnit::Wan), "{k}.{}", f.key);
                assert!(f.min.is_some(), "{k}.{}: money is not negative", f.key);
            }
            if f.ty == FieldType::Record {
                assert!(
                    pack.ledger(f.ledger.as_deref().unwrap_or("")).is_some(),
                    "{k}.{}",
                    f.key
                );
            }
        }
    }
}

#[test]
fn deadlines_default_from_the_seed_rules() {
    let pack = pack();
    let created = lvzhi_core::time::parse_date("2026-03-01").unwrap();
    let mut with_defaults = Vec::new();
    let cal = lvzhi_core::calendar::Calendar::embedded();
    for l in &pack.ledgers {
        let Some(dd) = &l.deadline.default_days else { continue };
        with_defaults.push(l.key.as_str());
        let df = l.role_field(FieldRole::Deadline).unwrap();
        let Some(key) = &dd.field else {
            // One term for every record, counted from a date field (信访: 受理日期).
            assert!(dd.all.is_some() && dd.from.is_some(), "{}", l.key);
            continue;
        };
        let enum_field = l.field(key).unwrap();
        // Every value of the enum has a default, so no record is left without a deadline.
        for v in &enum_field.values {
            assert!(
                dd.days.contains_key(v) || dd.months.contains_key(v),
                "{}: no default deadline for {v}",
                l.key
            );
        }
        let mut input = obj(sample(&l.key));
        input.remove(&df.key);
        let mut fields = l.validate(&input, false).unwrap();
        let chosen = fields[key].as_str().unwrap().to_string();
        let start = match &dd.from {
            Some(f) => lvzhi_core::time::parse_date(fields[f].as_str().unwrap()).unwrap(),
            None => created,
        };
        assert_eq!(
            l.apply_default_deadline(&mut fields, created, &cal),
            Ok(true),
            "{}",
            l.key
        );
        let due = lvzhi_core::time::parse_date(fields[&df.key].as_str().unwrap()).unwrap();
        match (dd.days.get(&chosen), dd.months.get(&chosen)) {
            (Some(days), _) => assert_eq!((due - start).get_days(), *days, "{}", l.key),
            (None, Some(m)) => {
                let months = (i32::from(due.year()) - i32::from(start.year())) * 12 + i32::from(due.month())
                    - i32::from(start.month());
                assert_eq!(months, *m, "{}", l.key);
            }
            (None, None) => unreachable!(),
        }
    }
    assert_eq!(
        with_defaults,
        [
            "hazard",
            "petition",
            "price_case",
            "project_issue",
            "proposal",
            "river_issue",
            "supervision",
            "wage_arrears"
        ]
    );
    // Proposals: three months from 交办日期.
    let proposal = ledger(&pack, "proposal");
    let dd = proposal.deadline.default_days.as_ref().unwrap();
    assert!(dd.months.values().all(|m| *m == 3) && dd.days.is_empty());
    assert_eq!(dd.from.as_deref(), Some("assigned_on"));
    let mut f = obj(json!({"kind": "政协委员提案", "assigned_on": "2026-03-31"}));
    assert_eq!(proposal.apply_default_deadline(&mut f, created, &cal), Ok(true));
    assert_eq!(f["deadline"], json!("2026-06-30"));
    // Petitions (《信访工作条例》): decide within 15 working days of registration,
    // handle within 60 working days of acceptance; warnings count working days.
    let petition = ledger(&pack, "petition");
    assert_eq!(petition.deadline.count, lvzhi_core::ledger::DayCount::WorkingDays);
    let wf = petition.workflow.as_ref().unwrap();
    assert_eq!(wf.states[0].limit_days, Some(15));
    let since = lvzhi_core::time::parse_date("2026-05-06").unwrap();
    let empty = Map::new();
    // 5月6日 (Wednesday) + 15 working days, the 调休 Saturday 5月9日 among them.
    let due = petition
        .effective_deadline(&empty, "已登记", since, &cal)
        .unwrap()
        .unwrap();
    assert_eq!(due.to_string(), "2026-05-26");
    // Accepted on 9月28日 2026: 60 working days run over 国庆 and its 调休 Saturday 10月10日.
    let mut f = obj(json!({"received_on": "2026-09-28"}));
    assert_eq!(petition.apply_default_deadline(&mut f, created, &cal), Ok(true));
    assert_eq!(f["deadline"], json!("2026-12-25"));
    // Disputes: mediation within 30 (calendar) days.
    let dispute = ledger(&pack, "dispute");
    let due = dispute
        .effective_deadline(&empty, "调解中", since, &cal)
        .unwrap()
        .unwrap();
    assert_eq!(due.to_string(), "2026-06-05");
}

#[test]
fn personal_data_is_masked_for_clerks_unless_the_ledger_says_otherwise() {
    let pack = pack();
    let mut masked = 0;
    for l in &pack.ledgers {
        let input = obj(sample(&l.key));
        let fields = l.validate(&input, false).unwrap();
        for f in &l.fields {
            if matches!(f.ty, FieldType::IdCard | FieldType::Phone) {
                assert_ne!(
                    f.masking(),
                    Mask::None,
                    "{}.{}: personal data must be masked",
                    l.key,
                    f.key
                );
            }
            if f.masking() == Mask::None {
                continue;
            }
            masked += 1;
            let v = &fields[&f.key];
            assert!(
                f.visible_to(Role::Admin) && f.visible_to(Role::Office),
                "{}.{}: the office handles personal data",
                l.key,
                f.key
            );
            let listed = f.unmasked_for.as_ref().is_some_and(|r| r.contains(&Role::UnitClerk));
            if listed {
                assert!(f.visible_to(Role::UnitClerk));
                assert_eq!(&f.mask_for(Role::UnitClerk, v), v);
            } else {
                assert!(!f.visible_to(Role::UnitClerk), "{}.{}", l.key, f.key);
                assert_ne!(&f.mask_for(Role::UnitClerk, v), v, "{}.{}", l.key, f.key);
            }
            // Auditors and evaluators never see personal data in full.
            for r in [Role::Auditor, Role::Evaluator] {
                assert!(!f.visible_to(r), "{}.{}: visible to {r:?}", l.key, f.key);
                assert_ne!(&f.mask_for(r, v), v);
            }
            if f.ty == FieldType::IdCard {
                assert!(
                    !f.visible_to(Role::UnitClerk) && !f.visible_to(Role::Leader),
                    "{}.{}",
                    l.key,
                    f.key
                );
            }
            // Masked values stay out of search text.
            if let Some(s) = v.as_str() {
                assert!(!l.search_text(&fields).contains(s), "{}.{}", l.key, f.key);
            }
        }
    }
    assert!(masked >= 10, "{masked}");
    // Names of petitioners, parties and complainants are masked as names.
    for (ledger_key, field_key) in [
        ("petition", "petitioner"),
        ("dispute", "parties"),
        ("wage_arrears", "complainant"),
    ] {
        let f = ledger(&pack, ledger_key).field(field_key).unwrap();
        assert_eq!(f.masking(), Mask::Name, "{ledger_key}.{field_key}");
    }
    let pet = ledger(&pack, "petition");
    let name = pet.field("petitioner").unwrap();
    assert_eq!(name.mask_for(Role::UnitClerk, &json!("张国强")), json!("张**"));
    let id = pet.field("id_card").unwrap();
    assert_eq!(
        id.mask_for(Role::UnitHead, &json!("11010519491231002X")),
        json!("110105********002X")
    );
}

/// The fields the indicators of the next issue are computed from.
#[test]
fn indicator_fields_exist_with_their_keys_and_types() {
    use FieldType as T;
    let pack = pack();
    let expect: &[(&str, &str, FieldType)] = &[
        // 谋划项目数/总投资, 500万元以上项目数/计划投资, 商贸物流项目数/总投资/年度投资
        ("project", "planned_on", T::Date),
        ("project", "total_investment", T::Money),
        ("project", "annual_plan_investment", T::Money),
        ("project", "annual_completed_investment", T::Money),
        ("project", "plan_year", T::Integer),
        ("project", "is_trade_logistics", T::Bool),
        ("project", "hundred_days", T::Bool),
        ("project", "star", T::Enum),
        ("project", "started_on", T::Date),
        ("project_issue", "project", T::Record),
        ("project_issue", "resolved_on", T::Date),
        // 招商签约项目数, 招商签约金额
        ("investment_lead", "signed_on", T::Date),
        ("investment_lead", "signed_amount", T::Money),
        ("investment_lead", "channel", T::Enum),
        ("investment_lead", "signing_event", T::Text),
        // 统计报表 rows: 财政收入, 社零, 城镇新增就业…
        ("statistic", "indicator", T::Text),
        ("statistic", "period", T::Period),
        ("statistic", "division", T::Division),
        ("statistic", "unit", T::Unit),
        ("statistic", "value", T::Decimal),
        ("statistic", "measure", T::Text),
        ("statistic", "last_year_value", T::Decimal),
        // 欠薪案件
        ("wage_arrears", "received_on", T::Date),
        ("wage_arrears", "workers", T::Integer),
        ("wage_arrears", "amount", T::Money),
        ("wage_arrears", "paid_amount", T::Money),
        ("wage_arrears", "level", T::Enum),
        // 建议提案
        ("proposal", "kind", T::Enum),
        ("proposal", "year", T::Integer),
        ("proposal", "satisfaction", T::Enum),
        ("proposal", "replied_on", T::Date),
        // 督办事项
        ("supervision", "source", T::Enum),
        ("supervision", "assigned_on", T::Date),
        ("supervision", "completed_on", T::Date),
        // 价格: 价格专项检查, 查处价格违法金额, 清退群众金额, 监测
        ("price_case", "form", T::Enum),
        ("price_case", "kind", T::Enum),
        ("price_case", "filed_on", T::Date),
        ("price_case", "illegal_amount", T::Money),
        ("price_case", "refund_amount", T::Money),
        ("price_observation", "item", T::Text),
        ("price_observation", "observed_on", T::Date),
        ("price_observation", "price", T::Decimal),
        ("price_observation", "price_unit", T::Enum),
        // 河长制
        ("river_patrol", "patrolled_on", T::Date),
        ("river_patrol", "river_chief", T::Person),
        ("river_patrol", "distance_km", T::Decimal),
        ("river_patrol", "issues_found", T::Integer),
        ("river_issue", "kind", T::Enum),
        ("river_issue", "found_on", T::Date),
        // 带队安全检查次数, 检查企事业单位, 排查隐患
        ("safety_inspection", "leader", T::Person),
        ("safety_inspection", "inspected_on", T::Date),
        ("safety_inspection", "units_checked", T::Integer),
        ("safety_inspection", "hazards_found", T::Integer),
        ("hazard", "found_on", T::Date),
        ("hazard", "inspection_ref", T::Record),
        // 火灾起数, 直接财产损失, 四个下降
        ("accident", "kind", T::Enum),
        ("accident", "occurred_on", T::Date),
        ("accident", "deaths", T::Integer),
        ("accident", "injuries", T::Integer),
        ("accident", "direct_loss", T::Money),
        // 排查矛盾纠纷, 成功调处
        ("dispute", "received_on", T::Date),
        ("dispute", "kind", T::Enum),
        // 信访
        ("petition", "registered_on", T::Date),
        ("petition", "form", T::Enum),
        ("petition", "visit_type", T::Enum),
        ("petition", "is_backlog", T::Bool),
        // 外出招商次数, 会议次数
        ("duty_log", "leader", T::Person),
        ("duty_log", "kind", T::Enum),
        ("duty_log", "meeting_kind", T::Enum),
        ("duty_log", "presided", T::Bool),
        ("duty_log", "held_on", T::Date),
    ];
    for (l, k, ty) in expect {
        let f = ledger(&pack, l)
            .field(k)
            .unwrap_or_else(|| panic!("{l}.{k} is missing"));
        assert_eq!(f.ty, *ty, "{l}.{k}");
    }
    let values = |l: &str, k: &str| ledger(&pack, l).field(k).unwrap().values.clone();
    let has = |l: &str, k: &str, vs: &[&str]| {
        let all = values(l, k);
        for v in vs {
            assert!(all.iter().any(|x| x == v), "{l}.{k} lacks {v}");
        }
    };
    has("project", "category", &["商贸物流"]);
    has("project", "star", &["一星", "二星", "三星", "四星", "五星"]);
    has(
        "investment_lead",
        "channel",
        &["节会招商", "委托招商", "以商招商", "小分队招商"],
    );
    has(
        "duty_log",
        "kind",
        &[
            "学习",
            "调研",
            "会议",
            "现场办公",
            "督查",
            "外出招商",
            "接访",
            "巡河",
            "检查",
        ],
    );
    has(
        "duty_log",
        "meeting_kind",
        &[
            "欠薪协调会议",
            "交通消防安全推进会议",
            "财税金融座谈会",
            "信访联席会议",
            "项目推进会",
            "其他",
        ],
    );
    has("price_case", "form", &["专项检查"]);
    has(
        "price_case",
        "kind",
        &["涉企收费", "物业费", "电力", "房地产销售", "天然气", "其他"],
    );
    has("accident", "kind", &["道路交通", "火灾", "生产安全", "其他"]);
    has("river_issue", "kind", &["乱占", "乱采", "乱堆", "乱建", "污染"]);
    has(
        "dispute",
        "kind",
        &[
            "婚姻家庭",
            "邻里",
            "土地",
            "征地拆迁",
            "劳动争议",
            "合同",
            "医疗",
            "交通事故",
            "其他",
        ],
    );
    has("petition", "form", &["来信", "来访", "网上", "电话"]);
    has("petition", "visit_type", &["初访", "重复访"]);
    has("proposal", "kind", &["人大代表建议", "政协委员提案"]);
    has("proposal", "satisfaction", &["满意", "基本满意", "不满意"]);
    has("supervision", "source", &["会议", "批示", "上级交办", "包挂"]);
    // Roles the store indexes: owner, unit, division, deadline.
    let role_key = |l: &str, r: FieldRole| ledger(&pack, l).role_field(r).map(|f| f.key.clone());
    assert_eq!(role_key("project", FieldRole::Owner).as_deref(), Some("leader"));
    assert_eq!(role_key("project", FieldRole::Unit).as_deref(), Some("unit"));
    assert_eq!(role_key("project", FieldRole::Division).as_deref(), Some("township"));
    assert_eq!(role_key("petition", FieldRole::Owner).as_deref(), Some("leader"));
    assert_eq!(role_key("petition", FieldRole::Deadline).as_deref(), Some("deadline"));
    assert_eq!(role_key("proposal", FieldRole::Unit).as_deref(), Some("lead_unit"));
    assert_eq!(role_key("proposal", FieldRole::Deadline).as_deref(), Some("deadline"));
    assert_eq!(role_key("wage_arrears", FieldRole::Owner).as_deref(), Some("leader"));
    assert_eq!(role_key("supervision", FieldRole::Owner).as_deref(), Some("leader"));
    assert_eq!(
        role_key("safety_inspection", FieldRole::Owner).as_deref(),
        Some("leader")
    );
    assert_eq!(role_key("duty_log", FieldRole::Owner).as_deref(), Some("leader"));
    assert_eq!(
        role_key("river_patrol", FieldRole::Owner).as_deref(),
        Some("river_chief")
    );
    assert_eq!(role_key("statistic", FieldRole::Division).as_deref(), Some("division"));
    // Dispute outcomes are states: 成功调处 counts 调解成功.
    assert!(ledger(&pack, "dispute").is_final("调解成功"));
}

/// The loop steps of issue 17 where the real rules have them: 信访 (《信访工作条例》:
/// 签收 within 3 working days of 交办, 延期 at most 30 working days, approved by
/// the unit head or the office, 转办 with a reason, 回访 不满意 reopens) and
/// 建议提案 (办理结果 A/B/C/D, 不满意 reopens).
#[test]
fn county_pack_uses_the_loop_steps() {
    use lvzhi_core::ledger::ExtendStep;
    let pack = pack();
    let pet = ledger(&pack, "petition");
    let wf = pet.workflow.as_ref().unwrap();
    let state = |n: &str| wf.states.iter().find(|s| s.name == n).unwrap();
    assert!(state("已交办").own_deadline && state("已交办").limit_days == Some(3));
    let t = |n: &str| {
        wf.transitions
            .iter()
            .find(|t| t.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(t("签收").from, ["已交办"]);
    assert!(t("转办").transfer && t("转办").reason);
    let x = pet.extension.as_ref().unwrap();
    assert_eq!((x.field.as_str(), x.max_days), ("extend_to", Some(30)));
    assert_eq!(t("申请延期").extend, Some(ExtendStep::Request));
    assert!(t("申请延期").reason);
    for n in ["批准延期", "不予延期"] {
        assert!(
            t(n).roles.contains(&Role::UnitHead) && t(n).roles.contains(&Role::Office),
            "{n}"
        );
    }
    assert_eq!(t("批准延期").extend, Some(ExtendStep::Approve));
    assert_eq!(t("不予延期").extend, Some(ExtendStep::Refuse));
    let visit = t("回访").branch.as_ref().unwrap();
    assert_eq!(visit.to.get("不满意").map(String::as_str), Some("办理中"));
    assert_eq!(t("回访").to, "已化解");
    // 回访 不满意 and 重新办理 give the case a new 办理时限: 30 working days.
    assert!(t("回访").reopen && t("重新办理").reopen && !t("答复").reopen);
    assert_eq!(pet.deadline.reopen_days, Some(30));

    let pro = ledger(&pack, "proposal");
    let f = pro.field("reply_category").unwrap();
    assert_eq!(f.label, "办理结果");
    assert_eq!(f.values, ["A类", "B类", "C类", "D类"]);
    let v = pro.validate(&obj(json!({"reply_category": "留作参考"})), true).unwrap();
    assert_eq!(v["reply_category"], json!("D类"));
    let eval = pro
        .workflow
        .as_ref()
        .unwrap()
        .transitions
        .iter()
        .find(|t| t.name == "评价")
        .unwrap();
    assert_eq!(
        eval.branch.as_ref().unwrap().to.get("不满意").map(String::as_str),
        Some("办理中")
    );
    assert!(eval.reopen);
    assert_eq!(pro.deadline.reopen_days, Some(30));
}

/// 主办/协办 (issue 17): 建议提案, 督办事项 and 信访件 may have 协办 units, set by
/// those who 交办/转办 them; a ledger without `[co_units]` has none.
#[test]
fn county_pack_uses_co_units() {
    use lvzhi_core::access::Role;
    let pack = pack();
    let roles = |k: &str| ledger(&pack, k).co_units.as_ref().map(|c| c.roles.clone());
    assert_eq!(roles("proposal"), Some(vec![Role::Admin, Role::Office]));
    assert_eq!(
        roles("supervision"),
        Some(vec![Role::Admin, Role::Office, Role::Leader])
    );
    assert_eq!(roles("petition"), Some(vec![Role::Admin, Role::Office, Role::UnitHead]));
    assert_eq!(roles("hazard"), None);
    // Every role that 转办s a 信访件 may name its 协办 units.
    let pet = ledger(&pack, "petition");
    let wf = pet.workflow.as_ref().unwrap();
    for t in wf.transitions.iter().filter(|t| t.name == "交办" || t.transfer) {
        for r in &t.roles {
            assert!(roles("petition").unwrap().contains(r), "{} {r:?}", t.name);
        }
    }
}
