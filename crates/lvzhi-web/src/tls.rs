//! TLS built in: `lvzhi serve --tls-cert --tls-key` (rustls with the `ring`
//! provider, TLS 1.2 and 1.3, HTTP/1.1), and the plain-HTTP listener that
//! only redirects to HTTPS.
//!
//! Handshakes run in tasks of their own (10 s at most), so a slow or silent
//! client holds up no one; only finished handshakes reach the server.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The server's TLS configuration from a PEM certificate chain and key;
/// errors in Chinese naming the file.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("无法读取证书文件 {}：{e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("证书文件 {} 格式有误：{e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("证书文件 {} 中没有证书（应为PEM格式）", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("无法读取私钥文件 {}：{e}", key.display()))?;
    // ring, not aws-lc-rs (cmake, minutes of build); rustls marks ring's
    // provider deprecated only for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS配置有误：{e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("证书与私钥不匹配或无效：{e}"))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A listener that hands axum finished TLS connections.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp`, handshaking with `cfg`.
    pub fn new(tcp: TcpListener, cfg: Arc<rustls::ServerConfig>) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(cfg);
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (sock, addr) = match tcp.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    break;
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(sock)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, addr)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, %addr, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// `https://<host>:<port><path>` for a request that came over plain HTTP.
pub fn https_location(host: Option<&str>, https_port: u16, path_and_query: &str) -> String {
    let host = host.unwrap_or("localhost");
    // Drop the port of the Host header (an IPv6 literal keeps its brackets).
    let bare = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    format!("https://{bare}{port}{path_and_query}")
}

/// The plain-HTTP server's whole application: every request is sent to HTTPS (308).
pub fn redirect_app(https_port: u16) -> Router {
    Router::new().fallback(move |req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        let pq = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let to = https_location(host, https_port, pq);
        let mut r: Response = StatusCode::PERMANENT_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn redirect_keeps_host_and_path_changes_port() {
        assert_eq!(
            https_location(Some("lvzhi.gov:8080"), 8443, "/ledgers/hazard?page=2"),
            "https://lvzhi.gov:8443/ledgers/hazard?page=2"
        );
        assert_eq!(https_location(Some("10.1.2.3"), 443, "/"), "https://10.1.2.3/");
        assert_eq!(https_location(Some("[::1]:80"), 8443, "/x"), "https://[::1]:8443/x");
        assert_eq!(https_location(Some("[::1]"), 8443, "/x"), "https://[::1]:8443/x");
    }

    #[test]
    fn bad_files_are_named() {
        let dir = std::env::temp_dir().join(format!("lvzhi-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("c.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        let e = server_config(&cert, &dir.join("none.pem")).unwrap_err();
        assert!(e.contains("c.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
