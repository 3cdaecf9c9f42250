//! Evidence attachments over HTTP (issue 16), on SQLite and PostgreSQL: the
//! API and the record page's upload; photos with EXIF flagged when taken
//! before 发现日期; thumbnails without EXIF; a decompression-bomb PNG, a
//! truncated JPEG, a renamed text file and an upload past the size limit
//! (announced or streamed in chunks) refused with a Chinese message and
//! nothing written; scope; the 提交验收 evidence rule on the form; uploads
//! and downloads with the files in an S3 bucket (`moto_server`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_files::sample;
use lvzhi_testkit::county::hazard;
use serde_json::json;
use std::io::{Read, Write};

/// A hazard of 西洞镇 assigned to 应急管理局 (整改中), found 2026-11-20.
fn in_progress(s: &Server) -> i64 {
    let clerk = s.county.access("clerk_xd");
    let office = s.county.access("office");
    s.rt.block_on(async {
        let r = s
            .store
            .create(&clerk, "hazard", hazard("620902100", s.county.yingji, "配电箱未接地"))
            .await
            .unwrap();
        s.store
            .transition(&office, r.id, 1, "交办", serde_json::Map::new(), None)
            .await
            .unwrap();
        r.id
    })
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 })
        .sum()
}

#[test]
fn upload_list_download_and_flags_over_the_api() {
    for s in Server::both() {
        let id = in_progress(&s);
        let mut yj = s.client("clerk_yj");
        // Taken 2026-11-01, before the 发现日期 2026-11-20: flagged.
        let early = sample::photo(
            800,
            600,
            Some("2026:11:01 08:00:00"),
            Some(((39, 44, 1500), (98, 29, 3000))),
        );
        let good = sample::photo(800, 600, Some("2026:11:24 15:30:00"), None);
        let r = yj
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改前照片")],
                &[("整改前.jpg", &early)],
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        let r = yj
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改后照片")],
                &[("整改后.jpg", &good), ("验收单.pdf", b"%PDF-1.4 test")],
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["ids"].as_array().unwrap().len(), 2);
        let list = yj.get(&format!("/api/v1/records/{id}/attachments")).unwrap().json();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["flags"], json!(["照片拍摄时间早于发现日期"]));
        assert_eq!(items[0]["gps"], json!("39.737500,98.491666"));
        assert_eq!(items[1]["flags"], json!([]));
        assert_eq!(items[1]["taken_at"], json!("2026-11-24T15:30:00"));
        assert_eq!(items[2]["mime"], json!("application/pdf"));
        assert_eq!(items[2]["uploader_name"], json!("clerk_yj"));

        // The file as uploaded; the thumbnail without EXIF.
        let a = items[0]["id"].as_i64().unwrap();
        let r = yj.get(&format!("/api/v1/attachments/{a}")).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, early);
        let t = yj.get(&format!("/api/v1/attachments/{a}/thumbnail")).unwrap();
        assert_eq!(t.header("content-type"), Some("image/jpeg"));
        assert!(!t.body.windows(6).any(|w| w == b"Exif\0\0"), "no EXIF in the thumbnail");
        assert!(t.body.len() < early.len() / 3);

        // Scope: 清水镇's clerk gets 404 for list, file and upload; the auditor may not upload.
        let mut qs = s.client("clerk_qs");
        assert_eq!(
            qs.get(&format!("/api/v1/records/{id}/attachments")).unwrap().status,
            404
        );
        assert_eq!(qs.get(&format!("/api/v1/attachments/{a}")).unwrap().status, 404);
        let r = qs
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改后照片")],
                &[("x.jpg", &good)],
            )
            .unwrap();
        assert_eq!(r.status, 404);
        let mut au = s.client("auditor");
        let r = au
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改后照片")],
                &[("x.jpg", &good)],
            )
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());

        // Void with a reason: kept, flagged voided, evented.
        let r = yj
            .post(&format!("/api/v1/attachments/{a}/void"), &json!({"reason": ""}))
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        let r = yj
            .post(
                &format!("/api/v1/attachments/{a}/void"),
                &json!({"reason": "拍错了地点"}),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let list = yj.get(&format!("/api/v1/records/{id}/attachments")).unwrap().json();
        assert_eq!(list["items"][0]["voided"], json!(true));
        assert_eq!(s.last_event_kinds(1), ["record.attach_void"]);
        s.stop();
    }
}

/// With the attachments in an S3 bucket (`moto_server`; `skipped: …` without
/// it unless `LVZHI_REQUIRE_S3=1`): an upload lands in the bucket under its
/// digest, the file and its thumbnail download streamed from it, and an object
/// removed or altered in the bucket is a 404 / 409 naming the file.
#[test]
fn upload_and_download_with_the_files_in_a_bucket() {
    let Some(m) = lvzhi_files::moto::server("upload_and_download_with_the_files_in_a_bucket") else {
        return;
    };
    m.create_bucket("lvzhi-web").unwrap();
    for (n, s) in Server::both().into_iter().enumerate() {
        let prefix = format!("site{n}");
        let staging = std::env::temp_dir().join(format!("lvzhi-web-s3-{}-{n}", std::process::id()));
        let fs = lvzhi_files::FileStore::s3(&format!("s3://lvzhi-web/{prefix}"), &staging, &m.config()).unwrap();
        s.store.set_files(fs);
        let id = in_progress(&s);
        let mut yj = s.client("clerk_yj");
        let photo = sample::photo(800, 600, Some("2026:11:24 15:30:00"), None);
        let r = yj
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改后照片")],
                &[("整改后.jpg", &photo), ("验收单.pdf", b"%PDF-1.4 test")],
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        let ids: Vec<i64> = r.json()["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let list = yj.get(&format!("/api/v1/records/{id}/attachments")).unwrap().json();
        let hash = |i: usize| list["items"][i]["hash"].as_str().unwrap().to_string();
        let key = |digest: &str| {
            let hex = digest.rsplit(':').next().unwrap().to_string();
            format!("{prefix}/sm3/{}/{hex}", &hex[..2])
        };
        assert_eq!(m.get("lvzhi-web", &key(&hash(0))).unwrap(), Some(photo.clone()));
        assert_eq!(count_files(&staging), 0, "nothing left in staging");

        let r = yj.get(&format!("/api/v1/attachments/{}", ids[0])).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, photo);
        let t = yj.get(&format!("/api/v1/attachments/{}/thumbnail", ids[0])).unwrap();
        assert_eq!((t.status, t.header("content-type")), (200, Some("image/jpeg")));
        assert!(t.body.starts_with(&[0xFF, 0xD8, 0xFF]) && t.body.len() < photo.len() / 3);

        m.delete("lvzhi-web", &key(&hash(1))).unwrap();
        let r = yj.get(&format!("/api/v1/attachments/{}", ids[1])).unwrap();
        assert_eq!(r.status, 404, "{}", r.text());
        assert!(r.text().contains("附件“验收单.pdf”的文件缺失"), "{}", r.text());
        let mut bad = photo.clone();
        bad[500] ^= 1;
        m.put("lvzhi-web", &key(&hash(0)), &bad).unwrap();
        let r = yj.get(&format!("/api/v1/attachments/{}", ids[0])).unwrap();
        assert_eq!(r.status, 409, "{}", r.text());
        assert!(r.text().contains("与变更日志中的摘要不符"), "{}", r.text());
        s.stop();
        let _ = std::fs::remove_dir_all(&staging);
    }
}

#[test]
fn bad_files_are_refused_with_nothing_written() {
    let s = Server::start();
    let id = in_progress(&s);
    let mut yj = s.client("clerk_yj");
    let dir = s.store.files().dir().to_path_buf();
    let before = (count_files(&dir), s.last_event_kinds(1));
    let photo = sample::photo(400, 300, None, None);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.png", sample::png_bomb(30_000), "30000×30000"),
        (
            "truncated.jpg",
            photo[..photo.len() / 2].to_vec(),
            "不完整（JPEG文件被截断）",
        ),
        (
            "notes.jpg",
            "会议记录：不是照片".as_bytes().to_vec(),
            "扩展名表明是JPEG图片，但内容不是",
        ),
        ("tool.exe", b"MZ\x90\x00\x03".to_vec(), "类型不支持"),
    ];
    for (name, bytes, says) in &cases {
        let r = yj
            .upload(
                &format!("/api/v1/records/{id}/attachments"),
                &[("kind", "整改后照片")],
                &[(name, bytes)],
            )
            .unwrap();
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        let m = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains(name) && m.contains(says), "{name}: {m}");
    }
    // One bad file in a form refuses the good one beside it too.
    let r = yj
        .upload(
            &format!("/api/v1/records/{id}/attachments"),
            &[("kind", "整改后照片")],
            &[("good.jpg", &photo), ("notes.jpg", "文字".as_bytes())],
        )
        .unwrap();
    assert_eq!(r.status, 422);

    // 2 GB announced: refused before the body is sent.
    let r = yj
        .announce("POST", &format!("/api/v1/records/{id}/attachments"), 2 << 30, b"")
        .unwrap();
    assert_eq!(r.status, 413, "{}", r.text());
    // 2 GB streamed without a length (chunked): refused at the 20 MB limit.
    let (status, sent) = chunked_upload(&s, &mut yj, id, 2 << 30);
    assert_eq!(status, 413);
    assert!(
        sent < 64 << 20,
        "the server stopped reading near the limit: {sent} bytes sent"
    );

    assert_eq!((count_files(&dir), s.last_event_kinds(1)), before, "nothing written");
    s.stop();
}

/// Streams a multipart upload of `total` bytes with `Transfer-Encoding:
/// chunked` until the server answers; returns its status and the bytes sent.
fn chunked_upload(s: &Server, c: &mut lvzhi_testkit::http::Client, id: i64, total: u64) -> (u16, u64) {
    let token = c.token.clone().unwrap_or_default();
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    tcp.set_write_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v1/records/{id}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        lvzhi_testkit::http::MULTIPART
    );
    tcp.write_all(head.as_bytes()).unwrap();
    let part = "--lvzhi-test-boundary-7d1f\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n整改后照片\r\n\
                --lvzhi-test-boundary-7d1f\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n\r\n";
    let mut send = |data: &[u8]| {
        tcp.write_all(format!("{:x}\r\n", data.len()).as_bytes())
            .and_then(|_| tcp.write_all(data))
            .and_then(|_| tcp.write_all(b"\r\n"))
    };
    send(part.as_bytes()).unwrap();
    let chunk = vec![0xFFu8; 1 << 20];
    let mut sent = 0u64;
    while sent < total {
        if send(&chunk).is_err() {
            break;
        }
        sent += chunk.len() as u64;
    }
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    let status = text.split(' ').nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    (status, sent)
}

#[test]
fn record_page_upload_compare_and_evidence_rule() {
    let s = Server::start();
    let id = in_progress(&s);
    let mut b = s.signed_in("clerk_yj");
    let page = b.get(&format!("/records/{id}")).text();
    assert!(
        page.contains("证据材料") && page.contains("待上传：“提交验收”须先上传至少1份“整改后照片”"),
        "{page}"
    );
    assert!(page.contains("capture=\"environment\""));
    let csrf = b.csrf();
    // 提交验收 without a photo: refused on the form with the rule's message.
    let r = b.post(
        &format!("/records/{id}/transition"),
        &[
            ("csrf", &csrf),
            ("version", "2"),
            ("transition", "提交验收"),
            ("f.measures", "已重新接地"),
            ("f.rectified_on", "2026-11-24"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("“提交验收”须先上传至少1份“整改后照片”"));
    // Upload a before and an after photo through the page's form.
    let before = sample::photo(
        640,
        480,
        Some("2026:11:01 08:00:00"),
        Some(((39, 44, 1500), (98, 29, 3000))),
    );
    let after = sample::photo(640, 480, Some("2026:11:24 15:30:00"), None);
    let r = b.upload(
        &format!("/records/{id}/attachments"),
        &[("csrf", &csrf), ("kind", "整改前照片")],
        ("前.jpg", &before),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let r = b.upload(
        &format!("/records/{id}/attachments"),
        &[("csrf", &csrf), ("kind", "整改后照片")],
        ("后.jpg", &after),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = b.get(&format!("/records/{id}?msg=attached")).text();
    assert!(page.contains("已上传附件"));
    assert!(page.contains("拍摄于 2026年11月1日 08:00") && page.contains("北纬39.737500° 东经98.491666°"));
    assert!(page.contains("⚠ 照片拍摄时间早于发现日期"));
    assert!(page.contains("拍摄于 2026年11月24日 15:30"));
    assert!(page.contains("✓ 已满足：“提交验收”须先上传至少1份“整改后照片”"));
    // A bad file through the page: a banner, nothing stored.
    let r = b.upload(
        &format!("/records/{id}/attachments"),
        &[("csrf", &csrf), ("kind", "整改后照片")],
        ("x.jpg", b"not a photo"),
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("附件未上传：文件“x.jpg”的扩展名表明是JPEG图片"));
    // Without the CSRF token: refused, nothing stored.
    let kinds = s.last_event_kinds(1);
    let r = b.upload(
        &format!("/records/{id}/attachments"),
        &[("kind", "整改后照片")],
        ("后2.jpg", &after),
    );
    assert_eq!(r.status, 403);
    assert_eq!(s.last_event_kinds(1), kinds);
    // Now 提交验收 goes through.
    let r = b.post(
        &format!("/records/{id}/transition"),
        &[
            ("csrf", &csrf),
            ("version", "2"),
            ("transition", "提交验收"),
            ("f.measures", "已重新接地"),
            ("f.rectified_on", "2026-11-24"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    // The head doing 验收 sees the photos side by side; the thumbnail is served.
    let mut head = s.signed_in("head_yj");
    let page = head.get(&format!("/records/{id}")).text();
    assert!(page.contains("class=\"compare\"") && page.contains("整改前照片") && page.contains("整改后照片"));
    let thumb = page
        .split("/thumb\"")
        .next()
        .unwrap()
        .rsplit("/attachments/")
        .next()
        .unwrap()
        .to_string();
    let t = head.get(&format!("/attachments/{thumb}/thumb"));
    assert_eq!(t.status, 200);
    assert_eq!(t.header("content-type"), Some("image/jpeg"));
    s.stop();
}

/// Sends a browser-like multipart form whose files are `(input, file name, bytes)`.
fn send_form(
    b: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> lvzhi_testkit::http::Response {
    let body = lvzhi_testkit::http::multipart_named(fields, files);
    b.send(path, &body, lvzhi_testkit::http::MULTIPART)
}

/// The phone's one-form step (issue 16): 提交验收's own form carries the
/// 整改后照片 input (camera, required while the rule is unmet) and posts as
/// multipart; the photo and the step commit together: a refused step (a date
/// rule, a bad file, no CSRF token, a stray file input) records no
/// attachment and no event, says so, and keeps the typed text; the good one
/// writes `record.attach` then `record.transition`. The create form takes the
/// 整改前照片 the same way.
#[test]
fn step_and_create_forms_carry_their_photos_all_or_nothing() {
    let s = Server::start();
    let id = in_progress(&s);
    let mut b = s.signed_in("clerk_yj");
    let page = b.get(&format!("/records/{id}")).text();
    let form = page
        .split("<form")
        .find(|f| f.contains("value=\"提交验收\""))
        .unwrap()
        .split("</form>")
        .next()
        .unwrap();
    assert!(
        form.contains(&format!("action=\"/records/{id}/transition/files\""))
            && form.contains("enctype=\"multipart/form-data\""),
        "{form}"
    );
    let input = field_block(form, "file-1");
    assert!(
        input.contains("name=\"file-1\"")
            && input.contains("accept=\"image/*\"")
            && input.contains("capture=\"environment\"")
            && input.contains(" required"),
        "{input}"
    );
    let csrf = b.csrf();
    let after = sample::photo(640, 480, Some("2026:11:24 15:30:00"), None);
    let path = format!("/records/{id}/transition/files");
    let fields = |date: &'static str, csrf: &str| -> Vec<(String, String)> {
        vec![
            ("csrf".into(), csrf.into()),
            ("version".into(), "2".into()),
            ("transition".into(), "提交验收".into()),
            ("f.measures".into(), "已重新接地".into()),
            ("f.rectified_on".into(), date.into()),
        ]
    };
    let send = |b: &mut Browser, f: Vec<(String, String)>, files: &[(&str, &str, &[u8])]| {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        send_form(b, &path, &refs, files)
    };
    let events = s.last_event_kinds(1);
    let list = |s: &Server| {
        s.rt.block_on(s.store.attachments(&s.county.access("office"), id))
            .unwrap()
            .len()
    };

    // 整改完成日期 before 发现日期: refused at the field, the photo not kept.
    let r = send(&mut b, fields("2026-11-10", &csrf), &[("file-1", "后.jpg", &after)]);
    assert_eq!(r.status, 422, "{}", r.text());
    let t = r.text();
    assert!(t.contains("随本次办理选择的文件未保存，请重新选择后提交"), "{t}");
    assert!(t.contains("已重新接地"), "the typed text is kept");
    assert_eq!(
        (list(&s), s.last_event_kinds(1)),
        (0, events.clone()),
        "nothing recorded"
    );
    // A truncated JPEG: refused before anything is written, the form open again.
    let r = send(
        &mut b,
        fields("2026-11-24", &csrf),
        &[("file-1", "后.jpg", &after[..after.len() / 2])],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("办理未完成：") && r.text().contains("JPEG文件被截断"),
        "{}",
        r.text()
    );
    // A file input the step does not have; no CSRF token.
    let r = send(&mut b, fields("2026-11-24", &csrf), &[("file-9", "后.jpg", &after)]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("不属于这一步"));
    let r = send(&mut b, fields("2026-11-24", ""), &[("file-1", "后.jpg", &after)]);
    assert_eq!(r.status, 403);
    assert_eq!((list(&s), s.last_event_kinds(1)), (0, events), "nothing recorded");

    // The good form: the photo and the step in one go.
    let r = send(&mut b, fields("2026-11-24", &csrf), &[("file-1", "后.jpg", &after)]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        s.last_event_kinds(2),
        ["record.transition", "record.attach"],
        "newest first"
    );
    let page = b.get(&format!("/records/{id}")).text();
    assert!(page.contains("待验收") && page.contains("拍摄于 2026年11月24日 15:30"));

    // The create form: 整改前照片 with the camera, saved with the record or not at all.
    let mut xd = s.signed_in("clerk_xd");
    let page = xd.get("/ledgers/hazard/new").text();
    assert!(page.contains("action=\"/ledgers/hazard/new/files\""), "{page}");
    assert!(field_block(&page, "file-1").contains("capture=\"environment\""));
    let csrf = xd.csrf();
    let before = sample::photo(640, 480, Some("2026:11:20 08:30:00"), None);
    let mut new = vec![
        ("csrf", csrf.as_str()),
        ("f.company", "肃州区西洞砖厂"),
        ("f.industry", "工贸"),
        ("f.grade", "一般"),
        ("f.township", "620902100"),
        ("f.found_on", "2026-11-20"),
    ];
    let events = s.last_event_kinds(1);
    let r = send_form(
        &mut xd,
        "/ledgers/hazard/new/files",
        &new,
        &[("file-1", "前.jpg", &before)],
    );
    assert_eq!(r.status, 422, "no 隐患描述: {}", r.text());
    assert!(r.text().contains("随登记选择的照片未保存"), "{}", r.text());
    assert_eq!(s.last_event_kinds(1), events, "nothing recorded");
    new.push(("f.description", "砖厂配电室电缆裸露"));
    let r = send_form(
        &mut xd,
        "/ledgers/hazard/new/files",
        &new,
        &[("file-1", "前.jpg", &before)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        s.last_event_kinds(2),
        ["record.attach", "record.create"],
        "newest first"
    );
    let page = xd.get(&location(&r)).text();
    assert!(
        page.contains("整改前照片") && page.contains("拍摄于 2026年11月20日 08:30"),
        "{page}"
    );
    s.stop();
}
