//! Evidence attachments in the store (issue 16), on SQLite and PostgreSQL:
//! events on the chain, scope, voiding, the evidence rule, `verify_files`
//! naming an altered or missing file, and the attachment directory carried
//! by backup and restore — also with the files in an S3 bucket (`moto_server`;
//! `skipped: …` without it unless `LVZHI_REQUIRE_S3=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_files::sample;
use lvzhi_store::Store;
use serde_json::json;

both!(
    attach_void_scope_and_rule,
    tampering_is_named,
    files_round_trip,
    files_with_the_step_commit_together,
    files_in_a_bucket
);

async fn in_progress(w: &World) -> i64 {
    let s = &w.store;
    let r = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    s.transition(&w.office, r.id, 1, "交办", map(json!({})), None)
        .await
        .unwrap();
    r.id
}

async fn attach_void_scope_and_rule(w: World) {
    let s = &w.store;
    let id = in_progress(&w).await;
    let photo = sample::photo(
        640,
        480,
        Some("2026:11:24 10:15:00"),
        Some(((39, 44, 1500), (98, 29, 3000))),
    );
    let a = s
        .attach_bytes(&w.clerk_yj, id, "整改后照片", "整改后.jpg", &photo)
        .await
        .unwrap();

    // The event carries what was uploaded, on the chain.
    let evs = s.record_events(&w.office, id).await.unwrap();
    let e = evs.iter().find(|e| e.kind == "record.attach").unwrap();
    assert_eq!(e.actor_name, "clerk_yj");
    assert_eq!(e.data["attachment"], json!(a));
    assert_eq!(e.data["name"], json!("整改后.jpg"));
    assert_eq!(e.data["mime"], json!("image/jpeg"));
    assert_eq!(e.data["size"], json!(photo.len()));
    assert_eq!(e.data["taken_at"], json!("2026-11-24T10:15:00"));
    assert_eq!(e.data["gps"], json!("39.737500,98.491666"));
    assert_eq!(
        e.data["hash"],
        json!(lvzhi_core::crypto::hex_digest(lvzhi_core::crypto::HashAlg::Sm3, &photo))
    );
    assert!(s.verify_chain().await.unwrap().error.is_none());

    // Scope: another township's clerk cannot see, list or add to it (404, as missing).
    expect_status(s.attachments(&w.clerk_qs, id).await, 404);
    expect_status(s.attachment(&w.clerk_qs, a).await, 404);
    expect_status(
        s.attach_bytes(&w.clerk_qs, id, "整改后照片", "x.jpg", &photo).await,
        404,
    );
    // Read-only roles: visible, not writable.
    assert_eq!(s.attachments(&w.leader, id).await.unwrap().len(), 1);
    expect_status(s.attach_bytes(&w.auditor, id, "整改后照片", "x.jpg", &photo).await, 403);
    // A kind the ledger does not have.
    let msg = expect_status(s.attach_bytes(&w.clerk_yj, id, "自拍", "x.jpg", &photo).await, 422);
    assert!(msg.contains("不是本台账的附件类别"), "{msg}");

    // Voiding needs a reason, keeps the row and writes an event; the rule then fails again.
    expect_status(s.void_attachment(&w.clerk_yj, a, "  ").await, 422);
    expect_status(s.void_attachment(&w.clerk_qs, a, "拍错了").await, 404);
    s.void_attachment(&w.clerk_yj, a, "拍错了地点").await.unwrap();
    let list = s.attachments(&w.office, id).await.unwrap();
    assert!(list[0].voided && list[0].void_reason.as_deref() == Some("拍错了地点"));
    expect_status(s.void_attachment(&w.clerk_yj, a, "再次").await, 409);
    let fields = map(json!({"measures": "已整改", "rectified_on": "2026-11-24"}));
    let msg = expect_status(
        s.transition(&w.clerk_yj, id, 2, "提交验收", fields.clone(), None).await,
        422,
    );
    assert!(msg.contains("“提交验收”须先上传至少1份“整改后照片”"), "{msg}");
    // A 整改前照片 does not count for the rule.
    s.attach_bytes(&w.clerk_yj, id, "整改前照片", "前.jpg", &photo)
        .await
        .unwrap();
    expect_status(
        s.transition(&w.clerk_yj, id, 2, "提交验收", fields.clone(), None).await,
        422,
    );
    s.attach_bytes(&w.clerk_yj, id, "整改后照片", "后.jpg", &photo)
        .await
        .unwrap();
    let r = s
        .transition(&w.clerk_yj, id, 2, "提交验收", fields, None)
        .await
        .unwrap();
    assert_eq!(r.state, "待验收");

    // 督办事项 报结 needs a 办理情况报告; 河湖问题 销号 any photo — checked in the pack.
    let pack = s.pack();
    let sup = pack.ledger("supervision").unwrap().workflow.as_ref().unwrap();
    let t = sup.transitions.iter().find(|t| t.name == "报结").unwrap();
    assert_eq!(t.evidence[0].message("报结"), "“报结”须先上传至少1份“办理情况报告”");
    let river = pack.ledger("river_issue").unwrap().workflow.as_ref().unwrap();
    let t = river.transitions.iter().find(|t| t.name == "核查销号").unwrap();
    assert_eq!(t.evidence[0].message("核查销号"), "“核查销号”须先上传至少1张照片");
}

async fn tampering_is_named(w: World) {
    let s = &w.store;
    let id = in_progress(&w).await;
    let photo = sample::photo(320, 240, None, None);
    let a = s
        .attach_bytes(&w.clerk_yj, id, "整改后照片", "后.jpg", &photo)
        .await
        .unwrap();
    let b = s
        .attach_bytes(&w.clerk_yj, id, "其他材料", "说明.pdf", b"%PDF-1.4 evidence")
        .await
        .unwrap();
    let ok = s.verify_files().await.unwrap();
    assert_eq!((ok.checked, ok.problems.len()), (3, 0), "photo, its thumbnail, the pdf");

    let att = s.attachment(&w.office, a).await.unwrap();
    let path = s.files().path_of(&att.file.hash);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let pdf = s.attachment(&w.office, b).await.unwrap();
    std::fs::remove_file(s.files().path_of(&pdf.file.hash)).unwrap();
    let r = s.verify_files().await.unwrap();
    let lines: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("附件{a}（记录{id}，“后.jpg”）已被篡改")),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with(&format!("附件{b}（记录{id}，“说明.pdf”）缺失")),
        "{lines:?}"
    );
}

async fn files_round_trip(w: World) {
    let s = &w.store;
    let id = in_progress(&w).await;
    let photo = sample::photo(320, 240, None, None);
    s.attach_bytes(&w.clerk_yj, id, "整改后照片", "后.jpg", &photo)
        .await
        .unwrap();
    let dir = tempfile_dir();
    assert_eq!(s.backup_files(&dir).unwrap(), 2, "the photo and its thumbnail");
    // The attachment directory lost (a new disk): restore brings the files back.
    std::fs::remove_dir_all(s.files().dir()).unwrap();
    assert_eq!(s.verify_files().await.unwrap().problems.len(), 2);
    assert_eq!(s.restore_files(&dir).unwrap(), 2);
    assert!(s.verify_files().await.unwrap().problems.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

async fn files_in_a_bucket(w: World) {
    let Some(m) = lvzhi_files::moto::server("files_in_a_bucket") else {
        return;
    };
    let s = &w.store;
    m.create_bucket("lvzhi-evidence").unwrap();
    let staging = tempfile_dir();
    let fs = lvzhi_files::FileStore::s3("s3://lvzhi-evidence/county", &staging, &m.config()).unwrap();
    lvzhi_store::attachments::check_files(&fs).await.unwrap();
    s.set_files(fs);
    let id = in_progress(&w).await;
    let photo = sample::photo(320, 240, None, None);
    let a = s
        .attach_bytes(&w.clerk_yj, id, "整改后照片", "后.jpg", &photo)
        .await
        .unwrap();
    let b = s
        .attach_bytes(&w.clerk_yj, id, "其他材料", "说明.pdf", b"%PDF-1.4 evidence")
        .await
        .unwrap();
    let key = |digest: &str| {
        let hex = digest.rsplit(':').next().unwrap();
        format!("county/sm3/{}/{hex}", &hex[..2])
    };
    let att = s.attachment(&w.office, a).await.unwrap();
    let pdf = s.attachment(&w.office, b).await.unwrap();
    assert_eq!(
        m.get("lvzhi-evidence", &key(&att.file.hash)).unwrap(),
        Some(photo.clone())
    );
    assert!(
        m.get("lvzhi-evidence", &key(att.file.thumb_hash.as_ref().unwrap()))
            .unwrap()
            .is_some()
    );
    let ok = s.verify_files().await.unwrap();
    assert_eq!((ok.checked, ok.problems.len()), (3, 0), "photo, its thumbnail, the pdf");

    // Backup into a directory while all is well.
    let dir = tempfile_dir();
    assert_eq!(s.backup_files(&dir).unwrap(), 3);

    // Altered and removed in the bucket: named with their object addresses.
    let mut bad = photo.clone();
    bad[1000] ^= 1;
    m.put("lvzhi-evidence", &key(&att.file.hash), &bad).unwrap();
    m.delete("lvzhi-evidence", &key(&pdf.file.hash)).unwrap();
    let r = s.verify_files().await.unwrap();
    let lines: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        vec![
            format!(
                "附件{a}（记录{id}，“后.jpg”）已被篡改（内容与变更日志中的摘要不符）：s3://lvzhi-evidence/{}",
                key(&att.file.hash)
            ),
            format!(
                "附件{b}（记录{id}，“说明.pdf”）缺失：s3://lvzhi-evidence/{}",
                key(&pdf.file.hash)
            ),
        ]
    );
    // Restore adds the lost object back and never overwrites the altered one.
    assert_eq!(s.restore_files(&dir).unwrap(), 1);
    let r = s.verify_files().await.unwrap();
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].attachment, a);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&staging);
}

fn tempfile_dir() -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("lvzhi-files-backup-{n}-{}", std::process::id()))
}

/// Files sent with a create or a transition (the phone's one-form step) are
/// recorded with it or not at all: a refused step leaves no attachment row
/// and no `record.attach` event; an accepted one counts them for its
/// evidence rule and writes them before the step on the chain.
async fn files_with_the_step_commit_together(w: World) {
    let s = &w.store;
    let before = sample::photo(640, 480, Some("2026:11:20 09:00:00"), None);
    let after = sample::photo(640, 480, Some("2026:11:24 15:00:00"), None);
    let n0 = attach_events(s).await;

    // Create with a before photo: one transaction.
    let f = s.stage_bytes("整改前照片", "前.jpg", &before).await.unwrap();
    let r = s
        .create_with_files(&w.clerk_yj, "hazard", hazard(XD, Some(w.yj)), vec![f])
        .await
        .unwrap();
    let list = s.attachments(&w.office, r.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].file.kind, "整改前照片");
    assert_eq!(list[0].file.taken_at.as_deref(), Some("2026-11-20T09:00:00"));
    // A refused create (missing required field) records no attachment.
    let f = s.stage_bytes("整改前照片", "前.jpg", &before).await.unwrap();
    let mut bad = hazard(XD, Some(w.yj));
    bad.remove("description");
    expect_status(s.create_with_files(&w.clerk_yj, "hazard", bad, vec![f]).await, 422);
    assert_eq!(attach_events(s).await, n0 + 1, "the refused create recorded no photo");

    s.transition(&w.office, r.id, 1, "交办", map(json!({})), None)
        .await
        .unwrap();
    let fields = map(json!({"measures": "已整改", "rectified_on": "2026-11-24"}));
    let ev0 = attach_events(s).await;
    // A refused step (整改完成日期 before 发现日期) with its photo: nothing recorded.
    let f = s.stage_bytes("整改后照片", "后.jpg", &after).await.unwrap();
    let early = map(json!({"measures": "已整改", "rectified_on": "2026-01-01"}));
    expect_status(
        s.transition_with_files(&w.clerk_yj, r.id, 2, "提交验收", early, None, vec![f])
            .await,
        422,
    );
    // A stale version: refused, nothing recorded either.
    let f = s.stage_bytes("整改后照片", "后.jpg", &after).await.unwrap();
    expect_status(
        s.transition_with_files(&w.clerk_yj, r.id, 1, "提交验收", fields.clone(), None, vec![f])
            .await,
        409,
    );
    assert_eq!(s.attachments(&w.office, r.id).await.unwrap().len(), 1);
    assert_eq!(attach_events(s).await, ev0, "no orphan record.attach event");
    // Without the photo the rule refuses; with it in the same call the step is taken.
    expect_status(
        s.transition_with_files(&w.clerk_yj, r.id, 2, "提交验收", fields.clone(), None, vec![])
            .await,
        422,
    );
    let f = s.stage_bytes("整改后照片", "后.jpg", &after).await.unwrap();
    let row = s
        .transition_with_files(&w.clerk_yj, r.id, 2, "提交验收", fields, None, vec![f])
        .await
        .unwrap();
    assert_eq!(row.state, "待验收");
    let evs = s.record_events(&w.office, r.id).await.unwrap();
    let kinds: Vec<&str> = evs.iter().map(|e| e.kind.as_str()).collect();
    let (a, t) = (
        kinds.iter().rposition(|k| *k == "record.attach").unwrap(),
        kinds.iter().rposition(|k| *k == "record.transition").unwrap(),
    );
    assert!(a < t, "the photo is on the chain before the step: {kinds:?}");
    assert_eq!(attach_events(s).await, ev0 + 1);
    assert!(s.verify_chain().await.unwrap().error.is_none());
}

/// The number of `record.attach` events (each is one attachment row, written together).
async fn attach_events(s: &Store) -> usize {
    s.events_of_kind("record.attach").await.unwrap().len()
}
