//! The xlsx pre-check: before calamine opens a workbook, every part of the
//! zip is inflated once, counted and scanned, so that what calamine then
//! holds in memory is bounded by [`SheetLimits`]:
//!
//! * the central directory's sizes, and the bytes actually inflated, within
//!   [`ZipLimits`](lvzhi_limits::ZipLimits) (`文件解压后超过 200MB 上限`);
//! * every XML tag and text run shorter than `max_token_bytes` (the XML
//!   reader holds one whole);
//! * the shared-strings table: its declared `uniqueCount` (which calamine
//!   reserves up front) and the `<si>` entries present, within
//!   `max_shared_strings`;
//! * merged regions (`<mergeCell>`) within `max_merges`.
//!
//! Cells, columns, rows and text are bounded while the sheet is read
//! (`sheet.rs`), where their positions are known.
//!
//! The scan is a byte-level state machine, not an XML parser: it never holds
//! more than a few KB, and where it could be fooled (a `<si>` inside a
//! CDATA section) it only counts more, never less.

use crate::IoError;
use crate::sheet::{too_many_cells, too_many_columns, too_many_merges, too_many_rows};
use lvzhi_limits::{Archive, LimitError, SheetLimits, human_bytes};

/// What a workbook holds, as counted by the pre-check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bytes inflated, all parts.
    pub unzipped: u64,
    /// `<si>` entries (shared strings).
    pub shared_strings: usize,
    /// `<mergeCell>` entries.
    pub merges: usize,
}

/// A refusal at a limit.
fn limit(msg: String) -> IoError {
    IoError::Unreadable(msg)
}

fn from_limit(e: LimitError) -> IoError {
    match e {
        LimitError::NotZip(e) => IoError::Unreadable(format!("无法读取工作簿 / cannot read workbook: {e}")),
        other => IoError::Unreadable(other.to_string()),
    }
}

/// Checks an xlsx against `limits` (see the module doc) without keeping any
/// of it: an error names the limit that was passed.
pub fn precheck_xlsx(bytes: &[u8], limits: &SheetLimits) -> Result<Counts, IoError> {
    let mut zip = Archive::open(bytes, limits.zip).map_err(from_limit)?;
    let mut counts = Counts::default();
    let mut err: Option<IoError> = None;
    for i in 0..zip.len() {
        let name = zip.name(i).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let named_xml = lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml");
        let mut scan = Scan::new(limits);
        // Parts not named as XML are scanned too when they look like XML (a
        // relationship can point calamine at any part).
        let mut decided = named_xml;
        let mut is_xml = named_xml;
        let got = zip.entry(i, u64::MAX, &mut |chunk| {
            if !decided {
                if let Some(b) = chunk
                    .iter()
                    .find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF))
                {
                    decided = true;
                    is_xml = *b == b'<';
                } else {
                    return Ok(());
                }
            }
            if is_xml && let Err(e) = scan.feed(chunk) {
                err = Some(e);
                // Stop inflating: any error ends the entry.
                return Err(LimitError::Missing(String::new()));
            }
            Ok(())
        });
        if let Some(e) = err.take() {
            return Err(e);
        }
        counts.unzipped += got.map_err(from_limit)?;
        counts.shared_strings += scan.shared_strings;
        counts.merges += scan.merges;
        if counts.shared_strings > limits.max_shared_strings {
            return Err(too_many_strings(limits));
        }
        if counts.merges > limits.max_merges {
            return Err(too_many_merges(limits));
        }
    }
    Ok(counts)
}

fn too_many_strings(limits: &SheetLimits) -> IoError {
    limit(format!(
        "共享字符串超过 {} 个上限 / more than {} shared strings",
        limits.max_shared_strings, limits.max_shared_strings
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    Tag,
    Quote(u8),
    Comment,
    CData,
}

/// The byte-level scanner of one XML part.
struct Scan<'a> {
    limits: &'a SheetLimits,
    state: State,
    /// Length of the current tag or text run.
    run: usize,
    /// The first bytes of the current tag (name and attributes).
    tag: Vec<u8>,
    /// The last three bytes (for `-->` and `]]>`).
    last: [u8; 3],
    shared_strings: usize,
    merges: usize,
}

/// Bytes of a tag kept for its name and attributes.
const TAG_KEPT: usize = 4096;

impl<'a> Scan<'a> {
    fn new(limits: &'a SheetLimits) -> Scan<'a> {
        Scan {
            limits,
            state: State::Text,
            run: 0,
            tag: Vec::with_capacity(256),
            last: [0; 3],
            shared_strings: 0,
            merges: 0,
        }
    }

    fn too_long(&self) -> IoError {
        limit(format!(
            "工作簿中有超过 {} 的单个标签或文字 / an XML tag or text longer than {}",
            human_bytes(self.limits.max_token_bytes as u64),
            human_bytes(self.limits.max_token_bytes as u64)
        ))
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), IoError> {
        let max = self.limits.max_token_bytes;
        let mut i = 0;
        while i < chunk.len() {
            if self.state == State::Text {
                // Jump to the next tag.
                let rest = chunk.get(i..).unwrap_or_default();
                match rest.iter().position(|&b| b == b'<') {
                    None => {
                        self.run += rest.len();
                        if self.run > max {
                            return Err(self.too_long());
                        }
                        return Ok(());
                    }
                    Some(p) => {
                        self.run += p;
                        if self.run > max {
                            return Err(self.too_long());
                        }
                        i += p + 1;
                        self.state = State::Tag;
                        self.run = 1;
                        self.tag.clear();
                        continue;
                    }
                }
            }
            let b = chunk.get(i).copied().unwrap_or_default();
            i += 1;
            self.run += 1;
            if self.run > max {
                return Err(self.too_long());
            }
            self.last = [self.last[1], self.last[2], b];
            match self.state {
                State::Text => {}
                State::Tag => {
                    if b == b'>' {
                        self.end_tag()?;
                        self.state = State::Text;
                        self.run = 0;
                        continue;
                    }
                    if self.tag.len() < TAG_KEPT {
                        self.tag.push(b);
                    }
                    if self.tag.as_slice() == b"!--" {
                        self.state = State::Comment;
                        self.last = [0; 3];
                    } else if self.tag.as_slice() == b"![CDATA[" {
                        self.state = State::CData;
                        self.last = [0; 3];
                    } else if b == b'"' || b == b'\'' {
                        self.state = State::Quote(b);
                    }
                }
                State::Quote(q) => {
                    if self.tag.len() < TAG_KEPT {
                        self.tag.push(b);
                    }
                    if b == q {
                        self.state = State::Tag;
                    }
                }
                State::Comment => {
                    if &self.last == b"-->" {
                        self.state = State::Text;
                        self.run = 0;
                    }
                }
                State::CData => {
                    if &self.last == b"]]>" {
                        self.state = State::Text;
                        self.run = 0;
                    }
                }
            }
        }
        Ok(())
    }

    /// A tag ended: count what is counted.
    fn end_tag(&mut self) -> Result<(), IoError> {
        let t = self.tag.as_slice();
        if matches!(t.first(), Some(b'/' | b'?' | b'!') | None) {
            return Ok(());
        }
        let name_end = t
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(t.len());
        let name = t.get(..name_end).unwrap_or_default();
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        match local {
            b"si" => self.shared_strings += 1,
            b"mergeCell" => self.merges += 1,
            b"sst" => {
                if let Some(n) = attr_number(t, b"uniqueCount")
                    && n > self.limits.max_shared_strings as u64
                {
                    return Err(too_many_strings(self.limits));
                }
            }
            _ => {}
        }
        if self.shared_strings > self.limits.max_shared_strings {
            return Err(too_many_strings(self.limits));
        }
        Ok(())
    }
}

/// The number in attribute `name="123"` of a tag (None when absent or not a
/// plain number; a number too big for u64 counts as u64::MAX).
fn attr_number(tag: &[u8], name: &[u8]) -> Option<u64> {
    let mut from = 0;
    while let Some(p) = tag.get(from..)?.windows(name.len()).position(|w| w == name) {
        let at = from + p;
        from = at + name.len();
        // A whole attribute name: preceded by whitespace.
        if !tag.get(at.wrapping_sub(1)).is_some_and(u8::is_ascii_whitespace) {
            continue;
        }
        let rest = tag.get(from..)?;
        let rest = rest.strip_prefix(b"=")?;
        let q = *rest.first()?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let digits: Vec<u8> = rest.get(1..)?.iter().copied().take_while(u8::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        return Some(
            std::str::from_utf8(&digits)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(u64::MAX),
        );
    }
    None
}

/// Checks an xls (BIFF8 in a compound file) against `limits` before calamine
/// opens it: calamine reserves the cells a sheet's DIMENSIONS record declares
/// and builds every sheet as a dense grid over its cells' bounding box, so a
/// few hundred bytes with one cell at A1 and one at IV65536 would take half a
/// gigabyte, and a DIMENSIONS record with a huge or inverted range aborts the
/// process. Refused: a declared or actual bounding box (all sheets together)
/// over `max_cells`, a column past `max_columns`, a row past `max_rows`,
/// more merged regions than `max_merges`. A compound file this reader cannot
/// follow is refused as unreadable.
pub fn precheck_xls(bytes: &[u8], limits: &SheetLimits) -> Result<(), IoError> {
    let stream = cfb_stream(bytes, &["Workbook", "Book"])
        .ok_or_else(|| IoError::Unreadable("无法读取工作簿（xls 文件结构有误） / cannot read the xls file".into()))?;
    scan_biff(&stream, limits)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Sector ids at or above this are markers (free, end of chain, FAT, DIFAT).
const MAXREGSECT: u32 = 0xFFFF_FFFA;

/// A chain of `size`-byte sectors from `start` through `fat`, `len` bytes
/// long (None when it leaves the file, loops, or ends short).
fn chain<'b>(start: u32, fat: &[u32], sector: &dyn Fn(u32) -> Option<&'b [u8]>, len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut id = start;
    let mut steps = 0usize;
    while out.len() < len {
        if id >= MAXREGSECT || steps > fat.len() {
            return None;
        }
        steps += 1;
        out.extend_from_slice(sector(id)?);
        id = *fat.get(id as usize)?;
    }
    out.truncate(len);
    Some(out)
}

/// The first of `names` (ASCII, any case) found as a stream of a compound
/// file (MS-CFB: FAT, DIFAT, directory, mini stream).
fn cfb_stream(bytes: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return None;
    }
    let shift = u16_at(bytes, 0x1E)?;
    if shift != 9 && shift != 12 {
        return None;
    }
    let size = 1usize << shift;
    let mini_shift = u16_at(bytes, 0x20)?;
    if mini_shift != 6 {
        return None;
    }
    let sector = |id: u32| -> Option<&[u8]> {
        let at = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(at..at.checked_add(size)?)
    };
    let max_sectors = bytes.len() / size + 1;
    // DIFAT: 109 ids in the header, then a chain of DIFAT sectors.
    let mut difat: Vec<u32> = (0..109).filter_map(|i| u32_at(bytes, 0x4C + 4 * i)).collect();
    let mut next = u32_at(bytes, 0x44)?;
    let mut hops = 0;
    while next < MAXREGSECT {
        hops += 1;
        if hops > max_sectors {
            return None;
        }
        let s = sector(next)?;
        let n = size / 4 - 1;
        difat.extend((0..n).filter_map(|i| u32_at(s, 4 * i)));
        next = u32_at(s, 4 * n)?;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < MAXREGSECT) {
        let s = sector(id)?;
        fat.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
        if fat.len() > max_sectors * (size / 4) {
            return None;
        }
    }
    let dir_start = u32_at(bytes, 0x30)?;
    let dirs = chain(dir_start, &fat, &sector, max_sectors.saturating_mul(size)).or_else(|| {
        // The directory chain ends before the file does: read it to its end.
        let mut out = Vec::new();
        let mut id = dir_start;
        let mut steps = 0;
        while id < MAXREGSECT && steps <= fat.len() {
            steps += 1;
            out.extend_from_slice(sector(id)?);
            id = *fat.get(id as usize)?;
        }
        Some(out)
    })?;
    let entry = |i: usize| dirs.get(i * 128..i * 128 + 128);
    let root = entry(0)?;
    let cutoff = u32_at(bytes, 0x38)? as usize;
    for i in 0..dirs.len() / 128 {
        let e = entry(i)?;
        if e.get(0x42) != Some(&2) {
            continue;
        }
        let name_len = (u16_at(e, 0x40)? as usize).min(64);
        let name: String = char::decode_utf16((0..name_len.saturating_sub(2) / 2).filter_map(|k| u16_at(e, 2 * k)))
            .map(|c| c.unwrap_or('\u{FFFD}'))
            .collect();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let start = u32_at(e, 0x74)?;
        let len = u32_at(e, 0x78)? as usize;
        if len > bytes.len() {
            return None;
        }
        if len >= cutoff {
            return chain(start, &fat, &sector, len);
        }
        // A small stream lives in the mini stream (64-byte sectors).
        let mini_stream = chain(
            u32_at(root, 0x74)?,
            &fat,
            &sector,
            (u32_at(root, 0x78)? as usize).min(bytes.len()),
        )?;
        let mini_fat_len = (u32_at(bytes, 0x40)? as usize).min(max_sectors).saturating_mul(size);
        let mini_fat_bytes = chain(u32_at(bytes, 0x3C)?, &fat, &sector, mini_fat_len)?;
        let mini_fat: Vec<u32> = (0..mini_fat_bytes.len() / 4)
            .filter_map(|k| u32_at(&mini_fat_bytes, 4 * k))
            .collect();
        let mini = |id: u32| -> Option<&[u8]> {
            let at = (id as usize).checked_mul(64)?;
            mini_stream.get(at..at + 64)
        };
        return chain(start, &mini_fat, &mini, len);
    }
    None
}

/// The BIFF records of a workbook stream, against the limits (see
/// [`precheck_xls`]).
fn scan_biff(stream: &[u8], limits: &SheetLimits) -> Result<(), IoError> {
    let max_cells = limits.max_cells as u64;
    let cells_err = || too_many_cells(limits);
    // Bounding box of the current sheet: (first row, last row, first col, last col).
    let mut bbox: Option<(u64, u64, u64, u64)> = None;
    // Cells of the sheets before this one (their grids), and declared ones.
    let mut done_area: u64 = 0;
    let mut merges: u64 = 0;
    let mut depth = 0usize;
    let area = |b: Option<(u64, u64, u64, u64)>| b.map_or(0, |(r0, r1, c0, c1)| (r1 - r0 + 1) * (c1 - c0 + 1));
    let mut pos = 0usize;
    while let (Some(typ), Some(n)) = (u16_at(stream, pos), u16_at(stream, pos + 2)) {
        let data = stream
            .get(pos + 4..(pos + 4 + n as usize).min(stream.len()))
            .unwrap_or_default();
        pos += 4 + n as usize;
        match typ {
            0x0809 => {
                depth += 1;
                if depth == 1 {
                    done_area += area(bbox.take());
                }
                continue;
            }
            0x000A => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ if depth > 1 => continue,
            _ => {}
        }
        let mut cell_at = |row: u64, col: u64| -> Result<(), IoError> {
            if col >= limits.max_columns as u64 {
                return Err(too_many_columns(limits, row, col));
            }
            if row >= limits.max_rows as u64 {
                return Err(too_many_rows(limits));
            }
            let b = bbox.get_or_insert((row, row, col, col));
            *b = (b.0.min(row), b.1.max(row), b.2.min(col), b.3.max(col));
            if done_area + area(bbox) > max_cells {
                return Err(cells_err());
            }
            Ok(())
        };
        match typ {
            // Number, Label, RString, BoolErr, RK, LabelSst, Formula, String's cell.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                    cell_at(u64::from(r), u64::from(c))?;
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                if let (Some(r), Some(c0), Some(c1)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    u16_at(data, data.len().saturating_sub(2)),
                ) {
                    cell_at(u64::from(r), u64::from(c0))?;
                    cell_at(u64::from(r), u64::from(c1.max(c0)))?;
                }
            }
            // Dimensions: calamine reserves rows × columns, and reads an
            // inverted range as a huge one.
            0x0200 => {
                let (rf, rl, cf, cl) = match data.len() {
                    10 => (
                        u32::from(u16_at(data, 0).unwrap_or(0)),
                        u32::from(u16_at(data, 2).unwrap_or(0)),
                        u16_at(data, 4).unwrap_or(0),
                        u16_at(data, 6).unwrap_or(0),
                    ),
                    14 | 16 => (
                        u32_at(data, 0).unwrap_or(0),
                        u32_at(data, 4).unwrap_or(0),
                        u16_at(data, 8).unwrap_or(0),
                        u16_at(data, 10).unwrap_or(0),
                    ),
                    _ => continue,
                };
                let cf = if 0xFF < cf || cl < cf { 0 } else { cf };
                if rl >= 1 && cl >= 1 {
                    let (rows, cols) = (u64::from(rl).checked_sub(u64::from(rf)), u64::from(cl) - u64::from(cf));
                    match rows {
                        Some(rows) if rows.saturating_mul(cols) <= max_cells => {}
                        _ => return Err(cells_err()),
                    }
                }
            }
            0x00E5 => {
                merges += u64::from(u16_at(data, 0).unwrap_or(0));
                if merges > limits.max_merges as u64 {
                    return Err(too_many_merges(limits));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(xml: &[u8], limits: &SheetLimits) -> Result<(usize, usize), IoError> {
        let mut s = Scan::new(limits);
        // Odd chunk sizes: state crosses chunk boundaries.
        for c in xml.chunks(7) {
            s.feed(c)?;
        }
        Ok((s.shared_strings, s.merges))
    }

    #[test]
    fn counts_strings_and_merges() {
        let l = SheetLimits::default();
        let xml = br#"<?xml version="1.0"?><x:sst xmlns:x="a" count="3" uniqueCount="2"><x:si><x:t>a&lt;b</x:t></x:si><si><t xml:space="preserve"> b </t></si><!-- <si> > --><![CDATA[ ]]></x:sst><mergeCells><mergeCell ref="A1:B2"/></mergeCells><sib/>"#;
        assert_eq!(scan(xml, &l).unwrap(), (2, 1));
    }

    #[test]
    fn declared_unique_count_is_checked() {
        let l = SheetLimits {
            max_shared_strings: 10,
            ..SheetLimits::default()
        };
        let e = scan(br#"<sst xmlns="a" uniqueCount="1000000000"></sst>"#, &l).unwrap_err();
        assert!(e.to_string().starts_with("共享字符串超过 10 个上限"), "{e}");
        let e = scan(br#"<sst uniqueCount='99999999999999999999999'>"#, &l).unwrap_err();
        assert!(e.to_string().contains("共享字符串"), "{e}");
        assert!(scan(br#"<sst NotuniqueCount="1000000000">"#, &l).is_ok());
        let many = "<si><t>a</t></si>".repeat(11);
        assert!(scan(many.as_bytes(), &l).is_err());
    }

    #[test]
    fn long_tags_and_texts_are_refused() {
        let l = SheetLimits {
            max_token_bytes: 100,
            ..SheetLimits::default()
        };
        let text = format!("<t>{}</t>", "a".repeat(101));
        assert!(scan(text.as_bytes(), &l).unwrap_err().to_string().contains("100 字节"));
        let tag = format!("<c r=\"{}\"/>", ">".repeat(120));
        assert!(scan(tag.as_bytes(), &l).is_err());
        let ok = format!("<t>{}</t><t>{}</t>", "a".repeat(90), "b".repeat(90));
        assert!(scan(ok.as_bytes(), &l).is_ok());
    }

    #[test]
    fn attribute_numbers() {
        assert_eq!(attr_number(b"sst uniqueCount=\"12\"", b"uniqueCount"), Some(12));
        assert_eq!(attr_number(b"sst a=\"1\" uniqueCount='7'", b"uniqueCount"), Some(7));
        assert_eq!(attr_number(b"sst xuniqueCount=\"12\"", b"uniqueCount"), None);
        assert_eq!(attr_number(b"sst uniqueCount=\"x\"", b"uniqueCount"), None);
    }
}
