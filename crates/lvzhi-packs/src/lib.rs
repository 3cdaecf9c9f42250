//! The standard county pack, embedded.
//!
//! The files under `packs/county/` at the repository root are data, not code:
//! a county office adds or changes a ledger there. This crate embeds them in the
//! binary (also in debug builds) so that lvzhi runs with nothing beside it.

use lvzhi_core::ledger::{Pack, PackError};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../packs/county/"]
struct County;

/// Every file of the county pack as `(path, text)`, paths relative to the pack folder.
pub fn county_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = County::iter()
        .filter_map(|p| {
            let f = County::get(&p)?;
            let text = String::from_utf8(f.data.into_owned()).ok()?;
            Some((p.to_string(), text))
        })
        .collect();
    files.sort();
    files
}

/// The county pack, parsed and checked.
pub fn county() -> Result<Pack, PackError> {
    Pack::from_files(&county_files())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_county_pack_loads_and_checks() {
        let pack = super::county().unwrap();
        assert!(pack.ledger("hazard").is_some());
        for l in &pack.ledgers {
            assert!(!l.fields.is_empty(), "{}", l.key);
        }
    }
}
