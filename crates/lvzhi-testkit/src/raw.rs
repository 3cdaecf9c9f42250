//! One raw request per connection, plain or over TLS, for the tests that look
//! at exactly what the server sends (redirects, HSTS, cookies, the TLS
//! listener itself). The response is returned as text, head and body.

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `request` over TLS to `addr` as `localhost`, trusting only the
/// DER certificate `ca`; reads until the server closes. Panics on a failed
/// connection or handshake (the test's failure).
pub async fn https(addr: SocketAddr, ca: &[u8], request: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(ca.to_vec())).unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `request` over plain TCP; reads until the server closes.
pub async fn http(addr: SocketAddr, request: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tcp.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of header `name` (any case) in a raw response's head.
pub fn header<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or("");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_values_any_case_head_only() {
        let r = "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX: y\r\n\r\nSet-Cookie: body";
        assert_eq!(super::header(r, "SET-COOKIE"), vec!["a=1", "b=2"]);
        assert!(super::header(r, "missing").is_empty());
    }
}
