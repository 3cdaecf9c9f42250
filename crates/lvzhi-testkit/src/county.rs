//! A small sample county: 肃州区 with three townships, three units, a leader
//! and one user per role (password `password1` for all).

use lvzhi_core::access::{Access, Role};
use lvzhi_store::Store;
use lvzhi_store::auth::NewUser;
use lvzhi_store::org::{DEPARTMENT, Division, TOWNSHIP};
use serde_json::{Map, Value, json};

/// The password of every sample user.
pub const PASSWORD: &str = "Lvzhi#test1";

/// Ids and accesses of the sample county.
pub struct County {
    pub yingji: i64,
    pub xidong: i64,
    pub qingshui: i64,
    pub leader_person: i64,
    pub users: Vec<(String, Access)>,
}

impl County {
    /// The access of a sample user by name.
    pub fn access(&self, name: &str) -> Access {
        self.users
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .expect("sample user")
    }
}

/// Users: name, role, unit.
pub const USERS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, ""),
    ("office", Role::Office, ""),
    ("leader", Role::Leader, ""),
    ("clerk_xd", Role::UnitClerk, "西洞镇人民政府"),
    ("head_xd", Role::UnitHead, "西洞镇人民政府"),
    ("clerk_qs", Role::UnitClerk, "清水镇人民政府"),
    ("clerk_yj", Role::UnitClerk, "应急管理局"),
    ("head_yj", Role::UnitHead, "应急管理局"),
    ("auditor", Role::Auditor, ""),
    ("secadmin", Role::SecAdmin, ""),
    ("auditadmin", Role::AuditAdmin, ""),
    ("evaluator", Role::Evaluator, ""),
];

/// Builds the sample county in an empty store.
pub async fn build(store: &Store) -> County {
    let sys = Store::system_access();
    // The sample accounts log in straight away: no forced change at first login
    // (tests of the forced change switch it back on).
    // Nor a second factor (its tests switch it on).
    let mut policy = store.policy();
    policy.first_login_change = false;
    policy.totp_roles.clear();
    store.set_policy(&sys, &policy).await.expect("policy");
    let d = |code: &str, name: &str, level: i64, parent: Option<&str>| Division {
        code: code.into(),
        name: name.into(),
        level,
        parent: parent.map(str::to_string),
    };
    store
        .import_divisions(
            &sys,
            &[
                d("620902", "肃州区", 1, None),
                d("620902100", "西洞镇", 2, Some("620902")),
                d("620902101", "清水镇", 2, Some("620902")),
                d("620902102", "总寨镇", 2, Some("620902")),
                d("620902100201", "西洞村", 3, Some("620902100")),
            ],
        )
        .await
        .unwrap();
    let yingji = store.add_unit(&sys, "应急管理局", DEPARTMENT, None).await.unwrap();
    let xidong = store
        .add_unit(&sys, "西洞镇人民政府", TOWNSHIP, Some("620902100"))
        .await
        .unwrap();
    let qingshui = store
        .add_unit(&sys, "清水镇人民政府", TOWNSHIP, Some("620902101"))
        .await
        .unwrap();
    let leader_person = store
        .add_person(&sys, "演示领导", "常务副县长", None, true)
        .await
        .unwrap();
    store.set_oversight(&sys, leader_person, &[yingji]).await.unwrap();
    let mut users = vec![];
    for (name, role, unit) in USERS {
        let unit_id = match *unit {
            "应急管理局" => Some(yingji),
            "西洞镇人民政府" => Some(xidong),
            "清水镇人民政府" => Some(qingshui),
            _ => None,
        };
        let id = store
            .add_user(
                &sys,
                &NewUser {
                    username: name.to_string(),
                    display_name: name.to_string(),
                    password: PASSWORD.into(),
                    role: *role,
                    unit_id,
                    division: None,
                    person_id: if *role == Role::Leader {
                        Some(leader_person)
                    } else {
                        None
                    },
                },
            )
            .await
            .unwrap();
        let (a, _) = store.access_for(id).await.unwrap();
        users.push((name.to_string(), a));
    }
    County {
        yingji,
        xidong,
        qingshui,
        leader_person,
        users,
    }
}

/// The fields of a valid hazard in a township, with a responsible unit.
pub fn hazard(township: &str, unit: i64, description: &str) -> Map<String, Value> {
    json!({
        "description": description,
        "company": "演示建材有限公司",
        "credit_code": "91350100M000100Y43",
        "industry": "工贸",
        "grade": "一般",
        "township": township,
        "responsible_unit": unit,
        "found_on": "2026-11-20",
        "contact_phone": "13812345678"
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}
