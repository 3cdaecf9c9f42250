//! Upload + thumbnail of a 5 MB phone photo: the bytes streamed to a temp
//! file while hashed (SM3), sniffed, decoded within limits, EXIF read,
//! thumbnail (320 px JPEG) made and stored, the file renamed into place —
//! against ImageMagick's `convert -thumbnail 320x320` on the same file.
//! `cargo bench -p lvzhi-files --bench thumbnail`; prints p50/p99 of each.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::crypto::HashAlg;
use lvzhi_files::{FileStore, Limits, sample};
use std::time::{Duration, Instant};

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn main() {
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let photo = sample::photo_of_size(5 * 1024 * 1024, Some("2026:12:05 09:30:00"));
    let dir = std::env::temp_dir().join(format!("lvzhi-bench-files-{}", std::process::id()));
    let input = dir.join("photo.jpg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&input, &photo).unwrap();
    let px = image::ImageReader::open(&input).unwrap().into_dimensions().unwrap();
    println!("photo: {} bytes, {}×{} px", photo.len(), px.0, px.1);

    let mut ours = Vec::new();
    for i in 0..runs {
        // A fresh store each run, so the file is really written and renamed.
        let store = FileStore::new(dir.join(format!("store{i}")));
        let t = Instant::now();
        let mut inc = store.incoming("photo.jpg", HashAlg::Sm3, Limits::default()).unwrap();
        for chunk in photo.chunks(64 * 1024) {
            inc.write(chunk).unwrap();
        }
        let r = inc.finish().unwrap();
        let info = r.inspect().unwrap();
        store.put_bytes(info.thumbnail.as_ref().unwrap(), HashAlg::Sm3).unwrap();
        r.store(&store).unwrap();
        ours.push(t.elapsed());
        let _ = std::fs::remove_dir_all(store.dir());
    }
    println!(
        "lvzhi upload+thumbnail: p50 {:?} p99 {:?} (n={runs})",
        pct(&mut ours, 0.5),
        pct(&mut ours, 0.99)
    );

    // Debian's ImageMagick (a stand-in `convert` may come first in PATH).
    let convert = std::env::var("CONVERT").unwrap_or_else(|_| "/usr/bin/convert".into());
    let mut im = Vec::new();
    for _ in 0..runs {
        let out = dir.join("thumb.jpg");
        let t = Instant::now();
        let st = std::process::Command::new(&convert)
            .arg(&input)
            .args(["-thumbnail", "320x320", "-quality", "80"])
            .arg(&out)
            .status();
        match st {
            Ok(s) if s.success() => im.push(t.elapsed()),
            _ => {
                println!("ImageMagick convert not available: skipped");
                break;
            }
        }
    }
    if !im.is_empty() {
        println!(
            "ImageMagick convert -thumbnail 320x320: p50 {:?} p99 {:?} (n={})",
            pct(&mut im, 0.5),
            pct(&mut im, 0.99),
            im.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
