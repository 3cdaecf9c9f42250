//! Decompression bombs for tests, made in milliseconds and small on disk: a
//! zip entry whose content is `head + pattern × times + tail` is written as
//! independently deflated blocks (each compressed alone and ended with a sync
//! flush, so it refers to nothing before it) — the block for `pattern` is
//! repeated `times` times, the CRC is combined arithmetically. So the
//! issue's 2.8 MB xlsx with a 971 MB sheet is made without ever holding the
//! sheet.

use flate2::{Compress, Compression, FlushCompress};

/// One part (file) of a zip: `head`, then `pattern` `times` times, then `tail`.
#[derive(Debug, Clone, Default)]
pub struct Part {
    pub name: String,
    pub head: Vec<u8>,
    pub pattern: Vec<u8>,
    pub times: u64,
    pub tail: Vec<u8>,
}

impl Part {
    /// A part that is just `content`.
    pub fn plain(name: &str, content: &str) -> Part {
        Part {
            name: name.into(),
            head: content.as_bytes().to_vec(),
            ..Part::default()
        }
    }

    /// Its inflated size.
    pub fn size(&self) -> u64 {
        self.head.len() as u64 + self.pattern.len() as u64 * self.times + self.tail.len() as u64
    }
}

/// Raw deflate of `data` as blocks that refer to nothing before them, ending
/// on a byte boundary (not final).
fn block(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    let mut input = data;
    loop {
        let before_in = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Sync).unwrap();
        let used = (c.total_in() - before_in) as usize;
        input = &input[used..];
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(1024));
    }
    out
}

/// A zip of `parts`, every part deflated as above.
pub fn zip(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for p in parts {
        let mut data = block(&p.head);
        // Short patterns are grouped into blocks of about 256 KB.
        let k = (256 * 1024 / p.pattern.len().max(1)).max(1) as u64;
        let group = block(&p.pattern.repeat(k.min(p.times.max(1)) as usize));
        for _ in 0..p.times / k {
            data.extend_from_slice(&group);
        }
        data.extend_from_slice(&block(&p.pattern.repeat((p.times % k) as usize)));
        data.extend_from_slice(&block(&p.tail));
        // A final empty block with fixed codes.
        data.extend_from_slice(&[0x03, 0x00]);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&p.head);
        let mut one = crc32fast::Hasher::new();
        one.update(&p.pattern);
        // Combine the pattern's CRC `times` times by doubling.
        let mut pow = one;
        let mut n = p.times;
        let mut acc: Option<crc32fast::Hasher> = None;
        while n > 0 {
            if n & 1 == 1 {
                acc = Some(match acc {
                    None => pow.clone(),
                    Some(mut a) => {
                        a.combine(&pow);
                        a
                    }
                });
            }
            let twice = pow.clone();
            pow.combine(&twice);
            n >>= 1;
        }
        if let Some(a) = acc {
            crc.combine(&a);
        }
        let mut tail = crc32fast::Hasher::new();
        tail.update(&p.tail);
        crc.combine(&tail);
        let crc = crc.finalize();
        let size = u32::try_from(p.size()).expect("under 4 GiB");
        let csize = u32::try_from(data.len()).expect("under 4 GiB");
        let offset = out.len() as u32;
        let name = p.name.as_bytes();
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&8u16.to_le_bytes()); // deflate
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&csize.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name);
        out.extend_from_slice(&data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// An xlsx with one sheet (`sheet`) and optional shared strings.
pub fn xlsx(sheet: Part, shared_strings: Option<Part>) -> Vec<u8> {
    let has_sst = shared_strings.is_some();
    let mut parts = vec![
        Part::plain(
            "[Content_Types].xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{}</Types>"#,
                if has_sst {
                    r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#
                } else {
                    ""
                }
            ),
        ),
        Part::plain(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        Part::plain(
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="隐患" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        Part::plain(
            "xl/_rels/workbook.xml.rels",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{}</Relationships>"#,
                if has_sst {
                    r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
                } else {
                    ""
                }
            ),
        ),
    ];
    parts.push(Part {
        name: "xl/worksheets/sheet1.xml".into(),
        ..sheet
    });
    if let Some(s) = shared_strings {
        parts.push(Part {
            name: "xl/sharedStrings.xml".into(),
            ..s
        });
    }
    zip(&parts)
}

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// A sheet of `rows` rows of 8 numbers (the issue's bomb: 8,000,000 rows is
/// a 971 MB sheet of 64 M cells in a 2.8 MB file; here rather smaller on disk).
pub fn sheet_bomb(rows: u64) -> Vec<u8> {
    let row = format!("<row>{}</row>", "<c><v>1</v></c>".repeat(8));
    // 1,000 rows a pattern: fewer, larger blocks.
    let pattern = row.repeat(1000);
    xlsx(
        Part {
            head: format!("{SHEET_HEAD}<row><c t=\"inlineStr\"><is><t>隐患描述</t></is></c></row>").into_bytes(),
            pattern: pattern.into_bytes(),
            times: rows.div_ceil(1000),
            tail: SHEET_TAIL.as_bytes().to_vec(),
            ..Part::default()
        },
        None,
    )
}

/// A workbook whose shared-strings table holds `n` one-character strings
/// (and declares them), with a one-cell sheet.
pub fn shared_strings_bomb(n: u64) -> Vec<u8> {
    xlsx(
        Part {
            head: format!("{SHEET_HEAD}<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>{SHEET_TAIL}").into_bytes(),
            ..Part::default()
        },
        Some(Part {
            head: format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">"#
            )
            .into_bytes(),
            pattern: "<si><t>a</t></si>".repeat(1000).into_bytes(),
            times: n.div_ceil(1000),
            tail: b"</sst>".to_vec(),
            ..Part::default()
        }),
    )
}

/// A workbook whose shared-strings table declares `unique` strings (which
/// the reader would reserve up front) but holds one.
pub fn shared_strings_declared(unique: u64) -> Vec<u8> {
    xlsx(
        Part {
            head: format!("{SHEET_HEAD}<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>{SHEET_TAIL}").into_bytes(),
            ..Part::default()
        },
        Some(Part::plain(
            "",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="{unique}"><si><t>隐患描述</t></si></sst>"#
            ),
        )),
    )
}

/// A sheet `cols` columns wide: a header row and one data row.
pub fn wide_sheet(cols: u64) -> Vec<u8> {
    let cells: String = (0..cols)
        .map(|i| format!("<c t=\"inlineStr\"><is><t>列{i}</t></is></c>"))
        .collect();
    xlsx(
        Part {
            head: format!("{SHEET_HEAD}<row>{cells}</row><row>{cells}</row>{SHEET_TAIL}").into_bytes(),
            ..Part::default()
        },
        None,
    )
}

/// A .docx whose `word/document.xml` holds `paragraphs` paragraphs of
/// "全县完成21.6亿元。" (33 bytes of XML each… times the pattern).
pub fn docx_bomb(paragraphs: u64) -> Vec<u8> {
    let para = "<w:p><w:r><w:t>全县完成21.6亿元，增长22%。</w:t></w:r></w:p>";
    zip(&[
        Part::plain(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
        ),
        Part::plain(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
        ),
        Part {
            name: "word/document.xml".into(),
            head: br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#.to_vec(),
            pattern: para.repeat(1000).into_bytes(),
            times: paragraphs.div_ceil(1000),
            tail: b"</w:body></w:document>".to_vec(),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn bombs_are_valid_zips() {
        let z = zip(&[Part {
            name: "a.txt".into(),
            head: b"head".to_vec(),
            pattern: b"0123456789".to_vec(),
            times: 100_001,
            tail: b"tail".to_vec(),
        }]);
        assert!(z.len() < 20_000, "{}", z.len());
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
        let mut s = String::new();
        a.by_index(0).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s.len(), 8 + 1_000_010);
        assert!(s.starts_with("head0123") && s.ends_with("789tail"));
    }

    #[test]
    fn the_issue_bomb_is_small() {
        let b = sheet_bomb(8_000_000);
        assert!(b.len() < 6_000_000, "{}", b.len());
    }
}
