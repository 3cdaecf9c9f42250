//! `lvzhi import` and `lvzhi export`: the binary parses the arguments into
//! [`ImportArgs`] / [`ExportArgs`] and calls [`run_import`] / [`run_export`].
//! Messages are bilingual (Chinese / English); progress goes to stderr as one
//! rewritten line with rows/s and the time left.
//!
//! Exit codes: 0 done; 1 the file had refused rows (nothing written, or with
//! `--skip-invalid` the rest written); 2 usage, file or database error.

use crate::IoError;
use crate::export::{ExportFormat, error_workbook, export};
use crate::import::{ImportOptions, Progress, import_streaming, make_tag, write};
use crate::mapping::Mapping;
use crate::sheet::Encoding;
use crate::{ReadOptions, check_file};
use lvzhi_core::access::Access;
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// The arguments of `lvzhi import`.
#[derive(Debug, Clone, Default)]
pub struct ImportArgs {
    /// Ledger key (hazard…).
    pub ledger: String,
    /// The file (.xlsx, .xls, .csv).
    pub file: PathBuf,
    /// Sheet name or 1-based number.
    pub sheet: Option<String>,
    /// A saved mapping (TOML).
    pub mapping: Option<PathBuf>,
    /// Save the mapping found to this file.
    pub save_mapping: Option<PathBuf>,
    /// CSV encoding: auto, utf-8, gbk, gb18030.
    pub encoding: Option<String>,
    /// Check only.
    pub dry_run: bool,
    /// Import the good rows, report the rest.
    pub skip_invalid: bool,
    /// Import as this user (default: the system administrator).
    pub as_user: Option<String>,
    /// Write the input with a 错误说明 column here when rows are refused
    /// (default: FILE.错误.xlsx beside the input).
    pub errors_xlsx: Option<PathBuf>,
    /// Rows per transaction (0: the whole file in one).
    pub chunk: usize,
    /// Print the report as JSON on stdout.
    pub json: bool,
    /// Values for the whole file, `字段=值` (field label or key): for fields the
    /// sheet lacks, and for its empty cells.
    pub set: Vec<String>,
}

/// The arguments of `lvzhi export`.
#[derive(Debug, Clone, Default)]
pub struct ExportArgs {
    /// Ledger key.
    pub ledger: String,
    /// Output file: .xlsx or .csv.
    pub output: PathBuf,
    /// Export as this user (scope and masking are theirs).
    pub as_user: Option<String>,
    /// The list's filters (state, unit, division, from/to, warning, q…).
    pub query: ListQuery,
}

/// The access of `--as USER`, or the system administrator's.
pub async fn access_as(store: &Store, user: Option<&str>) -> Result<Access, IoError> {
    let Some(name) = user else {
        return Ok(Store::system_access());
    };
    let users = store.users().await.map_err(IoError::Store)?;
    let u = users
        .iter()
        .find(|u| u.username == name)
        .ok_or_else(|| IoError::Forbidden(format!("用户“{name}”不存在 / no such user")))?;
    if u.disabled {
        return Err(IoError::Forbidden(format!("用户“{name}”已停用 / user disabled")));
    }
    Ok(store.access_for(u.id).await.map_err(IoError::Store)?.0)
}

/// A progress line on stderr: rows, rows/s, time left.
pub struct ProgressLine<'a> {
    err: &'a mut dyn Write,
    what: &'static str,
    start: Instant,
    last: Option<Instant>,
}

impl<'a> ProgressLine<'a> {
    /// Starts a progress line for a step ("写入 / writing").
    pub fn new(err: &'a mut dyn Write, what: &'static str) -> ProgressLine<'a> {
        ProgressLine {
            err,
            what,
            start: Instant::now(),
            last: None,
        }
    }

    /// Shows `p` (at most ten times a second, and always at the end).
    pub fn show(&mut self, p: Progress) {
        let now = Instant::now();
        if p.done < p.total && self.last.is_some_and(|l| now.duration_since(l).as_millis() < 100) {
            return;
        }
        self.last = Some(now);
        let secs = self.start.elapsed().as_secs_f64().max(1e-6);
        let rate = p.done as f64 / secs;
        if p.total == 0 {
            // Streaming: the total is known only at the end.
            let _ = write!(
                self.err,
                "\r{} {} 行 rows  {:.0} 行/秒 rows/s ",
                self.what, p.done, rate
            );
            let _ = self.err.flush();
            return;
        }
        let left = if rate > 0.0 {
            (p.total - p.done.min(p.total)) as f64 / rate
        } else {
            0.0
        };
        let width = 30;
        let filled = (p.done * width).checked_div(p.total).unwrap_or(width).min(width);
        let _ = write!(
            self.err,
            "\r{} [{}{}] {}/{} 行 rows  {:.0} 行/秒 rows/s  剩余 ETA {:.0}s ",
            self.what,
            "#".repeat(filled),
            "-".repeat(width - filled),
            p.done,
            p.total,
            rate,
            left
        );
        if p.done >= p.total {
            let _ = writeln!(self.err);
        }
        let _ = self.err.flush();
    }
}

/// `lvzhi import`: returns the exit code.
pub async fn run_import(
    store: &Store,
    args: &ImportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, IoError> {
    let access = access_as(store, args.as_user.as_deref()).await?;
    let encoding = match args.encoding.as_deref() {
        None => Encoding::Auto,
        Some(e) => Encoding::parse(e).ok_or_else(|| {
            IoError::Unreadable(format!(
                "未知编码“{e}”（可选：auto、utf-8、gbk、gb18030） / unknown encoding"
            ))
        })?,
    };
    let mapping = match &args.mapping {
        Some(p) => Mapping::from_toml(&std::fs::read_to_string(p)?)?,
        None => Mapping::default(),
    };
    let t = Instant::now();
    let limits = crate::sheet::SheetLimits::from_env();
    crate::sheet::check_file_size(std::fs::metadata(&args.file)?.len(), &limits)?;
    let bytes = std::fs::read(&args.file)?;
    let name = args.file.to_string_lossy().into_owned();
    let _ = writeln!(err, "读取并校验 / reading and checking {name} …");
    let set = args
        .set
        .iter()
        .map(|s| {
            s.split_once('=')
                .or_else(|| s.split_once('＝'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| IoError::Mapping(format!("--set “{s}”应写作“字段=值”，如 --set 行业=工贸")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let read = ReadOptions {
        sheet: args.sheet.clone(),
        encoding,
        mapping,
        limits,
        vocabulary: store.pack().vocabulary.clone(),
        set,
        surface: crate::Surface::Cli,
    };
    let opts = ImportOptions {
        skip_invalid: args.skip_invalid,
        dry_run: args.dry_run,
        chunk_rows: args.chunk,
        tag: Some(make_tag(&args.ledger, store.now(), &bytes)),
    };
    // A plain import (all or nothing, one transaction) writes while it checks.
    let (checked, streamed) = if !opts.dry_run && !opts.skip_invalid && opts.chunk_rows == 0 {
        let mut line = ProgressLine::new(err, "读取、校验并写入 / reading, checking and writing");
        let (c, r) = import_streaming(store, &access, &args.ledger, &bytes, &name, &read, &opts, &mut |x| {
            line.show(x)
        })
        .await?;
        (c, Some(r))
    } else {
        (
            check_file(store, &access, &args.ledger, &bytes, &name, &read).await?,
            None,
        )
    };
    let p = &checked.prepared;
    let _ = writeln!(
        err,
        "表头在第{}行（{}行表头），{}行数据，跳过{}行（空行{}，合计/说明{}），用时{:.1}s / header at row {}, {} data rows, checked in {:.1}s",
        p.layout.header_row + 1,
        p.layout.header_rows,
        p.data_rows(),
        p.blank_rows + p.skipped.len(),
        p.blank_rows,
        p.skipped.len(),
        t.elapsed().as_secs_f64(),
        p.layout.header_row + 1,
        p.data_rows(),
        t.elapsed().as_secs_f64()
    );
    for c in &p.layout.columns {
        let target = match &c.field {
            Some(f) => f.clone(),
            None if c.extra => format!("（附加信息“{}” / kept as extra）", c.extra_name()),
            None => "（忽略 / ignored）".into(),
        };
        let suggest: Vec<String> = c
            .suggestions
            .iter()
            .map(|s| format!("{}? {}分，{}", s.label, s.score, s.reason))
            .collect();
        if suggest.is_empty() {
            let _ = writeln!(err, "  {}列 {} → {target}", c.letter, c.header);
        } else {
            let _ = writeln!(
                err,
                "  {}列 {} → {target}  建议 / suggested: {}（可在 --mapping 中确认 / confirm in a mapping file）",
                c.letter,
                c.header,
                suggest.join("；")
            );
        }
    }
    for f in &p.filled {
        let _ = writeln!(err, "  补全 / filled: {}", f.chinese());
    }
    if let Some(path) = &args.save_mapping {
        std::fs::write(path, p.layout.to_mapping(&args.ledger).to_toml())?;
        let _ = writeln!(err, "列映射已保存 / mapping saved: {}", path.display());
    }
    for e in p.errors.iter().take(200) {
        let _ = writeln!(err, "{}\n    {}", e.chinese(), e.english());
    }
    if p.errors.len() > 200 {
        let _ = writeln!(
            err,
            "……另有{}处错误 / {} more errors",
            p.errors.len() - 200,
            p.errors.len() - 200
        );
    }
    // A dry run writes nothing unless asked where to put the error copy.
    let error_copy = if args.dry_run {
        args.errors_xlsx.clone()
    } else {
        Some(
            args.errors_xlsx
                .clone()
                .unwrap_or_else(|| args.file.with_extension("错误.xlsx")),
        )
    };
    if !p.errors.is_empty()
        && let Some(path) = error_copy
    {
        std::fs::write(&path, error_workbook(&checked.sheet, p)?)?;
        let _ = writeln!(
            err,
            "错误说明已写入 / errors written to: {}（{}行有误 / {} rows refused）",
            path.display(),
            p.bad_rows,
            p.bad_rows
        );
    }
    let report = match streamed {
        Some(r) => r,
        None => {
            let mut line = ProgressLine::new(err, "写入 / writing");
            write(store, &access, p, &opts, &mut |x| line.show(x)).await?
        }
    };
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_string(&report).unwrap_or_default());
    }
    let summary = if report.dry_run {
        format!(
            "试运行，未写入 / dry run, nothing written: {}行可导入，{}行有误 / {} rows ok, {} refused",
            p.rows.len(),
            p.bad_rows,
            p.rows.len(),
            p.bad_rows
        )
    } else if report.written {
        format!(
            "已导入{}条，拒绝{}行，导入标记 {} / imported {}, refused {}, tag {}",
            report.imported, report.rejected_rows, report.tag, report.imported, report.rejected_rows, report.tag
        )
    } else if !p.errors.is_empty() {
        format!(
            "文件有{}行错误，未写入任何记录（可用 --skip-invalid 只导入正确的行） / {} rows refused: nothing written (use --skip-invalid to import the good rows)",
            p.bad_rows, p.bad_rows
        )
    } else {
        "没有可导入的数据行 / no data rows".to_string()
    };
    let _ = writeln!(err, "{summary}");
    Ok(if p.errors.is_empty() { 0 } else { 1 })
}

/// `lvzhi extras`: the extra columns imported records carry, most frequent first
/// (the admin's list of candidates for a pack field). Returns the exit code.
pub async fn run_extras(store: &Store, ledger: Option<&str>, out: &mut dyn Write) -> Result<u8, IoError> {
    if let Some(l) = ledger
        && store.pack().ledger(l).is_none()
    {
        return Err(IoError::UnknownLedger(l.to_string()));
    }
    let cols = store.extra_columns(ledger).await.map_err(IoError::Store)?;
    if cols.is_empty() {
        let _ = writeln!(out, "没有附加信息列 / no extra columns");
    }
    for c in &cols {
        let name = store
            .pack()
            .ledger(&c.ledger)
            .map_or(c.ledger.as_str(), |k| k.name.as_str());
        let _ = writeln!(out, "{}\t{}\t{}条 / records", name, c.name, c.records);
    }
    Ok(0)
}

/// `lvzhi export`: returns the exit code.
pub async fn run_export(store: &Store, args: &ExportArgs, err: &mut dyn Write) -> Result<u8, IoError> {
    let access = access_as(store, args.as_user.as_deref()).await?;
    let path = args.output.to_string_lossy().into_owned();
    let format = ExportFormat::from_path(&path);
    let tmp = args.output.with_extension("part");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    let t = Instant::now();
    let sum = {
        let mut show = |n: usize| {
            let _ = write!(
                err,
                "\r导出 / exporting {n} 行 rows  {:.0} 行/秒 rows/s ",
                n as f64 / t.elapsed().as_secs_f64().max(1e-6)
            );
            let _ = err.flush();
        };
        export(store, &access, &args.ledger, &args.query, format, &mut file, &mut show).await
    };
    let sum = match sum {
        Ok(s) => s,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    file.flush()?;
    drop(file);
    std::fs::rename(&tmp, &args.output)?;
    let _ = writeln!(
        err,
        "\n已导出{}条到 / exported {} records to {path}",
        sum.rows, sum.rows
    );
    Ok(0)
}

/// `lvzhi template`: writes the import template of `ledger` (see
/// [`crate::template`]) to `output`, made for `as_user` (default: the system
/// administrator).
pub async fn run_template(
    store: &Store,
    ledger: &str,
    output: &std::path::Path,
    as_user: Option<&str>,
    err: &mut dyn Write,
) -> Result<u8, IoError> {
    let access = access_as(store, as_user).await?;
    let bytes = crate::template::template_for(store, &access, ledger).await?;
    let tmp = output.with_extension("part");
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, output)?;
    let _ = writeln!(err, "已写出导入模板 / wrote the import template: {}", output.display());
    Ok(0)
}
