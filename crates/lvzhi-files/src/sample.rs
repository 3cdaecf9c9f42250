//! Sample files for tests and benchmarks (made here, so no binary fixtures
//! are checked in): a JPEG photo with EXIF capture time and GPS, a
//! decompression-bomb PNG, a minimal .docx.

use std::io::{Cursor, Write};

/// Latitude and longitude (north, east) as degrees, minutes and seconds × 100.
pub type Gps = ((u32, u32, u32), (u32, u32, u32));

/// A `w`×`h` JPEG with a smooth gradient and noise (so it compresses like a
/// photo), EXIF DateTimeOriginal `taken` (`2026:12:01 09:30:00`) and, when
/// given, GPS position in whole degrees, minutes and seconds × 100.
pub fn photo(w: u32, h: u32, taken: Option<&str>, gps: Option<Gps>) -> Vec<u8> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed & 0x3f) as u8;
        image::Rgb([
            ((x * 255 / w.max(1)) as u8).wrapping_add(n),
            ((y * 255 / h.max(1)) as u8).wrapping_add(n / 2),
            (((x + y) * 127 / (w + h).max(1)) as u8).wrapping_add(n / 3),
        ])
    });
    let mut jpeg = Vec::new();
    // Encoding an in-memory RGB buffer cannot fail.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92).encode_image(&img);
    match exif_tiff(taken, gps) {
        Some(tiff) => with_app1(&jpeg, &tiff),
        None => jpeg,
    }
}

/// A JPEG of about `bytes` bytes (a 5 MB phone photo: high resolution, high quality).
pub fn photo_of_size(bytes: usize, taken: Option<&str>) -> Vec<u8> {
    // ~1.2 bytes per pixel at quality 92 with this noise.
    let px = (bytes as f64 / 1.2) as u64;
    let w = ((px as f64 * 4.0 / 3.0).sqrt()) as u32;
    let h = w * 3 / 4;
    photo(w, h, taken, Some(((39, 44, 1500), (98, 29, 3000))))
}

fn exif_tiff(taken: Option<&str>, gps: Option<Gps>) -> Option<Vec<u8>> {
    use exif::{Field, In, Rational, Tag, Value};
    let mut fields = Vec::new();
    if let Some(t) = taken {
        fields.push(Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![t.as_bytes().to_vec()]),
        });
    }
    if let Some(((a, b, c), (d, e, f))) = gps {
        let r =
            |v: Vec<(u32, u32)>| Value::Rational(v.into_iter().map(|(num, denom)| Rational { num, denom }).collect());
        fields.push(Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        });
        fields.push(Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: r(vec![(a, 1), (b, 1), (c, 100)]),
        });
        fields.push(Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"E".to_vec()]),
        });
        fields.push(Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: r(vec![(d, 1), (e, 1), (f, 100)]),
        });
    }
    if fields.is_empty() {
        return None;
    }
    let mut w = exif::experimental::Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, false).ok()?;
    Some(out.into_inner())
}

/// `jpeg` with an APP1 Exif segment carrying `tiff` right after SOI.
fn with_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 16);
    out.extend_from_slice(&jpeg[..2]);
    let len = (tiff.len() + 8) as u16;
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG of `side`×`side` grey pixels, all zero: a few hundred KB that
/// would decode to `side²` bytes (a decompression bomb).
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; side as usize + 1];
    for _ in 0..side {
        let _ = z.write_all(&row);
    }
    let idat = z.finish().unwrap_or_default();
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, ty: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(ty);
    out.extend_from_slice(data);
    let mut h = flate2::Crc::new();
    h.update(ty);
    h.update(data);
    out.extend_from_slice(&h.sum().to_be_bytes());
}

/// A minimal .docx (a zip with `word/document.xml`).
pub fn docx(text: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    let _ = z.start_file("[Content_Types].xml", o);
    let _ = z.write_all(b"<?xml version=\"1.0\"?><Types/>");
    let _ = z.start_file("word/document.xml", o);
    let _ = write!(
        z,
        "<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    );
    z.finish().map(|c| c.into_inner()).unwrap_or_default()
}
