//! How the outbox sender reaches a receiver (issue 17 item 3).
//!
//! * HTTP/1.1 over TCP (`http://`, an intranet relay) or over TLS
//!   (`https://`, e.g. `https://qyapi.weixin.qq.com`, `https://oapi.dingtalk.com`)
//!   with rustls on ring — the TLS stack the server already has, no second one.
//! * E-mail over SMTP with `lettre` on the same rustls: `smtp://host:port`
//!   (STARTTLS when the server offers it) or `smtps://host:port` (TLS from the
//!   first byte).
//!
//! Server certificates are checked against the PEM CA file the admin gives
//! the channel (then only it), or else the system's CAs (`rustls-native-certs`:
//! `SSL_CERT_FILE` or the distribution's bundle); without either the message
//! fails with a message saying so, never sent unchecked.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The PEM text of the channel's CA file.
fn trust_pem(ca_file: &str) -> Result<Vec<u8>, String> {
    std::fs::read(ca_file.trim()).map_err(|e| format!("无法读取CA证书文件{}：{e}", ca_file.trim()))
}

/// The certificates to trust: the channel's CA file, else the system's.
fn trusted(ca_file: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    if !ca_file.trim().is_empty() {
        return certs(&trust_pem(ca_file)?);
    }
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        return Err("未找到系统CA证书，请在渠道设置中填写CA证书文件（PEM）".into());
    }
    Ok(found.certs)
}

/// The certificates of a PEM text.
fn certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let v: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("CA证书文件格式有误：{e}"))?;
    if v.is_empty() {
        return Err("CA证书文件中没有证书".into());
    }
    Ok(v)
}

/// TLS client settings, made once per CA file within a sender pass.
#[derive(Default)]
pub(crate) struct TlsCache {
    configs: HashMap<String, Arc<rustls::ClientConfig>>,
}

impl TlsCache {
    /// The client settings trusting `ca_file` (or the system bundle).
    fn config(&mut self, ca_file: &str) -> Result<Arc<rustls::ClientConfig>, String> {
        if let Some(c) = self.configs.get(ca_file) {
            return Ok(c.clone());
        }
        let mut roots = rustls::RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(trusted(ca_file)?);
        if added == 0 {
            return Err("CA证书文件中没有可用的证书".into());
        }
        // ring, as the server's own TLS (rustls marks it deprecated only for
        // lacking post-quantum key exchange).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS设置有误：{e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let cfg = Arc::new(cfg);
        self.configs.insert(ca_file.to_string(), cfg.clone());
        Ok(cfg)
    }
}

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: String,
    /// The full address (`http://` or `https://`).
    pub url: String,
    /// Content type of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// Writes the request and reads the whole answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, head: &str, body: &str) -> Result<Vec<u8>, String> {
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| format!("发送失败：{e}"))?;
    s.write_all(body.as_bytes())
        .await
        .map_err(|e| format!("发送失败：{e}"))?;
    s.flush().await.map_err(|e| format!("发送失败：{e}"))?;
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf).await {
        Ok(_) => {}
        // A TLS peer closing without close_notify after a full answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => {}
        Err(e) => return Err(format!("读取应答失败：{e}")),
    }
    Ok(buf)
}

/// The body of a chunked answer, joined.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(after.get(..n).unwrap_or(""));
        rest = after.get(n..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

/// Sends one request over HTTP/1.1 or HTTPS; `Ok` on 2xx whose JSON body, if
/// any, has no non-zero `errcode` (企业微信, 钉钉).
pub(crate) async fn send_http(r: &Request, idem: &str, ca_file: &str, tls: &mut TlsCache) -> Result<(), String> {
    let (secure, rest) = if let Some(rest) = r.url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = r.url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("地址须以http://或https://开头".into());
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, addr) = match hostport.rsplit_once(':') {
        Some((h, _)) if !h.is_empty() => (h, hostport.to_string()),
        _ => (hostport, format!("{hostport}:{}", if secure { 443 } else { 80 })),
    };
    let head = format!(
        "{} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Idempotency-Key: {idem}\r\nUser-Agent: lvzhi\r\nConnection: close\r\n\r\n",
        r.method,
        r.content_type,
        r.body.len()
    );
    let config = if secure { Some(tls.config(ca_file)?) } else { None };
    let io = async {
        let tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("连接{addr}失败：{e}"))?;
        match config {
            Some(cfg) => {
                let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                    .map_err(|_| format!("地址中的主机名{host}无效"))?;
                let mut s = tokio_rustls::TlsConnector::from(cfg)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("与{addr}建立TLS连接失败：{e}"))?;
                exchange(&mut s, &head, &r.body).await
            }
            None => {
                let mut s = tcp;
                exchange(&mut s, &head, &r.body).await
            }
        }
    };
    let buf = tokio::time::timeout(TIMEOUT, io)
        .await
        .map_err(|_| "10秒内无应答".to_string())??;
    let text = String::from_utf8_lossy(&buf);
    let code: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "应答不是HTTP".to_string())?;
    if !(200..300).contains(&code) {
        return Err(format!("接收方应答HTTP {code}"));
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked { dechunk(body) } else { body.to_string() };
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body.trim())
        && let Some(e) = v.get("errcode").and_then(|e| e.as_i64())
        && e != 0
    {
        return Err(format!(
            "接收方返回errcode {e}：{}",
            v.get("errmsg").and_then(|m| m.as_str()).unwrap_or("")
        ));
    }
    Ok(())
}

/// An e-mail channel's settings.
pub(crate) struct Mail<'a> {
    /// `smtp://host:port` or `smtps://host:port`.
    pub url: &'a str,
    /// The login (empty: none).
    pub user: &'a str,
    /// The password.
    pub password: &'a str,
    /// The sender address.
    pub from: &'a str,
    /// Recipients, separated by commas or semicolons.
    pub to: &'a str,
    /// The PEM CA file (empty: the system bundle).
    pub ca_file: &'a str,
}

/// The host and port of an SMTP address, and whether TLS starts at once.
pub(crate) fn smtp_address(url: &str) -> Result<(bool, String, u16), String> {
    let (wrapped, rest) = if let Some(r) = url.strip_prefix("smtps://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("smtp://") {
        (false, r)
    } else {
        return Err("邮件服务器地址须以smtp://或smtps://开头".into());
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>().map_err(|_| format!("邮件服务器端口{p}无效"))?,
        ),
        None => (rest.to_string(), if wrapped { 465 } else { 25 }),
    };
    if host.is_empty() || host.contains('/') {
        return Err("邮件服务器地址无效".into());
    }
    Ok((wrapped, host, port))
}

/// The recipients of a list ("a@x.cn, b@y.cn").
pub(crate) fn recipients(to: &str) -> Result<Vec<Mailbox>, String> {
    let v: Vec<Mailbox> = to
        .split([',', ';', '，', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Mailbox>().map_err(|_| format!("收件人地址{s}无效")))
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err("请填写收件人地址".into());
    }
    Ok(v)
}

/// Sends one e-mail (subject and body UTF-8; the idempotency key as its
/// `Message-ID`, so a receiver can drop a repeat).
pub(crate) async fn send_mail(m: &Mail<'_>, subject: &str, body: &str, idem: &str) -> Result<(), String> {
    let (wrapped, host, port) = smtp_address(m.url)?;
    let from: Mailbox = m
        .from
        .trim()
        .parse()
        .map_err(|_| format!("发件人地址{}无效", m.from.trim()))?;
    let mut msg = Message::builder()
        .from(from)
        .subject(subject)
        .message_id(Some(format!("<{idem}@lvzhi>")));
    for r in recipients(m.to)? {
        msg = msg.to(r);
    }
    let msg = msg
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::Base64)
        .body(body.to_string())
        .map_err(|e| format!("邮件内容有误：{e}"))?;
    // The channel's CA file only, when it names one; else the system's CAs.
    let mut params = TlsParameters::builder(host.clone());
    if !m.ca_file.trim().is_empty() {
        let pem = trust_pem(m.ca_file)?;
        params = params
            .certificate_store(CertificateStore::None)
            .add_root_certificate(Certificate::from_pem(&pem).map_err(|e| format!("CA证书文件格式有误：{e}"))?);
    }
    let params = params.build_rustls().map_err(|e| format!("TLS设置有误：{e}"))?;
    // smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS when
    // the server offers it (an intranet relay may not).
    let tls = if wrapped {
        Tls::Wrapper(params)
    } else {
        Tls::Opportunistic(params)
    };
    let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .hello_name(ClientId::Domain("lvzhi.local".into()))
        .timeout(Some(TIMEOUT));
    if !m.user.trim().is_empty() {
        t = t.credentials(Credentials::new(m.user.trim().to_string(), m.password.to_string()));
    }
    let t = t.build();
    tokio::time::timeout(TIMEOUT * 2, t.send(msg))
        .await
        .map_err(|_| "邮件服务器20秒内无应答".to_string())?
        .map_err(|e| format!("邮件发送失败：{e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_answers_are_joined() {
        assert_eq!(
            dechunk("1b\r\n{\"errcode\":0,\"errmsg\":\"ok\"}\r\n0\r\n\r\n"),
            "{\"errcode\":0,\"errmsg\":\"ok\"}"
        );
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
    }

    #[test]
    fn smtp_addresses() {
        assert_eq!(
            smtp_address("smtps://mail.x.cn").unwrap(),
            (true, "mail.x.cn".into(), 465)
        );
        assert_eq!(
            smtp_address("smtp://10.1.1.1:2525").unwrap(),
            (false, "10.1.1.1".into(), 2525)
        );
        assert!(smtp_address("http://x").is_err());
        assert!(smtp_address("smtp://x:abc").is_err());
        assert_eq!(recipients("a@x.cn，b@y.cn").unwrap().len(), 2);
        assert!(recipients(" ").is_err());
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let e = trust_pem("/nonexistent/ca.pem").unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        assert!(certs(b"no pem here").is_err());
    }
}
