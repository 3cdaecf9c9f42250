//! Forms with a file (`multipart/form-data`), read by axum's [`Multipart`]
//! extractor (the `multer` parser) within the route's body limit
//! (`DefaultBodyLimit`); plain forms (`application/x-www-form-urlencoded`)
//! are read as well, so a page can take either.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

/// A submitted form: its text fields and its file, if one was chosen.
#[derive(Debug, Default)]
pub struct Submitted {
    /// Text fields in order (`csrf`, `text`, …).
    pub fields: Vec<(String, String)>,
    /// The file field `file`: (file name, bytes); `None` when none was chosen.
    pub file: Option<(String, Vec<u8>)>,
}

/// Why a form could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Unread {
    /// Over the route's body limit.
    TooLarge,
    /// Not a well-formed form.
    Malformed,
}

/// Reads the form of `req`: multipart (text fields and the file field
/// `file`) or urlencoded (at most `limit` bytes).
pub async fn read_form<S: Send + Sync>(req: Request, state: &S, limit: usize) -> Result<Submitted, Unread> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.trim_start().starts_with("multipart/form-data"));
    if !multipart {
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| Unread::TooLarge)?;
        return Ok(Submitted {
            fields: serde_urlencoded::from_bytes(&body).unwrap_or_default(),
            file: None,
        });
    }
    let mut m = Multipart::from_request(req, state)
        .await
        .map_err(|_| Unread::Malformed)?;
    let mut out = Submitted::default();
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(out),
            Err(e) => return Err(too_large_or_malformed(e.status())),
        };
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|e| too_large_or_malformed(e.status()))?;
        match filename {
            // An empty file input sends a part with no name and no bytes.
            Some(f) if name == "file" => {
                if !f.is_empty() && out.file.is_none() {
                    out.file = Some((f, data.to_vec()));
                }
            }
            _ => out.fields.push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
}

fn too_large_or_malformed(status: StatusCode) -> Unread {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Unread::TooLarge
    } else {
        Unread::Malformed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn request(ctype: &str, body: &'static [u8]) -> Request {
        Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, ctype)
            .body(axum::body::Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn fields_and_the_file_of_a_form() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe9\x9a\x90\xe6\x82\xa3.csv\"\r\n\
Content-Type: text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let f = read_form(request("multipart/form-data; boundary=XyZ", body), &(), 1024)
            .await
            .unwrap();
        assert_eq!(f.fields, vec![("csrf".to_string(), "abc".to_string())]);
        let (name, data) = f.file.unwrap();
        assert_eq!((name.as_str(), data.as_slice()), ("隐患.csv", &b"a,b\r\n1,2\r\n"[..]));
        // An empty file input: no file.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n";
        let f = read_form(request("multipart/form-data; boundary=XyZ", body), &(), 1024)
            .await
            .unwrap();
        assert!(f.file.is_none());
        // A plain form, and its limit.
        let f = read_form(
            request("application/x-www-form-urlencoded", b"csrf=a&text=%E5%BE%88"),
            &(),
            1024,
        )
        .await
        .unwrap();
        assert_eq!(f.fields[1], ("text".to_string(), "很".to_string()));
        let r = read_form(request("application/x-www-form-urlencoded", b"text=aaaaaaaa"), &(), 4).await;
        assert_eq!(r.unwrap_err(), Unread::TooLarge);
        // Not a form.
        let r = read_form(
            request("multipart/form-data; boundary=XyZ", b"--XyZ\r\ngarbage"),
            &(),
            1024,
        )
        .await;
        assert_eq!(r.unwrap_err(), Unread::Malformed);
    }
}
