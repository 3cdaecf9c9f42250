//! # lvzhi-files — evidence attachments on disk or in a bucket
//!
//! * [`FileStore`] — a content-addressed store: a file lives at
//!   `<dir>/<alg>/<first two hex digits>/<hex>` under the digest of its bytes
//!   (SM3 or SHA-256, the hash chain's algorithm), so the digest written into
//!   the record's event names exactly one content. Files are never deleted.
//!   With the `s3` feature (default) the same names can live in an
//!   S3-compatible bucket, `s3://bucket/prefix/<alg>/<xx>/<hex>` ([`FileStore::s3`],
//!   [`FileStore::from_setting`]); uploads in progress stay in the local `<dir>/tmp/`.
//! * [`Incoming`] — an upload streamed into `<dir>/tmp/` while it is hashed
//!   and counted; refused at the size limit (the temp file is removed), and
//!   renamed into place only after [`inspect`] accepted it.
//! * [`inspect`] — the type sniffed from the bytes (not the name), photos
//!   decoded within [`Limits`] (pixel count, allocation), a truncated JPEG
//!   refused, a JPEG thumbnail made (no EXIF in it), the EXIF capture time and
//!   GPS position read.
//!
//! Every refusal is a [`FileError`] with a Chinese message naming the file.

use image::ImageDecoder;
use lvzhi_core::crypto::{HashAlg, Hasher};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Default size limit per file: 20 MB.
pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// A refusal, in Chinese, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError(pub String);

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FileError {}

fn io_err(e: std::io::Error) -> FileError {
    FileError(format!("附件存储目录读写失败：{e}"))
}

/// Bounds on what an upload may be and cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes per file.
    pub max_bytes: u64,
    /// Pixels of a photo (width × height).
    pub max_pixels: u64,
    /// Width or height of a photo.
    pub max_side: u32,
    /// Bytes the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_pixels: 50_000_000,
            max_side: 16_384,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

/// What a file is, from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG photo.
    Jpeg,
    /// PNG image.
    Png,
    /// WebP image.
    Webp,
    /// HEIC/HEIF photo (kept as a file: not decoded, no thumbnail).
    Heic,
    /// PDF document.
    Pdf,
    /// Word document (.docx).
    Docx,
    /// Excel workbook (.xlsx).
    Xlsx,
}

impl Kind {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Heic => "image/heic",
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The kind of a stored MIME type.
    pub fn from_mime(m: &str) -> Option<Kind> {
        [
            Kind::Jpeg,
            Kind::Png,
            Kind::Webp,
            Kind::Heic,
            Kind::Pdf,
            Kind::Docx,
            Kind::Xlsx,
        ]
        .into_iter()
        .find(|k| k.mime() == m)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG图片",
            Kind::Png => "PNG图片",
            Kind::Webp => "WebP图片",
            Kind::Heic => "HEIC照片",
            Kind::Pdf => "PDF文档",
            Kind::Docx => "Word文档",
            Kind::Xlsx => "Excel表格",
        }
    }

    /// A photo (counts for `photo = true` evidence rules).
    pub fn is_photo(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Webp | Kind::Heic)
    }

    fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Kind::Jpeg => Some(image::ImageFormat::Jpeg),
            Kind::Png => Some(image::ImageFormat::Png),
            Kind::Webp => Some(image::ImageFormat::WebP),
            _ => None,
        }
    }
}

/// The kind a file name's extension claims, if it is one we know.
fn claimed(name: &str) -> Option<Kind> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" | "jfif" => Kind::Jpeg,
        "png" => Kind::Png,
        "webp" => Kind::Webp,
        "heic" | "heif" => Kind::Heic,
        "pdf" => Kind::Pdf,
        "docx" => Kind::Docx,
        "xlsx" => Kind::Xlsx,
        _ => return None,
    })
}

/// The kind of a file from its first bytes (and, for a zip, its entries).
fn sniff(file: &mut File, name: &str) -> Result<Kind, FileError> {
    let mut head = [0u8; 32];
    let n = read_up_to(file, &mut head).map_err(io_err)?;
    let head = &head[..n];
    let kind = if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(
            &head[8..12],
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1"
        )
    {
        Some(Kind::Heic)
    } else if head.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if head.starts_with(b"PK\x03\x04") {
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        office_kind(file)
    } else {
        None
    };
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    match (kind, claimed(name)) {
        (Some(k), Some(c)) if k.is_photo() != c.is_photo() || (!k.is_photo() && k != c) => Err(FileError(format!(
            "文件“{name}”的扩展名表明是{}，但内容是{}，已拒收",
            c.label(),
            k.label()
        ))),
        (Some(k), _) => Ok(k),
        (None, Some(c)) => Err(FileError(format!(
            "文件“{name}”的扩展名表明是{}，但内容不是，可能已损坏或被改名，已拒收",
            c.label()
        ))),
        (None, None) => Err(FileError(format!(
            "文件“{name}”的类型不支持。可上传：JPEG、PNG、WebP、HEIC照片，PDF、Word（.docx）、Excel（.xlsx）文档"
        ))),
    }
}

fn office_kind(file: &mut File) -> Option<Kind> {
    let z = zip::ZipArchive::new(BufReader::new(file)).ok()?;
    let names: Vec<String> = z.file_names().flatten().map(|n| n.into_owned()).collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") {
        Some(Kind::Docx)
    } else if has("xl/workbook.xml") {
        Some(Kind::Xlsx)
    } else {
        None
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A content-addressed store of attachments: a directory, or a bucket.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    /// Files under `dir`.
    Local,
    /// Objects in a bucket; `dir` holds only uploads in progress.
    #[cfg(feature = "s3")]
    S3(std::sync::Arc<s3::Bucket>),
}

/// Why a stored file does not match its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No file at its place.
    Missing,
    /// The bytes hash to something else.
    Altered,
    /// The object store could not be read (network, permissions): the
    /// message, in Chinese. Neither missing nor altered as far as is known.
    Unreadable(String),
}

/// The relative name of `digest`: `<alg>/<first two hex digits>/<hex>`.
fn rel_of(digest: &str) -> String {
    let alg = HashAlg::of_digest(digest);
    let hex = digest.rsplit(':').next().unwrap_or(digest);
    let sub = match alg {
        HashAlg::Sha256 => "sha256",
        HashAlg::Sm3 => "sm3",
    };
    format!("{sub}/{}/{hex}", hex.get(..2).unwrap_or("00"))
}

/// Whether `rel` is a stored file's name (`<alg>/<xx>/<hex>`), not a temp file.
fn is_stored_name(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    matches!(parts.as_slice(), [alg, xx, hex]
        if matches!(*alg, "sha256" | "sm3")
            && xx.len() == 2
            && hex.starts_with(*xx)
            && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

impl FileStore {
    /// A store rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore {
            dir: dir.into(),
            backend: Backend::Local,
        }
    }

    /// A store in the bucket `url` (`s3://bucket/prefix`) reached through
    /// `cfg`; uploads in progress are kept in `staging/tmp/`. Nothing is
    /// contacted here: call [`FileStore::check`] at startup.
    #[cfg(feature = "s3")]
    pub fn s3(url: &str, staging: impl Into<PathBuf>, cfg: &s3::S3Config) -> Result<FileStore, FileError> {
        Ok(FileStore {
            dir: staging.into(),
            backend: Backend::S3(std::sync::Arc::new(s3::Bucket::new(url, cfg)?)),
        })
    }

    /// The store a setting names (`LVZHI_FILES`): `s3://bucket/prefix` is a
    /// bucket reached through [`s3::S3Config::from_env`] with uploads in
    /// progress in `staging`; anything else is a directory.
    pub fn from_setting(setting: &str, staging: impl Into<PathBuf>) -> Result<FileStore, FileError> {
        let setting = setting.trim();
        if setting.starts_with("s3://") {
            #[cfg(feature = "s3")]
            return FileStore::s3(setting, staging, &s3::S3Config::from_env());
            #[cfg(not(feature = "s3"))]
            return Err(FileError(format!(
                "附件存储设置为对象存储（{setting}），但此版本的 lvzhi 未编译对象存储（S3）支持（lvzhi-files 的 s3 功能）"
            )));
        }
        let _ = staging.into();
        Ok(FileStore::new(setting))
    }

    /// Checks that the store can be used: a bucket is reachable, exists
    /// and the keys may list it (one request, at most 20 seconds); a
    /// directory always passes (it is created on first write).
    pub fn check(&self) -> Result<(), FileError> {
        match &self.backend {
            Backend::Local => Ok(()),
            #[cfg(feature = "s3")]
            Backend::S3(b) => b.check(),
        }
    }

    /// Whether the files live in an object store rather than in [`FileStore::dir`].
    pub fn is_object_store(&self) -> bool {
        !matches!(self.backend, Backend::Local)
    }

    /// The root directory (for an object store: where uploads in progress
    /// are kept).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with `digest` lives in the directory (for an object
    /// store: where it would be in [`FileStore::dir`]; see [`FileStore::location`]).
    pub fn path_of(&self, digest: &str) -> PathBuf {
        self.dir.join(rel_of(digest))
    }

    /// Where the file with `digest` lives, as shown to people: its path, or
    /// `s3://bucket/prefix/<alg>/<xx>/<hex>`.
    pub fn location(&self, digest: &str) -> String {
        match &self.backend {
            Backend::Local => self.path_of(digest).display().to_string(),
            #[cfg(feature = "s3")]
            Backend::S3(b) => b.location(&rel_of(digest)),
        }
    }

    /// Where the store is, as shown to people: the directory or `s3://bucket/prefix`.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local => self.dir.display().to_string(),
            #[cfg(feature = "s3")]
            Backend::S3(b) => b.url().to_string(),
        }
    }

    /// A reader of the stored file with `digest` (a bucket's object is
    /// streamed: a few chunks in memory). Not checked against the digest.
    pub fn open(&self, digest: &str) -> Result<Box<dyn Read + Send>, Problem> {
        match &self.backend {
            Backend::Local => match File::open(self.path_of(digest)) {
                Ok(f) => Ok(Box::new(f)),
                Err(_) => Err(Problem::Missing),
            },
            #[cfg(feature = "s3")]
            Backend::S3(b) => b.open(&rel_of(digest)),
        }
    }

    /// Starts an upload named `name` (as the client sent it).
    pub fn incoming(&self, name: &str, alg: HashAlg, limits: Limits) -> Result<Incoming, FileError> {
        let tmp = self.dir.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(io_err)?;
        let path = tmp.join(format!("up-{}-{}", std::process::id(), unique()));
        let file = File::create(&path).map_err(io_err)?;
        Ok(Incoming {
            path,
            file: Some(std::io::BufWriter::with_capacity(64 * 1024, file)),
            hasher: Some(Hasher::new(alg)),
            size: 0,
            limits,
            name: clean_name(name),
        })
    }

    /// Stores `bytes` (a thumbnail) under their digest; returns the digest.
    pub fn put_bytes(&self, bytes: &[u8], alg: HashAlg) -> Result<String, FileError> {
        let digest = lvzhi_core::crypto::hex_digest(alg, bytes);
        #[cfg(feature = "s3")]
        if let Backend::S3(b) = &self.backend {
            let rel = rel_of(&digest);
            if !b.exists(&rel)? {
                b.put_bytes(&rel, bytes)?;
            }
            return Ok(digest);
        }
        let dest = self.path_of(&digest);
        if !dest.exists() {
            let tmp = self.dir.join("tmp");
            std::fs::create_dir_all(&tmp).map_err(io_err)?;
            let t = tmp.join(format!("th-{}-{}", std::process::id(), unique()));
            let mut f = File::create(&t).map_err(io_err)?;
            f.write_all(bytes).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
            place(&t, &dest)?;
        }
        Ok(digest)
    }

    /// Checks the stored file against `digest` (streamed: constant memory).
    pub fn verify(&self, digest: &str) -> Result<(), Problem> {
        #[cfg(feature = "s3")]
        if let Backend::S3(b) = &self.backend {
            return if b.hash(&rel_of(digest), HashAlg::of_digest(digest))? == digest {
                Ok(())
            } else {
                Err(Problem::Altered)
            };
        }
        let Ok(mut f) = File::open(self.path_of(digest)) else {
            return Err(Problem::Missing);
        };
        let mut h = Hasher::new(HashAlg::of_digest(digest));
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => h.update(&buf[..n]),
                Err(_) => return Err(Problem::Altered),
            }
        }
        if h.finish_hex() == digest {
            Ok(())
        } else {
            Err(Problem::Altered)
        }
    }

    /// Copies every stored file into `dest` (a backup's attachment directory);
    /// returns the number of files copied. Temp files are not copied; files
    /// already in `dest` are kept. A bucket is listed and each object
    /// missing from `dest` is streamed into it.
    pub fn copy_to(&self, dest: &Path) -> Result<u64, FileError> {
        match &self.backend {
            Backend::Local => copy_tree(&self.dir, dest, true),
            #[cfg(feature = "s3")]
            Backend::S3(b) => {
                let mut n = 0;
                for rel in b.list()?.into_iter().filter(|r| is_stored_name(r)) {
                    let d = dest.join(&rel);
                    if !d.exists() {
                        b.get_to_file(&rel, &d)?;
                        n += 1;
                    }
                }
                Ok(n)
            }
        }
    }

    /// Adds the files of `src` (a backup's attachment directory) that this
    /// store lacks; nothing here is removed or overwritten (content-addressed).
    pub fn restore_from(&self, src: &Path) -> Result<u64, FileError> {
        match &self.backend {
            Backend::Local => copy_tree(src, &self.dir, true),
            #[cfg(feature = "s3")]
            Backend::S3(b) => {
                let mut n = 0;
                for rel in files_under(src)? {
                    if !b.exists(&rel)? {
                        b.put_file(&src.join(&rel), &rel)?;
                        n += 1;
                    }
                }
                Ok(n)
            }
        }
    }
}

/// The stored files' relative names under `dir` (a backup's attachment directory).
#[cfg(feature = "s3")]
fn files_under(dir: &Path) -> Result<Vec<String>, FileError> {
    let mut out = Vec::new();
    let Ok(algs) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for a in algs {
        let a = a.map_err(io_err)?;
        let Ok(subs) = std::fs::read_dir(a.path()) else {
            continue;
        };
        for x in subs {
            let x = x.map_err(io_err)?;
            let Ok(files) = std::fs::read_dir(x.path()) else {
                continue;
            };
            for f in files {
                let f = f.map_err(io_err)?;
                let rel = format!(
                    "{}/{}/{}",
                    a.file_name().to_string_lossy(),
                    x.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                if is_stored_name(&rel) && f.file_type().map_err(io_err)?.is_file() {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn copy_tree(src: &Path, dest: &Path, skip_tmp: bool) -> Result<u64, FileError> {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(src) else {
        return Ok(0);
    };
    std::fs::create_dir_all(dest).map_err(io_err)?;
    for e in entries {
        let e = e.map_err(io_err)?;
        let name = e.file_name();
        if skip_tmp && name == "tmp" {
            continue;
        }
        let (s, d) = (e.path(), dest.join(&name));
        if e.file_type().map_err(io_err)?.is_dir() {
            n += copy_tree(&s, &d, false)?;
        } else if !d.exists() {
            std::fs::copy(&s, &d).map_err(io_err)?;
            n += 1;
        }
    }
    Ok(n)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (N.fetch_add(1, Ordering::Relaxed) << 48)
}

/// Renames `tmp` to `dest` (creating its directory); an existing `dest` has
/// the same bytes (same digest), so `tmp` is dropped.
fn place(tmp: &Path, dest: &Path) -> Result<(), FileError> {
    if dest.exists() {
        let _ = std::fs::remove_file(tmp);
        return Ok(());
    }
    if let Some(p) = dest.parent() {
        std::fs::create_dir_all(p).map_err(io_err)?;
    }
    std::fs::rename(tmp, dest).map_err(io_err)
}

/// A file name as shown: no directories, no control characters, ≤ 120 chars.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let s = s.trim().to_string();
    if s.is_empty() { "未命名文件".into() } else { s }
}

/// An upload being received: bytes go to a temp file and the hasher.
/// Dropped without [`Incoming::finish`] → the temp file is removed.
pub struct Incoming {
    path: PathBuf,
    file: Option<std::io::BufWriter<File>>,
    hasher: Option<Hasher>,
    size: u64,
    limits: Limits,
    name: String,
}

impl Incoming {
    /// Adds a chunk; past the size limit the upload is refused (and removed).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), FileError> {
        self.size += chunk.len() as u64;
        if self.size > self.limits.max_bytes {
            return Err(FileError(format!(
                "文件“{}”超过单个附件的大小上限（{}），已拒收",
                self.name,
                mb(self.limits.max_bytes)
            )));
        }
        if let Some(h) = &mut self.hasher {
            h.update(chunk);
        }
        match &mut self.file {
            Some(f) => f.write_all(chunk).map_err(io_err),
            None => Err(FileError("上传已结束".into())),
        }
    }

    /// Bytes so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The received file, synced, with its digest.
    pub fn finish(mut self) -> Result<Received, FileError> {
        let f = self.file.take().ok_or_else(|| FileError("上传已结束".into()))?;
        let f = f.into_inner().map_err(|e| io_err(e.into_error()))?;
        f.sync_all().map_err(io_err)?;
        if self.size == 0 {
            return Err(FileError(format!("文件“{}”是空文件，已拒收", self.name)));
        }
        let digest = self.hasher.take().map(Hasher::finish_hex).unwrap_or_default();
        Ok(Received {
            path: std::mem::take(&mut self.path),
            digest,
            size: self.size,
            name: std::mem::take(&mut self.name),
            limits: self.limits,
        })
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn mb(bytes: u64) -> String {
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} 字节")
    }
}

/// A whole upload in its temp file; dropped without [`Received::store`] → removed.
pub struct Received {
    path: PathBuf,
    /// Digest of the bytes.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// The cleaned file name.
    pub name: String,
    limits: Limits,
}

impl Drop for Received {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What [`inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The kind from the bytes.
    pub kind: Kind,
    /// A photo's width and height.
    pub size_px: Option<(u32, u32)>,
    /// The thumbnail (JPEG, ≤ 320 px, no EXIF).
    pub thumbnail: Option<Vec<u8>>,
    /// EXIF DateTimeOriginal as local civil time `2026-12-05T09:30:00`.
    pub taken_at: Option<String>,
    /// EXIF GPS position as `lat,lon` in signed decimal degrees (6 places).
    pub gps: Option<String>,
}

/// Thumbnail size (longest side).
pub const THUMB_SIDE: u32 = 320;

impl Received {
    /// Sniffs, checks and (for photos) decodes the file: see [`inspect`].
    pub fn inspect(&self) -> Result<Inspected, FileError> {
        inspect(&self.path, &self.name, self.limits)
    }

    /// Moves the file into `store` under its digest (a bucket: uploads it,
    /// in parts when large, and removes the temp file); returns where it
    /// lives ([`FileStore::location`]).
    pub fn store(mut self, store: &FileStore) -> Result<String, FileError> {
        #[cfg(feature = "s3")]
        if let Backend::S3(b) = &store.backend {
            let rel = rel_of(&self.digest);
            if !b.exists(&rel)? {
                b.put_file(&self.path, &rel)?;
            }
            // The temp file goes when `self` is dropped.
            return Ok(store.location(&self.digest));
        }
        let dest = store.path_of(&self.digest);
        let tmp = std::mem::take(&mut self.path);
        place(&tmp, &dest)?;
        Ok(dest.display().to_string())
    }
}

/// Sniffs the file at `path` (named `name`), decodes a photo within `limits`
/// and makes its thumbnail, reads EXIF. Nothing is written.
pub fn inspect(path: &Path, name: &str, limits: Limits) -> Result<Inspected, FileError> {
    let mut f = File::open(path).map_err(io_err)?;
    let kind = sniff(&mut f, name)?;
    let (taken_at, gps, orientation) = exif_of(&mut f);
    let mut out = Inspected {
        kind,
        size_px: None,
        thumbnail: None,
        taken_at,
        gps,
    };
    let Some(format) = kind.image_format() else {
        return Ok(out);
    };
    if kind == Kind::Jpeg {
        check_jpeg_end(&mut f, name)?;
    }
    let bad = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => {
            FileError(format!("图片“{name}”解码所需内存超过上限（可能是“解压炸弹”），已拒收"))
        }
        _ => FileError(format!(
            "图片“{name}”已损坏或不完整，无法解码（{}），已拒收",
            kind.label()
        )),
    };
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    f.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let mut reader = image::ImageReader::with_format(BufReader::new(f), format);
    // The header is read with the allocation limit only, so an oversized photo
    // is refused below with its dimensions named.
    let mut header_limits = image::Limits::no_limits();
    header_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(&bad)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels || w > limits.max_side || h > limits.max_side {
        return Err(FileError(format!(
            "图片“{name}”的尺寸 {w}×{h} 超过上限（{} 万像素，边长 {} 像素），可能是“解压炸弹”，已拒收",
            limits.max_pixels / 10_000,
            limits.max_side
        )));
    }
    decoder.set_limits(l).map_err(&bad)?;
    let img = image::DynamicImage::from_decoder(decoder).map_err(&bad)?;
    out.size_px = Some((w, h));
    let mut thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    drop(img);
    if let Some(o) = orientation.and_then(image::metadata::Orientation::from_exif) {
        thumb.apply_orientation(o);
    }
    let rgb = thumb.to_rgb8();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&rgb)
        .map_err(|e| FileError(format!("图片“{name}”缩略图生成失败：{e}")))?;
    out.thumbnail = Some(bytes);
    Ok(out)
}

/// A JPEG must end with its EOI marker (FF D9) near the end of the file; the
/// decoder would fill a truncated photo with grey instead of refusing it.
fn check_jpeg_end(f: &mut File, name: &str) -> Result<(), FileError> {
    let len = f.metadata().map_err(io_err)?.len();
    let tail = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - tail)).map_err(io_err)?;
    let mut buf = vec![0u8; tail as usize];
    f.read_exact(&mut buf).map_err(io_err)?;
    if buf.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(FileError(format!("图片“{name}”不完整（JPEG文件被截断），已拒收")))
    }
}

/// EXIF capture time, GPS position and orientation, when present.
fn exif_of(f: &mut File) -> (Option<String>, Option<String>, Option<u8>) {
    let _ = f.seek(SeekFrom::Start(0));
    let mut r = BufReader::new(&mut *f);
    let Ok(ex) = exif::Reader::new().read_from_container(&mut r) else {
        return (None, None, None);
    };
    let taken = ex
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| ex.get_field(exif::Tag::DateTime, exif::In::PRIMARY))
        .and_then(|fd| match &fd.value {
            exif::Value::Ascii(v) => v.first().and_then(|b| exif::DateTime::from_ascii(b).ok()),
            _ => None,
        })
        .map(|d| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year, d.month, d.day, d.hour, d.minute, d.second
            )
        });
    let coord = |tag, rtag, neg: u8| -> Option<String> {
        let fd = ex.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(v) = &fd.value else {
            return None;
        };
        if v.len() < 3 || v.iter().any(|r| r.denom == 0) {
            return None;
        }
        // Micro-degrees in integers: exact to the sixth decimal place, no floats.
        let n = |i: usize| (i128::from(v[i].num), i128::from(v[i].denom));
        let ((n0, d0), (n1, d1), (n2, d2)) = (n(0), n(1), n(2));
        let num = n0 * 3600 * d1 * d2 + n1 * 60 * d0 * d2 + n2 * d0 * d1;
        let m = num * 1_000_000 / (3600 * d0 * d1 * d2);
        let sign = match ex.get_field(rtag, exif::In::PRIMARY).map(|r| &r.value) {
            Some(exif::Value::Ascii(a)) if a.first().and_then(|b| b.first()) == Some(&neg) => "-",
            _ => "",
        };
        Some(format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000))
    };
    let lat = coord(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S');
    let lon = coord(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, b'W');
    let gps = lat.zip(lon).map(|(a, b)| format!("{a},{b}"));
    let orientation = ex
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|fd| fd.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok());
    (taken, gps, orientation)
}

/// A GPS position `lat,lon` as people read it: 北纬39.904211° 东经116.407394°.
pub fn gps_label(gps: &str) -> String {
    let Some((lat, lon)) = gps.split_once(',') else {
        return gps.to_string();
    };
    let part = |v: &str, pos: &str, neg: &str| match v.strip_prefix('-') {
        Some(x) => format!("{neg}{x}°"),
        None => format!("{pos}{v}°"),
    };
    format!("{} {}", part(lat, "北纬", "南纬"), part(lon, "东经", "西经"))
}

pub mod sample;

#[cfg(feature = "s3")]
pub mod s3;

#[cfg(feature = "s3")]
pub mod moto;

#[cfg(test)]
mod tests;
