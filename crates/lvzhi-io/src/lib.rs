//! # lvzhi-io — ledgers in and out of Excel and CSV
//!
//! Counties keep their ledgers in Excel (often made by WPS) and in GBK CSV;
//! this crate takes them as they are and gives them back.
//!
//! Import is two halves:
//! * pure — [`sheet`] reads xlsx/xls/csv into a [`Sheet`](sheet::Sheet) of
//!   cells (merged cells filled, encodings detected); [`mapping`] finds the
//!   header (title rows above it, one or two header rows) and maps columns to
//!   fields by label, alias or a saved [`Mapping`](mapping::Mapping);
//!   [`prepare`](prepare::prepare) turns every data row into validated field
//!   values — Excel date serials, "2026年3月5日", "21.6亿元", enum synonyms,
//!   unit/person/division names via [`org::OrgIndex`], 信用代码/身份证号 check
//!   digits — or one [`CellError`](prepare::CellError) per bad cell (row,
//!   column, reason), skipping blank rows, 合计 rows and notes. The web UI's
//!   preview and the CLI's `--dry-run` stop here.
//! * writing — [`import::write`] streams the rows to the store's bulk import
//!   (one event per record, tagged with the import).
//!
//! Export ([`export`]) writes any ledger list, as the reader may see it, to
//! xlsx or UTF-8-BOM CSV; [`export::error_workbook`] gives back an import
//! file with a 错误说明 column.
//!
//! **Invariant (design 5):** an import is all or nothing per file: nothing is
//! written while any row has an error (unless `skip_invalid`), and every
//! refused row is reported with row number, column and reason.
//!
//! **Invariant:** readers never panic on any input (fuzzed: `fuzz/fuzz_targets/
//! csv_reader.rs`, `xlsx_reader.rs`).

pub mod bounds;
pub mod cli;
pub mod export;
pub mod fill;
pub mod import;
pub mod mapping;
pub mod org;
pub mod prepare;
pub mod sheet;
pub mod template;
pub mod value;
pub mod vocab;

use lvzhi_core::access::Access;
use lvzhi_store::{Store, StoreError};

/// Why an import or export failed as a whole. Messages are Chinese, then English.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file cannot be read as a table.
    #[error("{0}")]
    Unreadable(String),
    /// The bytes are not in the encoding given (or any detected one).
    #[error("文件不是有效的{0}编码文本，可用 --encoding 指定编码 / not valid {0} text; try --encoding")]
    Encoding(String),
    /// No header row was found.
    #[error("{0}")]
    NoHeader(String),
    /// Required fields have no column.
    #[error(
        "缺少必填列：{}（表中没有、也无从推出；可用 --set 字段=值 为整个文件统一设定） / required columns missing (set one value for the file with --set FIELD=VALUE)",
        .0.join("、")
    )]
    MissingColumns(Vec<String>),
    /// A bad mapping file.
    #[error("列映射有误：{0} / bad mapping")]
    Mapping(String),
    /// The user may not import into this ledger.
    #[error("{0}")]
    Forbidden(String),
    /// No such ledger.
    #[error("台账“{0}”不存在 / no such ledger")]
    UnknownLedger(String),
    /// The store refused or failed.
    #[error("{0}")]
    Store(StoreError),
    /// Writing stopped part-way (chunked imports only).
    #[error(
        "写入中断，已提交{committed}条（导入标记 {tag}）：{source} / write failed after {committed} rows committed (tag {tag})"
    )]
    Write {
        /// Rows committed before the failure.
        committed: usize,
        /// The import's tag.
        tag: String,
        /// The store's error.
        source: StoreError,
    },
    /// Writing an xlsx failed.
    #[error("生成xlsx失败 / xlsx error: {0}")]
    Xlsx(String),
    /// Writing a CSV failed.
    #[error("生成CSV失败 / CSV error: {0}")]
    Csv(String),
    /// A file could not be read or written.
    #[error("文件读写失败 / I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The sheet (name or 1-based number); the first with data when None.
    pub sheet: Option<String>,
    /// The CSV encoding.
    pub encoding: sheet::Encoding,
    /// A saved mapping.
    pub mapping: mapping::Mapping,
    /// What the file may hold (size, cells, columns, text…); a file over a
    /// limit is refused before the memory is spent.
    pub limits: sheet::SheetLimits,
    /// The pack's header vocabulary ([`check_file`] takes the store's).
    pub vocabulary: lvzhi_core::vocabulary::Vocabulary,
    /// Values set for the whole file: (field key or label, value) — `--set 字段=值`.
    pub set: Vec<(String, String)>,
    /// Who reads the messages: the CLI's hints name `--set`, the web page's its
    /// 统一设定 boxes.
    pub surface: Surface,
}

/// Where an import's messages are read, for the hints they give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Surface {
    /// `lvzhi import`: values are set with `--set 字段=值`.
    #[default]
    Cli,
    /// The web import pages: values are set in the mapping screen's 统一设定.
    Web,
}

impl Surface {
    /// How to give a required field (`label`) one value for the whole file.
    pub fn set_hint(self, label: &str) -> String {
        match self {
            Surface::Cli => format!("可用 --set {label}=值 统一设定"),
            Surface::Web => format!("可在“核对列”一步的“统一设定”中为整个文件填写“{label}”"),
        }
    }
}

impl IoError {
    /// The message in Chinese for `surface`: as [`Display`](std::fmt::Display)'s
    /// Chinese half, with the hints the surface's user can follow.
    pub fn message_for(&self, surface: Surface) -> String {
        match (self, surface) {
            (IoError::MissingColumns(labels), Surface::Web) => format!(
                "缺少必填列：{}（表中没有、也无从推出）。请在下表“导入为”一栏为这些字段选择对应的列，\
                 或在表下“统一设定”中为整个文件填一个值",
                labels.join("、")
            ),
            _ => {
                let s = self.to_string();
                s.split(" / ").next().unwrap_or(&s).to_string()
            }
        }
    }
}

/// A file read and checked, ready to preview or write.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The cells as read (for the error copy).
    pub sheet: sheet::Sheet,
    /// The validated rows and the errors.
    pub prepared: prepare::Prepared,
}

/// Reads and checks a file against a ledger (no writes). The org lists come
/// from the store; everything after that is pure.
pub async fn check_file(
    store: &Store,
    access: &Access,
    ledger: &str,
    bytes: &[u8],
    file_name: &str,
    opts: &ReadOptions,
) -> Result<Checked, IoError> {
    let kind = store
        .pack()
        .ledger(ledger)
        .ok_or_else(|| IoError::UnknownLedger(ledger.to_string()))?;
    prepare::check_role(kind, access)?;
    let org = org::OrgIndex::load(store).await.map_err(IoError::Store)?;
    if opts.vocabulary == lvzhi_core::vocabulary::Vocabulary::default() {
        let opts = ReadOptions {
            vocabulary: store.pack().vocabulary.clone(),
            ..opts.clone()
        };
        return check_bytes(kind, &org, access, bytes, file_name, &opts);
    }
    check_bytes(kind, &org, access, bytes, file_name, opts)
}

/// [`check_file`] with the org already loaded: pure.
pub fn check_bytes(
    kind: &lvzhi_core::ledger::LedgerKind,
    org: &org::OrgIndex,
    access: &Access,
    bytes: &[u8],
    file_name: &str,
    opts: &ReadOptions,
) -> Result<Checked, IoError> {
    check_bytes_streaming(kind, org, access, bytes, file_name, opts, &mut |_| true)
}

/// [`check_bytes`], handing the good rows to `sink` block by block while the
/// rest is checked (see [`prepare::prepare_streaming`]).
pub fn check_bytes_streaming(
    kind: &lvzhi_core::ledger::LedgerKind,
    org: &org::OrgIndex,
    access: &Access,
    bytes: &[u8],
    file_name: &str,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(&[&prepare::GoodRow]) -> bool,
) -> Result<Checked, IoError> {
    let sheet = sheet::read_bytes_with(bytes, file_name, opts.sheet.as_deref(), opts.encoding, &opts.limits)?;
    let layout = mapping::find_layout_with(&sheet, kind, &opts.vocabulary, &opts.mapping)?;
    let set = opts
        .set
        .iter()
        .map(|(k, v)| fill::parse_set(kind, &format!("{k}={v}")))
        .collect::<Result<Vec<_>, _>>()?;
    let fills = fill::plan(kind, &layout, &opts.vocabulary, &set, access)?;
    let prepared = prepare::prepare_streaming(kind, &sheet, layout, &fills, org, access, opts.surface, sink)?;
    Ok(Checked { sheet, prepared })
}

/// Reads, checks and (unless a dry run, or errors without `skip_invalid`)
/// writes a file: the whole of `lvzhi import`.
///
/// A plain import (one transaction, all or nothing) is streamed: the rows
/// checked so far go to the store's bulk import while the rest of the file is
/// checked ([`import::import_streaming`]); a refused row anywhere rolls it all
/// back, as before.
#[allow(clippy::too_many_arguments)]
pub async fn import_file(
    store: &Store,
    access: &Access,
    ledger: &str,
    bytes: &[u8],
    file_name: &str,
    read: &ReadOptions,
    opts: &import::ImportOptions,
    progress: &mut dyn FnMut(import::Progress),
) -> Result<(Checked, import::ImportReport), IoError> {
    let mut opts = opts.clone();
    if opts.tag.is_none() {
        opts.tag = Some(import::make_tag(ledger, store.now(), bytes));
    }
    if !opts.dry_run && !opts.skip_invalid && opts.chunk_rows == 0 {
        return import::import_streaming(store, access, ledger, bytes, file_name, read, &opts, progress).await;
    }
    let checked = check_file(store, access, ledger, bytes, file_name, read).await?;
    let report = import::write(store, access, &checked.prepared, &opts, progress).await?;
    Ok((checked, report))
}
