//! 证据材料 on a record's page: before/after photos side by side with their
//! capture time and place (flagged when taken before 发现日期 or after the
//! upload), the other files, the evidence the next steps need, the upload
//! form (camera on phones) and voiding with a reason. The routes are in
//! `ui/attach.rs`.
//! The page's layout and CSS are the record page's; this section's own
//! styles are in `assets/evidence.css`.

use super::render::{store_error, when};
use super::session::UiUser;
use crate::AppState;
use crate::service::attachments::flags;
use axum::response::Response;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::attachments::Attachment;
use lvzhi_store::records::RecordView;

/// One attachment as shown.
pub struct Item {
    /// Id.
    pub id: i64,
    /// File name.
    pub name: String,
    /// Kind (整改后照片).
    pub kind: String,
    /// 1.2 MB · JPEG图片.
    pub about: String,
    /// Has a thumbnail.
    pub thumb: bool,
    /// 拍摄于 2026年12月1日 09:30, or empty.
    pub taken: String,
    /// 北纬… 东经…, or empty.
    pub place: String,
    /// 张三 上传于 ….
    pub uploaded: String,
    /// Capture-time warnings.
    pub flags: Vec<String>,
    /// Voided, and why.
    pub voided: bool,
    /// Why.
    pub void_reason: String,
}

/// A column of the before/after comparison.
pub struct Column {
    /// The kind shown.
    pub kind: String,
    /// Its live photos.
    pub items: Vec<Item>,
}

/// An evidence rule of a step the reader may take next.
pub struct Need {
    /// “提交验收”须先上传至少1份“整改后照片”.
    pub text: String,
    /// Already met.
    pub met: bool,
}

/// The section's data.
pub struct Evidence {
    /// The reader may upload and void.
    pub can_upload: bool,
    /// Kinds offered on upload.
    pub kinds: Vec<String>,
    /// Before/after columns (empty when the ledger names none).
    pub compare: Vec<Column>,
    /// The other live attachments.
    pub others: Vec<Item>,
    /// Voided attachments.
    pub voided: Vec<Item>,
    /// Rules of the next steps.
    pub needs: Vec<Need>,
    /// The largest file accepted (20 MB).
    pub limit: String,
    /// The section's stylesheet URL.
    pub css: String,
    /// The live attachments' kinds and whether each is a photo (for the
    /// step forms' file inputs: [`step_inputs`]).
    pub live: Vec<(String, bool)>,
}

/// A file input inside a step's form (or the create form), so the clerk
/// photographs, fills in and submits in one go on a phone; the files and the
/// step commit together (`Store::transition_with_files`).
pub struct FileInput {
    /// The multipart field (`file-1`…); the server maps it back to its kind.
    pub field: String,
    /// The HTML id.
    pub id: String,
    /// The attachment kind the files are recorded as (整改后照片).
    pub kind: String,
    /// The label.
    pub label: String,
    /// `accept`.
    pub accept: &'static str,
    /// Opens the back camera on phones (`capture="environment"`).
    pub capture: bool,
    /// Several files at once (documents).
    pub multiple: bool,
    /// The step cannot be taken without it (the rule is not met yet).
    pub required: bool,
    /// What the rule asks, and what is already there.
    pub help: String,
}

const DOC_ACCEPT: &str = "application/pdf,.pdf,.docx,.xlsx,image/jpeg,image/png,image/webp,image/heic,.heic";

/// The kind an evidence rule's files are recorded as: the rule's own kind;
/// for "any photo" the ledger's after-photo kind (the second of `compare`)
/// or its first photo kind.
fn rule_kind(kind: &LedgerKind, e: &lvzhi_core::ledger::EvidenceRule) -> String {
    let kinds = kind.attachments.kinds();
    e.kind
        .clone()
        .or_else(|| kind.attachments.compare.get(1).cloned())
        .or_else(|| kinds.iter().find(|k| k.contains("照片")).cloned())
        .or_else(|| kinds.first().cloned())
        .unwrap_or_else(|| "其他材料".into())
}

fn photo_input(field: String, id: String, kind: String, required: bool, help: String) -> FileInput {
    FileInput {
        label: format!("{kind}（拍照上传）"),
        field,
        id,
        kind,
        accept: "image/*",
        capture: true,
        multiple: false,
        required,
        help,
    }
}

/// The file inputs of transition `t`'s form: one per evidence rule, required
/// while the record's `live` attachments (kind, is photo) do not meet it.
pub fn step_inputs(
    kind: &LedgerKind,
    t: &lvzhi_core::ledger::TransitionDef,
    live: &[(String, bool)],
) -> Vec<FileInput> {
    t.evidence
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let have = live.iter().filter(|(k, p)| e.counts(k, *p)).count();
            let k = rule_kind(kind, e);
            let required = have < e.min as usize;
            let help = if required {
                format!("{}；照片随本次办理一并提交", e.message(&t.name))
            } else {
                format!("已上传{have}份，可再补充")
            };
            let (field, id) = (format!("file-{}", i + 1), format!("t-{}-file-{}", t.name, i + 1));
            if e.photo || k.contains("照片") {
                photo_input(field, id, k, required, help)
            } else {
                FileInput {
                    label: k.clone(),
                    field,
                    id,
                    kind: k,
                    accept: DOC_ACCEPT,
                    capture: false,
                    multiple: true,
                    required,
                    help: help.replace("照片随本次办理", "文件随本次办理"),
                }
            }
        })
        .collect()
}

/// The create form's file input: the ledger's before-photo kind (the first
/// of `compare`: 整改前照片, 问题照片), optional, taken with the camera.
pub fn create_inputs(kind: &LedgerKind) -> Vec<FileInput> {
    match kind.attachments.compare.first() {
        Some(k) if kind.attachments.compare.len() == 2 => vec![photo_input(
            "file-1".into(),
            "f-file-1".into(),
            k.clone(),
            false,
            "现场拍照，随登记一并保存（也可登记后在“证据材料”中上传）".into(),
        )],
        _ => vec![],
    }
}

fn size_label(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{}.{} MB", n / (1024 * 1024), (n % (1024 * 1024)) * 10 / (1024 * 1024))
    } else if n >= 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} 字节")
    }
}

fn taken_label(t: &str) -> String {
    match t.parse::<jiff::civil::DateTime>() {
        Ok(d) => format!(
            "拍摄于 {}年{}月{}日 {:02}:{:02}",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute()
        ),
        Err(_) => String::new(),
    }
}

fn item(
    kind: &LedgerKind,
    view: &RecordView,
    a: &Attachment,
    names: &std::collections::HashMap<String, String>,
) -> Item {
    let mime = lvzhi_files::Kind::from_mime(&a.file.mime).map_or("文件", |k| k.label());
    let who = names
        .get(&a.uploader_name)
        .cloned()
        .unwrap_or_else(|| a.uploader_name.clone());
    Item {
        id: a.id,
        name: a.file.name.clone(),
        kind: a.file.kind.clone(),
        about: format!("{} · {mime}", size_label(a.file.size)),
        thumb: a.file.thumb_hash.is_some(),
        taken: a.file.taken_at.as_deref().map(taken_label).unwrap_or_default(),
        place: a.file.gps.as_deref().map(lvzhi_files::gps_label).unwrap_or_default(),
        uploaded: format!("{who} 上传于 {}", when(&a.uploaded_at)),
        flags: flags(kind, &view.row.fields, a),
        voided: a.voided,
        void_reason: a.void_reason.clone().unwrap_or_default(),
    }
}

/// The section of record `view` for reader `u`.
pub async fn section(st: &AppState, u: &UiUser, view: &RecordView, kind: &LedgerKind) -> Result<Evidence, Response> {
    let a = &u.session.access;
    let all = st.store.attachments(a, view.row.id).await.map_err(store_error)?;
    let names: std::collections::HashMap<String, String> = st
        .store
        .users()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|x| (x.username, x.display_name))
        .collect();
    let rules = &kind.attachments;
    let mut compare: Vec<Column> = if rules.compare.len() == 2 {
        rules
            .compare
            .iter()
            .map(|k| Column {
                kind: k.clone(),
                items: vec![],
            })
            .collect()
    } else {
        vec![]
    };
    let (mut others, mut voided) = (vec![], vec![]);
    for x in &all {
        let it = item(kind, view, x, &names);
        if x.voided {
            voided.push(it);
        } else if let Some(c) = compare.iter_mut().find(|c| c.kind == x.file.kind && x.is_photo()) {
            c.items.push(it);
        } else {
            others.push(it);
        }
    }
    let live: Vec<&Attachment> = all.iter().filter(|x| !x.voided).collect();
    let needs = kind
        .workflow
        .iter()
        .flat_map(|w| &w.transitions)
        .filter(|t| view.actions.contains(&t.name) && t.from.contains(&view.row.state))
        .flat_map(|t| {
            let live = &live;
            t.evidence.iter().map(move |e| Need {
                text: e.message(&t.name),
                met: live.iter().filter(|x| e.counts(&x.file.kind, x.is_photo())).count() >= e.min as usize,
            })
        })
        .collect();
    Ok(Evidence {
        can_upload: st.store.check_attach(a, view.row.id).await.is_ok(),
        kinds: rules.kinds(),
        compare,
        others,
        voided,
        needs,
        limit: format!("{} MB", st.upload_limits().max_bytes / (1024 * 1024)),
        css: super::asset_url("evidence.css"),
        live: live.iter().map(|x| (x.file.kind.clone(), x.is_photo())).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step<'a>(
        pack: &'a lvzhi_core::ledger::Pack,
        ledger: &str,
        name: &str,
    ) -> (&'a LedgerKind, &'a lvzhi_core::ledger::TransitionDef) {
        let k = pack.ledger(ledger).unwrap();
        let t = k
            .workflow
            .iter()
            .flat_map(|w| &w.transitions)
            .find(|t| t.name == name)
            .unwrap();
        (k, t)
    }

    /// The three evidence steps of the county pack get the inputs a phone needs.
    #[test]
    fn step_inputs_of_the_county_pack() {
        let pack = lvzhi_packs::county().unwrap();
        // 隐患 提交验收: a 整改后照片 from the camera, required until one is there.
        let (k, t) = step(&pack, "hazard", "提交验收");
        let i = step_inputs(k, t, &[]);
        assert_eq!(i.len(), 1);
        assert_eq!((i[0].field.as_str(), i[0].kind.as_str()), ("file-1", "整改后照片"));
        assert!(i[0].capture && i[0].required && i[0].accept == "image/*" && !i[0].multiple);
        let had = step_inputs(k, t, &[("整改前照片".into(), true)]);
        assert!(had[0].required, "a before photo does not meet the rule");
        let met = step_inputs(k, t, &[("整改后照片".into(), true)]);
        assert!(!met[0].required && met[0].help.contains("已上传1份"));
        // 河湖问题 核查销号: any photo, recorded as the after-photo kind.
        let (k, t) = step(&pack, "river_issue", "核查销号");
        let i = step_inputs(k, t, &[]);
        assert_eq!(i[0].kind, "整改后照片");
        assert!(i[0].capture);
        assert!(!step_inputs(k, t, &[("问题照片".into(), true)])[0].required);
        // 督办事项 报结: a document, several files, no camera.
        let (k, t) = step(&pack, "supervision", "报结");
        let i = step_inputs(k, t, &[]);
        assert_eq!(i[0].kind, "办理情况报告");
        assert!(!i[0].capture && i[0].multiple && i[0].accept.contains(".docx"));
        // The create forms: the before photo where the ledger compares two kinds.
        let kinds: Vec<String> = ["hazard", "river_issue", "supervision"]
            .iter()
            .map(|l| {
                create_inputs(pack.ledger(l).unwrap())
                    .first()
                    .map(|x| x.kind.clone())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(kinds, ["整改前照片", "问题照片", ""]);
    }
}
