//! Reading input: text in UTF-8 (with or without BOM), UTF-16 with BOM, or
//! GBK/GB18030 (detected), and the paragraphs of a `.docx`.

use std::fmt;

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use lvzhi_limits::{Archive, DocxLimits, LimitError, human_bytes};
use quick_xml::events::Event;

/// Why bytes could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Neither valid UTF-8 nor valid GB18030 (e.g. a binary file); `offset` is
    /// the first byte that is invalid UTF-8.
    NotText {
        /// Byte offset of the first invalid UTF-8 sequence.
        offset: usize,
    },
    /// A UTF-16 text (with BOM) holding invalid sequences.
    BadUtf16,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotText { offset } => {
                write!(
                    f,
                    "无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030 文本（第 {offset} 字节起无效）"
                )
            }
            DecodeError::BadUtf16 => write!(f, "UTF-16 文本中含有无效字符"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a text file: UTF-8 (a BOM is stripped), UTF-16 with a BOM, or else
/// GBK/GB18030. Fails rather than guess when the bytes are none of these.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|e| DecodeError::NotText {
                offset: e.valid_up_to() + 3,
            });
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .map(|c| c.into_owned())
            .ok_or(DecodeError::BadUtf16);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return UTF_16BE
            .decode_without_bom_handling_and_without_replacement(rest)
            .map(|c| c.into_owned())
            .ok_or(DecodeError::BadUtf16);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let offset = e.valid_up_to();
            // Control bytes other than whitespace mean a binary file, not GBK text.
            if bytes.iter().any(|b| *b < 0x09 || (0x0E..0x1B).contains(b)) {
                return Err(DecodeError::NotText { offset });
            }
            GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|c| c.into_owned())
                .ok_or(DecodeError::NotText { offset })
        }
    }
}

/// Why a `.docx` could not be read.
#[derive(Debug)]
pub enum DocxError {
    /// Not a zip archive, or a damaged one.
    Zip(String),
    /// The archive has no `word/document.xml`.
    NoDocument,
    /// `word/document.xml` is not well-formed XML.
    Xml(String),
    /// Over one of the [`DocxLimits`] (a zip bomb, or not a report): the
    /// message names the limit.
    Limit(String),
}

impl fmt::Display for DocxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocxError::Zip(e) => write!(f, "不是有效的 .docx 文件（zip 无法读取：{e}）"),
            DocxError::NoDocument => write!(f, "不是有效的 .docx 文件（缺少 word/document.xml）"),
            DocxError::Xml(e) => write!(f, ".docx 正文 XML 格式错误：{e}"),
            DocxError::Limit(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DocxError {}

/// Extracts the text of a `.docx`: the paragraphs of `word/document.xml`, one
/// per line (`w:p` → newline, `w:tab` → tab, `w:br` → newline), within the
/// default [`DocxLimits`].
pub fn extract_docx_text(bytes: &[u8]) -> Result<String, DocxError> {
    extract_docx_text_with(bytes, &DocxLimits::default())
}

/// [`extract_docx_text`] within `limits`: the zip's declared sizes are checked
/// before anything is inflated, `word/document.xml` is counted while it is
/// inflated, and the text extracted is bounded too.
pub fn extract_docx_text_with(bytes: &[u8], limits: &DocxLimits) -> Result<String, DocxError> {
    let mut archive = Archive::open(bytes, limits.zip).map_err(limit_error)?;
    let xml = archive
        .read("word/document.xml", limits.max_xml_bytes)
        .map_err(limit_error)?;
    let text = paragraphs(&xml)?;
    if text.len() > limits.max_text_bytes {
        return Err(DocxError::Limit(format!(
            ".docx 正文超过 {} 上限",
            human_bytes(limits.max_text_bytes as u64)
        )));
    }
    Ok(text)
}

fn limit_error(e: LimitError) -> DocxError {
    match e {
        LimitError::NotZip(e) => DocxError::Zip(e),
        LimitError::Missing(_) => DocxError::NoDocument,
        other => DocxError::Limit(other.to_string().split(" / ").next().unwrap_or_default().to_string()),
    }
}

/// The text of a WordprocessingML body.
fn paragraphs(xml: &[u8]) -> Result<String, DocxError> {
    let xml = String::from_utf8_lossy(xml);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        let ev = reader.read_event().map_err(|e| DocxError::Xml(e.to_string()))?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tab" => out.push('\t'),
                "br" | "cr" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => out.push('\t'),
                "br" | "cr" | "p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else {
                    match r.xml10_content().as_ref() {
                        "lt" => out.push('<'),
                        "gt" => out.push('>'),
                        "amp" => out.push('&'),
                        "quot" => out.push('"'),
                        "apos" => out.push('\''),
                        _ => {}
                    }
                }
            }
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    #[test]
    fn utf8_and_bom() {
        assert_eq!(decode("全县".as_bytes()).unwrap(), "全县");
        assert_eq!(decode(b"\xEF\xBB\xBF\xE5\x85\xA8").unwrap(), "全");
    }

    #[test]
    fn gbk() {
        let (bytes, _, _) = GB18030.encode("全县财政总收入完成21.6亿元、增长22%");
        assert_eq!(decode(&bytes).unwrap(), "全县财政总收入完成21.6亿元、增长22%");
    }

    #[test]
    fn utf16() {
        let mut b = vec![0xFF, 0xFE];
        for u in "全县".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&b).unwrap(), "全县");
    }

    #[test]
    fn binary_is_refused() {
        assert!(decode(&[0x00, 0xFF, 0x01, 0x80]).is_err());
    }

    pub(crate) fn make_docx(body: &str) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            z.start_file("word/document.xml", opts).unwrap();
            let xml = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
            );
            z.write_all(xml.as_bytes()).unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn docx_paragraphs() {
        let d = make_docx(
            "<w:p><w:r><w:t>全县完成21.6亿元</w:t></w:r><w:r><w:t xml:space=\"preserve\">、增长22%</w:t></w:r></w:p><w:p><w:r><w:t>A&amp;B</w:t><w:tab/><w:t>x</w:t></w:r></w:p><w:p/>",
        );
        assert_eq!(extract_docx_text(&d).unwrap(), "全县完成21.6亿元、增长22%\nA&B\tx\n\n");
        assert!(matches!(extract_docx_text(b"not a zip"), Err(DocxError::Zip(_))));
    }

    #[test]
    fn docx_bombs_are_refused_before_inflating_and_while_inflating() {
        // 40 MB of paragraphs stored in a zip of about the same size is over
        // the declared-size check of a 16 MB archive limit.
        let para = "<w:p><w:r><w:t>全县完成21.6亿元。</w:t></w:r></w:p>";
        let d = make_docx(&para.repeat(20_000));
        let small = DocxLimits {
            zip: lvzhi_limits::ZipLimits {
                max_entries: 10,
                max_unzipped_bytes: 100_000,
            },
            ..DocxLimits::default()
        };
        let e = extract_docx_text_with(&d, &small).unwrap_err();
        assert!(matches!(e, DocxError::Limit(_)), "{e:?}");
        assert_eq!(e.to_string(), "文件解压后超过 100000 字节 上限");
        // Within the archive's limit but over document.xml's own.
        let doc = DocxLimits {
            max_xml_bytes: 100_000,
            ..DocxLimits::default()
        };
        let e = extract_docx_text_with(&d, &doc).unwrap_err();
        assert_eq!(e.to_string(), "文件中的 word/document.xml 解压后超过 100000 字节 上限");
        // Over the text limit.
        let text = DocxLimits {
            max_text_bytes: 1000,
            ..DocxLimits::default()
        };
        let e = extract_docx_text_with(&d, &text).unwrap_err();
        assert_eq!(e.to_string(), ".docx 正文超过 1000 字节 上限");
        assert_eq!(extract_docx_text(&d).unwrap().lines().count(), 20_000);
        assert!(matches!(
            extract_docx_text(&make_zip_without_document()),
            Err(DocxError::NoDocument)
        ));
    }

    fn make_zip_without_document() -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("a.txt", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b"x").unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }
}
