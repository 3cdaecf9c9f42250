//! The case ledgers: projects, investment leads, safety inspections and
//! hazards, disputes, petitions, supervision items, proposals, rivers, prices,
//! wage arrears, accidents and the 常务副县长's duty log, for 2025 and 2026.
//!
//! Each ledger draws from its own random stream, so the figures of one do not
//! move when another changes. Rows are sorted by their main date before they
//! are created, so ids follow time.

use crate::org::{Org, Town};
use crate::rng::{Rng, split_by};
use crate::util::{add, between, date, days_between, plain, row, today, wan, year_span};
use crate::{Row, insert, names};
use jiff::civil::Date;
use lvzhi_store::{Store, StoreError};
use serde_json::{Value, json};

/// Rows with the date that orders them.
type Dated = Vec<(Date, Row)>;

fn sorted(mut v: Dated) -> Vec<Row> {
    v.sort_by_key(|a| a.0);
    v.into_iter().map(|(_, r)| r).collect()
}

struct Gen<'a> {
    org: &'a Org,
    seed: u64,
    k: u32,
}

impl Gen<'_> {
    fn rng(&self, stream: &str) -> Rng {
        Rng::new(
            self.seed
                .wrapping_add(u64::from(self.k).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            stream,
        )
    }

    fn town<'t>(&'t self, rng: &mut Rng) -> &'t Town {
        let i = rng.below(self.org.towns.len() as u64) as usize;
        &self.org.towns[i.min(self.org.towns.len().saturating_sub(1))]
    }

    fn rural<'t>(&'t self, rng: &mut Rng) -> &'t Town {
        let r = self.org.rural();
        let i = rng.below(r.len() as u64) as usize;
        r.get(i).copied().unwrap_or_else(|| self.town(rng))
    }

    /// A township code, or one of its villages' (for rural townships, half the time).
    fn place(&self, rng: &mut Rng, t: &Town) -> (String, String) {
        if !t.villages.is_empty() && rng.chance(500) {
            let (code, name) = rng.pick(&t.villages);
            (code.clone(), format!("{}{}", t.name, name))
        } else {
            (t.code.clone(), t.name.clone())
        }
    }
}

/// Creates every case ledger's records for copy `k` of the county; returns
/// the count per ledger.
pub async fn build(store: &Store, org: &Org, seed: u64, k: u32) -> Result<Vec<(String, usize)>, StoreError> {
    let g = Gen { org, seed, k };
    let mut counts = Vec::new();
    let mut put = |ledger: &str, n: usize| counts.push((ledger.to_string(), n));

    let (rows, infos) = projects(&g);
    put("project", rows.len());
    let ids = insert(store, "project", rows).await?;
    let projects: Vec<ProjectInfo> = infos
        .into_iter()
        .zip(ids)
        .map(|(p, id)| ProjectInfo { id, ..p })
        .collect();
    let rows = project_issues(&g, &projects);
    put("project_issue", rows.len());
    insert(store, "project_issue", rows).await?;

    let rows = investment_leads(&g);
    put("investment_lead", rows.len());
    insert(store, "investment_lead", rows).await?;

    let (rows, insp) = inspections(&g);
    put("safety_inspection", rows.len());
    let ids = insert(store, "safety_inspection", rows).await?;
    let rows = hazards(&g, &insp, &ids);
    put("hazard", rows.len());
    insert(store, "hazard", rows).await?;

    let (rows, patrols) = river_patrols(&g);
    put("river_patrol", rows.len());
    let ids = insert(store, "river_patrol", rows).await?;
    let rows = river_issues(&g, &patrols, &ids);
    put("river_issue", rows.len());
    insert(store, "river_issue", rows).await?;

    for (ledger, rows) in [
        ("accident", accidents(&g)),
        ("dispute", disputes(&g)),
        ("petition", petitions(&g)),
        ("supervision", supervision(&g)),
        ("proposal", proposals(&g)),
        ("price_case", price_cases(&g)),
        ("price_observation", price_observations(&g)),
        ("wage_arrears", wage_arrears(&g)),
        ("duty_log", duty_log(&g)),
    ] {
        put(ledger, rows.len());
        insert(store, ledger, rows).await?;
    }
    Ok(counts)
}

// ---------------------------------------------------------------- projects

#[derive(Debug, Clone)]
struct ProjectInfo {
    id: i64,
    name: String,
    township: String,
    unit: i64,
    leader: Option<i64>,
    year: i16,
    active: bool,
}

const CATEGORIES: &[(&str, u64, &[&str], &[&str])] = &[
    (
        "工业",
        20,
        &[
            "新型建材生产线",
            "农产品精深加工",
            "装配式建筑构件生产",
            "脱水蔬菜加工",
            "玉米制种加工",
            "再生资源综合利用",
            "啤酒花深加工",
            "精细化工",
        ],
        &["工信局"],
    ),
    (
        "农业农村",
        18,
        &[
            "高标准农田建设",
            "设施农业提质增效",
            "戈壁生态农业产业园",
            "肉牛养殖示范",
            "高效节水灌溉",
            "农村人居环境整治",
            "乡村振兴示范村建设",
            "果蔬冷链仓储保鲜",
        ],
        &["农业农村局"],
    ),
    (
        "商贸物流",
        8,
        &[
            "农产品批发市场",
            "冷链物流中心",
            "电商产业园",
            "城乡配送中心",
            "专业市场改造",
        ],
        &["商务局"],
    ),
    (
        "文化旅游",
        8,
        &["乡村旅游示范点", "文旅融合街区", "研学实践基地", "特色民宿集群"],
        &["文旅局"],
    ),
    (
        "基础设施",
        14,
        &[
            "农村公路提升改造",
            "城乡供水管网改造",
            "河道防洪治理",
            "污水处理厂提标改造",
            "农村电网改造升级",
            "城区道路改造",
        ],
        &["交通运输局", "水务局"],
    ),
    (
        "社会事业",
        10,
        &[
            "中心小学教学楼建设",
            "卫生院改扩建",
            "养老服务中心建设",
            "公办幼儿园建设",
            "文体活动中心建设",
        ],
        &["教育局", "卫生健康局", "民政局"],
    ),
    (
        "城市建设",
        10,
        &[
            "老旧小区改造",
            "城市更新",
            "公共停车场建设",
            "城市燃气管网改造",
            "背街小巷改造",
        ],
        &["住建局"],
    ),
    (
        "生态环保",
        6,
        &["防沙治沙", "河道生态修复", "农村垃圾收运体系", "废弃矿山生态修复"],
        &["生态环境分局", "自然资源局"],
    ),
    (
        "能源",
        6,
        &["分布式光伏", "风光储一体化", "储能电站", "天然气管网延伸"],
        &["发改局"],
    ),
];

/// The 25 商贸物流 projects of the seed (总投资76亿元, 年度投资11.6亿元) and their stage.
const TRADE: &[(&str, &str)] = &[
    ("万达广场", "在建"),
    ("物流港三期", "在建"),
    ("钢材市场", "竣工"),
    ("木材市场", "竣工"),
    ("工程机械租赁市场", "竣工"),
    ("国际商贸城", "在建"),
    ("城郊综合市场", "开工"),
    ("山姆商城改造提升", "在建"),
    ("希尔顿酒店", "投产"),
    ("农产品冷链物流园", "在建"),
    ("汽车文化产业园", "在建"),
    ("家居建材市场", "在建"),
    ("二手车交易市场", "开工"),
    ("公益性蔬菜零售市场", "投产"),
    ("城乡高效配送中心", "在建"),
    ("电商产业孵化园", "竣工"),
    ("农资物流配送中心", "在建"),
    ("果蔬批发市场改造", "在建"),
    ("商业步行街提升改造", "在建"),
    ("城东邻里中心", "开工"),
    ("快递物流分拨中心", "在建"),
    ("粮油储备物流中心", "在建"),
    ("医药物流配送中心", "开工"),
    ("假日酒店", "投产"),
    ("建材家居物流园", "在建"),
];

fn unit_for_category(g: &Gen<'_>, rng: &mut Rng, cat: usize) -> i64 {
    let units = CATEGORIES.get(cat).map(|c| c.3).unwrap_or(&["发改局"]);
    g.org.unit(rng.pick::<&str>(units))
}

fn leader_for_unit(g: &Gen<'_>, unit: &str) -> i64 {
    crate::org::LEADERS
        .iter()
        .position(|(_, units)| units.contains(&unit))
        .and_then(|i| g.org.leaders.get(i).copied())
        .unwrap_or(g.org.executive())
}

fn projects(g: &Gen<'_>) -> (Vec<Row>, Vec<ProjectInfo>) {
    let mut rng = g.rng("project");
    let mut out: Vec<(Date, Row, ProjectInfo)> = Vec::new();
    // 2026: 1141 谋划 projects, 256 of them of 500万元 or more.
    const BIG: usize = 256;
    const SMALL: usize = 885;
    const TOTAL: i64 = 2_038_2000_0000 / 100; // 2038.2亿元 in hundredths of 万元
    const PLAN_BIG: i64 = 181_0000_00; // 181亿元 in hundredths of 万元
    let small: Vec<i64> = (0..SMALL).map(|_| rng.range(30_00, 490_00)).collect();
    let big_total = TOTAL - small.iter().sum::<i64>();
    let w: Vec<u64> = (0..BIG)
        .map(|_| {
            let u = rng.range(40, 1000) as u64;
            u * u * u
        })
        .collect();
    let big = split_by(big_total, &w, 600_00);
    let pw: Vec<u64> = big.iter().map(|t| (*t as u64) * (50 + rng.below(101))).collect();
    let plan = split_by(PLAN_BIG, &pw, 0);
    let weights: Vec<u64> = CATEGORIES.iter().map(|c| c.1).collect();
    let group_names = ["第一项目谋划组", "第二项目谋划组", "第三项目谋划组", "第四项目谋划组"];
    let mut seq = 0;
    for i in 0..(BIG + SMALL) {
        let (total, annual) = if i < BIG {
            (big[i], plan[i])
        } else {
            let t = small[i - BIG];
            (t, t)
        };
        let cat = rng.weighted(&weights);
        let (cname, _, subjects, _) = CATEGORIES[cat.min(CATEGORIES.len() - 1)];
        let t = g.town(&mut rng);
        let (division, place) = g.place(&mut rng, t);
        let planned_on = between(&mut rng, date(2026, 1, 5), today());
        let unit = unit_for_category(g, &mut rng, cat);
        let unit_name = g
            .org
            .units
            .iter()
            .find(|(_, id)| **id == unit)
            .map(|(n, _)| *n)
            .unwrap_or("发改局");
        let level = match total {
            x if x >= 50_0000_00 => "省列重点",
            x if x >= 10_0000_00 => "市列重点",
            x if x >= 500_00 => "县列重点",
            _ => "一般",
        };
        let leader = (total >= 10_0000_00).then(|| leader_for_unit(g, unit_name));
        let prep = i < BIG && rng.chance(300) || i >= BIG && rng.chance(120);
        let prep_on = add(planned_on, rng.range(10, 60)).min(today());
        seq += 1;
        let name = format!("{}{}项目", place.trim_end_matches("（演示）"), rng.pick(subjects));
        let company = if matches!(cname, "工业" | "商贸物流" | "文化旅游" | "能源") {
            names::company(&mut rng, if cname == "能源" { "新能源" } else { "实业" }).0
        } else {
            unit_name.to_string()
        };
        let r = row(
            if prep { "前期" } else { "谋划" },
            json!({
                "name": name,
                "code": format!("2026-620902-{:02}-{seq:04}", cat + 1),
                "category": cname,
                "level": level,
                "content": format!("{}，拟建设{}，总投资{}。", group_names[seq % 4], name.trim_end_matches("项目"), wan(total)),
                "owner_company": company,
                "total_investment": wan(total),
                "plan_year": 2027,
                "annual_plan_investment": wan(annual),
                "planned_on": planned_on.to_string(),
                "planned_start_on": date(2027, rng.range(3, 6) as i8, 1).to_string(),
                "prep_started_on": prep.then(|| prep_on.to_string()),
                "leader": leader,
                "unit": unit,
                "township": division,
                "remarks": format!("{}谋划入库", group_names[seq % 4]),
            }),
        );
        let info = ProjectInfo {
            id: 0,
            name,
            township: t.code.clone(),
            unit,
            leader,
            year: 2026,
            active: prep && i < BIG,
        };
        out.push((planned_on, r, info));
    }
    // Carried over from 2025: the 25 商贸物流 projects, the seed's named key
    // projects, and others under construction in 2026.
    let trade_total = {
        let w: Vec<u64> = TRADE.iter().map(|_| 20 + rng.below(100)).collect();
        let mut t = split_by(760_000_00 - 5_000_00, &w[..TRADE.len() - 1], 3_000_00);
        t.insert(7, 5_000_00); // 山姆商城: 5000万元
        t
    };
    let trade_done = {
        let w: Vec<u64> = trade_total
            .iter()
            .map(|t| *t as u64 / 100 * (60 + rng.below(80)))
            .collect();
        split_by(116_000_00, &w, 0)
    };
    let named: &[(&str, &str, &str, bool)] = &[
        ("生态园", "农业农村", "在建", false),
        ("博物馆", "社会事业", "竣工", false),
        ("县域电子中心", "基础设施", "在建", true),
        ("南滨河路", "基础设施", "在建", true),
        ("城区污水管网改造", "城市建设", "在建", false),
        ("第二人民医院", "社会事业", "在建", false),
    ];
    let mut carried: Vec<(String, &str, &str, i64, i64, bool, bool)> = Vec::new();
    for (i, (name, stage)) in TRADE.iter().enumerate() {
        let total = trade_total.get(i).copied().unwrap_or(0);
        let done = trade_done.get(i).copied().unwrap_or(0).min(total);
        carried.push((name.to_string(), "商贸物流", stage, total, done, true, false));
    }
    for (name, cat, stage, exec) in named {
        let total = rng.range(8_000_00, 120_000_00);
        carried.push((
            name.to_string(),
            cat,
            stage,
            total,
            total / rng.range(3, 8),
            false,
            *exec,
        ));
    }
    for _ in 0..170 {
        let cat = rng.weighted(&weights);
        let (cname, _, subjects, _) = CATEGORIES[cat.min(CATEGORIES.len() - 1)];
        let cname = if cname == "商贸物流" { "城市建设" } else { cname };
        let t = g.rural(&mut rng);
        let stage = *rng.pick(&["开工", "在建", "在建", "在建", "竣工", "投产", "暂停"]);
        let total = rng.range(600_00, 60_000_00);
        carried.push((
            format!("{}{}项目", t.name.trim_end_matches("（演示）"), rng.pick(subjects)),
            cname,
            stage,
            total,
            total / rng.range(2, 6),
            false,
            false,
        ));
    }
    for (i, (name, cat, stage, total, done, trade, exec)) in carried.into_iter().enumerate() {
        let cat_i = CATEGORIES.iter().position(|c| c.0 == cat).unwrap_or(0);
        let t = g.town(&mut rng);
        let planned_on = between(&mut rng, date(2025, 1, 10), date(2025, 6, 30));
        let prep_on = add(planned_on, rng.range(15, 60));
        let started = add(prep_on, rng.range(30, 120));
        let started = if trade { started.min(date(2026, 5, 31)) } else { started };
        let unit = if trade {
            g.org.unit("商务局")
        } else {
            unit_for_category(g, &mut rng, cat_i)
        };
        let unit_name = g
            .org
            .units
            .iter()
            .find(|(_, id)| **id == unit)
            .map(|(n, _)| *n)
            .unwrap_or("发改局");
        let leader = if exec {
            Some(g.org.executive())
        } else {
            Some(leader_for_unit(g, unit_name))
        };
        let completed = between(&mut rng, date(2026, 6, 1), date(2026, 10, 31));
        let operating = add(completed, rng.range(5, 20)).min(today());
        let later = |s: &[&str]| s.contains(&stage);
        let plan = (done + done / rng.range(3, 10)).min(total);
        let display = name.clone();
        let r = row(
            stage,
            json!({
                "name": display,
                "code": format!("2025-620902-{:02}-{:04}", cat_i + 1, i + 1),
                "category": cat,
                "level": if total >= 10_0000_00 { "市列重点" } else { "县列重点" },
                "content": format!("建设{}，总投资{}。", name, wan(total)),
                "owner_company": if trade { names::company(&mut rng, "商贸").0 } else { unit_name.to_string() },
                "total_investment": wan(total),
                "plan_year": 2026,
                "annual_plan_investment": wan(plan),
                "annual_completed_investment": wan(done),
                "planned_on": planned_on.to_string(),
                "planned_start_on": started.to_string(),
                "prep_started_on": prep_on.to_string(),
                "started_on": later(&["开工", "在建", "竣工", "投产", "暂停"]).then(|| started.to_string()),
                "progress": later(&["在建", "竣工", "投产", "暂停"]).then(|| format!("主体工程完成{}%", rng.range(35, 95))),
                "completed_on": later(&["竣工", "投产"]).then(|| completed.to_string()),
                "operating_on": later(&["投产"]).then(|| operating.to_string()),
                "leader": leader,
                "unit": unit,
                "township": t.code,
                "hundred_days": rng.chance(350),
                "star": rng.chance(300).then(|| *rng.pick(&["三星", "四星", "五星"])),
                "is_trade_logistics": trade.then_some(true),
                "contact": names::person(&mut rng),
                "contact_phone": names::mobile(&mut rng),
                "remarks": if stage == "暂停" { Value::from("受资金、手续等因素影响暂停建设，正在协调") } else { Value::Null },
            }),
        );
        let info = ProjectInfo {
            id: 0,
            name,
            township: t.code.clone(),
            unit,
            leader,
            year: 2025,
            active: matches!(stage, "开工" | "在建" | "暂停"),
        };
        out.push((planned_on, r, info));
    }
    out.sort_by_key(|a| a.0);
    let infos = out.iter().map(|(_, _, i)| i.clone()).collect();
    (out.into_iter().map(|(_, r, _)| r).collect(), infos)
}

const ISSUES: &[(&str, &str, &str)] = &[
    (
        "用地",
        "项目建设用地指标尚未落实，土地报批进度滞后",
        "协调自然资源局调剂用地指标，专题会议研究加快组卷报批",
    ),
    (
        "规划",
        "项目规划方案与控制性详细规划不符，需调整规划条件",
        "组织住建、自然资源部门联合审查，完成规划条件调整",
    ),
    (
        "环评能评",
        "环评报告书审批未完成，影响开工",
        "协调生态环境部门提前介入指导，完成环评审批",
    ),
    (
        "审批手续",
        "施工许可等前期手续办理滞后",
        "开通审批绿色通道，实行并联审批、容缺受理",
    ),
    (
        "资金",
        "项目融资困难，银行贷款未能及时到位",
        "召开银企对接会，协调金融机构发放项目贷款",
    ),
    (
        "征地拆迁",
        "项目区内部分地上附着物未清表，征地拆迁进展缓慢",
        "乡镇包抓、逐户做工作，完成清表交地",
    ),
    (
        "水电路气",
        "项目区供电线路和供水管网未接入",
        "协调供电公司、水务局加快配套设施建设",
    ),
    (
        "施工环境",
        "施工现场存在阻工现象，影响施工进度",
        "属地乡镇和公安部门联合处置，保障施工环境",
    ),
];

fn project_issues(g: &Gen<'_>, projects: &[ProjectInfo]) -> Vec<Row> {
    let mut rng = g.rng("project_issue");
    let active: Vec<&ProjectInfo> = projects.iter().filter(|p| p.active).collect();
    let mut out = Dated::new();
    for (year, n) in [(2025i16, 70), (2026, 86)] {
        for _ in 0..n {
            let Some(p) = active.get(rng.below(active.len() as u64) as usize) else {
                continue;
            };
            let (from, to) = year_span(year);
            let from = if p.year == 2026 { date(2026, 3, 1) } else { from };
            let raised = between(&mut rng, from, to);
            let (kind, desc, fix) = *rng.pick(ISSUES);
            let urgent = rng.chance(250);
            let limit = if urgent { 7 } else { 30 };
            let deadline = add(raised, limit);
            let age = days_between(raised, today());
            let state = if age > 45 {
                if rng.chance(960) { "已解决" } else { "协调中" }
            } else if age > 10 {
                *rng.pick(&["已解决", "已解决", "协调中"])
            } else {
                *rng.pick(&["待协调", "协调中"])
            };
            let resolved = add(raised, rng.range(3, limit + 10)).min(today());
            let leader = p.leader.unwrap_or(g.org.executive());
            out.push((
                raised,
                row(
                    state,
                    json!({
                        "project": p.id,
                        "description": format!("{}：{}", p.name, desc),
                        "kind": kind,
                        "urgency": if urgent { "紧急" } else { "一般" },
                        "township": p.township,
                        "leader": leader,
                        "unit": p.unit,
                        "co_units": "发改局、自然资源局、住建局",
                        "raised_on": raised.to_string(),
                        "deadline": (state != "待协调" || rng.chance(500)).then(|| deadline.to_string()),
                        "measures": (state != "待协调").then(|| fix.to_string()),
                        "approach": *rng.pick(&["现场办公", "专题会议", "部门会商", "提请市级协调"]),
                        "resolved_on": (state == "已解决").then(|| resolved.to_string()),
                        "result": (state == "已解决").then(|| format!("{fix}，问题已解决。")),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- investment

fn investment_leads(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("investment_lead");
    let mut out = Dated::new();
    let regions = ["长三角", "珠三角", "京津冀", "山东", "成渝", "省内", "其他省份"];
    let industries = [
        "工业",
        "农业农村",
        "商贸物流",
        "文化旅游",
        "新能源",
        "基础设施",
        "社会事业",
    ];
    // 2026: 10 projects signed at the 兰洽会 in July, 36亿元.
    let signed_names = [
        ("城郊综合市场", "商贸物流"),
        ("钢材市场二期", "商贸物流"),
        ("国际商贸城", "商贸物流"),
        ("有机苹果种植基地", "农业农村"),
        ("戈壁农业设施温室", "农业农村"),
        ("新型建材产业园", "工业"),
        ("光伏组件配套产业园", "新能源"),
        ("冷链物流仓储中心", "商贸物流"),
        ("文旅康养综合体", "文化旅游"),
        ("农产品精深加工园", "工业"),
    ];
    let amounts = rng.split(360_000_00, 10, 8_000_00, 20, 100);
    let stages = [
        "开工", "开工", "开工", "落地", "落地", "落地", "签约", "签约", "签约", "签约",
    ];
    for (i, ((name, industry), amount)) in signed_names.iter().zip(&amounts).enumerate() {
        let signed = date(2026, 7, 7 + (i % 2) as i8);
        let first = between(&mut rng, date(2026, 1, 10), date(2026, 5, 31));
        let stage = stages[i];
        let t = g.rural(&mut rng);
        let (company, code) = names::company(&mut rng, "实业");
        let landed = between(&mut rng, date(2026, 8, 1), date(2026, 9, 30));
        let started = between(&mut rng, date(2026, 9, 15), date(2026, 11, 10));
        out.push((
            first,
            row(
                stage,
                json!({
                    "name": format!("{name}项目"), "company": company, "credit_code": code,
                    "origin_region": *rng.pick(&regions), "industry": industry,
                    "channel": "节会招商", "referrer": rng.chance(400).then(|| names::person(&mut rng)),
                    "first_contact_on": first.to_string(), "intended_investment": wan(*amount),
                    "signed_amount": wan(*amount), "signed_on": signed.to_string(),
                    "signing_event": "第23届兰洽会", "township": t.code,
                    "landed_on": (stage != "签约").then(|| landed.to_string()),
                    "started_on": (stage == "开工").then(|| started.to_string()),
                    "leader": g.org.executive(), "unit": g.org.unit("投资促进局"),
                    "next_follow_up_on": (stage != "开工").then(|| add(today(), rng.range(-3, 20)).to_string()),
                    "contact": names::person(&mut rng), "contact_phone": names::mobile(&mut rng),
                    "progress": format!("已在第23届兰洽会签约，{}", match stage { "开工" => "项目已开工建设", "落地" => "已注册落地，正在办理前期手续", _ => "正在推进落地" }),
                }),
            ),
        ));
    }
    // Leads from the two trips (15 companies met) and other channels, 2025 and 2026.
    for (year, n, signed_n) in [(2025i16, 46, 12), (2026, 38, 0)] {
        let (from, to) = year_span(year);
        for i in 0..n {
            let first = between(&mut rng, from, to);
            let signed = i < signed_n;
            let stage = if signed {
                *rng.pick(&["开工", "开工", "落地", "终止"])
            } else if days_between(first, today()) > 200 {
                *rng.pick(&["洽谈", "终止", "终止"])
            } else {
                *rng.pick(&["线索", "洽谈", "洽谈"])
            };
            let industry = *rng.pick(&industries);
            let (company, code) = names::company(&mut rng, "实业");
            let amount = rng.range(2_000_00, 80_000_00);
            let signed_on = add(first, rng.range(30, 150)).min(date(year, 12, 20));
            let t = g.rural(&mut rng);
            let channel = *rng.pick(&["小分队招商", "委托招商", "以商招商", "节会招商", "其他"]);
            let mut r = row(
                stage,
                json!({
                    "name": format!("{}{}项目", t.name.trim_end_matches("（演示）"), match industry {
                        "工业" => "农副产品加工", "农业农村" => "现代农业示范", "商贸物流" => "商贸物流中心",
                        "文化旅游" => "乡村旅游", "新能源" => "分布式光伏", "基础设施" => "供热管网", _ => "养老服务" }),
                    "company": company, "credit_code": code, "origin_region": *rng.pick(&regions),
                    "industry": industry, "channel": channel,
                    "first_contact_on": first.to_string(), "intended_investment": wan(amount),
                    "signed_amount": signed.then(|| wan(amount)), "signed_on": signed.then(|| signed_on.to_string()),
                    "signing_event": signed.then_some("县招商引资项目集中签约"),
                    "landed_on": (signed && stage != "终止").then(|| add(signed_on, 20).to_string()),
                    "started_on": (stage == "开工").then(|| add(signed_on, 60).min(date(year, 12, 28)).to_string()),
                    "township": t.code,
                    "leader": rng.chance(500).then(|| g.org.executive()),
                    "unit": (stage != "线索").then(|| g.org.unit("投资促进局")),
                    "next_follow_up_on": matches!(stage, "线索" | "洽谈").then(|| add(today(), rng.range(-10, 25)).to_string()),
                    "contact": names::person(&mut rng),
                    "progress": match stage { "终止" => "企业投资意向变化，终止洽谈", "洽谈" => "已开展实地考察，正在洽谈合作条件", _ => "已建立联系，跟踪对接" },
                }),
            );
            if stage == "终止" && !signed {
                r.0.remove("unit");
            }
            out.push((first, r));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- safety

#[derive(Debug, Clone)]
struct Inspection {
    on: Date,
    town: usize,
    industry: &'static str,
    unit: &'static str,
    hazards: i64,
}

const INDUSTRIES: &[(&str, u64, &str)] = &[
    ("危险化学品", 6, "应急管理局"),
    ("非煤矿山", 4, "应急管理局"),
    ("工贸", 16, "应急管理局"),
    ("建筑施工", 14, "住建局"),
    ("道路交通", 9, "交通运输局"),
    ("消防", 12, "消防救援大队"),
    ("燃气", 7, "住建局"),
    ("特种设备", 6, "市场监管局"),
    ("人员密集场所", 12, "消防救援大队"),
    ("农业机械", 4, "农业农村局"),
    ("综合", 10, "应急管理局"),
];

fn inspections(g: &Gen<'_>) -> (Vec<Row>, Vec<Inspection>) {
    let mut rng = g.rng("safety_inspection");
    let weights: Vec<u64> = INDUSTRIES.iter().map(|i| i.1).collect();
    let mut all: Vec<(Date, Row, Inspection)> = Vec::new();
    // (year, inspections, 户次, 隐患, led by the 常务副县长)
    for (year, n, units_total, hazards_total, led) in [
        (2025i16, 520usize, 4102i64, 4215i64, 10usize),
        (2026, 560, 4331, 4496, 11),
    ] {
        let (from, to) = year_span(year);
        let units = rng.split(units_total, n, 1, 2, 16);
        let w: Vec<u64> = units.iter().map(|u| *u as u64 * (5 + rng.below(10))).collect();
        let hz = split_by(hazards_total, &w, 0);
        let led_places = [
            ("人员密集场所", "城区中小学校和幼儿园"),
            ("人员密集场所", "城区大型商场超市"),
            ("道路交通", "汽车客运站"),
            ("燃气", "城市燃气企业和加气站"),
            ("危险化学品", "危险化学品经营企业"),
            ("消防", "宾馆酒店和娱乐场所"),
            ("建筑施工", "重点项目建设工地"),
            ("人员密集场所", "医院和养老机构"),
            ("非煤矿山", "砂石料开采企业"),
            ("综合", "节前安全生产"),
            ("工贸", "粉尘涉爆和有限空间企业"),
        ];
        for i in 0..n {
            let led_by_exec = i < led;
            let (ind_i, target) = if led_by_exec {
                let (ind, t) = led_places[i % led_places.len()];
                (INDUSTRIES.iter().position(|x| x.0 == ind).unwrap_or(0), t)
            } else {
                (rng.weighted(&weights), "")
            };
            let (industry, _, unit) = INDUSTRIES[ind_i.min(INDUSTRIES.len() - 1)];
            let on = between(&mut rng, from, to);
            let town = rng.below(g.org.towns.len() as u64) as usize;
            let t = &g.org.towns[town.min(g.org.towns.len() - 1)];
            let kind = *rng.pick(&["综合检查", "专项检查", "专项检查", "督查检查", "暗查暗访", "节前检查"]);
            let title = if led_by_exec {
                format!("常务副县长带队检查{target}安全生产工作")
            } else {
                format!(
                    "{}{}{}安全{}",
                    year,
                    t.name.trim_end_matches("（演示）"),
                    if industry == "综合" { "" } else { industry },
                    kind
                )
            };
            let units_checked = units[i];
            let hazards = hz[i];
            let r = plain(json!({
                "title": title,
                "targets": if led_by_exec { target.to_string() } else { format!("{}辖区{}企业（单位）", t.name, if industry == "综合" { "各类" } else { industry }) },
                "industry": industry,
                "kind": if led_by_exec { "督查检查" } else { kind },
                "leader": led_by_exec.then(|| g.org.executive()),
                "unit": g.org.unit(unit),
                "township": t.code,
                "inspected_on": on.to_string(),
                "units_checked": units_checked,
                "hazards_found": hazards,
                "participants": format!("{}、{}", g.org.staff_of(&mut rng, unit), g.org.staff_of(&mut rng, "应急管理局")),
                "summary": format!("共检查{units_checked}户次，发现一般隐患{hazards}条，已当场交办整改。"),
            }));
            all.push((
                on,
                r,
                Inspection {
                    on,
                    town,
                    industry,
                    unit,
                    hazards,
                },
            ));
        }
    }
    all.sort_by_key(|a| a.0);
    let insp = all.iter().map(|(_, _, i)| i.clone()).collect();
    (all.into_iter().map(|(_, r, _)| r).collect(), insp)
}

const HAZARDS: &[(&str, &[(&str, &str)])] = &[
    (
        "危险化学品",
        &[
            (
                "储罐区可燃气体检测报警装置未定期检定",
                "已委托有资质机构完成检定并出具报告",
            ),
            ("危险化学品仓库未按规定分区分类存放", "已按性质分区分类存放并设置标识"),
            ("装卸作业未执行作业票证制度", "已制定作业票证管理制度并组织培训"),
            ("重大危险源监控视频存在盲区", "已增设监控摄像头，实现全覆盖"),
        ],
    ),
    (
        "非煤矿山",
        &[
            ("采场边坡超高超陡，未按设计分台阶开采", "已按设计削坡分台阶"),
            ("排土场未设置截排水设施", "已修建截排水沟"),
            ("爆破器材临时存放点管理不规范", "已清理并按规定存放"),
        ],
    ),
    (
        "工贸",
        &[
            ("粉尘涉爆车间除尘系统未设置泄爆装置", "已加装泄爆片并验收"),
            (
                "有限空间作业未设置警示标识，未配备检测仪器",
                "已设置警示标识并配备气体检测仪",
            ),
            ("车间配电箱门缺失，线路私拉乱接", "已更换配电箱并规范布线"),
            ("机械设备传动部位防护罩缺失", "已加装防护罩"),
            ("员工安全培训记录不全", "已补充培训并建立档案"),
        ],
    ),
    (
        "建筑施工",
        &[
            ("临边洞口防护不到位", "已设置防护栏杆和盖板"),
            ("塔吊司机无证上岗", "已更换持证司机"),
            ("脚手架连墙件设置不足", "已按方案加设连墙件"),
            ("施工现场临时用电未实行三级配电两级保护", "已整改配电系统"),
            ("深基坑未进行监测", "已委托第三方开展基坑监测"),
        ],
    ),
    (
        "道路交通",
        &[
            ("客运车辆动态监控平台值守不到位", "已落实专人24小时值守"),
            ("运输企业驾驶员安全教育记录缺失", "已开展安全教育并完善记录"),
            ("农村公路急弯陡坡路段缺少警示标志", "已增设警示标志和减速带"),
        ],
    ),
    (
        "消防",
        &[
            ("消防通道被杂物堵塞", "已清理消防通道"),
            ("灭火器过期未更换", "已更换灭火器"),
            ("疏散指示标志损坏", "已更换疏散指示标志"),
            ("消防控制室值班人员未持证", "已安排持证人员值班"),
            ("电动自行车在楼道内充电", "已清理并设置集中充电区"),
        ],
    ),
    (
        "燃气",
        &[
            ("餐饮场所未安装可燃气体报警装置", "已安装报警装置并联动切断阀"),
            ("燃气管道穿越卧室", "已改移燃气管道"),
            ("液化气钢瓶超期未检", "已更换合格钢瓶"),
        ],
    ),
    (
        "特种设备",
        &[
            ("电梯未按期进行定期检验", "已完成定期检验"),
            ("锅炉安全阀未校验", "已校验安全阀"),
            ("叉车司机无证作业", "已安排持证人员作业"),
        ],
    ),
    (
        "人员密集场所",
        &[
            ("商场安全出口上锁", "已拆除门锁，保持畅通"),
            ("学校食堂燃气管道老化", "已更换燃气管道"),
            ("应急照明灯不能正常工作", "已维修更换应急照明"),
            ("未定期组织应急疏散演练", "已组织疏散演练"),
        ],
    ),
    (
        "农业机械",
        &[
            ("拖拉机未年检、无牌行驶", "已完成年检上牌"),
            ("农机具传动部件无防护", "已加装防护装置"),
        ],
    ),
];

fn hazards(g: &Gen<'_>, insp: &[Inspection], ids: &[i64]) -> Vec<Row> {
    let mut rng = g.rng("hazard");
    let mut out = Dated::new();
    let mut pool: Vec<(&'static str, String, String, usize)> = Vec::new();
    for (i, (ins, id)) in insp.iter().zip(ids).enumerate() {
        for _ in 0..ins.hazards {
            let industry = if ins.industry == "综合" {
                HAZARDS[rng.below(HAZARDS.len() as u64) as usize % HAZARDS.len()].0
            } else {
                ins.industry
            };
            let list = HAZARDS
                .iter()
                .find(|h| h.0 == industry)
                .map(|h| h.1)
                .unwrap_or(HAZARDS[0].1);
            let (desc, fix) = *rng.pick(list);
            // Companies repeat: reuse one of the last few of the same industry and township.
            let reuse = pool
                .iter()
                .rev()
                .take(40)
                .find(|p| p.0 == industry && p.3 == ins.town && rng.chance(300));
            let (company, code) = match reuse {
                Some(p) => (p.1.clone(), p.2.clone()),
                None => {
                    let trade = names::trade_word(industry, &mut rng);
                    let c = names::company(&mut rng, trade);
                    pool.push((industry, c.0.clone(), c.1.clone(), ins.town));
                    c
                }
            };
            let t = &g.org.towns[ins.town.min(g.org.towns.len() - 1)];
            let (division, _) = g.place(&mut rng, t);
            let major = rng.chance(15);
            let found = ins.on;
            let limit = if major { 90 } else { *rng.pick(&[30, 30, 30, 15, 7]) };
            let deadline = add(found, limit);
            let age = days_between(found, today());
            let roll = rng.below(1000);
            let state = if age <= 2 {
                if roll < 600 { "待交办" } else { "整改中" }
            } else if deadline < today() {
                match roll {
                    0..=969 => "已销号",
                    970..=989 => "整改中",
                    _ => "待验收",
                }
            } else if deadline <= add(today(), 5) {
                match roll {
                    0..=449 => "已销号",
                    450..=849 => "整改中",
                    _ => "待验收",
                }
            } else {
                match roll {
                    0..=299 => "已销号",
                    300..=849 => "整改中",
                    _ => "待验收",
                }
            };
            let done = matches!(state, "已销号" | "待验收");
            let rectified = add(found, rng.range(1, limit + 3)).min(today());
            let responsible = if rng.chance(250) { t.unit } else { g.org.unit(ins.unit) };
            out.push((
                found,
                row(
                    state,
                    json!({
                        "description": format!("{company}{desc}"),
                        "company": company,
                        "credit_code": code,
                        "industry": industry,
                        "grade": if major { "重大" } else { "一般" },
                        "township": division,
                        "responsible_unit": (state != "待交办").then_some(responsible),
                        "inspection": format!("{}年安全生产检查（第{}次）", found.year(), i + 1),
                        "inspection_ref": id,
                        "found_on": found.to_string(),
                        "deadline": deadline.to_string(),
                        "measures": done.then(|| fix.to_string()),
                        "rectified_on": done.then(|| rectified.to_string()),
                        "acceptance": (state == "已销号").then_some("经现场复查，隐患已整改到位，同意销号。"),
                        "accepted_by": (state == "已销号").then(|| g.org.staff_of(&mut rng, ins.unit)),
                        "contact_phone": rng.chance(400).then(|| names::mobile(&mut rng)),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- rivers

const RIVERS: &[(&str, &[&str])] = &[
    ("北大河", &["上游段", "城区段", "下游段"]),
    ("洪水坝河", &["出山口段", "中游段"]),
    ("红水坝河", &["上游段", "下游段"]),
    ("清水河", &["全段"]),
    ("马营河", &["中游段", "下游段"]),
    ("丰乐河", &["全段"]),
];

struct Patrol {
    river: &'static str,
    reach: String,
    town: String,
    chief: i64,
    on: Date,
    issues: i64,
}

fn river_patrols(g: &Gen<'_>) -> (Vec<Row>, Vec<Patrol>) {
    let mut rng = g.rng("river_patrol");
    let mut all: Vec<(Date, Row, Patrol)> = Vec::new();
    let rural = g.org.rural();
    for (year, county_n, town_n, issues) in [(2025i16, 10usize, 330usize, 124i64), (2026, 12, 340, 112)] {
        let (from, to) = year_span(year);
        let n = county_n + town_n;
        let w: Vec<u64> = (0..n)
            .map(|_| if rng.chance(250) { 1 + rng.below(4) } else { 0 })
            .collect();
        let w: Vec<u64> = if w.iter().all(|x| *x == 0) { vec![1; n] } else { w };
        // Issues only on patrols with a weight; split_by with min 0 keeps zeros at zero.
        let per = split_by(issues, &w, 0);
        for (i, found) in per.iter().copied().enumerate() {
            let county = i < county_n;
            let (river, reaches) = *rng.pick(RIVERS);
            let t = rural.get(rng.below(rural.len() as u64) as usize).copied();
            let Some(t) = t else { continue };
            let on = between(&mut rng, from, to);
            let chief = if county { g.org.executive() } else { t.head };
            let reach = format!("{}{}", t.name.trim_end_matches("（演示）"), rng.pick(reaches));
            let km = rng.range(30, 260);
            all.push((
                on,
                plain(json!({
                    "river": river,
                    "reach": if county { format!("{river}全程") } else { reach.clone() },
                    "river_chief": chief,
                    "chief_level": if county { "县级" } else { "乡级" },
                    "patrol_kind": if county { "督查巡河" } else { *rng.pick(&["日常巡河", "日常巡河", "专项巡河"]) },
                    "township": t.code,
                    "unit": if county { g.org.unit("水务局") } else { t.unit },
                    "patrolled_on": on.to_string(),
                    "distance_km": format!("{}.{}", km / 10, km % 10),
                    "issues_found": found,
                    "summary": if found > 0 { format!("巡查发现问题{found}个，已现场交办。") } else { "河道整洁，未发现“四乱”问题。".to_string() },
                })),
                Patrol { river, reach, town: t.code.clone(), chief, on, issues: found },
            ));
        }
    }
    all.sort_by_key(|a| a.0);
    let p = all
        .iter()
        .map(|(_, _, p)| Patrol {
            reach: p.reach.clone(),
            town: p.town.clone(),
            ..*p
        })
        .collect();
    (all.into_iter().map(|(_, r, _)| r).collect(), p)
}

impl Clone for Patrol {
    fn clone(&self) -> Self {
        Patrol {
            river: self.river,
            reach: self.reach.clone(),
            town: self.town.clone(),
            chief: self.chief,
            on: self.on,
            issues: self.issues,
        }
    }
}

fn river_issues(g: &Gen<'_>, patrols: &[Patrol], ids: &[i64]) -> Vec<Row> {
    let mut rng = g.rng("river_issue");
    let kinds: &[(&str, &str)] = &[
        ("乱堆", "河道管理范围内堆放生活垃圾和建筑垃圾"),
        ("乱采", "河道内存在非法采砂痕迹"),
        ("乱占", "河道管理范围内违规种植农作物"),
        ("乱建", "河道管理范围内搭建临时彩钢房"),
        ("污染", "沿河养殖场污水直排入河"),
        ("其他", "河长公示牌损坏、信息未更新"),
    ];
    let mut out = Dated::new();
    for (p, id) in patrols.iter().zip(ids) {
        for _ in 0..p.issues {
            let (kind, desc) = *rng.pick(kinds);
            let limit = if kind == "污染" { 15 } else { 30 };
            let deadline = add(p.on, limit);
            let age = days_between(p.on, today());
            let state = if age > limit + 10 {
                if rng.chance(950) { "已销号" } else { "整改中" }
            } else if age > 3 {
                *rng.pick(&["已销号", "整改中", "整改中", "已交办"])
            } else {
                "已发现"
            };
            let done = state == "已销号";
            let unit = g
                .org
                .towns
                .iter()
                .find(|t| t.code == p.town)
                .map(|t| t.unit)
                .unwrap_or(0);
            out.push((
                p.on,
                row(
                    state,
                    json!({
                        "description": format!("{}{}{}", p.river, p.reach, desc),
                        "kind": kind, "river": p.river, "reach": p.reach, "patrol": id,
                        "township": p.town,
                        "unit": (state != "已发现").then_some(unit),
                        "river_chief": p.chief, "found_on": p.on.to_string(),
                        "deadline": (state != "已发现").then(|| deadline.to_string()),
                        "measures": done.then_some("已组织清理整治，恢复河道原貌"),
                        "rectified_on": done.then(|| add(p.on, rng.range(3, limit)).min(today()).to_string()),
                        "verification": done.then_some("经核查，问题已整改到位"),
                        "verified_by": done.then(|| g.org.staff_of(&mut rng, "水务局")),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- accidents

/// Kind, year, first and last day, count, deaths, injuries, loss (hundredths of 万元).
type AccidentPlan = (&'static str, i16, Date, Date, i64, i64, i64, i64);

fn accidents(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("accident");
    let mut out = Dated::new();
    // (kind, year, from, to, count, deaths, injuries, loss in hundredths of 万元)
    // Fires 1-11月: 47 → 44 (−6.38%), loss 300.00 → 266.31万元 (−11.23%), casualties equal.
    // The 2025 base ends on 11-25: 同比 as of the demo's today (2026-11-25) is
    // like for like, 1月1日至11月25日 of each year (lvzhi_metrics::effective).
    let plan: &[AccidentPlan] = &[
        ("火灾", 2025, date(2025, 1, 1), date(2025, 11, 25), 47, 1, 3, 300_00),
        ("火灾", 2025, date(2025, 11, 26), date(2025, 12, 31), 6, 0, 1, 41_50),
        ("火灾", 2026, date(2026, 1, 1), today(), 44, 1, 3, 266_31),
        (
            "道路交通",
            2025,
            date(2025, 1, 1),
            date(2025, 11, 25),
            96,
            31,
            88,
            142_60,
        ),
        ("道路交通", 2025, date(2025, 11, 26), date(2025, 12, 31), 9, 3, 8, 12_40),
        ("道路交通", 2026, date(2026, 1, 1), today(), 88, 27, 79, 128_40),
        ("生产安全", 2025, date(2025, 1, 1), date(2025, 11, 25), 6, 4, 5, 310_00),
        ("生产安全", 2026, date(2026, 1, 1), today(), 4, 2, 3, 186_00),
    ];
    let causes: &[(&str, &[&str])] = &[
        (
            "火灾",
            &[
                "电气线路短路引发火灾",
                "用火不慎引发火灾",
                "违规使用电暖器引发火灾",
                "秸秆堆垛自燃",
                "车辆自燃",
                "烟头引燃可燃物",
            ],
        ),
        (
            "道路交通",
            &[
                "驾驶人未按规定让行",
                "超速行驶",
                "酒后驾驶",
                "疲劳驾驶",
                "操作不当",
                "农用车违法载人",
            ],
        ),
        ("生产安全", &["高处坠落", "机械伤害", "物体打击", "有限空间中毒窒息"]),
    ];
    for (kind, _year, from, to, n, deaths, injuries, loss) in plan.iter().copied() {
        let n_us = n as usize;
        let dead = split_by(
            deaths,
            &(0..n_us).map(|_| rng.below(3) * rng.below(2)).collect::<Vec<_>>(),
            0,
        );
        let dead = if dead.iter().sum::<i64>() == deaths {
            dead
        } else {
            rng.split(deaths, n_us, 0, 0, 1)
        };
        let hurt = rng.split(injuries, n_us, 0, 0, 3);
        let losses = rng.split(loss, n_us, 50, 1, 30);
        let list = causes
            .iter()
            .find(|c| c.0 == kind)
            .map(|c| c.1)
            .unwrap_or(&["其他原因"]);
        for i in 0..n_us {
            let on = between(&mut rng, from, to);
            let t = g.town(&mut rng);
            let cause = *rng.pick(list);
            let grade = if dead[i] >= 3 { "较大" } else { "一般" };
            let (party, code) = if kind == "生产安全" {
                let trade = names::trade_word("工贸", &mut rng);
                let c = names::company(&mut rng, trade);
                (Some(c.0), Some(c.1))
            } else {
                (None, None)
            };
            out.push((
                on,
                plain(json!({
                    "title": format!("{}{}{}", t.name.trim_end_matches("（演示）"), match kind { "火灾" => "一起火灾", "道路交通" => "一起道路交通事故", _ => "一起生产安全事故" }, if dead[i] > 0 { format!("，死亡{}人", dead[i]) } else { String::new() }),
                    "kind": kind, "grade": grade, "occurred_on": on.to_string(), "township": t.code,
                    "location": format!("{}辖区", t.name),
                    "party": party, "credit_code": code,
                    "deaths": dead[i], "injuries": hurt[i], "direct_loss": wan(losses[i]),
                    "unit": g.org.unit(match kind { "火灾" => "消防救援大队", "道路交通" => "公安分局", _ => "应急管理局" }),
                    "cause": cause,
                    "handling": "已按规定调查处理",
                })),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- disputes

fn disputes(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("dispute");
    let kinds: &[(&str, u64, &str)] = &[
        ("婚姻家庭", 18, "因家庭琐事、赡养老人问题发生纠纷"),
        ("邻里", 22, "因宅基地界址、排水、通行问题发生邻里纠纷"),
        ("土地", 16, "因承包地界、土地流转费用发生纠纷"),
        ("征地拆迁", 5, "因征地补偿款分配发生纠纷"),
        ("劳动争议", 10, "因拖欠劳务费发生纠纷"),
        ("合同", 12, "因买卖合同货款结算发生纠纷"),
        ("医疗", 3, "因诊疗后果发生医患纠纷"),
        ("交通事故", 9, "因交通事故损害赔偿发生纠纷"),
        ("其他", 5, "因其他民间事务发生纠纷"),
    ];
    let weights: Vec<u64> = kinds.iter().map(|k| k.1).collect();
    let mut out = Dated::new();
    // (year, 排查, 调解成功, 调解不成) — 2026 1-11月: 3365 / 3298 (98.0%).
    for (year, total, success, failed) in [(2025i16, 3210usize, 3138usize, 72usize), (2026, 3365, 3298, 40)] {
        let (from, to) = year_span(year);
        let mut dates: Vec<Date> = (0..total).map(|_| between(&mut rng, from, to)).collect();
        dates.sort();
        // The most recent ones are still open (2026: 27 of them).
        let open = total - success - failed;
        let mut states: Vec<&str> = Vec::with_capacity(total);
        let closed_n = total - open;
        let mut fail_slots: Vec<usize> = (0..failed).map(|_| rng.below(closed_n as u64) as usize).collect();
        fail_slots.sort();
        fail_slots.dedup();
        while fail_slots.len() < failed {
            let x = rng.below(closed_n as u64) as usize;
            if !fail_slots.contains(&x) {
                fail_slots.push(x);
                fail_slots.sort();
            }
        }
        for (i, on) in dates.iter().enumerate() {
            states.push(if i >= closed_n {
                if days_between(*on, today()) <= 2 {
                    "已受理"
                } else {
                    "调解中"
                }
            } else if fail_slots.binary_search(&i).is_ok() {
                "调解不成"
            } else {
                "调解成功"
            });
        }
        for (on, state) in dates.into_iter().zip(states) {
            let (kind, _, desc) = kinds[rng.weighted(&weights).min(kinds.len() - 1)];
            let t = g.rural(&mut rng);
            let (division, place) = g.place(&mut rng, t);
            let village = division.len() == 12;
            let (org_name, org_type) = match kind {
                "医疗" => ("县医疗纠纷人民调解委员会".to_string(), "行业性专业性调委会"),
                "交通事故" => ("县道路交通事故纠纷人民调解委员会".to_string(), "行业性专业性调委会"),
                "劳动争议" if rng.chance(500) => ("县劳动争议人民调解委员会".to_string(), "行业性专业性调委会"),
                _ if village => (format!("{place}人民调解委员会"), "村（居）调委会"),
                _ if rng.chance(150) => (format!("{}司法所", t.name.trim_end_matches("（演示）")), "司法所"),
                _ => (
                    format!("{}人民调解委员会", t.name.trim_end_matches("（演示）")),
                    "乡镇调委会",
                ),
            };
            let a = names::person(&mut rng);
            let b = names::person(&mut rng);
            let concluded = add(on, rng.range(1, 25)).min(today());
            let closed = matches!(state, "调解成功" | "调解不成");
            out.push((
                on,
                row(
                    state,
                    json!({
                        "summary": format!("{a}与{b}{desc}"),
                        "kind": kind,
                        "source": *rng.pick(&["排查发现", "排查发现", "当事人申请", "当事人申请", "主动调解", "移交委托"]),
                        "parties": format!("{a}、{b}"),
                        "party_count": 2 + rng.below(3) * rng.below(2),
                        "party_phone": rng.chance(300).then(|| names::mobile(&mut rng)),
                        "township": division,
                        "mediation_org": org_name,
                        "org_type": org_type,
                        "unit": (state != "已受理").then_some(t.unit),
                        "mediator": names::person(&mut rng),
                        "received_on": on.to_string(),
                        "amount": matches!(kind, "劳动争议" | "合同" | "交通事故" | "征地拆迁").then(|| wan(rng.range(50, 30_00))),
                        "result": closed.then(|| if state == "调解成功" { "经调解，双方自愿达成协议并履行".to_string() } else { "经多次调解，双方分歧较大，未达成协议".to_string() }),
                        "agreement_form": (state == "调解成功").then(|| *rng.pick(&["书面协议", "书面协议", "口头协议"])),
                        "transferred_to": (state == "调解不成").then(|| *rng.pick(&["诉讼", "仲裁", "行政处理", "信访"])),
                        "concluded_on": closed.then(|| concluded.to_string()),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- petitions

fn petitions(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("petition");
    let cats: &[(&str, u64, &str, &str)] = &[
        ("征地拆迁", 12, "反映征地补偿标准偏低、补偿款未足额兑付", "自然资源局"),
        ("劳动社保", 16, "反映被拖欠工资、社保待遇核定问题", "人社局"),
        ("涉法涉诉", 8, "对法院判决执行不满，要求督促执行", "司法局"),
        ("城乡建设", 14, "反映小区房产证办理难、物业服务问题", "住建局"),
        ("农业农村", 15, "反映土地承包经营权确权、土地流转费用问题", "农业农村局"),
        ("教育医疗", 7, "反映子女入学、医疗报销问题", "教育局"),
        ("生态环境", 6, "反映企业噪音、粉尘扰民问题", "生态环境分局"),
        ("企业改制", 4, "反映原企业改制职工身份置换问题", "人社局"),
        ("民政", 8, "反映低保、临时救助申请问题", "民政局"),
        ("其他", 5, "反映其他问题", "信访局"),
    ];
    let weights: Vec<u64> = cats.iter().map(|c| c.1).collect();
    let mut out = Dated::new();
    for (year, n) in [(2025i16, 560usize), (2026, 518)] {
        let (from, to) = year_span(year);
        for _ in 0..n {
            let on = between(&mut rng, from, to);
            let (cat, _, desc, unit) = cats[rng.weighted(&weights).min(cats.len() - 1)];
            let t = g.rural(&mut rng);
            let (division, place) = g.place(&mut rng, t);
            let repeat = rng.chance(220);
            let backlog = repeat && rng.chance(300);
            let collective = rng.chance(60);
            let persons = if collective { rng.range(5, 30) } else { rng.range(1, 3) };
            let age = days_between(on, today());
            let received = add(on, rng.range(1, 10)).min(today());
            let deadline = add(received, 60);
            let roll = rng.below(1000);
            let state = if age <= 7 {
                "已登记"
            } else if age <= 20 {
                // Not 已交办: its 签收 limit counts from entering the state, which a
                // record created in it enters today (same draws as before).
                *rng.pick(&["已受理", "办理中", "办理中"])
            } else if deadline < today() {
                match roll {
                    0..=39 => "不予受理",
                    40..=689 => "已化解",
                    690..=949 => "已终结",
                    950..=979 => "办理中",
                    _ => "已答复",
                }
            } else {
                match roll {
                    0..=299 => "办理中",
                    300..=549 => "已答复",
                    550..=899 => "已化解",
                    _ => "办理中",
                }
            };
            let after = |s: &[&str]| s.contains(&state);
            let accepted = after(&["已受理", "已交办", "办理中", "已答复", "已化解", "已终结"]);
            let assigned = after(&["已交办", "办理中", "已答复", "已化解", "已终结"]);
            let replied = after(&["已答复", "已化解", "已终结"]);
            let replied_on = add(received, rng.range(15, 58)).min(today());
            // 包案领导: the 常务副县长 for the hardest cases in his fields, others for the rest.
            let leader = if backlog || collective || (repeat && rng.chance(400)) {
                if matches!(unit, "人社局" | "司法局" | "信访局") || rng.chance(350) {
                    Some(g.org.executive())
                } else {
                    Some(leader_for_unit(g, unit))
                }
            } else {
                None
            };
            let name = names::person(&mut rng);
            out.push((
                on,
                row(
                    state,
                    json!({
                        "subject": format!("{place}群众{desc}"),
                        "petitioner": if collective { format!("{name}等{persons}人") } else { name },
                        "id_card": names::id_card(&mut rng),
                        "phone": names::mobile(&mut rng),
                        "address": format!("{place}{}组", rng.range(1, 9)),
                        "persons": persons,
                        "is_collective": collective,
                        "form": *rng.pick(&["来访", "来访", "来信", "网上", "网上", "电话"]),
                        "visit_type": if repeat { "重复访" } else { "初访" },
                        "category": cat,
                        "content": format!("信访人{desc}，请求有关部门依法依规予以解决。"),
                        "township": division,
                        "unit": assigned.then(|| g.org.unit(unit)),
                        "leader": leader,
                        "registered_on": on.to_string(),
                        "received_on": accepted.then(|| received.to_string()),
                        "deadline": accepted.then(|| deadline.to_string()),
                        "is_backlog": backlog,
                        "handling": replied.then_some("经调查核实，信访人反映问题部分属实，已督促责任单位依法依规处理"),
                        "reply": replied.then_some("已书面答复信访人，告知处理结果和救济途径"),
                        "replied_on": replied.then(|| replied_on.to_string()),
                        "satisfaction": replied.then(|| *rng.pick(&["满意", "满意", "基本满意", "不满意"])),
                        "resolved_on": (state == "已化解").then(|| add(replied_on, rng.range(1, 20)).min(today()).to_string()),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- supervision

fn supervision(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("supervision");
    let items: &[(&str, &str)] = &[
        ("会议", "落实县政府常务会议议定事项：加快{}前期手续办理"),
        ("批示", "落实县长批示：妥善处置{}反映的问题"),
        ("上级交办", "落实市政府督查室交办的{}整改任务"),
        ("会议", "落实项目建设百日攻坚推进会议定事项：{}"),
        ("其他", "推进{}工作"),
    ];
    let topics = [
        "重点项目建设",
        "城区老旧小区改造",
        "冬季供暖保障",
        "农民工工资支付",
        "安全生产大检查问题整改",
        "国务院安委会综合督查问题整改",
        "营商环境优化",
        "城乡环境综合整治",
        "信访积案化解",
        "人大代表建议办理",
        "河湖“四乱”清理整治",
        "价格监测预警",
    ];
    let units = [
        "发改局",
        "住建局",
        "人社局",
        "应急管理局",
        "商务局",
        "财政局",
        "信访局",
        "水务局",
        "市场监管局",
        "交通运输局",
    ];
    let mut out = Dated::new();
    let baogua = [
        "县域电子中心项目建设包挂任务",
        "南滨河路项目建设包挂任务",
        "重点信访案件包案化解",
        "爱心帮扶包挂任务",
        "基层党建联系点包挂任务",
    ];
    for (year, n) in [(2025i16, 236usize), (2026, 258)] {
        let (from, to) = year_span(year);
        for i in 0..n {
            let on = between(&mut rng, from, to);
            let (source, title) = if i < baogua.len() {
                ("包挂", baogua[i].to_string())
            } else {
                let (s, tpl) = *rng.pick(items);
                (s, tpl.replace("{}", rng.pick::<&str>(&topics)))
            };
            let urgency = *rng.pick(&["一般", "一般", "一般", "紧急", "特急"]);
            let limit = match urgency {
                "特急" => 3,
                "紧急" => 7,
                _ => 30,
            };
            let deadline = if source == "包挂" {
                date(year, 12, 31)
            } else {
                add(on, limit)
            };
            let age = days_between(on, today());
            let roll = rng.below(1000);
            let state = if source == "包挂" && year == 2026 {
                "办理中"
            } else if deadline < today() {
                match roll {
                    0..=939 => "已办结",
                    940..=979 => "办理中",
                    _ => "待审核",
                }
            } else if age <= 2 {
                "已交办"
            } else {
                *rng.pick(&["办理中", "办理中", "待审核", "已办结"])
            };
            let unit = *rng.pick(&units);
            let leader = if source == "包挂" {
                g.org.executive()
            } else {
                leader_for_unit(g, unit)
            };
            let done = matches!(state, "待审核" | "已办结");
            let completed = add(on, rng.range(1, limit + 5)).min(today());
            out.push((
                on,
                row(
                    state,
                    json!({
                        "title": title,
                        "number": format!("督办〔{year}〕{}号", i + 1),
                        "source": source,
                        "source_detail": match source { "会议" => format!("县政府第{}次常务会议", rng.range(1, 30)), "批示" => format!("县长批示件〔{year}〕{}号", rng.range(1, 80)), "包挂" => "县级领导包挂责任清单".to_string(), _ => "市政府督查室督办通知".to_string() },
                        "urgency": urgency,
                        "leader": leader,
                        "unit": g.org.unit(unit),
                        "assigned_on": on.to_string(),
                        "deadline": deadline.to_string(),
                        "progress": (state != "已交办").then_some("已制定工作方案，明确责任人和时间节点，正在推进"),
                        "result": done.then_some("已按要求完成，相关资料已报督查室"),
                        "completed_on": done.then(|| completed.to_string()),
                        "review_note": (state == "已办结").then_some("经审核，事项已办结"),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- proposals

fn proposals(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("proposal");
    let subjects: &[(&str, &str, &str)] = &[
        ("经济发展", "关于进一步优化营商环境的建议", "发改局"),
        ("城乡建设", "关于加快城区老旧小区改造的建议", "住建局"),
        ("农业农村", "关于加大戈壁农业扶持力度的建议", "农业农村局"),
        ("教育科技", "关于改善农村学校办学条件的建议", "教育局"),
        ("医疗卫生", "关于提升乡镇卫生院服务能力的建议", "卫生健康局"),
        ("社会保障", "关于提高城乡居民养老保险待遇的建议", "人社局"),
        ("生态环境", "关于加强河道生态保护的建议", "水务局"),
        ("政府建设", "关于推进政务服务一网通办的建议", "政府办"),
        ("城乡建设", "关于增设城区公共停车场的建议", "住建局"),
        ("经济发展", "关于支持商贸物流业发展的建议", "商务局"),
    ];
    let mut out = Dated::new();
    for (year, session, npc, cppcc) in [(2025i16, "四", 102usize, 86usize), (2026, "五", 95, 80)] {
        for (kind, n) in [("人大代表建议", npc), ("政协委员提案", cppcc)] {
            for i in 0..n {
                let on = date(year, 3, rng.range(10, 20) as i8);
                let (subject, title, unit) = *rng.pick(subjects);
                let deadline = add(on, 90);
                let roll = rng.below(1000);
                let state = if year == 2025 {
                    "已评价"
                } else {
                    match roll {
                        0..=939 => "已评价",
                        940..=979 => "已答复",
                        _ => "办理中",
                    }
                };
                let replied = matches!(state, "已答复" | "已评价");
                let replied_on = add(on, rng.range(30, 88));
                out.push((
                    on,
                    row(
                        state,
                        json!({
                            "kind": kind,
                            "number": format!("第{}号", i + 1),
                            "title": title,
                            "session": if kind == "人大代表建议" { format!("县十九届人大{session}次会议") } else { format!("政协县十届委员会{session}次会议") },
                            "year": year,
                            "proposer": names::person(&mut rng),
                            "subject": subject,
                            "content": format!("{}，建议有关部门统筹研究、加大投入。", title.trim_start_matches("关于").trim_end_matches("的建议")),
                            "lead_unit": g.org.unit(unit),
                            "leader": leader_for_unit(g, unit),
                            "assigned_on": on.to_string(),
                            "deadline": deadline.to_string(),
                            "reply": replied.then_some("已书面答复代表委员，并当面沟通办理情况"),
                            "replied_on": replied.then(|| replied_on.to_string()),
                            "reply_category": replied.then(|| *rng.pick(&["A类", "A类", "B类", "B类", "C类"])),
                            "satisfaction": (state == "已评价").then(|| *rng.pick(&["满意", "满意", "满意", "基本满意"])),
                            "evaluated_on": (state == "已评价").then(|| add(replied_on, rng.range(5, 30)).to_string()),
                        }),
                    ),
                ));
            }
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- prices

fn price_cases(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("price_case");
    let mut out = Dated::new();
    // 2026: 9 专项检查; all cases filed in 2026 sum to 398万元 违法 and 296万元 清退.
    let special: [(&str, &str); 9] = [
        ("涉企收费", "涉企收费专项检查"),
        ("涉企收费", "行业协会商会收费专项检查"),
        ("物业费", "住宅小区物业服务收费专项检查"),
        ("物业费", "停车服务收费专项检查"),
        ("电力", "转供电环节加价专项检查"),
        ("电力", "电力价格政策落实专项检查"),
        ("房地产销售", "商品房销售明码标价专项检查"),
        ("房地产销售", "房地产开发企业价格行为专项检查"),
        ("天然气", "车用天然气价格专项检查"),
    ];
    for (year, others, illegal, refund) in [(2025i16, 38usize, 352_00i64, 251_00i64), (2026, 45, 398_00, 296_00)] {
        let (from, to) = year_span(year);
        let n_special = if year == 2026 { 9 } else { 7 };
        let mut cases: Vec<(Date, &str, &str, &str, bool)> = Vec::new();
        for (i, (kind, title)) in special.iter().take(n_special).enumerate() {
            let on = date(year, (2 + i) as i8, rng.range(3, 20) as i8);
            cases.push((on, kind, title, "专项检查", true));
        }
        for _ in 0..others {
            let on = between(&mut rng, from, to);
            let kind = *rng.pick(&["涉企收费", "物业费", "电力", "房地产销售", "天然气", "其他"]);
            let form = *rng.pick(&["举报核查", "举报核查", "日常巡查", "日常巡查", "上级交办"]);
            cases.push((on, kind, "", form, false));
        }
        cases.sort_by_key(|a| a.0);
        // Which are decided (have amounts): all special inspections, older others.
        let states: Vec<&str> = cases
            .iter()
            .map(|(on, _, _, _, special)| {
                let age = days_between(*on, today());
                if *special {
                    "已结案"
                } else if age > 60 {
                    *rng.pick(&["已结案", "已结案", "已结案", "已处理"])
                } else if age > 10 {
                    "调查中"
                } else {
                    "已立案"
                }
            })
            .collect();
        let decided: Vec<usize> = (0..cases.len())
            .filter(|i| matches!(states[*i], "已处理" | "已结案"))
            .collect();
        let w: Vec<u64> = decided
            .iter()
            .map(|i| {
                if cases[*i].4 {
                    60 + rng.below(60)
                } else {
                    1 + rng.below(8)
                }
            })
            .collect();
        let ill = split_by(illegal, &w, 20);
        // Refunds are known once a case is closed: split over the closed ones,
        // in proportion to (and below) their illegal amounts.
        let re_w: Vec<u64> = decided
            .iter()
            .zip(&ill)
            .map(|(i, x)| if states[*i] == "已结案" { *x as u64 } else { 0 })
            .collect();
        let re = split_by(refund, &re_w, 0);
        for (j, (on, kind, title, form, special)) in cases.into_iter().enumerate() {
            let state = states[j];
            let pos = decided.iter().position(|i| *i == j);
            let illegal_amount = pos.and_then(|p| ill.get(p).copied());
            let refund_amount = pos.and_then(|p| re.get(p).copied());
            let t = g.town(&mut rng);
            let (target, code) = if special {
                (format!("全县{}相关经营主体", kind), None)
            } else {
                let c = names::company(
                    &mut rng,
                    if kind == "物业费" {
                        "物业管理"
                    } else if kind == "天然气" {
                        "天然气"
                    } else {
                        "商贸"
                    },
                );
                (c.0, Some(c.1))
            };
            let decided_on = add(on, rng.range(20, 60)).min(today());
            out.push((
                on,
                row(
                    state,
                    json!({
                        "title": if special { title.to_string() } else { format!("{target}价格{}", if form == "举报核查" { "举报核查" } else { "检查" }) },
                        "kind": kind, "form": form, "target": target, "credit_code": code,
                        "township": t.code,
                        "unit": (state != "已立案").then(|| g.org.unit("市场监管局")),
                        "filed_on": on.to_string(),
                        "deadline": add(on, 90).to_string(),
                        "findings": illegal_amount.map(|_| "存在不执行政府定价、超标准收费、不明码标价等价格违法行为"),
                        "illegal_amount": illegal_amount.map(wan),
                        "refund_amount": if state == "已结案" { refund_amount.map(wan) } else { None },
                        "penalty_amount": illegal_amount.map(|x| wan(x / 5)),
                        "decision": illegal_amount.map(|_| "责令退还多收价款，依法予以处罚"),
                        "decided_on": illegal_amount.map(|_| decided_on.to_string()),
                        "closed_on": (state == "已结案").then(|| add(decided_on, 10).min(today()).to_string()),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

fn price_observations(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("price_observation");
    let mut out = Dated::new();
    let items: &[(&str, &str, &str, &str, i64)] = &[
        ("猪肉（精瘦肉）", "肉禽蛋", "元/500克", "农贸市场", 1650),
        ("牛肉", "肉禽蛋", "元/500克", "农贸市场", 4200),
        ("鸡蛋", "肉禽蛋", "元/500克", "超市", 520),
        ("大白菜", "蔬菜", "元/500克", "农贸市场", 120),
        ("西红柿", "蔬菜", "元/500克", "农贸市场", 350),
        ("面粉（特一粉）", "粮油", "元/公斤", "超市", 560),
        ("大米", "粮油", "元/公斤", "超市", 640),
        ("菜籽油", "粮油", "元/升", "超市", 1580),
        ("苹果（红富士）", "水果", "元/500克", "农贸市场", 480),
        ("牛奶（袋装）", "奶制品", "元/袋", "超市", 280),
    ];
    let markets = [
        "城区东关农贸市场",
        "城区西街农贸市场",
        "城东大型超市",
        "城西购物中心超市",
    ];
    let stations: Vec<String> = (1..=6)
        .map(|i| {
            format!(
                "{}加气站",
                ["城东", "城西", "城南", "城北", "高速出口", "工业园区"][i - 1]
            )
        })
        .collect();
    let observer = g.org.staff_of(&mut rng, "市场监管局");
    // Every other week for goods, weekly for CNG; CNG jumps in January 2026 and is
    // brought back after the price bureau's 约谈 (the seed's 车用天然气 episode).
    let mut d = date(2025, 1, 6);
    let mut week = 0;
    while d <= today() {
        if week % 2 == 0 {
            for (item, class, unit, point_type, base) in items {
                let point = if *point_type == "超市" {
                    markets[2 + (week / 2) % 2]
                } else {
                    markets[(week / 2) % 2]
                };
                let seasonal = if *class == "蔬菜" {
                    (i64::from(d.month()) - 6).abs() * base / 30
                } else {
                    0
                };
                let p = base + seasonal + rng.range(-base / 20, base / 20);
                out.push((
                    d,
                    plain(json!({
                        "item": item, "item_class": class, "spec": "一级", "point": point, "point_type": point_type,
                        "township": "620902001", "observed_on": d.to_string(), "price": crate::util::dec2(p),
                        "price_unit": unit, "unit": g.org.unit("市场监管局"), "observer": observer,
                    })),
                ));
            }
        }
        for s in &stations {
            let spike = d >= date(2026, 1, 12) && d < date(2026, 1, 26);
            let p = if spike {
                489 + rng.range(0, 20)
            } else {
                389 + rng.range(-5, 8)
            };
            out.push((
                d,
                plain(json!({
                    "item": "车用天然气", "item_class": "能源", "spec": "CNG", "point": s, "point_type": "加气站",
                    "township": "620902003", "observed_on": d.to_string(), "price": crate::util::dec2(p),
                    "price_unit": "元/立方米", "unit": g.org.unit("市场监管局"), "observer": observer,
                    "remarks": spike.then_some("价格异常上涨，已启动应急监测并约谈告诫"),
                })),
            ));
        }
        d = add(d, 7);
        week += 1;
    }
    sorted(out)
}

// ---------------------------------------------------------------- wages

fn wage_arrears(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("wage_arrears");
    let mut out = Dated::new();
    for (year, n) in [(2025i16, 78usize), (2026, 64)] {
        let (from, to) = year_span(year);
        for _ in 0..n {
            let on = between(&mut rng, from, to);
            let industry = *rng.pick(&[
                "工程建设",
                "工程建设",
                "工程建设",
                "制造业",
                "批发零售",
                "住宿餐饮",
                "其他服务业",
            ]);
            let key = rng.chance(200);
            let limit = if key { 30 } else { 60 };
            let deadline = add(on, limit);
            let age = days_between(on, today());
            let state = if age <= 3 {
                "已受理"
            } else if deadline < today() {
                if rng.chance(950) { "已结案" } else { "处置中" }
            } else {
                *rng.pick(&["已交办", "处置中", "处置中", "已结案"])
            };
            let (company, code) = names::company(
                &mut rng,
                if industry == "工程建设" {
                    "建筑工程"
                } else {
                    "商贸"
                },
            );
            let workers = rng.range(3, if key { 120 } else { 30 });
            let amount = workers * rng.range(8_000, 25_000) / 100;
            let t = g.town(&mut rng);
            let closed = state == "已结案";
            out.push((
                on,
                row(
                    state,
                    json!({
                        "title": format!("{company}拖欠{workers}名农民工工资"),
                        "company": company, "credit_code": code, "industry": industry,
                        "project_name": (industry == "工程建设").then(|| format!("{}{}项目", t.name.trim_end_matches("（演示）"), rng.pick(&["安置小区", "道路改造", "厂房建设", "学校建设"]))),
                        "level": if key { "重点" } else { "一般" },
                        "workers": workers, "amount": wan(amount),
                        "source": *rng.pick(&["来信来访", "12345热线", "劳动保障监察", "排查发现", "上级交办", "网络舆情"]),
                        "received_on": on.to_string(), "township": t.code,
                        "unit": (state != "已受理").then(|| g.org.unit("人社局")),
                        "leader": key.then(|| g.org.executive()),
                        "deadline": deadline.to_string(),
                        "complainant": names::person(&mut rng), "complainant_phone": names::mobile(&mut rng),
                        "measures": closed.then_some("约谈企业负责人，责令限期支付，动用工资保证金"),
                        "paid_amount": closed.then(|| wan(amount)),
                        "closed_on": closed.then(|| add(on, rng.range(5, limit)).min(today()).to_string()),
                        "result": closed.then_some("拖欠工资已全额支付，农民工签字确认"),
                    }),
                ),
            ));
        }
    }
    sorted(out)
}

// ---------------------------------------------------------------- duty log

fn duty_log(g: &Gen<'_>) -> Vec<Row> {
    let mut rng = g.rng("duty_log");
    let me = g.org.executive();
    let mut out = Dated::new();
    let entry = |on: Date, kind: &str, meeting: Option<&str>, presided: bool, topic: String, extra: Value| {
        let mut v = json!({
            "leader": me, "kind": kind, "meeting_kind": meeting, "presided": presided,
            "held_on": on.to_string(), "topic": topic,
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        (on, plain(v))
    };
    for year in [2025i16, 2026] {
        let (from, to) = year_span(year);
        let last_month: i8 = if year == 2026 { 11 } else { 12 };
        // Meetings with counts in the seed (2026): 欠薪协调 9, 交通消防推进 8 presided (+1 attended).
        let (wage_n, traffic_n) = if year == 2026 { (9, 8) } else { (7, 6) };
        for i in 0..wage_n {
            let on = date(year, (1 + i * 11 / wage_n) as i8, rng.range(5, 25) as i8).min(to);
            out.push(entry(on, "会议", Some("欠薪协调会议"), true, format!("召开重点欠薪案件协调会议（第{}次）", i + 1), json!({"units": "人社局、住建局、信访局、公安分局", "unit": g.org.unit("人社局"), "location": "县政府第一会议室", "outcome": "逐案研究解决方案，明确责任单位和办结时限"})));
        }
        for i in 0..traffic_n {
            let on = date(year, (1 + i * 11 / traffic_n) as i8, rng.range(5, 25) as i8).min(to);
            out.push(entry(on, "会议", Some("交通消防安全推进会议"), true, format!("主持召开全县道路交通和消防安全工作推进会议（第{}次）", i + 1), json!({"units": "公安分局、交通运输局、消防救援大队、应急管理局、各乡镇", "unit": g.org.unit("应急管理局"), "location": "县政府第二会议室"})));
        }
        out.push(entry(
            between(&mut rng, from, to),
            "会议",
            Some("交通消防安全推进会议"),
            false,
            "参加全市道路交通安全工作电视电话会议".into(),
            json!({"location": "县政府视频会议室"}),
        ));
        for m in 1..=last_month {
            let on = date(year, m, rng.range(3, 12) as i8).min(to);
            out.push(entry(
                on,
                "会议",
                Some("财税金融座谈会"),
                true,
                format!("召开{m}月财税金融座谈会，研究财税收入形势"),
                json!({"units": "财政局、税务局、人民银行、各金融机构", "unit": g.org.unit("财政局")}),
            ));
        }
        for i in 0..6 {
            let on = between(&mut rng, from, to);
            out.push(entry(
                on,
                "会议",
                Some("信访联席会议"),
                true,
                format!("召开信访工作联席会议（第{}次）", i + 1),
                json!({"unit": g.org.unit("信访局")}),
            ));
        }
        for _ in 0..10 {
            let on = between(&mut rng, from, to);
            out.push(entry(
                on,
                "会议",
                Some("项目推进会"),
                true,
                "主持召开重点项目建设推进会".into(),
                json!({"unit": g.org.unit("发改局")}),
            ));
        }
        // Trips (2026: 2, meeting 15 companies).
        let trips: &[(&str, i64, i8)] = if year == 2026 {
            &[("赴长三角、珠三角外出招商", 8, 4), ("赴京津冀、山东外出招商", 7, 9)]
        } else {
            &[("赴长三角外出招商", 6, 5)]
        };
        for (topic, met, month) in trips {
            let on = date(year, *month, 10);
            out.push(entry(on, "外出招商", None, false, topic.to_string(), json!({"end_on": add(on, 6).to_string(), "location": topic.trim_start_matches('赴').trim_end_matches("外出招商"), "companies_met": met, "units": "投资促进局、发改局、商务局", "outcome": "开展务实考察洽谈，达成一批合作意向"})));
        }
        let kinds: &[(&str, usize, &[&str])] = &[
            (
                "学习",
                18,
                &[
                    "参加县政府党组理论学习中心组学习",
                    "专题学习党的二十大精神",
                    "学习《习近平著作选读》",
                ],
            ),
            (
                "调研",
                22,
                &[
                    "深入园区企业调研税源培植",
                    "到乡镇调研项目建设",
                    "调研商贸物流发展",
                    "调研就业和社会保障工作",
                ],
            ),
            (
                "现场办公",
                12,
                &[
                    "在物流港项目现场办公",
                    "在钢材市场项目现场办公",
                    "在生态园项目现场办公",
                    "在木材市场项目现场办公",
                ],
            ),
            (
                "督查",
                10,
                &[
                    "督查重点项目百日攻坚进展",
                    "督查安全生产隐患整改",
                    "督查欠薪问题清理整治",
                ],
            ),
            ("接访", 12, &["县级领导接访日接待来访群众", "下访化解重点信访案件"]),
        ];
        for (kind, n, topics) in kinds {
            for _ in 0..*n {
                let on = between(&mut rng, from, to);
                let t = g.town(&mut rng);
                out.push(entry(
                    on,
                    kind,
                    None,
                    false,
                    rng.pick(topics).to_string(),
                    json!({"township": t.code}),
                ));
            }
        }
    }
    // A few entries of the 县长, so that indicators must filter by leader.
    let head = g.org.leaders.first().copied().unwrap_or(me);
    for i in 0..4 {
        let on = date(2026, 3 + i * 2, 16);
        out.push((
            on,
            plain(
                json!({"leader": head, "kind": "会议", "meeting_kind": "交通消防安全推进会议", "presided": true,
                "held_on": on.to_string(), "topic": "主持召开县政府安全生产委员会全体会议"}),
            ),
        ));
    }
    sorted(out)
}
