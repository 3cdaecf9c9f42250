//! The organisation: divisions (GB/T 2260), units, people and 分管.

use crate::db::P;
use crate::writer::{Cmd, Out};
use crate::{Store, StoreError};
use lvzhi_core::access::Access;
use serde::Serialize;
use serde_json::json;

/// A division (行政区划).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Division {
    /// GB/T 2260 code: 6 digits (county), 9 (township), 12 (village).
    pub code: String,
    /// Name.
    pub name: String,
    /// 1 county, 2 township, 3 village.
    pub level: i64,
    /// Parent code.
    pub parent: Option<String>,
}

/// A unit: a department or a township government.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Id.
    pub id: i64,
    /// Name (应急管理局, 西洞镇人民政府).
    pub name: String,
    /// 部门 or 乡镇.
    pub kind: String,
    /// For a township government: its division code.
    pub division: Option<String>,
}

/// A person (a post holder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Post (常务副县长).
    pub post: String,
    /// Unit.
    pub unit_id: Option<i64>,
    /// A county leader.
    pub is_leader: bool,
    /// Units overseen (分管).
    pub oversees: Vec<i64>,
}

/// The unit kind of a township government.
pub const TOWNSHIP: &str = "乡镇";
/// The unit kind of a department.
pub const DEPARTMENT: &str = "部门";

impl Store {
    /// Loads divisions (all or nothing, one event for the lot).
    pub async fn import_divisions(&self, actor: &Access, rows: &[Division]) -> Result<(), StoreError> {
        let mut statements = Vec::with_capacity(rows.len());
        for d in rows {
            if !matches!(d.code.len(), 6 | 9 | 12) || !d.code.chars().all(|c| c.is_ascii_digit()) {
                return Err(StoreError::BadRequest(format!("行政区划代码“{}”无效", d.code)));
            }
            statements.push((
                "INSERT INTO divisions (code, name, level, parent) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name"
                    .to_string(),
                vec![
                    P::T(d.code.clone()),
                    P::T(d.name.clone()),
                    P::I(d.level),
                    P::OT(d.parent.clone()),
                ],
            ));
        }
        let data =
            json!({"count": rows.len(), "first": rows.first().map(|d| &d.code), "last": rows.last().map(|d| &d.code)});
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements,
                kind: "org.divisions".into(),
                entity: "division".into(),
                entity_id: None,
                data,
            })
            .await?;
        Ok(())
    }

    /// Adds a unit; returns its id.
    pub async fn add_unit(
        &self,
        actor: &Access,
        name: &str,
        kind: &str,
        division: Option<&str>,
    ) -> Result<i64, StoreError> {
        admin_only(actor)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::BadRequest("单位名称不能为空".into()));
        }
        if kind != TOWNSHIP && kind != DEPARTMENT {
            return Err(StoreError::BadRequest(format!(
                "单位类型应为“{DEPARTMENT}”或“{TOWNSHIP}”"
            )));
        }
        let out = self
            .writer
            .send(Cmd::Insert {
                actor: actor.clone(),
                sql: "INSERT INTO units (name, kind, division) VALUES ($1, $2, $3) RETURNING id".into(),
                params: vec![
                    P::T(name.into()),
                    P::T(kind.into()),
                    P::OT(division.map(str::to_string)),
                ],
                kind: "org.unit.add".into(),
                entity: "unit".into(),
                data: json!({"name": name, "kind": kind, "division": division}),
            })
            .await?;
        first_id(out)
    }

    /// Adds a person; returns the id.
    pub async fn add_person(
        &self,
        actor: &Access,
        name: &str,
        post: &str,
        unit: Option<i64>,
        is_leader: bool,
    ) -> Result<i64, StoreError> {
        admin_only(actor)?;
        let out = self
            .writer
            .send(Cmd::Insert {
                actor: actor.clone(),
                sql: "INSERT INTO people (name, post, unit_id, is_leader) VALUES ($1, $2, $3, $4) RETURNING id".into(),
                params: vec![
                    P::T(name.trim().into()),
                    P::T(post.into()),
                    P::OI(unit),
                    P::B(is_leader),
                ],
                kind: "org.person.add".into(),
                entity: "person".into(),
                data: json!({"name": name.trim(), "post": post, "unit": unit, "leader": is_leader}),
            })
            .await?;
        first_id(out)
    }

    /// Sets the units a leader oversees (分管), replacing the previous set.
    pub async fn set_oversight(&self, actor: &Access, person: i64, units: &[i64]) -> Result<(), StoreError> {
        admin_only(actor)?;
        let mut statements = vec![(
            "DELETE FROM oversight WHERE person_id = $1".to_string(),
            vec![P::I(person)],
        )];
        for u in units {
            statements.push((
                "INSERT INTO oversight (person_id, unit_id) VALUES ($1, $2)".to_string(),
                vec![P::I(person), P::I(*u)],
            ));
        }
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements,
                kind: "org.oversight".into(),
                entity: "person".into(),
                entity_id: Some(person.to_string()),
                data: json!({"units": units}),
            })
            .await?;
        Ok(())
    }

    /// Divisions under a prefix (all when empty).
    pub async fn divisions(&self, prefix: &str) -> Result<Vec<Division>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT code, name, level, parent FROM divisions WHERE code LIKE $1 ORDER BY code",
                &[P::T(format!(
                    "{}%",
                    prefix.chars().filter(char::is_ascii_digit).collect::<String>()
                ))],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Division {
                code: r.t(0),
                name: r.t(1),
                level: r.i(2),
                parent: r.ot(3),
            })
            .collect())
    }

    /// All units.
    pub async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows("SELECT id, name, kind, division FROM units ORDER BY sort, id", &[])
            .await?;
        Ok(rows
            .iter()
            .map(|r| Unit {
                id: r.i(0),
                name: r.t(1),
                kind: r.t(2),
                division: r.ot(3),
            })
            .collect())
    }

    /// All people, with the units each oversees.
    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT id, name, post, unit_id, is_leader FROM people ORDER BY sort, id",
                &[],
            )
            .await?;
        let ov = c
            .conn()
            .rows("SELECT person_id, unit_id FROM oversight ORDER BY unit_id", &[])
            .await?;
        Ok(rows
            .iter()
            .map(|r| Person {
                id: r.i(0),
                name: r.t(1),
                post: r.t(2),
                unit_id: r.oi(3),
                is_leader: r.b(4),
                oversees: ov.iter().filter(|o| o.i(0) == r.i(0)).map(|o| o.i(1)).collect(),
            })
            .collect())
    }
}

fn admin_only(a: &Access) -> Result<(), StoreError> {
    if matches!(
        a.role,
        lvzhi_core::access::Role::Admin | lvzhi_core::access::Role::Office
    ) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("只有管理员或政府办可以维护组织机构".into()))
    }
}

fn first_id(out: Out) -> Result<i64, StoreError> {
    match out {
        Out::Ids(ids) => ids.first().copied().ok_or_else(|| StoreError::Internal("no id".into())),
        _ => Err(StoreError::Internal("unexpected writer output".into())),
    }
}

/// Parses the embedded division lists (GB/T 2260, from the china-division
/// package) and returns the county `code` and its townships.
pub fn county_divisions(code: &str, areas_csv: &str, streets_csv: &str) -> Result<Vec<Division>, StoreError> {
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    let county = areas_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.first().map(|c| unquote(c)) == Some(code.to_string()))
        .ok_or_else(|| StoreError::NotFound(format!("找不到区划代码为{code}的县（区）")))?;
    let mut out = vec![Division {
        code: code.into(),
        name: unquote(county.get(1).unwrap_or(&"")),
        level: 1,
        parent: None,
    }];
    for l in streets_csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() >= 3 && unquote(f[2]) == code {
            out.push(Division {
                code: unquote(f[0]),
                name: unquote(f[1]),
                level: 2,
                parent: Some(code.into()),
            });
        }
    }
    Ok(out)
}

/// GB/T 2260 counties (6-digit codes), from china-division 2.7.0 (WTFPL).
pub const AREAS_CSV: &str = include_str!("../data/divisions/areas.csv");
/// GB/T 2260 townships (9-digit codes), from china-division 2.7.0 (WTFPL).
pub const STREETS_CSV: &str = include_str!("../data/divisions/streets.csv");

/// A real county and its townships from the embedded division list.
pub fn embedded_county(code: &str) -> Result<Vec<Division>, StoreError> {
    county_divisions(code, AREAS_CSV, STREETS_CSV)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suzhou_district_has_its_townships() {
        let d = super::embedded_county("620902").unwrap();
        assert_eq!(d[0].name, "肃州区");
        assert!(
            d.iter()
                .any(|x| x.code == "620902100" && x.name == "西洞镇" && x.level == 2)
        );
        assert!(d.len() > 20);
        assert!(super::embedded_county("999999").is_err());
    }
}
