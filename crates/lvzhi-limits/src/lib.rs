//! # lvzhi-limits — hostile input bounded before memory is spent
//!
//! Every file a user hands lvzhi (an import sheet, a report to check) is read
//! within limits that are checked *before* the reader allocates: a 2.8 MB
//! xlsx can hold a 971 MB sheet, a 1.5 MB one a shared-strings table that
//! takes 1.6 GB once parsed, and a `.docx` the same. This crate holds
//!
//! * the limits themselves, with their defaults, side by side:
//!   [`ZipLimits`] (the container), [`SheetLimits`] (xlsx/xls/csv import),
//!   [`DocxLimits`] (the checker's `.docx` upload);
//! * [`Archive`], a zip reader that refuses a container whose central
//!   directory declares too much, and that counts the bytes while inflating
//!   (the directory can lie) — [`Archive::entry`] stops at the limit;
//! * [`LimitError`], whose Chinese message names the limit that was hit
//!   ("文件解压后超过 200MB 上限").
//!
//! The limits are plain structs with public fields: callers that need more
//! (a benchmark importing a million rows) raise them; the defaults suit a
//! county's ledgers and reports and keep one upload well under 200 MB of
//! memory.

use std::fmt;
use std::io::{Cursor, Read};

/// 1 MiB.
pub const MIB: u64 = 1024 * 1024;

/// Limits on a zip container (xlsx, docx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// The most entries (files) in the archive.
    pub max_entries: usize,
    /// The most bytes all entries may inflate to, together (declared and counted).
    pub max_unzipped_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 10_000,
            max_unzipped_bytes: 200 * MIB,
        }
    }
}

/// Limits on an import sheet (xlsx, xls, csv). Defaults: a ledger of up to
/// 2,000,000 cells (e.g. 50,000 rows of 40 columns), each cell within Excel's
/// own 32,767 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// The container (xlsx).
    pub zip: ZipLimits,
    /// The most bytes of the file itself (the CLI checks this before reading it).
    pub max_file_bytes: u64,
    /// The most rows (Excel's own limit by default).
    pub max_rows: usize,
    /// The most columns (a ledger has a few dozen).
    pub max_columns: usize,
    /// The most cells held: the sum of every row's width up to its last
    /// non-empty cell, so a sparse sheet cannot make the reader allocate more.
    pub max_cells: usize,
    /// The most characters in one cell (Excel's own limit).
    pub max_cell_chars: usize,
    /// The most bytes of text in all cells together (UTF-8).
    pub max_text_bytes: usize,
    /// The most entries in an xlsx shared-strings table (declared or present).
    pub max_shared_strings: usize,
    /// The most merged regions.
    pub max_merges: usize,
    /// The longest XML tag or text run in an xlsx part, in bytes (the XML
    /// reader holds one whole in memory), and the longest CSV line.
    pub max_token_bytes: usize,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits {
            zip: ZipLimits::default(),
            max_file_bytes: 100 * MIB,
            max_rows: 1_048_576,
            max_columns: 1024,
            max_cells: 2_000_000,
            max_cell_chars: 32_767,
            max_text_bytes: 64 * MIB as usize,
            max_shared_strings: 1_000_000,
            max_merges: 100_000,
            max_token_bytes: MIB as usize,
        }
    }
}

impl SheetLimits {
    /// The defaults, with these environment variables (whole numbers) raising
    /// or lowering them for `lvzhi import` and `lvzhi serve`:
    /// `LVZHI_IMPORT_MAX_FILE_MB`, `LVZHI_IMPORT_MAX_UNZIPPED_MB`,
    /// `LVZHI_IMPORT_MAX_CELLS`, `LVZHI_IMPORT_MAX_COLUMNS`,
    /// `LVZHI_IMPORT_MAX_ROWS`, `LVZHI_IMPORT_MAX_TEXT_MB`,
    /// `LVZHI_IMPORT_MAX_SHARED_STRINGS`. A value that is not a number is ignored.
    pub fn from_env() -> SheetLimits {
        let var = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse::<u64>().ok());
        let mut l = SheetLimits::default();
        if let Some(v) = var("LVZHI_IMPORT_MAX_FILE_MB") {
            l.max_file_bytes = v.saturating_mul(MIB);
        }
        if let Some(v) = var("LVZHI_IMPORT_MAX_UNZIPPED_MB") {
            l.zip.max_unzipped_bytes = v.saturating_mul(MIB);
        }
        if let Some(v) = var("LVZHI_IMPORT_MAX_TEXT_MB") {
            l.max_text_bytes = usize::try_from(v.saturating_mul(MIB)).unwrap_or(usize::MAX);
        }
        let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        if let Some(v) = var("LVZHI_IMPORT_MAX_CELLS") {
            l.max_cells = size(v);
        }
        if let Some(v) = var("LVZHI_IMPORT_MAX_COLUMNS") {
            l.max_columns = size(v);
        }
        if let Some(v) = var("LVZHI_IMPORT_MAX_ROWS") {
            l.max_rows = size(v);
        }
        if let Some(v) = var("LVZHI_IMPORT_MAX_SHARED_STRINGS") {
            l.max_shared_strings = size(v);
        }
        l
    }

    /// Limits for trusted bulk loads (benchmarks): a million-row ledger fits.
    pub fn bulk() -> SheetLimits {
        SheetLimits {
            zip: ZipLimits {
                max_entries: 10_000,
                max_unzipped_bytes: 8 * 1024 * MIB,
            },
            max_file_bytes: 4 * 1024 * MIB,
            max_cells: 64_000_000,
            max_text_bytes: 4 * 1024 * MIB as usize,
            max_shared_strings: 32_000_000,
            ..SheetLimits::default()
        }
    }
}

/// Limits on a `.docx` whose text is extracted (the checker's upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocxLimits {
    /// The container.
    pub zip: ZipLimits,
    /// The most bytes `word/document.xml` may inflate to.
    pub max_xml_bytes: u64,
    /// The most bytes of text extracted (UTF-8); a long report is ~100 KB.
    pub max_text_bytes: usize,
}

impl Default for DocxLimits {
    fn default() -> Self {
        DocxLimits {
            zip: ZipLimits::default(),
            max_xml_bytes: 32 * MIB,
            max_text_bytes: 2 * MIB as usize,
        }
    }
}

/// A size for messages: "200MB", "512KB", "100 字节".
pub fn human_bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{}MB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{}KB", n / 1024)
    } else if n >= MIB {
        format!("{:.1}MB", n as f64 / MIB as f64)
    } else {
        format!("{n} 字节")
    }
}

/// Why a container was refused. The message is Chinese, then English, and
/// names the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    /// Not a zip archive, or a damaged one.
    NotZip(String),
    /// More entries than [`ZipLimits::max_entries`].
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// The entries inflate (or declare they do) to more than the limit.
    Unzipped {
        /// The limit in bytes.
        limit: u64,
    },
    /// One entry inflates to more than its own limit.
    Entry {
        /// The entry's name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// No entry of that name.
    Missing(String),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::NotZip(e) => write!(f, "压缩文件已损坏，无法读取 / not a valid zip archive: {e}"),
            LimitError::TooManyEntries { limit } => {
                write!(f, "压缩文件内的文件超过 {limit} 个上限 / more than {limit} entries")
            }
            LimitError::Unzipped { limit } => write!(
                f,
                "文件解压后超过 {} 上限 / the file inflates to more than {}",
                human_bytes(*limit),
                human_bytes(*limit)
            ),
            LimitError::Entry { name, limit } => write!(
                f,
                "文件中的 {name} 解压后超过 {} 上限 / {name} inflates to more than {}",
                human_bytes(*limit),
                human_bytes(*limit)
            ),
            LimitError::Missing(name) => write!(f, "文件中缺少 {name} / {name} missing"),
        }
    }
}

impl std::error::Error for LimitError {}

/// A zip archive in memory whose central directory has been checked against
/// [`ZipLimits`]; entries are read through [`Archive::entry`], which counts.
pub struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    limits: ZipLimits,
    /// Bytes inflated so far, all entries together.
    spent: u64,
}

impl<'a> Archive<'a> {
    /// Opens `bytes` as a zip: refuses more entries than allowed, or declared
    /// sizes over the limit (each and together).
    pub fn open(bytes: &'a [u8], limits: ZipLimits) -> Result<Archive<'a>, LimitError> {
        if let Some(n) = declared_entries(bytes)
            && n > limits.max_entries as u64
        {
            return Err(LimitError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| LimitError::NotZip(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(LimitError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let mut declared: u64 = 0;
        for i in 0..zip.len() {
            let f = zip.by_index_raw(i).map_err(|e| LimitError::NotZip(e.to_string()))?;
            declared = declared.saturating_add(f.size());
            if declared > limits.max_unzipped_bytes {
                return Err(LimitError::Unzipped {
                    limit: limits.max_unzipped_bytes,
                });
            }
        }
        Ok(Archive { zip, limits, spent: 0 })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.zip.len()
    }

    /// Whether the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.zip.len() == 0
    }

    /// The name of entry `i`.
    pub fn name(&self, i: usize) -> Option<String> {
        self.zip.name_for_index(i).and_then(Result::ok).map(|n| n.into_owned())
    }

    /// The index of the entry named `name` (exactly), if any.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.zip.index_for_name(name)
    }

    /// Streams entry `i` into `sink` in chunks, counting: refuses an entry
    /// that declares more than `max` bytes, and stops with an error
    /// once the entry passes `max` bytes or all entries together pass the
    /// archive's limit. Returns the entry's inflated size.
    pub fn entry(
        &mut self,
        i: usize,
        max: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), LimitError>,
    ) -> Result<u64, LimitError> {
        let total_limit = self.limits.max_unzipped_bytes;
        let mut f = self.zip.by_index(i).map_err(|e| LimitError::NotZip(e.to_string()))?;
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        if f.size() > max {
            return Err(LimitError::Entry { name, limit: max });
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut n: u64 = 0;
        loop {
            let got = f.read(&mut buf).map_err(|e| LimitError::NotZip(e.to_string()))?;
            if got == 0 {
                break;
            }
            n += got as u64;
            self.spent += got as u64;
            if self.spent > total_limit {
                return Err(LimitError::Unzipped { limit: total_limit });
            }
            if n > max {
                return Err(LimitError::Entry { name, limit: max });
            }
            sink(buf.get(..got).unwrap_or_default())?;
        }
        Ok(n)
    }

    /// Reads the entry named `name` whole, within `max` bytes (and the
    /// archive's limit).
    pub fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, LimitError> {
        let i = self
            .index_of(name)
            .ok_or_else(|| LimitError::Missing(name.to_string()))?;
        let mut out = Vec::new();
        self.entry(i, max, &mut |chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(out)
    }
}

/// The entry count the end-of-central-directory record declares (None when
/// it is not found): read before the zip reader allocates a slot per entry.
/// A ZIP64 archive (count 0xFFFF) is left to the zip reader and the check
/// after it.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = bytes.len().saturating_sub(22 + 65_535);
    let tail = bytes.get(from..)?;
    let at = tail.windows(4).rposition(|w| w == EOCD)?;
    let rec = tail.get(at..at + 22)?;
    let total = u16::from_le_bytes([*rec.get(10)?, *rec.get(11)?]);
    if total == 0xFFFF { None } else { Some(u64::from(total)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip with the given (name, content) entries, deflated.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn declared_sizes_over_the_limit_are_refused_before_reading() {
        let big = vec![b'a'; 3 * MIB as usize];
        let z = zip_of(&[("a.xml", &big)]);
        assert!(z.len() < 100 * 1024, "deflated small: {}", z.len());
        let limits = ZipLimits {
            max_entries: 10,
            max_unzipped_bytes: 2 * MIB,
        };
        let Err(e) = Archive::open(&z, limits) else {
            panic!("opened")
        };
        assert_eq!(e, LimitError::Unzipped { limit: 2 * MIB });
        assert!(e.to_string().starts_with("文件解压后超过 2MB 上限"), "{e}");
        assert!(Archive::open(&z, ZipLimits::default()).is_ok());
    }

    #[test]
    fn inflating_is_counted() {
        let big = vec![b'a'; 3 * MIB as usize];
        let z = zip_of(&[("a.xml", &big), ("b.xml", &big)]);
        // Each entry within its own limit, both together over the archive's.
        let limits = ZipLimits {
            max_entries: 10,
            max_unzipped_bytes: 4 * MIB,
        };
        let Err(LimitError::Unzipped { .. }) = Archive::open(&z, limits) else {
            panic!("declared")
        };
        let mut a = Archive::open(&z, ZipLimits::default()).unwrap();
        let r = a.read("a.xml", 1000);
        assert!(
            matches!(r, Err(LimitError::Entry { ref name, limit: 1000 }) if name == "a.xml"),
            "{r:?}"
        );
        assert!(
            r.unwrap_err()
                .to_string()
                .starts_with("文件中的 a.xml 解压后超过 1000 字节 上限")
        );
        assert_eq!(a.read("b.xml", 3 * MIB).unwrap().len(), 3 * MIB as usize);
    }

    #[test]
    fn a_lying_directory_is_stopped_while_inflating() {
        // Rewrite the declared uncompressed size (local header and central
        // directory) to 10 bytes: reading stops at once, nothing big is held.
        let big = vec![b'a'; 3 * MIB as usize];
        let mut z = zip_of(&[("a.xml", &big)]);
        let size = (3 * MIB as u32).to_le_bytes();
        let mut patched = 0;
        for i in 0..z.len().saturating_sub(4) {
            if z[i..i + 4] == size {
                z[i..i + 4].copy_from_slice(&10u32.to_le_bytes());
                patched += 1;
            }
        }
        assert!(patched >= 2, "patched {patched}");
        let mut a = Archive::open(&z, ZipLimits::default()).unwrap();
        let mut seen = 0u64;
        let r = a.entry(0, MIB, &mut |c| {
            seen += c.len() as u64;
            Ok(())
        });
        assert!(r.is_err(), "{r:?}");
        assert!(seen <= 64 * 1024, "{seen}");
    }

    #[test]
    fn too_many_entries() {
        let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"x".as_slice())).collect();
        let z = zip_of(&entries);
        assert_eq!(declared_entries(&z), Some(20));
        let limits = ZipLimits {
            max_entries: 10,
            max_unzipped_bytes: MIB,
        };
        assert_eq!(
            Archive::open(&z, limits).err(),
            Some(LimitError::TooManyEntries { limit: 10 })
        );
        let mut a = Archive::open(&z, ZipLimits::default()).unwrap();
        assert_eq!(a.len(), 20);
        assert_eq!(a.read("f3", 10).unwrap(), b"x");
        assert_eq!(a.read("nope", 10), Err(LimitError::Missing("nope".into())));
        assert!(matches!(
            Archive::open(b"not a zip", limits),
            Err(LimitError::NotZip(_))
        ));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(200 * MIB), "200MB");
        assert_eq!(human_bytes(512 * 1024), "512KB");
        assert_eq!(human_bytes(100), "100 字节");
    }
}
