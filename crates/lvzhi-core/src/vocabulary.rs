//! The words county ledgers use for the same thing: pack data
//! (`vocabulary.toml`) that header matching on import reads (lvzhi-io's
//! `mapping`). The core only holds it; it never matches anything itself.
//!
//! * `synonyms` — groups of words or phrases that mean the same in a ledger
//!   header; the first of each group is the form the others are read as
//!   (整改 for 治理, 受理 for 受案, 期限 for 时限).
//! * `fillers` — words that add nothing to a header (开始 in 巡河开始日期).
//! * `qualifiers` — words that change what a header means (计划, 累计, 上年):
//!   a header carrying one that the field's name does not is never mapped
//!   without the clerk, only suggested.
//! * `joiners` — words joining two names in one header (或, 及, 和, 、, /).
//! * `units` — unit words a header may end with outside brackets (万元, 个).
//! * `derive` — where a field a sheet lacks may be taken from (发现日期 from
//!   检查时间); `division_from` — headers whose text may name the township.

use serde::{Deserialize, Serialize};

/// Header vocabulary of a pack (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Groups of words meaning the same; the first is the canonical form.
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    /// Words dropped from headers.
    #[serde(default)]
    pub fillers: Vec<String>,
    /// Words that change a header's meaning.
    #[serde(default)]
    pub qualifiers: Vec<String>,
    /// Words joining two names in one header.
    #[serde(default)]
    pub joiners: Vec<String>,
    /// Unit words a header may end with.
    #[serde(default)]
    pub units: Vec<String>,
    /// Where a field a sheet lacks may be taken from.
    #[serde(default)]
    pub derive: Vec<DeriveRule>,
    /// Words of headers whose text may name the township (地址, 地点, 单位…): a
    /// sheet without a 乡镇 column takes it from a township name inside them.
    #[serde(default)]
    pub division_from: Vec<String>,
}

/// A field a sheet lacks, taken from another column: 发现日期 from 检查时间.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveRule {
    /// The ledger's key.
    pub ledger: String,
    /// The field's key.
    pub field: String,
    /// Headers to take it from, in order of preference.
    pub from: Vec<String>,
}

impl Vocabulary {
    /// Parses `vocabulary.toml`; a group needs at least two words.
    pub fn from_toml(text: &str) -> Result<Vocabulary, String> {
        let v: Vocabulary = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(g) = v
            .synonyms
            .iter()
            .find(|g| g.len() < 2 || g.iter().any(String::is_empty))
        {
            return Err(format!("同义词组“{}”至少要有两个非空的词", g.join("、")));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_groups() {
        let v = Vocabulary::from_toml("synonyms = [[\"整改\", \"治理\"]]\nfillers = [\"开始\"]\n").unwrap();
        assert_eq!(v.synonyms[0], ["整改", "治理"]);
        assert!(Vocabulary::from_toml("synonyms = [[\"整改\"]]").is_err());
        assert!(Vocabulary::from_toml("bogus = 1").is_err());
    }
}
