//! Annual targets (年度目标任务) as the indicators read them: a target
//! indicator (`mode = "target"`) reads the year's approved 统计报表 row of its
//! statistic at the county, so setting a target writes exactly such a row
//! (after voiding the year's previous one, with the change as the reason) —
//! every change stays in the records and the event log. The ledger and its
//! fields are named here once, beside the metrics engine's own
//! [`lvzhi_metrics::eval::STAT_LEDGER`]; pages only parse the form and show.

use super::App;
use lvzhi_core::access::Access;
use lvzhi_metrics::eval::STAT_LEDGER;
use lvzhi_store::StoreError;
use lvzhi_store::records::ListQuery;
use serde_json::{Map, Value, json};

/// The state a target row is placed in (the one the indicators read).
const APPROVED: &str = "已审核";

/// The year's live target row of a statistic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    /// The record.
    pub id: i64,
    /// Its version.
    pub version: i64,
    /// The value as entered (18.92).
    pub value: String,
    /// Its measure (亿元).
    pub measure: String,
}

/// A target to set.
#[derive(Debug, Clone)]
pub struct NewTarget<'a> {
    /// The target indicator's id (the row's tag).
    pub indicator: &'a str,
    /// Its statistic's name.
    pub statistic: &'a str,
    /// Its category (the row's 领域 when the pack offers it).
    pub category: &'a str,
    /// The year.
    pub year: i16,
    /// The value, digits only.
    pub value: &'a str,
    /// Its measure.
    pub measure: &'a str,
    /// Who sets it (preparer and reviewer).
    pub who: &'a str,
}

/// What setting a target did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSet {
    /// The same value was already set; nothing written.
    Unchanged,
    /// Written (the previous row voided first).
    Written,
}

impl App {
    /// The county's division code: the initialised county, else the first county-level division.
    pub async fn county_code(&self) -> Result<String, StoreError> {
        if let Some(c) = self.store.meta("initialized").await?.filter(|c| c.len() == 6) {
            return Ok(c);
        }
        Ok(self
            .store
            .divisions("")
            .await?
            .into_iter()
            .find(|d| d.level == 1)
            .map(|d| d.code)
            .unwrap_or_default())
    }

    /// The year's live target row of `statistic` at `county`, as `a` sees it.
    pub async fn target_row(
        &self,
        a: &Access,
        statistic: &str,
        year: i16,
        county: &str,
    ) -> Result<Option<TargetRow>, StoreError> {
        let q = ListQuery {
            state: Some(APPROVED.into()),
            q: Some(statistic.to_string()),
            limit: Some(200),
            ..ListQuery::default()
        };
        let page = self.store.list(a, STAT_LEDGER, &q).await?;
        let y = year.to_string();
        let text = |f: &Map<String, Value>, k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(page
            .items
            .iter()
            .filter(|v| {
                let f = &v.row.fields;
                text(f, "indicator").as_deref() == Some(statistic)
                    && text(f, "period").as_deref() == Some(y.as_str())
                    && text(f, "division").as_deref() == Some(county)
            })
            .max_by_key(|v| v.row.id)
            .map(|v| {
                let f = &v.row.fields;
                TargetRow {
                    id: v.row.id,
                    version: v.row.version,
                    value: match f.get("value") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => String::new(),
                    },
                    measure: text(f, "measure").unwrap_or_default(),
                }
            }))
    }

    /// Sets a target: voids the year's previous row (the reason names the
    /// change) and writes the new one, approved and tagged `target:<id>`.
    pub async fn set_target(&self, a: &Access, t: &NewTarget<'_>) -> Result<TargetSet, StoreError> {
        let county = self.county_code().await?;
        let old = self.target_row(a, t.statistic, t.year, &county).await?;
        let new_text = format!("{}{}", t.value, t.measure);
        if let Some(o) = &old
            && format!("{}{}", o.value, o.measure) == new_text
        {
            return Ok(TargetSet::Unchanged);
        }
        let domain = self
            .pack()
            .ledger(STAT_LEDGER)
            .and_then(|k| k.field("domain"))
            .and_then(|fd| fd.values.iter().find(|v| **v == t.category).cloned())
            .unwrap_or_else(|| "其他".into());
        let today = self.store.today().to_string();
        let mut fields = Map::new();
        for (k, v) in [
            ("indicator", json!(t.statistic)),
            ("domain", json!(domain)),
            ("period", json!(t.year.to_string())),
            ("division", json!(county)),
            ("value", json!(t.value)),
            ("measure", json!(t.measure)),
            ("source", json!("年度目标任务（管理页面设定）")),
            ("submitted_on", json!(today)),
            ("preparer", json!(t.who)),
            ("reviewed_by", json!(t.who)),
        ] {
            fields.insert(k.into(), v);
        }
        if let Some(unit) = a.unit {
            fields.insert("unit".into(), json!(unit));
        }
        if let Some(o) = &old {
            let reason = format!("调整{}年目标：由{}{}改为{new_text}", t.year, o.value, o.measure);
            self.store.void(a, o.id, o.version, &reason).await?;
        }
        self.store
            .create_many(
                a,
                STAT_LEDGER,
                vec![(fields, Some(APPROVED.into()))],
                Some(format!("target:{}", t.indicator)),
            )
            .await?;
        Ok(TargetSet::Written)
    }
}
