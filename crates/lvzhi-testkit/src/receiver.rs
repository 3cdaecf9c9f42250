//! A local HTTP receiver standing in for a 企业微信/钉钉 robot webhook or an
//! SMS gateway: it records every request (head and body) and answers 200
//! with `{"errcode":0,"errmsg":"ok"}`. One thread, one request per
//! connection (the sender sends `Connection: close`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    /// The request line and headers.
    pub head: String,
    /// The body.
    pub body: String,
}

impl Got {
    /// The request target (path with query).
    pub fn path(&self) -> &str {
        self.head.split_whitespace().nth(1).unwrap_or("")
    }

    /// The value of header `name` (any case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.trim())
    }

    /// The JSON body's `text.content` (a robot message), or "".
    pub fn content(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["text"]["content"].as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Its port on 127.0.0.1.
    pub port: u16,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    /// Starts one on a free port of 127.0.0.1 (it runs until the process ends).
    pub fn start() -> Receiver {
        Receiver::start_on(0)
    }

    /// Starts one on `port` of 127.0.0.1 (0: a free one) — a port a channel
    /// was configured with before its receiver came up.
    pub fn start_on(port: u16) -> Receiver {
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = l.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut tmp = [0u8; 8192];
                let (head, body) = loop {
                    let n = s.read(&mut tmp).unwrap_or(0);
                    buf.extend_from_slice(&tmp[..n]);
                    let t = String::from_utf8_lossy(&buf).to_string();
                    if let Some((h, b)) = t.split_once("\r\n\r\n") {
                        let len: usize = h
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .and_then(|v| v.trim().parse().ok())
                            })
                            .unwrap_or(0);
                        if b.len() >= len || n == 0 {
                            break (h.to_string(), b.to_string());
                        }
                    }
                    if n == 0 {
                        break (t, String::new());
                    }
                };
                if head.is_empty() {
                    continue; // a connection closed without a request
                }
                g.lock().unwrap().push(Got { head, body });
                let ok = r#"{"errcode":0,"errmsg":"ok"}"#;
                let _ = s.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ok}",
                        ok.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Receiver { port, got }
    }

    /// A webhook address on it: `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What it got so far, oldest first.
    pub fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The bodies it got so far.
    pub fn bodies(&self) -> Vec<String> {
        self.got().into_iter().map(|g| g.body).collect()
    }
}
