//! The demo county's organisation: divisions (the real 肃州区 townships plus
//! synthetic ones and 186 synthetic villages), departments, township
//! governments, county leaders with their 分管, and one user per role.

use crate::names;
use crate::rng::Rng;
use crate::{DemoUser, SEED_COUNTY};
use lvzhi_core::access::Role;
use lvzhi_store::auth::NewUser;
use lvzhi_store::org::{DEPARTMENT, Division, TOWNSHIP};
use lvzhi_store::{Store, StoreError};
use std::collections::BTreeMap;

/// The departments of the demo county (short names, as the seed writes them)
/// and the post of their head.
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("政府办", "主任"),
    ("督查室", "主任"),
    ("发改局", "局长"),
    ("商务局", "局长"),
    ("投资促进局", "局长"),
    ("住建局", "局长"),
    ("财政局", "局长"),
    ("税务局", "局长"),
    ("人社局", "局长"),
    ("市场监管局", "局长"),
    ("公安分局", "局长"),
    ("应急管理局", "局长"),
    ("消防救援大队", "大队长"),
    ("司法局", "局长"),
    ("信访局", "局长"),
    ("水务局", "局长"),
    ("交通运输局", "局长"),
    ("统计局", "局长"),
    ("农业农村局", "局长"),
    ("自然资源局", "局长"),
    ("生态环境分局", "局长"),
    ("工信局", "局长"),
    ("文旅局", "局长"),
    ("教育局", "局长"),
    ("卫生健康局", "局长"),
    ("民政局", "局长"),
    ("审计局", "局长"),
];

/// The county leaders: post and the departments each oversees (分管).
/// The 常务副县长 is the author of the seed report.
pub const LEADERS: &[(&str, &[&str])] = &[
    ("县长", &["政府办", "督查室", "审计局", "统计局"]),
    (
        "常务副县长",
        &[
            "发改局",
            "财政局",
            "税务局",
            "商务局",
            "投资促进局",
            "人社局",
            "市场监管局",
            "公安分局",
            "应急管理局",
            "消防救援大队",
            "司法局",
            "信访局",
        ],
    ),
    ("副县长", &["住建局", "自然资源局", "交通运输局", "生态环境分局"]),
    ("副县长", &["农业农村局", "水务局"]),
    ("副县长", &["教育局", "卫生健康局", "民政局"]),
    ("副县长", &["工信局", "文旅局"]),
];

/// The synthetic township added to the 24 real ones (the seed has 25).
pub const SYNTHETIC_TOWNSHIP: (&str, &str) = ("620902208", "红柳乡（演示）");

/// The villages of the demo county (the seed: 186 行政村).
pub const VILLAGES: usize = 186;

/// A township-level division with its government and villages.
#[derive(Debug, Clone)]
pub struct Town {
    /// 9-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its government (a unit).
    pub unit: i64,
    /// Its head (a person: 镇长/乡长/主任), the 乡级河长.
    pub head: i64,
    /// Villages: (12-digit code, name).
    pub villages: Vec<(String, String)>,
    /// A rural township (镇/乡) rather than a 街道 or a park.
    pub rural: bool,
}

/// The organisation as built.
#[derive(Debug, Clone)]
pub struct Org {
    /// Townships in code order.
    pub towns: Vec<Town>,
    /// Departments by short name.
    pub units: BTreeMap<&'static str, i64>,
    /// County leaders' person ids, in [`LEADERS`] order.
    pub leaders: Vec<i64>,
    /// County leaders' names, in [`LEADERS`] order.
    pub leader_names: Vec<String>,
    /// The other counties of 酒泉市 (code, name).
    pub siblings: Vec<(String, String)>,
    /// Staff names (for 填报人, 验收人, 调解员…), by department.
    pub staff: BTreeMap<&'static str, Vec<String>>,
    /// Number of divisions, units and people created.
    pub counts: (usize, usize, usize),
}

impl Org {
    /// A department's id (0 if unknown, which the store then refuses).
    pub fn unit(&self, name: &str) -> i64 {
        self.units.get(name).copied().unwrap_or(0)
    }

    /// The 常务副县长.
    pub fn executive(&self) -> i64 {
        self.leaders.get(1).copied().unwrap_or(0)
    }

    /// A staff member's name of a department.
    pub fn staff_of(&self, rng: &mut Rng, unit: &str) -> String {
        match self.staff.get(unit) {
            Some(v) if !v.is_empty() => rng.pick(v).clone(),
            _ => "张明".into(),
        }
    }

    /// Rural townships (those with villages).
    pub fn rural(&self) -> Vec<&Town> {
        self.towns.iter().filter(|t| t.rural).collect()
    }
}

/// Loads divisions, units, people and 分管.
pub async fn build(store: &Store, seed: u64) -> Result<Org, StoreError> {
    let sys = Store::system_access();
    let mut rng = Rng::new(seed, "org");
    let mut divisions = lvzhi_store::org::embedded_county(SEED_COUNTY)?;
    divisions.push(Division {
        code: SYNTHETIC_TOWNSHIP.0.into(),
        name: SYNTHETIC_TOWNSHIP.1.into(),
        level: 2,
        parent: Some(SEED_COUNTY.into()),
    });
    divisions.sort_by(|a, b| a.code.cmp(&b.code));
    let towns_div: Vec<Division> = divisions.iter().filter(|d| d.level == 2).cloned().collect();
    let rural: Vec<&Division> = towns_div
        .iter()
        .filter(|d| d.name.ends_with('镇') || d.name.ends_with('乡') || d.name.ends_with("乡（演示）"))
        .collect();
    let weights: Vec<u64> = rural.iter().map(|_| 8 + rng.below(9)).collect();
    let per_town = crate::rng::split_by(VILLAGES as i64, &weights, 6);
    let mut taken = Vec::new();
    let mut village_map: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (t, n) in rural.iter().zip(per_town) {
        let names = names::villages(&mut rng, n as usize, &mut taken);
        let list: Vec<(String, String)> = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| (format!("{}{:03}", t.code, 201 + i), name))
            .collect();
        for (code, name) in &list {
            divisions.push(Division {
                code: code.clone(),
                name: name.clone(),
                level: 3,
                parent: Some(t.code.clone()),
            });
        }
        village_map.insert(t.code.clone(), list);
    }
    // The other counties of 酒泉市, for the city ranking of 社会消费品零售总额.
    let mut siblings = Vec::new();
    for code in ["620921", "620922", "620923", "620924", "620981", "620982"] {
        if let Some(c) = lvzhi_store::org::embedded_county(code)?.into_iter().next() {
            siblings.push((c.code.clone(), c.name.clone()));
            divisions.push(c);
        }
    }
    store.import_divisions(&sys, &divisions).await?;

    let mut units = BTreeMap::new();
    for (name, _) in DEPARTMENTS {
        units.insert(*name, store.add_unit(&sys, name, DEPARTMENT, None).await?);
    }
    let mut towns = Vec::new();
    let mut town_units = Vec::new();
    for d in &towns_div {
        let unit_name = if d.name.ends_with("街道") {
            format!("{}办事处", d.name)
        } else if d.name.ends_with('镇') || d.name.ends_with('乡') {
            format!("{}人民政府", d.name)
        } else if d.name.ends_with("（演示）") {
            format!("{}人民政府（演示）", d.name.trim_end_matches("（演示）"))
        } else {
            format!("{}管委会", d.name)
        };
        let id = store.add_unit(&sys, &unit_name, TOWNSHIP, Some(&d.code)).await?;
        town_units.push(id);
    }

    let mut used = Vec::new();
    let mut fresh_name = |rng: &mut Rng| {
        for _ in 0..100 {
            let n = names::person(rng);
            if !used.contains(&n) {
                used.push(n.clone());
                return n;
            }
        }
        names::person(rng)
    };
    let mut leaders = Vec::new();
    let mut leader_names = Vec::new();
    for (post, oversees) in LEADERS {
        let name = fresh_name(&mut rng);
        let id = store.add_person(&sys, &name, post, None, true).await?;
        let ids: Vec<i64> = oversees.iter().filter_map(|u| units.get(u).copied()).collect();
        store.set_oversight(&sys, id, &ids).await?;
        leaders.push(id);
        leader_names.push(name);
    }
    let mut staff = BTreeMap::new();
    for (name, post) in DEPARTMENTS {
        let person = fresh_name(&mut rng);
        store
            .add_person(&sys, &person, post, units.get(name).copied(), false)
            .await?;
        staff.insert(*name, (0..4).map(|_| fresh_name(&mut rng)).collect::<Vec<_>>());
    }
    for (d, unit) in towns_div.iter().zip(&town_units) {
        let post = if d.name.ends_with('镇') {
            "镇长"
        } else if d.name.contains('乡') {
            "乡长"
        } else {
            "主任"
        };
        let person = fresh_name(&mut rng);
        let head = store.add_person(&sys, &person, post, Some(*unit), false).await?;
        towns.push(Town {
            code: d.code.clone(),
            name: d.name.clone(),
            unit: *unit,
            head,
            rural: village_map.contains_key(&d.code),
            villages: village_map.get(&d.code).cloned().unwrap_or_default(),
        });
    }
    let counts = (
        divisions.len(),
        DEPARTMENTS.len() + towns.len(),
        LEADERS.len() + DEPARTMENTS.len() + towns.len(),
    );
    Ok(Org {
        towns,
        units,
        leaders,
        leader_names,
        siblings,
        staff,
        counts,
    })
}

/// Creates one user per role, with passwords derived from the seed.
pub async fn users(store: &Store, org: &Org, seed: u64) -> Result<Vec<DemoUser>, StoreError> {
    let sys = Store::system_access();
    // The demo's accounts are handed out with their passwords printed: they
    // are not forced to change them at first login (evented like any policy change).
    // Nor asked for a second factor: a demo is tried without phones (a
    // database made by `lvzhi init` asks the administrators and auditors for one).
    let mut policy = store.policy();
    if policy.first_login_change || !policy.totp_roles.is_empty() {
        policy.first_login_change = false;
        policy.totp_roles.clear();
        store.set_policy(&sys, &policy).await?;
    }
    let mut rng = Rng::new(seed, "users");
    let xidong = org.towns.iter().find(|t| t.code == "620902100").map(|t| t.unit);
    let yingji = org.units.get("应急管理局").copied();
    let exec_name = org.leader_names.get(1).cloned().unwrap_or_default();
    type Plan<'a> = (&'a str, String, Role, Option<i64>, Option<i64>, &'a str);
    let plan: Vec<Plan<'_>> = vec![
        ("admin", "系统管理员".into(), Role::Admin, None, None, ""),
        ("secadmin", "安全管理员".into(), Role::SecAdmin, None, None, ""),
        ("auditadmin", "审计管理员".into(), Role::AuditAdmin, None, None, ""),
        (
            "office",
            "政府办（督查室）".into(),
            Role::Office,
            org.units.get("政府办").copied(),
            None,
            "政府办",
        ),
        (
            "leader",
            format!("{exec_name}（常务副县长）"),
            Role::Leader,
            None,
            Some(org.executive()),
            "",
        ),
        (
            "xidong_clerk",
            "西洞镇经办人".into(),
            Role::UnitClerk,
            xidong,
            None,
            "西洞镇人民政府",
        ),
        (
            "xidong_head",
            "西洞镇负责人".into(),
            Role::UnitHead,
            xidong,
            None,
            "西洞镇人民政府",
        ),
        (
            "yingji_clerk",
            "应急管理局经办人".into(),
            Role::UnitClerk,
            yingji,
            None,
            "应急管理局",
        ),
        (
            "yingji_head",
            "应急管理局负责人".into(),
            Role::UnitHead,
            yingji,
            None,
            "应急管理局",
        ),
        ("auditor", "审计监督".into(), Role::Auditor, None, None, ""),
        ("evaluator", "测评人".into(), Role::Evaluator, None, None, ""),
    ];
    let mut out = Vec::new();
    for (username, display, role, unit, person, unit_name) in plan {
        let password = names::password(&mut rng);
        let id = store
            .add_user(
                &sys,
                &NewUser {
                    username: username.into(),
                    display_name: display.clone(),
                    password: password.clone(),
                    role,
                    unit_id: unit,
                    division: None,
                    person_id: person,
                },
            )
            .await?;
        out.push(DemoUser {
            id,
            username: username.into(),
            display_name: display,
            role,
            unit: (!unit_name.is_empty()).then(|| unit_name.to_string()),
            password,
        });
    }
    Ok(out)
}
