//! File downloads (exports, result sheets, reports): one `Content-Disposition`
//! for every adapter.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `Content-Disposition` of a download named `name` (RFC 6266/5987: an
/// ASCII fallback and the UTF-8 name).
pub fn attachment(name: &str) -> Option<HeaderValue> {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
    HeaderValue::from_str(&format!(
        "attachment; filename=\"export.{ext}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

/// A file download: `bytes` as `mime`, saved as `name`, never cached.
pub fn file(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, mime)], bytes).into_response();
    if let Some(v) = attachment(name) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn utf8_name_with_ascii_fallback() {
        let v = attachment("隐患台账-20261125.xlsx").unwrap();
        let s = v.to_str().unwrap();
        assert!(s.starts_with("attachment; filename=\"export.xlsx\"; filename*=UTF-8''%E9%9A%90"));
        assert!(s.ends_with("-20261125.xlsx"));
        let r = file(vec![1], "text/csv", "a.csv");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
