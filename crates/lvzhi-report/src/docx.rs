//! DOCX in the GB/T 9704—2012 layout, written part by part (WordprocessingML
//! in a zip): A4 (11906 × 16838 twips); top margin 37 mm (2098), left
//! (binding) margin 28 mm (1588), text block 156 × 225 mm, so right 26 mm
//! (1474) and bottom 35 mm (1984); body 仿宋_GB2312 三号 (16 pt) at 22 lines
//! × 28 characters: a line grid of 579 twips (225 mm / 22) and the body runs
//! condensed by 0.25 pt (15.75 pt × 28 = 441 pt ≤ 156 mm = 442.2 pt). (A
//! `linesAndChars` grid with `charSpace` gives 28 characters in Word but is
//! read differently by LibreOffice — 17 to 22 characters a line in our
//! tests — so the character pitch is carried by the runs, which both honour.) title 方正小标宋简体 二号 (22 pt) centred; level-1 headings 黑体,
//! level-2 楷体_GB2312; paragraphs indented two characters; page numbers
//! "— 1 —" in 宋体 四号 (14 pt), odd pages right and even pages left (one
//! character in from the edge), through `evenAndOddHeaders` and two footers.
//! Fonts are named (with their `eastAsia` attribute), never embedded.

use crate::{Block, Report, ReportError, strip};
use std::io::Write;

/// Page width, twips.
pub const PAGE_W: u32 = 11906;
/// Page height, twips.
pub const PAGE_H: u32 = 16838;
/// Top margin (37 mm), twips.
pub const MARGIN_TOP: u32 = 2098;
/// Left (binding) margin (28 mm), twips.
pub const MARGIN_LEFT: u32 = 1588;
/// Right margin (26 mm), twips.
pub const MARGIN_RIGHT: u32 = 1474;
/// Bottom margin (35 mm), twips.
pub const MARGIN_BOTTOM: u32 = 1984;
/// Line pitch: 225 mm / 22 lines, twips.
pub const LINE_PITCH: u32 = 579;
/// Character spacing of 16 pt runs, in twentieths of a point (−0.25 pt): 28 characters a line.
pub const CHAR_SPACING: i32 = -5;

/// The body font.
pub const BODY_FONT: &str = "仿宋_GB2312";
/// The title font.
pub const TITLE_FONT: &str = "方正小标宋简体";
/// Level-1 headings.
pub const H1_FONT: &str = "黑体";
/// Level-2 headings.
pub const H2_FONT: &str = "楷体_GB2312";
/// Page numbers.
pub const PAGE_NUM_FONT: &str = "宋体";

fn esc(s: &str) -> String {
    crate::html::escape(s)
}

pub(crate) fn fonts(f: &str) -> String {
    format!("<w:rFonts w:ascii=\"{f}\" w:hAnsi=\"{f}\" w:eastAsia=\"{f}\" w:cs=\"{f}\" w:hint=\"eastAsia\"/>")
}

pub(crate) fn run(text: &str, font: &str, half_points: u32) -> String {
    let spacing = if half_points == 32 {
        format!("<w:spacing w:val=\"{CHAR_SPACING}\"/>")
    } else {
        String::new()
    };
    format!(
        "<w:r><w:rPr>{}{spacing}<w:sz w:val=\"{half_points}\"/><w:szCs w:val=\"{half_points}\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
        fonts(font),
        esc(text)
    )
}

pub(crate) fn para(b: &Block) -> String {
    let text = strip(b.raw());
    let exact = format!("<w:spacing w:line=\"{LINE_PITCH}\" w:lineRule=\"exact\"/>");
    match b {
        Block::Title(_) => format!(
            "<w:p><w:pPr><w:jc w:val=\"center\"/><w:spacing w:line=\"{}\" w:lineRule=\"exact\"/></w:pPr>{}</w:p><w:p><w:pPr>{exact}</w:pPr></w:p>",
            LINE_PITCH * 3 / 2,
            run(&text, TITLE_FONT, 44)
        ),
        Block::H1(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/><w:outlineLvl w:val=\"0\"/></w:pPr>{}</w:p>",
            run(&text, H1_FONT, 32)
        ),
        Block::H2(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/><w:outlineLvl w:val=\"1\"/></w:pPr>{}</w:p>",
            run(&text, H2_FONT, 32)
        ),
        Block::Flush(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/></w:pPr>{}</w:p>",
            run(&text, BODY_FONT, 32)
        ),
        // 右空四字: four 16 pt characters (4 × 320 twips) in from the right margin.
        Block::Right(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:right=\"1280\" w:firstLine=\"0\"/><w:jc w:val=\"right\"/></w:pPr>{}</w:p>",
            run(&text, BODY_FONT, 32)
        ),
        Block::Centre(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>{}</w:p>",
            run(&text, BODY_FONT, 32)
        ),
        Block::Para(_) => format!(
            "<w:p><w:pPr>{exact}<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/><w:jc w:val=\"both\"/></w:pPr>{}</w:p>",
            run(&text, BODY_FONT, 32)
        ),
    }
}

pub(crate) const NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

/// `word/document.xml`.
pub fn document_xml(report: &Report) -> String {
    let mut body = String::new();
    for b in &report.blocks {
        body.push_str(&para(b));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {NS}><w:body>{body}<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooterOdd\"/><w:footerReference w:type=\"even\" r:id=\"rIdFooterEven\"/><w:pgSz w:w=\"{PAGE_W}\" w:h=\"{PAGE_H}\"/><w:pgMar w:top=\"{MARGIN_TOP}\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"{MARGIN_BOTTOM}\" w:left=\"{MARGIN_LEFT}\" w:header=\"851\" w:footer=\"1247\" w:gutter=\"0\"/><w:cols w:space=\"425\"/><w:docGrid w:type=\"lines\" w:linePitch=\"{LINE_PITCH}\"/></w:sectPr></w:body></w:document>"
    )
}

/// A footer with the page number "— N —", right (odd) or left (even).
pub fn footer_xml(odd: bool) -> String {
    let (jc, ind) = if odd {
        ("right", "<w:ind w:right=\"280\"/>")
    } else {
        ("left", "<w:ind w:left=\"280\"/>")
    };
    let rpr = format!(
        "<w:rPr>{}<w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr>",
        fonts(PAGE_NUM_FONT)
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:ftr {NS}><w:p><w:pPr><w:jc w:val=\"{jc}\"/>{ind}</w:pPr><w:r>{rpr}<w:t xml:space=\"preserve\">— </w:t></w:r><w:r>{rpr}<w:fldChar w:fldCharType=\"begin\"/></w:r><w:r>{rpr}<w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r>{rpr}<w:fldChar w:fldCharType=\"separate\"/></w:r><w:r>{rpr}<w:t>1</w:t></w:r><w:r>{rpr}<w:fldChar w:fldCharType=\"end\"/></w:r><w:r>{rpr}<w:t xml:space=\"preserve\"> —</w:t></w:r></w:p></w:ftr>"
    )
}

fn styles_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles {NS}><w:docDefaults><w:rPrDefault><w:rPr>{}<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:widowControl w:val=\"0\"/><w:jc w:val=\"both\"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style></w:styles>",
        fonts(BODY_FONT)
    )
}

const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:evenAndOddHeaders/><w:defaultTabStop w:val=\"420\"/><w:characterSpacingControl w:val=\"compressPunctuation\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat></w:settings>";

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/><Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/><Override PartName=\"/word/footer2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/></Types>";

const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";

const DOC_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/><Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/><Relationship Id=\"rIdFooterOdd\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/><Relationship Id=\"rIdFooterEven\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer2.xml\"/></Relationships>";

/// The DOCX file; the chain head at generation is in its core properties
/// (`docProps/core.xml`: 备注/description and keywords, shown by Word under 文件 → 信息 → 属性).
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    package_with(document_xml(report), report.anchor_line().as_deref())
}

/// The core properties part carrying the chain head.
fn core_xml(anchor: &str) -> String {
    let a = esc(anchor);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:creator>lvzhi</dc:creator><cp:keywords>lvzhi-chain-head {a}</cp:keywords><dc:description>生成时变更日志链头：{a}（核对：lvzhi audit verify --anchor）</dc:description></cp:coreProperties>"
    )
}

/// A DOCX file around a `word/document.xml` (styles, settings, the two
/// page-number footers of the layout).
pub fn package(document: String) -> Result<Vec<u8>, ReportError> {
    package_with(document, None)
}

/// [`package`], with the chain head in the core properties when given.
fn package_with(document: String, anchor: Option<&str>) -> Result<Vec<u8>, ReportError> {
    let parts: [(&str, String); 7] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", RELS.to_string()),
        ("word/_rels/document.xml.rels", DOC_RELS.to_string()),
        ("word/document.xml", document),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", SETTINGS.to_string()),
        ("word/footer1.xml", footer_xml(true)),
    ];
    let even = ("word/footer2.xml", footer_xml(false));
    let mut parts = parts.to_vec();
    if let Some(a) = anchor {
        parts[0].1 = CONTENT_TYPES.replace(
            "</Types>",
            "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>",
        );
        parts[1].1 = RELS.replace(
            "</Relationships>",
            "<Relationship Id=\"rIdCore\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>",
        );
        parts.push(("docProps/core.xml", core_xml(a)));
    }
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp keeps the file byte-identical for the same report.
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    let err = |e: &dyn std::fmt::Display| ReportError::Bad(format!("DOCX写入失败：{e}"));
    for (name, text) in parts.iter().chain(std::iter::once(&even)) {
        zw.start_file(*name, opts).map_err(|e| err(&e))?;
        zw.write_all(text.as_bytes()).map_err(|e| err(&e))?;
    }
    let cur = zw.finish().map_err(|e| err(&e))?;
    Ok(cur.into_inner())
}
