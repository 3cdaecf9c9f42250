//! Names to ids: 责任单位 "应急管理局" (or "应急局", "肃州区应急管理局") → a unit
//! id, 乡镇 "西洞镇" (or "西洞") → a division code, a person's name → an id;
//! and back, for exports. Built once from the store's org lists, then pure.

use crate::value::{CellRefusal, ErrorKind};
use lvzhi_store::Store;
use lvzhi_store::StoreError;
use lvzhi_store::org::{Division, Person, Unit};
use std::collections::HashMap;

/// The organisation, indexed by name.
#[derive(Debug, Clone, Default)]
pub struct OrgIndex {
    units: Vec<(i64, String)>,
    unit_by_name: HashMap<String, i64>,
    people: Vec<(i64, String)>,
    divisions: Vec<(String, String, i64)>,
    division_by_name: HashMap<String, Vec<usize>>,
    county_names: Vec<String>,
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

const UNIT_SUFFIXES: [&str; 3] = ["人民政府", "政府", "办事处"];
const DIVISION_SUFFIXES: [&str; 4] = ["镇", "乡", "街道", "街道办事处"];

/// Whether the chars of `short` occur in order in `long`, first and last alike.
fn abbreviates(short: &str, long: &str) -> bool {
    let (Some(sf), Some(lf)) = (short.chars().next(), long.chars().next()) else {
        return false;
    };
    if sf != lf || short.chars().last() != long.chars().last() {
        return false;
    }
    let mut it = long.chars();
    short.chars().all(|c| it.any(|x| x == c))
}

impl OrgIndex {
    /// From the org lists.
    pub fn new(units: &[Unit], people: &[Person], divisions: &[Division]) -> OrgIndex {
        let mut idx = OrgIndex::default();
        for u in units {
            idx.units.push((u.id, clean(&u.name)));
            idx.unit_by_name.insert(clean(&u.name), u.id);
        }
        idx.people = people.iter().map(|p| (p.id, clean(&p.name))).collect();
        for (i, d) in divisions.iter().enumerate() {
            idx.divisions.push((d.code.clone(), clean(&d.name), d.level));
            idx.division_by_name.entry(clean(&d.name)).or_default().push(i);
            if d.level == 1 {
                idx.county_names.push(clean(&d.name));
            }
        }
        idx
    }

    /// Loads the store's units, people and divisions.
    pub async fn load(store: &Store) -> Result<OrgIndex, StoreError> {
        Ok(OrgIndex::new(
            &store.units().await?,
            &store.people().await?,
            &store.divisions("").await?,
        ))
    }

    fn strip_county<'a>(&self, s: &'a str) -> &'a str {
        for c in &self.county_names {
            if let Some(rest) = s.strip_prefix(c.as_str())
                && !rest.is_empty()
            {
                return rest;
            }
        }
        for p in ["县", "区", "市"] {
            if let Some(rest) = s.strip_prefix(p)
                && rest.chars().count() >= 2
            {
                return rest;
            }
        }
        s
    }

    /// A unit's id from its name (or its id written as digits).
    pub fn unit(&self, text: &str) -> Result<i64, CellRefusal> {
        let t = clean(text);
        if let Ok(id) = t.parse::<i64>() {
            return if self.units.iter().any(|(i, _)| *i == id) {
                Ok(id)
            } else {
                Err(CellRefusal {
                    kind: ErrorKind::UnknownReference,
                    message: format!("单位编号{id}不存在"),
                })
            };
        }
        if let Some(id) = self.unit_by_name.get(&t) {
            return Ok(*id);
        }
        let t2 = self.strip_county(&t).to_string();
        if let Some(id) = self.unit_by_name.get(&t2) {
            return Ok(*id);
        }
        // 西洞镇 → 西洞镇人民政府
        let with_suffix: Vec<i64> = self
            .units
            .iter()
            .filter(|(_, n)| {
                UNIT_SUFFIXES.iter().any(|s| {
                    n.strip_suffix(s)
                        .is_some_and(|b| b == t2 || t2.strip_suffix(s) == Some(b))
                })
            })
            .map(|(id, _)| *id)
            .collect();
        if let [one] = with_suffix.as_slice() {
            return Ok(*one);
        }
        // 应急局 → 应急管理局
        let abbr: Vec<&(i64, String)> = self.units.iter().filter(|(_, n)| abbreviates(&t2, n)).collect();
        match abbr.as_slice() {
            [one] => Ok(one.0),
            [] => Err(CellRefusal {
                kind: ErrorKind::UnknownReference,
                message: format!("单位“{}”不存在，请先在组织机构中添加或改用全称", text.trim()),
            }),
            many => Err(CellRefusal {
                kind: ErrorKind::AmbiguousReference,
                message: format!(
                    "单位“{}”可能是{}，请写全称",
                    text.trim(),
                    many.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join("或")
                ),
            }),
        }
    }

    /// A person's id from the name (or the id written as digits).
    pub fn person(&self, text: &str) -> Result<i64, CellRefusal> {
        let t = clean(text);
        if let Ok(id) = t.parse::<i64>() {
            return if self.people.iter().any(|(i, _)| *i == id) {
                Ok(id)
            } else {
                Err(CellRefusal {
                    kind: ErrorKind::UnknownReference,
                    message: format!("人员编号{id}不存在"),
                })
            };
        }
        let found: Vec<i64> = self.people.iter().filter(|(_, n)| *n == t).map(|(id, _)| *id).collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(CellRefusal {
                kind: ErrorKind::UnknownReference,
                message: format!("人员“{}”不存在", text.trim()),
            }),
            many => Err(CellRefusal {
                kind: ErrorKind::AmbiguousReference,
                message: format!("有{}位名为“{}”的人员，请改填编号", many.len(), text.trim()),
            }),
        }
    }

    /// A division's code from its name (or the code itself).
    pub fn division(&self, text: &str) -> Result<String, CellRefusal> {
        let t = clean(text);
        if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
            return if self.divisions.iter().any(|(c, _, _)| *c == t) {
                Ok(t)
            } else {
                Err(CellRefusal {
                    kind: ErrorKind::UnknownReference,
                    message: format!("行政区划代码“{t}”不存在"),
                })
            };
        }
        let pick = |idxs: &[usize]| -> Option<Result<String, CellRefusal>> {
            let top = idxs.iter().filter_map(|&i| self.divisions.get(i)).min_by_key(|d| d.2)?;
            let same_level = idxs
                .iter()
                .filter_map(|&i| self.divisions.get(i))
                .filter(|d| d.2 == top.2)
                .count();
            Some(if same_level == 1 {
                Ok(top.0.clone())
            } else {
                Err(CellRefusal {
                    kind: ErrorKind::AmbiguousReference,
                    message: format!("有{same_level}个名为“{}”的行政区划，请改填区划代码", text.trim()),
                })
            })
        };
        let t2 = self.strip_county(&t).to_string();
        for cand in [&t, &t2] {
            if let Some(r) = self.division_by_name.get(cand.as_str()).and_then(|v| pick(v)) {
                return r;
            }
        }
        // 西洞 → 西洞镇; 西洞镇人民政府 → 西洞镇
        let base = UNIT_SUFFIXES
            .iter()
            .find_map(|s| t2.strip_suffix(s))
            .unwrap_or(&t2)
            .to_string();
        let found: Vec<usize> = self
            .divisions
            .iter()
            .enumerate()
            .filter(|(_, (_, n, _))| {
                *n == base
                    || DIVISION_SUFFIXES
                        .iter()
                        .any(|s| n.strip_suffix(s) == Some(base.as_str()))
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(r) = pick(&found) {
            return r;
        }
        // 西洞镇红林村 (as pages show a village): the township, then a place under it.
        for (code, name, level) in &self.divisions {
            if *level != 2 {
                continue;
            }
            let Some(rest) = t2.strip_prefix(name.as_str()).filter(|r| !r.is_empty()) else {
                continue;
            };
            let under: Vec<usize> = self
                .divisions
                .iter()
                .enumerate()
                .filter(|(_, (c, n, _))| c.starts_with(code.as_str()) && c != code && n == rest)
                .map(|(i, _)| i)
                .collect();
            if let Some(r) = pick(&under) {
                return r;
            }
        }
        Err(CellRefusal {
            kind: ErrorKind::UnknownReference,
            message: format!("行政区划“{}”不存在", text.trim()),
        })
    }

    /// The township a text names ("西洞镇红林村三组", "西洞镇人民政府" → 西洞镇's code):
    /// the longest township name inside it, when only one township has that name.
    pub fn township_in(&self, text: &str) -> Option<String> {
        let t = clean(text);
        let mut best: Option<(usize, &str)> = None;
        let mut tie = false;
        for (code, name, level) in &self.divisions {
            if *level != 2 || name.chars().count() < 2 || !t.contains(name.as_str()) {
                continue;
            }
            let len = name.chars().count();
            match best {
                Some((l, _)) if l > len => {}
                Some((l, _)) if l == len => tie = true,
                _ => {
                    best = Some((len, code.as_str()));
                    tie = false;
                }
            }
        }
        if tie { None } else { best.map(|(_, c)| c.to_string()) }
    }

    /// A unit's name by id.
    pub fn unit_name(&self, id: i64) -> Option<&str> {
        self.units.iter().find(|(i, _)| *i == id).map(|(_, n)| n.as_str())
    }

    /// A person's name by id, when no one else has it (else the id is clearer).
    pub fn person_name(&self, id: i64) -> Option<&str> {
        let name = self.people.iter().find(|(i, _)| *i == id).map(|(_, n)| n.as_str())?;
        (self.people.iter().filter(|(_, n)| n == name).count() == 1).then_some(name)
    }

    /// The units' names, in the store's order (for a template's drop-down).
    pub fn unit_names(&self) -> Vec<&str> {
        self.units.iter().map(|(_, n)| n.as_str()).collect()
    }

    /// The people's names that name one person, in the store's order.
    pub fn person_names(&self) -> Vec<&str> {
        self.people.iter().filter_map(|(id, _)| self.person_name(*id)).collect()
    }

    /// The names of the divisions at `level` (2: townships) that the name alone
    /// finds again, in the store's order.
    pub fn division_names(&self, level: i64) -> Vec<&str> {
        self.divisions
            .iter()
            .filter(|(_, _, l)| *l == level)
            .filter_map(|(code, _, _)| self.division_name(code))
            .collect()
    }

    /// A division's name by code, when the name alone finds it again.
    pub fn division_name(&self, code: &str) -> Option<&str> {
        let (_, name, _) = self.divisions.iter().find(|(c, _, _)| c == code)?;
        (self.division(name).ok().as_deref() == Some(code)).then_some(name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx() -> OrgIndex {
        let u = |id, name: &str| Unit {
            id,
            name: name.into(),
            kind: "部门".into(),
            division: None,
        };
        let d = |code: &str, name: &str, level| Division {
            code: code.into(),
            name: name.into(),
            level,
            parent: None,
        };
        let p = |id, name: &str| Person {
            id,
            name: name.into(),
            post: String::new(),
            unit_id: None,
            is_leader: false,
            oversees: vec![],
        };
        OrgIndex::new(
            &[
                u(1, "应急管理局"),
                u(2, "西洞镇人民政府"),
                u(3, "住房和城乡建设局"),
                u(4, "自然资源局"),
                u(5, "自然保护局"),
            ],
            &[p(1, "张三"), p(2, "李四"), p(3, "李四")],
            &[
                d("620902", "肃州区", 1),
                d("620902100", "西洞镇", 2),
                d("620902101", "清水镇", 2),
                d("620902100201", "西洞村", 3),
                d("620902101201", "新村", 3),
                d("620902100202", "新村", 3),
            ],
        )
    }

    #[test]
    fn every_name_form_a_page_shows() {
        let i = idx();
        // A village as pages show it: the township, then the village.
        assert_eq!(i.division("西洞镇新村"), Ok("620902100202".into()));
        assert_eq!(i.division("清水镇新村"), Ok("620902101201".into()));
        assert_eq!(i.division("肃州区西洞镇西洞村"), Ok("620902100201".into()));
        assert_eq!(
            i.division("新村").map_err(|e| e.kind),
            Err(ErrorKind::AmbiguousReference),
            "two villages are called 新村"
        );
        assert_eq!(i.township_in("西洞镇新村三组"), Some("620902100".into()));
        assert_eq!(i.township_in("清水镇人民政府"), Some("620902101".into()));
        assert_eq!(i.township_in("酒泉市某商贸公司"), None);
    }

    #[test]
    fn units_by_name() {
        let i = idx();
        assert_eq!(i.unit("应急管理局"), Ok(1));
        assert_eq!(i.unit(" 应急管理局 "), Ok(1));
        assert_eq!(i.unit("应急局"), Ok(1));
        assert_eq!(i.unit("肃州区应急管理局"), Ok(1));
        assert_eq!(i.unit("西洞镇"), Ok(2));
        assert_eq!(i.unit("住建局"), Ok(3));
        assert_eq!(i.unit("3"), Ok(3));
        assert_eq!(i.unit("7").map_err(|e| e.kind), Err(ErrorKind::UnknownReference));
        assert_eq!(i.unit("财政局").map_err(|e| e.kind), Err(ErrorKind::UnknownReference));
        assert_eq!(i.unit("自然局").map_err(|e| e.kind), Err(ErrorKind::AmbiguousReference));
    }

    #[test]
    fn divisions_and_people() {
        let i = idx();
        assert_eq!(i.division("西洞镇").as_deref(), Ok("620902100"));
        assert_eq!(i.division("西洞").as_deref(), Ok("620902100"));
        assert_eq!(i.division("肃州区西洞镇").as_deref(), Ok("620902100"));
        assert_eq!(i.division("西洞镇人民政府").as_deref(), Ok("620902100"));
        assert_eq!(i.division("西洞村").as_deref(), Ok("620902100201"));
        assert_eq!(i.division("620902101").as_deref(), Ok("620902101"));
        assert_eq!(
            i.division("新村").map_err(|e| e.kind),
            Err(ErrorKind::AmbiguousReference)
        );
        assert_eq!(
            i.division("东风镇").map_err(|e| e.kind),
            Err(ErrorKind::UnknownReference)
        );
        assert_eq!(i.person("张三"), Ok(1));
        assert_eq!(i.person("李四").map_err(|e| e.kind), Err(ErrorKind::AmbiguousReference));
        assert_eq!(i.person("王五").map_err(|e| e.kind), Err(ErrorKind::UnknownReference));
        assert_eq!(i.unit_name(2), Some("西洞镇人民政府"));
        assert_eq!(i.division_name("620902100"), Some("西洞镇"));
        assert_eq!(i.division_name("620902101201"), None);
        assert_eq!(i.person_name(1), Some("张三"));
        assert_eq!(i.person_name(2), None);
    }
}
