//! A minimal HTTP/1.1 client for tests and benchmarks: one connection,
//! keep-alive, Content-Length bodies (what axum sends). No TLS, no chunking.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One keep-alive connection.
pub struct Client {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            stream: None,
            token: None,
            headers: vec![],
        }
    }

    fn conn(&mut self) -> std::io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::new(s));
        }
        Ok(self.stream.as_mut().expect("just set"))
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        content_type: &str,
    ) -> std::io::Result<Response> {
        let reused = self.stream.is_some();
        let r = self.try_send(method, path, body, content_type);
        if r.is_err() {
            self.stream = None;
            // A server may close an idle keep-alive connection (or one whose
            // last request body it did not read) before our request reached
            // it: retry once on a fresh connection, as HTTP clients do.
            if reused {
                return self
                    .try_send(method, path, body, content_type)
                    .inspect_err(|_| self.stream = None);
            }
        }
        r
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        content_type: &str,
    ) -> std::io::Result<Response> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n",
            self.addr
        );
        if let Some(t) = &self.token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in &self.headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or(b"");
        if method != "GET" {
            req.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        let conn = self.conn()?;
        let s = conn.get_mut();
        // A server may answer (413) and close before reading a large body:
        // a failed write is not the end, the answer may already be there.
        let wrote = s
            .write_all(req.as_bytes())
            .and_then(|_| if method != "GET" { s.write_all(body) } else { Ok(()) });
        let _ = s.flush();
        let mut line = String::new();
        if let Err(e) = conn.read_line(&mut line) {
            return Err(wrote.err().unwrap_or(e));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = vec![];
        let mut len = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            conn.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close") {
                    close = true;
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0u8; len];
        conn.read_exact(&mut body)?;
        if close {
            self.stream = None;
        }
        Ok(Response { status, headers, body })
    }

    /// Sends request headers announcing a body of `len` bytes and sends only
    /// `sent` of them: a server that refuses on the announced length answers
    /// at once (and closing with unread data cannot reset the answer away).
    pub fn announce(&mut self, method: &str, path: &str, len: usize, sent: &[u8]) -> std::io::Result<Response> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n",
            self.addr
        );
        if let Some(t) = &self.token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        req.push_str("\r\n");
        let conn = self.conn()?;
        conn.get_mut().write_all(req.as_bytes())?;
        conn.get_mut().write_all(sent)?;
        let mut line = String::new();
        conn.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = vec![];
        let mut n = 0usize;
        loop {
            let mut h = String::new();
            conn.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    n = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0u8; n];
        conn.read_exact(&mut body)?;
        self.stream = None;
        Ok(Response { status, headers, body })
    }

    /// POSTs a `multipart/form-data` form: text `fields`, then each file as a
    /// part named `file` with its file name.
    pub fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> std::io::Result<Response> {
        self.send("POST", path, Some(&multipart(fields, files)), MULTIPART)
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Response> {
        self.send("GET", path, None, "")
    }

    pub fn post(&mut self, path: &str, json: &serde_json::Value) -> std::io::Result<Response> {
        self.send("POST", path, Some(json.to_string().as_bytes()), "application/json")
    }

    pub fn patch(&mut self, path: &str, json: &serde_json::Value) -> std::io::Result<Response> {
        self.send("PATCH", path, Some(json.to_string().as_bytes()), "application/json")
    }

    /// Logs in and keeps the bearer token.
    pub fn login(&mut self, user: &str, password: &str) -> Response {
        let r = self
            .post(
                "/api/v1/auth/login",
                &serde_json::json!({"username": user, "password": password}),
            )
            .unwrap();
        if r.status == 200 {
            self.token = r.json()["token"].as_str().map(str::to_string);
        }
        r
    }
}

/// The content type [`multipart`] bodies are sent with.
pub const MULTIPART: &str = "multipart/form-data; boundary=lvzhi-test-boundary-7d1f";

/// A `multipart/form-data` body (boundary of [`MULTIPART`]); the files go in
/// inputs named `file`.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let named: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, b)| ("file", *n, *b)).collect();
    multipart_named(fields, &named)
}

/// A `multipart/form-data` body whose files are `(input name, file name, bytes)`.
pub fn multipart_named(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let b = "lvzhi-test-boundary-7d1f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (input, name, bytes) in files {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{input}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    body
}
