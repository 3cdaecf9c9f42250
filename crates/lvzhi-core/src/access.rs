//! Roles, scopes and the one rule that decides what a user may see.
//!
//! **Invariant:** nothing outside a user's scope is visible or writable. The
//! store turns an [`Access`] into an SQL condition for lists and counts and
//! calls [`Access::sees`] for single records; both follow the rules here, and
//! the store's tests check that the two agree.

use serde::{Deserialize, Serialize};

/// A role. Every user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: units, people, users' existence, configuration; sees
    /// everything in the ledgers. Not roles, security policy or the audit log
    /// (三员分立, GB/T 22239-2019 8.1.4.2).
    Admin,
    /// 政府办/督查室: dispatches, supervises, sees the whole county.
    Office,
    /// 县级领导: sees the units they oversee (分管) and the items they own (包挂/包案).
    Leader,
    /// 经办人: enters and handles the items of their unit.
    UnitClerk,
    /// 部门/乡镇负责人: approves their unit's items.
    UnitHead,
    /// 纪委/审计: reads everything, including the event log; writes nothing.
    Auditor,
    /// 测评人: fills an assessment ballot; sees no ledger.
    Evaluator,
    /// 安全管理员: roles and scopes, the password and lockout policy,
    /// unlocking, second-factor requirements and resets; sees no ledger.
    SecAdmin,
    /// 审计管理员: reads and exports the audit log and verifies the chain;
    /// nothing else.
    AuditAdmin,
}

impl Role {
    /// All roles, in display order.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::SecAdmin,
        Role::AuditAdmin,
        Role::Office,
        Role::Leader,
        Role::UnitClerk,
        Role::UnitHead,
        Role::Auditor,
        Role::Evaluator,
    ];

    /// The role's Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Office => "政府办（督查室）",
            Role::Leader => "县级领导",
            Role::UnitClerk => "经办人",
            Role::UnitHead => "单位负责人",
            Role::Auditor => "审计监督",
            Role::Evaluator => "测评人",
            Role::SecAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }

    /// The key used in the API and pack files (`unit_clerk`).
    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Office => "office",
            Role::Leader => "leader",
            Role::UnitClerk => "unit_clerk",
            Role::UnitHead => "unit_head",
            Role::Auditor => "auditor",
            Role::Evaluator => "evaluator",
            Role::SecAdmin => "sec_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    /// Parses a role key.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == s)
    }

    /// The three separated administrators (三员): 系统管理员, 安全管理员,
    /// 审计管理员. Each holds one of these roles and no other (a user has one
    /// role); only the security administrator changes who holds them.
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::Admin | Role::SecAdmin | Role::AuditAdmin)
    }

    /// Whether the role reads ledgers at all (not the evaluator, nor the
    /// security and audit administrators).
    pub fn sees_ledgers(self) -> bool {
        !matches!(self, Role::Evaluator | Role::SecAdmin | Role::AuditAdmin)
    }

    /// Whether the role reads the whole audit log (审计): the audit
    /// administrator and 纪委/审计 supervision, nobody else.
    pub fn reads_audit_log(self) -> bool {
        matches!(self, Role::AuditAdmin | Role::Auditor)
    }

    /// Whether the role may write anything at all.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Office | Role::UnitClerk | Role::UnitHead | Role::Leader
        )
    }
}

/// What a signed-in user is, for access decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    /// The user's id.
    pub user_id: i64,
    /// The user's login name.
    pub username: String,
    /// The role.
    pub role: Role,
    /// The unit of a clerk or unit head.
    pub unit: Option<i64>,
    /// For units that are township governments: the township's division code;
    /// for county-wide roles limited to part of the county: that subtree.
    pub division: Option<String>,
    /// The person behind the user (leaders: for 包挂 items).
    pub person: Option<i64>,
    /// For leaders: the units they oversee (分管).
    pub oversees: Vec<i64>,
}

/// The parts of a record that decide who sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordScope<'a> {
    /// Responsible unit.
    pub unit: Option<i64>,
    /// Unit that entered the record.
    pub source_unit: Option<i64>,
    /// Division code.
    pub division: Option<&'a str>,
    /// Owning leader.
    pub owner: Option<i64>,
    /// 协办 units: they see the record (and their 分管 leaders do) but do not
    /// handle it. Empty where the reader does not care (a new record, the
    /// metrics, which count by the responsible unit only).
    pub co_units: &'a [i64],
}

impl Access {
    /// Whether the user reads the whole county (subject to `division`).
    pub fn county_wide(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Office | Role::Auditor)
    }

    /// Whether the user may see a record with this scope: they handle it
    /// ([`Access::handles`]), or their unit is one of its 协办 units, or (a
    /// leader) they oversee one of its 协办 units.
    pub fn sees(&self, r: &RecordScope<'_>) -> bool {
        self.handles(r) || self.is_co_reader(r)
    }

    /// Whether the user sees the record only through its 协办 units: their
    /// unit is a 协办 unit (clerks, heads) or they oversee one (leaders).
    /// Such users read it and add 协办意见; they do not edit it or move it.
    pub fn is_co_reader(&self, r: &RecordScope<'_>) -> bool {
        match self.role {
            Role::Leader => r.co_units.iter().any(|u| self.oversees.contains(u)),
            Role::UnitClerk | Role::UnitHead => self.unit.is_some_and(|u| r.co_units.contains(&u)),
            _ => false,
        }
    }

    /// Whether the user may give a 协办意见 on the record: a clerk or head of
    /// one of its 协办 units (that unit).
    pub fn co_unit_of(&self, r: &RecordScope<'_>) -> Option<i64> {
        match self.role {
            Role::UnitClerk | Role::UnitHead => self.unit.filter(|u| r.co_units.contains(u)),
            _ => None,
        }
    }

    /// Whether the record is in the user's own scope, the one writes need:
    /// the rule of [`Access::sees`] without the 协办 units (its responsible
    /// unit, the unit that entered it, the owning leader, the division).
    pub fn handles(&self, r: &RecordScope<'_>) -> bool {
        let in_division = |d: &Option<String>| match (d, r.division) {
            (Some(prefix), Some(code)) => code.starts_with(prefix.as_str()),
            _ => false,
        };
        match self.role {
            Role::Admin | Role::Office | Role::Auditor => self.division.is_none() || in_division(&self.division),
            Role::Leader => {
                r.unit.is_some_and(|u| self.oversees.contains(&u))
                    || (r.owner.is_some() && r.owner == self.person)
                    || in_division(&self.division)
            }
            Role::UnitClerk | Role::UnitHead => {
                (self.unit.is_some() && (r.unit == self.unit || r.source_unit == self.unit))
                    || in_division(&self.division)
            }
            Role::Evaluator | Role::SecAdmin | Role::AuditAdmin => false,
        }
    }

    /// Whether the user may put a record into this division when creating or
    /// editing it: township staff only within their township.
    pub fn may_place_in(&self, division: Option<&str>) -> bool {
        match (&self.division, self.role) {
            (_, Role::Evaluator | Role::Auditor | Role::SecAdmin | Role::AuditAdmin) => false,
            (Some(prefix), _) => division.is_none_or(|d| d.starts_with(prefix.as_str())),
            (None, _) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(role: Role) -> Access {
        Access {
            user_id: 1,
            username: "u".into(),
            role,
            unit: Some(10),
            division: None,
            person: Some(5),
            oversees: vec![20],
        }
    }

    fn rec(unit: i64, source: i64, div: &str, owner: Option<i64>) -> RecordScope<'_> {
        RecordScope {
            unit: Some(unit),
            source_unit: Some(source),
            division: Some(div),
            owner,
            co_units: &[],
        }
    }

    #[test]
    fn co_units_see_but_do_not_handle() {
        let co = [10, 30];
        let r = RecordScope {
            co_units: &co,
            ..rec(99, 99, "620902100", None)
        };
        for role in [Role::UnitClerk, Role::UnitHead] {
            let a = access(role);
            assert!(a.sees(&r) && !a.handles(&r) && a.is_co_reader(&r));
            assert_eq!(a.co_unit_of(&r), Some(10));
            let mut other = access(role);
            other.unit = Some(11);
            assert!(!other.sees(&r) && other.co_unit_of(&r).is_none());
        }
        // A leader overseeing a 协办 unit (20 here) reads it but gives no opinion.
        let co = [20];
        let r = RecordScope {
            co_units: &co,
            ..rec(99, 99, "620902100", None)
        };
        let l = access(Role::Leader);
        assert!(l.sees(&r) && !l.handles(&r) && l.co_unit_of(&r).is_none());
        // The responsible unit handles it; the office handles everything.
        let r = RecordScope {
            co_units: &co,
            ..rec(10, 99, "620902100", None)
        };
        let a = access(Role::UnitClerk);
        assert!(a.handles(&r) && !a.is_co_reader(&r));
        assert!(access(Role::Office).handles(&r) && !access(Role::Office).is_co_reader(&r));
        assert!(!access(Role::Evaluator).sees(&r));
    }

    #[test]
    fn county_roles_see_all_or_their_subtree() {
        assert!(access(Role::Office).sees(&rec(99, 99, "620902100", None)));
        assert!(access(Role::Auditor).sees(&rec(99, 99, "620902100", None)));
        let mut a = access(Role::Office);
        a.division = Some("620902101".into());
        assert!(!a.sees(&rec(99, 99, "620902100", None)));
        assert!(a.sees(&rec(99, 99, "620902101203", None)));
    }

    #[test]
    fn clerks_see_their_unit_and_township() {
        let mut a = access(Role::UnitClerk);
        assert!(a.sees(&rec(10, 99, "620902100", None)));
        assert!(a.sees(&rec(99, 10, "620902100", None)));
        assert!(!a.sees(&rec(99, 98, "620902100", None)));
        a.division = Some("620902100".into());
        assert!(a.sees(&rec(99, 98, "620902100201", None)));
        assert!(!a.sees(&rec(99, 98, "620902101201", None)));
        assert!(a.may_place_in(Some("620902100201")));
        assert!(!a.may_place_in(Some("620902101")));
    }

    #[test]
    fn leaders_see_oversight_and_owned_items() {
        let a = access(Role::Leader);
        assert!(a.sees(&rec(20, 99, "620902100", None)));
        assert!(a.sees(&rec(99, 99, "620902100", Some(5))));
        assert!(!a.sees(&rec(99, 99, "620902100", Some(6))));
        assert!(!access(Role::Evaluator).sees(&rec(10, 10, "620902100", Some(5))));
    }

    #[test]
    fn security_and_audit_administrators_see_no_ledger() {
        for r in [Role::SecAdmin, Role::AuditAdmin] {
            assert!(!access(r).sees(&rec(10, 10, "620902100", Some(5))));
            assert!(!access(r).may_place_in(Some("620902100")));
            assert!(!r.sees_ledgers() && !r.writes() && r.is_administrator());
        }
        assert!(Role::Admin.is_administrator() && !Role::Admin.reads_audit_log());
        assert!(Role::AuditAdmin.reads_audit_log() && !Role::SecAdmin.reads_audit_log());
    }

    #[test]
    fn role_keys_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
