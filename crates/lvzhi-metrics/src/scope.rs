//! Scopes an indicator is computed over: the county, a township, a unit, a
//! leader's 分管 units, a leader's 包挂 items. A scope narrows the records;
//! the reader's own [`lvzhi_core::access::Access`] narrows them further
//! (both are AND-ed), so nobody gets a figure over records they cannot see.
//!
//! Syntax (CLI and API): `county` (default), `division:620902101` (or the bare
//! code), `unit:12`, `leader:5` (the units person 5 oversees), `owns:5` (the
//! items person 5 owns: 包挂/包案).

use std::fmt;

/// Where an indicator is computed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The whole county.
    County,
    /// A township or village (division code prefix).
    Division(String),
    /// A unit (responsible unit id).
    Unit(i64),
    /// The units a leader (person id) oversees (分管).
    Oversees(i64),
    /// The items a leader (person id) owns (包挂/包案).
    Owns(i64),
}

/// Why a scope string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("范围“{0}”无效（可选：county、division:行政区划代码、unit:单位编号、leader:人员编号、owns:人员编号）")]
pub struct ScopeError(pub String);

impl Scope {
    /// Parses the syntax above.
    pub fn parse(s: &str) -> Result<Scope, ScopeError> {
        let t = s.trim();
        let bad = || ScopeError(s.to_string());
        let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
        if t.is_empty() || t == "county" || t == "全县" {
            return Ok(Scope::County);
        }
        let (k, v) = match t.split_once(':') {
            Some(kv) => kv,
            None if digits(t) => ("division", t),
            None => return Err(bad()),
        };
        let id = || v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(bad);
        match k {
            "division" if digits(v) && matches!(v.len(), 6 | 9 | 12) => Ok(Scope::Division(v.to_string())),
            "unit" => Ok(Scope::Unit(id()?)),
            "leader" | "oversees" => Ok(Scope::Oversees(id()?)),
            "owns" | "baogua" => Ok(Scope::Owns(id()?)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::County => f.write_str("county"),
            Scope::Division(c) => write!(f, "division:{c}"),
            Scope::Unit(u) => write!(f, "unit:{u}"),
            Scope::Oversees(p) => write!(f, "leader:{p}"),
            Scope::Owns(p) => write!(f, "owns:{p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        for s in ["county", "division:620902101", "unit:12", "leader:5", "owns:5"] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Scope::parse("").unwrap(), Scope::County);
        assert_eq!(Scope::parse("620902").unwrap(), Scope::Division("620902".into()));
        assert!(Scope::parse("unit:x").is_err());
        assert!(Scope::parse("division:12").is_err());
        assert!(Scope::parse("town:1").is_err());
        assert!(Scope::parse("unit:0").is_err());
    }
}
