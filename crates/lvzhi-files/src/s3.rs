//! Attachments in an S3-compatible bucket (feature `s3`, on by default).
//!
//! The layout under `s3://bucket/prefix` is the directory's:
//! `<prefix>/<alg>/<first two hex digits>/<hex>`, so a backup's attachment
//! directory and a bucket hold the same relative names.
//!
//! [`FileStore`](crate::FileStore) is synchronous (it runs on blocking
//! threads and in the CLI); the object store is async. Every call runs as a
//! task on one small runtime owned by this module (two worker threads,
//! started on first use) and the caller waits on a channel, which works from
//! any thread that may block. Memory stays bounded: uploads larger than one
//! part go up in 5 MiB parts with at most two in flight, GETs are streamed
//! into the hasher, the file or the reader.

use crate::{FileError, Problem};
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Files up to this size go up in one PUT; larger ones in parts.
pub const SINGLE_PUT_MAX: u64 = 8 * 1024 * 1024;
/// Size of one part of a multipart upload (S3's minimum is 5 MiB).
pub const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// How to reach the bucket (besides its `s3://bucket/prefix` address).
#[derive(Clone, Default)]
pub struct S3Config {
    /// The server, e.g. `http://127.0.0.1:9000` (MinIO, moto, a cloud's
    /// S3-compatible endpoint); none = AWS itself. `http://` is allowed.
    pub endpoint: Option<String>,
    /// The region (default `us-east-1`).
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Session token (temporary credentials).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "…"))
            .finish()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl S3Config {
    /// From the environment: `LVZHI_S3_ENDPOINT` (else `AWS_ENDPOINT_URL`),
    /// `LVZHI_S3_REGION` (else `AWS_REGION`, `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    pub fn from_env() -> S3Config {
        S3Config {
            endpoint: env("LVZHI_S3_ENDPOINT").or_else(|| env("AWS_ENDPOINT_URL")),
            region: env("LVZHI_S3_REGION")
                .or_else(|| env("AWS_REGION"))
                .or_else(|| env("AWS_DEFAULT_REGION")),
            access_key_id: env("AWS_ACCESS_KEY_ID"),
            secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
            session_token: env("AWS_SESSION_TOKEN"),
        }
    }
}

/// The runtime the object store's futures run on.
fn runtime() -> Result<&'static tokio::runtime::Runtime, FileError> {
    static RT: OnceLock<std::io::Result<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lvzhi-s3")
            .enable_all()
            .build()
    })
    .as_ref()
    .map_err(|e| FileError(format!("无法启动对象存储的后台线程：{e}")))
}

/// Runs `fut` on the runtime and waits for it (from any thread that may block).
fn run<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> Result<T, FileError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(|_| FileError("对象存储任务意外中止".into()))
}

/// A bucket (and prefix) holding attachments.
pub(crate) struct Bucket {
    store: Arc<AmazonS3>,
    /// `s3://bucket/prefix`, as shown in messages.
    url: String,
    /// The prefix, no leading or trailing `/` (may be empty).
    prefix: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

fn os_err(url: &str, what: &str, e: &object_store::Error) -> FileError {
    let hint = match e {
        object_store::Error::Unauthenticated { .. } | object_store::Error::PermissionDenied { .. } => {
            "访问密钥无效或无权访问该存储桶（请检查 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY）"
        }
        object_store::Error::NotFound { .. } => "存储桶或对象不存在",
        _ => "请检查 LVZHI_S3_ENDPOINT、LVZHI_S3_REGION、存储桶名称与访问密钥，以及网络连通",
    };
    FileError(format!("附件对象存储 {url} {what}失败：{hint}（{e}）"))
}

impl Bucket {
    /// The bucket at `url` (`s3://bucket/prefix`), reached through `cfg`.
    /// Nothing is contacted: see [`Bucket::check`].
    pub(crate) fn new(url: &str, cfg: &S3Config) -> Result<Bucket, FileError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| FileError(format!("对象存储地址“{url}”应为 s3://存储桶/前缀 的形式")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(FileError(format!(
                "对象存储地址“{url}”缺少存储桶名称（应为 s3://存储桶/前缀）"
            )));
        }
        let prefix = prefix.trim_matches('/').to_string();
        if prefix.split('/').any(|p| p.is_empty() || p == "." || p == "..") && !prefix.is_empty() {
            return Err(FileError(format!("对象存储地址“{url}”的前缀不合法")));
        }
        let (Some(key), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) else {
            return Err(FileError(format!(
                "附件对象存储 {url} 未配置访问密钥：请设置 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY"
            )));
        };
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(cfg.region.clone().unwrap_or_else(|| "us-east-1".into()))
            .with_access_key_id(key)
            .with_secret_access_key(secret)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(300)),
            );
        if let Some(t) = &cfg.session_token {
            b = b.with_token(t);
        }
        if let Some(ep) = &cfg.endpoint {
            b = b.with_endpoint(ep).with_allow_http(ep.starts_with("http://"));
        }
        let store = b
            .build()
            .map_err(|e| FileError(format!("附件对象存储 {url} 配置有误：{e}")))?;
        Ok(Bucket {
            store: Arc::new(store),
            url: format!("s3://{bucket}{}{prefix}", if prefix.is_empty() { "" } else { "/" }),
            prefix,
        })
    }

    /// `s3://bucket/prefix`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// Where `rel` is shown in messages.
    pub(crate) fn location(&self, rel: &str) -> String {
        format!("{}/{rel}", self.url)
    }

    /// Lists the prefix once (one request): the bucket exists, is reachable
    /// and the keys may read it. Gives up after 20 seconds.
    pub(crate) fn check(&self) -> Result<(), FileError> {
        let (s, url) = (self.store.clone(), self.url.clone());
        let prefix = (!self.prefix.is_empty()).then(|| Key::from(self.prefix.as_str()));
        run(async move {
            match tokio::time::timeout(Duration::from_secs(20), s.list_with_delimiter(prefix.as_ref())).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(os_err(&url, "连接", &e)),
                Err(_) => Err(FileError(format!(
                    "附件对象存储 {url} 连接超时（20 秒）：请检查 LVZHI_S3_ENDPOINT 与网络连通"
                ))),
            }
        })?
    }

    /// Whether the object `rel` exists.
    pub(crate) fn exists(&self, rel: &str) -> Result<bool, FileError> {
        let (s, key, url) = (self.store.clone(), self.key(rel), self.url.clone());
        run(async move {
            match s.head(&key).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(os_err(&url, "查询对象", &e)),
            }
        })?
    }

    /// Stores `bytes` as `rel` (a thumbnail: small).
    pub(crate) fn put_bytes(&self, rel: &str, bytes: &[u8]) -> Result<(), FileError> {
        let (s, key, url) = (self.store.clone(), self.key(rel), self.url.clone());
        let payload = PutPayload::from(Bytes::copy_from_slice(bytes));
        run(async move {
            s.put(&key, payload)
                .await
                .map(|_| ())
                .map_err(|e| os_err(&url, "写入", &e))
        })?
    }

    /// Uploads the file at `path` as `rel`: one PUT up to [`SINGLE_PUT_MAX`],
    /// else in [`PART_BYTES`] parts with two in flight (bounded memory).
    pub(crate) fn put_file(&self, path: &Path, rel: &str) -> Result<(), FileError> {
        let mut f = std::fs::File::open(path).map_err(crate::io_err)?;
        let size = f.metadata().map_err(crate::io_err)?.len();
        let (s, key, url) = (self.store.clone(), self.key(rel), self.url.clone());
        if size <= SINGLE_PUT_MAX {
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            f.read_to_end(&mut buf).map_err(crate::io_err)?;
            let payload = PutPayload::from(Bytes::from(buf));
            return run(async move {
                s.put(&key, payload)
                    .await
                    .map(|_| ())
                    .map_err(|e| os_err(&url, "写入", &e))
            })?;
        }
        run(async move {
            let up = s.put_multipart(&key).await.map_err(|e| os_err(&url, "分段上传", &e))?;
            let mut w = WriteMultipart::new_with_chunk_size(up, PART_BYTES);
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                // A local file read in 1 MiB pieces: short, and the runtime has two workers.
                let n = match f.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = w.abort().await;
                        return Err(crate::io_err(e));
                    }
                };
                if n == 0 {
                    break;
                }
                if let Err(e) = w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                    let _ = w.abort().await;
                    return Err(os_err(&url, "分段上传", &e));
                }
                w.write(&buf[..n]);
            }
            w.finish().await.map(|_| ()).map_err(|e| os_err(&url, "分段上传", &e))
        })?
    }

    /// Streams the object `rel` into `sink` (on the runtime) and gives it
    /// back; `Missing` when there is no such object.
    fn stream_into<S: Sink>(&self, rel: &str, mut sink: S) -> Result<S, Problem> {
        let (s, key, url) = (self.store.clone(), self.key(rel), self.url.clone());
        run(async move {
            let got = match s.get(&key).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Err(Problem::Missing),
                Err(e) => return Err(Problem::Unreadable(os_err(&url, "读取", &e).0)),
            };
            let mut st = got.into_stream();
            while let Some(chunk) = st.next().await {
                let chunk = chunk.map_err(|e| Problem::Unreadable(os_err(&url, "读取", &e).0))?;
                sink.put(&chunk).map_err(|e| Problem::Unreadable(crate::io_err(e).0))?;
            }
            Ok(sink)
        })
        .map_err(|e| Problem::Unreadable(e.0))?
    }

    /// The digest of the object `rel` under `alg`, streamed (constant memory).
    pub(crate) fn hash(&self, rel: &str, alg: lvzhi_core::crypto::HashAlg) -> Result<String, Problem> {
        let h = self.stream_into(rel, lvzhi_core::crypto::Hasher::new(alg))?;
        Ok(h.finish_hex())
    }

    /// Downloads the object `rel` into `dest` (through a temp file beside it).
    pub(crate) fn get_to_file(&self, rel: &str, dest: &Path) -> Result<(), FileError> {
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(crate::io_err)?;
        }
        let tmp = dest.with_extension(format!("part-{}", crate::unique()));
        let f = std::fs::File::create(&tmp).map_err(crate::io_err)?;
        let done = match self.stream_into(rel, f) {
            Ok(f) => f
                .sync_all()
                .and_then(|()| std::fs::rename(&tmp, dest))
                .map_err(crate::io_err),
            Err(Problem::Missing) => Err(FileError(format!("{} 在列出后消失", self.location(rel)))),
            Err(Problem::Altered) => Err(FileError(format!("{} 读取异常", self.location(rel)))),
            Err(Problem::Unreadable(m)) => Err(FileError(m)),
        };
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        done
    }

    /// A reader of the object `rel`: chunks arrive through a small channel
    /// (at most four chunks buffered).
    pub(crate) fn open(&self, rel: &str) -> Result<Box<dyn Read + Send>, Problem> {
        let (s, key, url) = (self.store.clone(), self.key(rel), self.url.clone());
        let (first_tx, first_rx) = std::sync::mpsc::sync_channel::<Result<(), Problem>>(1);
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        runtime().map_err(|e| Problem::Unreadable(e.0))?.spawn(async move {
            let got = match s.get(&key).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => {
                    let _ = first_tx.send(Err(Problem::Missing));
                    return;
                }
                Err(e) => {
                    let _ = first_tx.send(Err(Problem::Unreadable(os_err(&url, "读取", &e).0)));
                    return;
                }
            };
            let _ = first_tx.send(Ok(()));
            let mut st = got.into_stream();
            while let Some(chunk) = st.next().await {
                let item = chunk.map_err(|e| std::io::Error::other(os_err(&url, "读取", &e).0));
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        first_rx
            .recv()
            .map_err(|_| Problem::Unreadable("对象存储任务意外中止".into()))??;
        Ok(Box::new(ChannelReader { rx, cur: Bytes::new() }))
    }

    /// The relative names of every object under the prefix.
    pub(crate) fn list(&self) -> Result<Vec<String>, FileError> {
        let (s, url) = (self.store.clone(), self.url.clone());
        let prefix = (!self.prefix.is_empty()).then(|| Key::from(self.prefix.as_str()));
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        run(async move {
            let mut st = s.list(prefix.as_ref());
            let mut out = Vec::new();
            while let Some(m) = st.next().await {
                let m = m.map_err(|e| os_err(&url, "列出对象", &e))?;
                let k = m.location.to_string();
                if let Some(rel) = k.strip_prefix(&strip) {
                    out.push(rel.to_string());
                }
            }
            Ok(out)
        })?
    }
}

/// Where the chunks of a GET go.
trait Sink: Send + 'static {
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()>;
}

impl Sink for lvzhi_core::crypto::Hasher {
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.update(chunk);
        Ok(())
    }
}

impl Sink for std::fs::File {
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        std::io::Write::write_all(self, chunk)
    }
}

/// A blocking reader over the chunks of a GET.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    cur: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}
