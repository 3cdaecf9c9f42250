//! A local S3-compatible server for tests: `moto_server` from PyPI
//! (`python3 -m pip install 'moto[server]'`), started on a free port and
//! stopped when the [`Moto`] is dropped. Like [`crate::sample`], this is test
//! support shipped in the library so every crate's tests can use it.
//!
//! [`server`] gives `None` (after printing `skipped: …`) when `moto_server`
//! is not installed, unless `LVZHI_REQUIRE_S3=1`, where that is a failure.
//! Buckets are created and objects altered or removed through plain HTTP
//! (moto does not check signatures), as an outsider with access to the
//! bucket would.

use crate::s3::S3Config;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server`.
pub struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `moto_server` on a free port; `None` (with a `skipped:` line on
/// stderr naming `test`) when it is not installed. With `LVZHI_REQUIRE_S3=1`
/// a missing or failing server panics instead.
#[allow(clippy::panic)]
pub fn server(test: &str) -> Option<Moto> {
    let required = std::env::var("LVZHI_REQUIRE_S3").is_ok_and(|v| v == "1");
    match start() {
        Ok(m) => Some(m),
        Err(why) if required => panic!("LVZHI_REQUIRE_S3=1 but moto_server is unusable: {why}"),
        Err(why) => {
            eprintln!("skipped: {test}: {why} (python3 -m pip install 'moto[server]')");
            None
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start() -> Result<Moto, String> {
    let mut last = String::new();
    // The port is free when chosen; another process may take it before moto
    // binds it, so a server that exits early is retried on another port.
    for _ in 0..3 {
        let port = free_port().map_err(|e| e.to_string())?;
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("moto_server not found ({e})"))?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(st)) = child.try_wait() {
                last = format!("moto_server exited: {st}");
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let m = Moto { child, port };
                // Ready when it answers HTTP.
                if m.request("GET", "/", &[]).is_ok() {
                    return Ok(m);
                }
                return Err("moto_server does not answer HTTP".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        if last.is_empty() {
            last = "moto_server did not listen within 30 s".into();
        }
    }
    Err(last)
}

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// The header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Moto {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A configuration reaching this server (moto accepts any keys).
    pub fn config(&self) -> S3Config {
        S3Config {
            endpoint: Some(self.endpoint()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            session_token: None,
        }
    }
}

/// moto reads the key id from the header (anonymous requests are refused
/// on private objects) and does not check the signature.
const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
                    SignedHeaders=host, Signature=0\r\n";

impl Moto {
    /// One plain HTTP/1.1 request (`Connection: close`).
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\
             Content-Type: application/octet-stream\r\n{AUTH}Connection: close\r\n\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no HTTP header"))?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
        {
            body = dechunk(&body);
        }
        Ok(Response { status, headers, body })
    }

    /// Creates the bucket `name`.
    pub fn create_bucket(&self, name: &str) -> std::io::Result<()> {
        let r = self.request("PUT", &format!("/{name}"), &[])?;
        if r.status == 200 {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "create bucket {name}: HTTP {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )))
        }
    }

    /// The object `key` of `bucket`, if any.
    pub fn get(&self, bucket: &str, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        let r = self.request("GET", &format!("/{bucket}/{key}"), &[])?;
        Ok((r.status == 200).then_some(r.body))
    }

    /// The ETag of the object `key` (a multipart upload's ends in `-<parts>`).
    pub fn etag(&self, bucket: &str, key: &str) -> std::io::Result<Option<String>> {
        let r = self.request("HEAD", &format!("/{bucket}/{key}"), &[])?;
        Ok((r.status == 200)
            .then(|| r.header("etag").map(|e| e.trim_matches('"').to_string()))
            .flatten())
    }

    /// Writes `bytes` as the object `key` of `bucket` (tampering, in tests).
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let r = self.request("PUT", &format!("/{bucket}/{key}"), bytes)?;
        if r.status == 200 {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("put {key}: HTTP {}", r.status)))
        }
    }

    /// Removes the object `key` of `bucket`.
    pub fn delete(&self, bucket: &str, key: &str) -> std::io::Result<()> {
        let r = self.request("DELETE", &format!("/{bucket}/{key}"), &[])?;
        if r.status == 204 || r.status == 200 {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("delete {key}: HTTP {}", r.status)))
        }
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..i])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || b.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[(i + 4 + size).min(b.len())..];
    }
    out
}
