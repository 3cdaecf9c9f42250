//! The result sheet of an annual assessment (民主测评结果汇总表), as DOCX in
//! the layout of [`crate::docx`] (A4, GB/T 9704 margins and fonts, page
//! numbers) with tables, and as xlsx (one sheet per table, numbers as
//! numbers).
//!
//! Contents: the title and the campaign; 一、参评情况 — per evaluator group
//! its weight, codes issued, ballots cast and turnout; 二、测评结果 — per
//! subject and item (德、能、勤、绩、廉、总体评价) the weighted shares of
//! 优秀/称职/基本称职/不称职 and 称职以上率 (优秀率 is the weighted share of
//! 优秀); 三、客观评价 — per subject the completion indicators of their 分管
//! units against their targets ([`objective`]) and the name of their duty
//! report (述职述廉述德报告), which the reports module writes on request.

use crate::docx::{self, LINE_PITCH, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, NS, PAGE_H, PAGE_W};
use crate::{Block, ReportError};
use jiff::civil::Date;
use lvzhi_core::Decimal;
use lvzhi_core::access::Access;
use lvzhi_core::assess::Grade;
use lvzhi_core::period::Period;
use lvzhi_metrics::def::{FormulaKind, Source};
use lvzhi_metrics::{Engine, Scope};
use lvzhi_store::Store;
use lvzhi_store::assess::{Campaign, CampaignResults};

/// The name of the duty report template.
pub const DUTY_REPORT: &str = "述职述廉述德报告";

/// One target indicator of a subject's 分管 units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveRow {
    /// The completion indicator (财政总收入预算完成率).
    pub name: String,
    /// What was done (21.6亿元), or why there is no value.
    pub actual: String,
    /// The target.
    pub target: String,
    /// The completion (114.2%), or why there is none.
    pub completion: String,
    /// The completion as a number (percent), when there is one.
    pub value: Option<Decimal>,
}

/// The objective part of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objective {
    /// Subject id.
    pub subject: i64,
    /// The units the subject oversees (分管), by name.
    pub oversees: Vec<String>,
    /// The completion indicators over those units.
    pub rows: Vec<ObjectiveRow>,
    /// The duty report's title (常务副县长述职述廉述德报告).
    pub duty_report: String,
    /// Its address in the API (DOCX), when the subject is a person of the org tree.
    pub duty_report_url: Option<String>,
}

/// The objective part of every subject: for a subject linked to a person,
/// every completion indicator (done ÷ target) evaluated over the units the
/// person oversees (`leader:` scope) for the campaign's year, as `access`
/// may see it. A subject without a person or without 分管 units has no rows.
pub async fn objective(
    store: &Store,
    engine: &Engine,
    access: &Access,
    campaign: &Campaign,
    today: Date,
) -> Result<Vec<Objective>, ReportError> {
    let people = store.people().await?;
    let units = store.units().await?;
    let period = Period::parse(&campaign.year.to_string()).map_err(|e| ReportError::Bad(e.to_string()))?;
    let completions: Vec<(String, String, String)> = engine
        .defs()
        .list
        .iter()
        .filter_map(|i| match &i.source {
            Source::Formula {
                kind: FormulaKind::Completion,
                of,
            } if of.len() == 2 => Some((i.id.clone(), of[0].clone(), of[1].clone())),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(campaign.subjects.len());
    for s in &campaign.subjects {
        let person = s.person_id.and_then(|p| people.iter().find(|x| x.id == p));
        let oversees: Vec<String> = person
            .map(|p| {
                p.oversees
                    .iter()
                    .filter_map(|u| units.iter().find(|x| x.id == *u).map(|x| x.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut rows = Vec::new();
        if let Some(p) = person.filter(|p| !p.oversees.is_empty()) {
            let values = engine
                .evaluate_all(store, access, period, &Scope::Oversees(p.id), today)
                .await?;
            let find = |id: &str| values.iter().find(|v| v.id == id);
            for (id, done, target) in &completions {
                let (Some(c), Some(d), Some(t)) = (find(id), find(done), find(target)) else {
                    continue;
                };
                // Only targets that concern the units: something was recorded.
                if d.records == 0 && t.records == 0 && c.value.is_none() {
                    continue;
                }
                rows.push(ObjectiveRow {
                    name: c.name.clone(),
                    actual: d.display.clone(),
                    target: t.display.clone(),
                    completion: c.display.clone(),
                    value: c.value.as_deref().and_then(|v| v.parse().ok()),
                });
            }
        }
        let title = if s.post.is_empty() {
            format!("{}{DUTY_REPORT}", s.name)
        } else {
            format!("{}{DUTY_REPORT}", s.post)
        };
        out.push(Objective {
            subject: s.id,
            oversees,
            rows,
            duty_report: title,
            duty_report_url: person.map(|p| {
                format!(
                    "/api/v1/reports/{DUTY_REPORT}?period={}&person={}&format=docx",
                    campaign.year, p.name
                )
            }),
        });
    }
    Ok(out)
}

/// A result sheet, ready to be written.
pub struct Sheet<'a> {
    r: &'a CampaignResults,
    objective: Vec<Objective>,
    today: Date,
}

fn pct(d: Decimal) -> String {
    format!("{:.1}%", d)
}

fn cn_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

impl<'a> Sheet<'a> {
    /// A sheet of `r` with its objective part, dated `today`.
    pub fn new(r: &'a CampaignResults, objective: Vec<Objective>, today: Date) -> Sheet<'a> {
        Sheet { r, objective, today }
    }

    fn group_name(&self, id: i64) -> String {
        self.r
            .campaign
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn subject_label(&self, id: i64) -> String {
        self.r
            .campaign
            .subjects
            .iter()
            .find(|s| s.id == id)
            .map(|s| {
                if s.post.is_empty() {
                    s.name.clone()
                } else {
                    format!("{}（{}）", s.name, s.post)
                }
            })
            .unwrap_or_default()
    }

    /// The turnout table: header and rows (group, weight, issued, voted, rate), then a total row.
    pub fn turnout_rows(&self) -> Vec<[String; 5]> {
        let mut rows = vec![[
            "测评组".to_string(),
            "权重".into(),
            "发放选票".into(),
            "收回有效选票".into(),
            "参评率".into(),
        ]];
        let (mut issued, mut voted) = (0i64, 0i64);
        for t in &self.r.turnout {
            let w = self
                .r
                .campaign
                .groups
                .iter()
                .find(|g| g.id == t.group_id)
                .map(|g| format!("{}%", g.weight.normalize()))
                .unwrap_or_default();
            issued += t.issued;
            voted += t.voted;
            rows.push([
                t.name.clone(),
                w,
                t.issued.to_string(),
                t.voted.to_string(),
                t.rate.map(pct).unwrap_or_else(|| "—".into()),
            ]);
        }
        let rate = lvzhi_core::assess::round_tenths_percent(i128::from(voted), i128::from(issued))
            .ok()
            .filter(|_| issued > 0);
        rows.push([
            "合计".into(),
            "100%".into(),
            issued.to_string(),
            voted.to_string(),
            rate.map(pct).unwrap_or_else(|| "—".into()),
        ]);
        rows
    }

    /// The sentences before the tables.
    pub fn intro(&self) -> Vec<String> {
        let c = &self.r.campaign;
        let total: u64 = self.r.results.ballots.values().sum();
        let groups: Vec<String> = c
            .groups
            .iter()
            .map(|g| format!("{}{}%", g.name, g.weight.normalize()))
            .collect();
        let mut v = vec![format!(
            "本次测评对{}名领导干部从德、能、勤、绩、廉五个方面和总体评价进行民主测评，共收回有效选票{}张。按测评组加权计算，各组权重为：{}。",
            c.subjects.len(),
            total,
            groups.join("、")
        )];
        if !self.r.results.groups_without_ballots.is_empty() {
            let names: Vec<String> = self
                .r
                .results
                .groups_without_ballots
                .iter()
                .map(|g| self.group_name(*g))
                .collect();
            v.push(format!(
                "{}未收回选票，不参与加权，其余各组权重按比例折算。",
                names.join("、")
            ));
        }
        v.push("各等次比例为加权比例，保留一位小数；称职以上率为优秀与称职加权比例之和。".into());
        v
    }

    /// The results table: a header, then per subject one row per item:
    /// subject, item, 优秀, 称职, 基本称职, 不称职, 称职以上率.
    pub fn result_rows(&self) -> Vec<[String; 7]> {
        let mut rows = vec![[
            "测评对象".to_string(),
            "测评项目".into(),
            "优秀（优秀率）".into(),
            "称职".into(),
            "基本称职".into(),
            "不称职".into(),
            "称职以上率".into(),
        ]];
        for s in &self.r.results.subjects {
            for it in &s.items {
                rows.push([
                    self.subject_label(s.subject),
                    it.item.to_string(),
                    pct(it.shares[Grade::Excellent.index()]),
                    pct(it.shares[Grade::Competent.index()]),
                    pct(it.shares[Grade::Basic.index()]),
                    pct(it.shares[Grade::Incompetent.index()]),
                    pct(it.competent_or_better_rate),
                ]);
            }
        }
        rows
    }

    /// The objective table: subject, indicator, done, target, completion.
    pub fn objective_rows(&self) -> Vec<[String; 5]> {
        let mut rows = vec![[
            "测评对象".to_string(),
            "目标任务指标".into(),
            "完成".into(),
            "目标".into(),
            "完成率".into(),
        ]];
        for o in &self.objective {
            let who = self.subject_label(o.subject);
            if o.rows.is_empty() {
                rows.push([
                    who.clone(),
                    if o.oversees.is_empty() {
                        "无分管单位的目标任务".into()
                    } else {
                        "分管单位暂无目标任务数据".into()
                    },
                    "—".into(),
                    "—".into(),
                    "—".into(),
                ]);
            }
            for r in &o.rows {
                rows.push([
                    who.clone(),
                    r.name.clone(),
                    r.actual.clone(),
                    r.target.clone(),
                    r.completion.clone(),
                ]);
            }
        }
        rows
    }

    /// The duty reports, one line per subject.
    pub fn duty_lines(&self) -> Vec<String> {
        self.objective
            .iter()
            .map(|o| {
                let units = if o.oversees.is_empty() {
                    String::new()
                } else {
                    format!("（分管：{}）", o.oversees.join("、"))
                };
                format!("{}{units}：《{}》", self.subject_label(o.subject), o.duty_report)
            })
            .collect()
    }

    fn title(&self) -> String {
        format!("{}结果汇总表", self.r.campaign.title)
    }

    /// The sheet as DOCX.
    pub fn docx(&self) -> Result<Vec<u8>, ReportError> {
        let mut body = String::new();
        body.push_str(&docx::para(&Block::Title(self.title())));
        for p in self.intro() {
            body.push_str(&docx::para(&Block::Para(p)));
        }
        body.push_str(&docx::para(&Block::H1("一、参评情况".into())));
        body.push_str(&table(
            &[2644, 1300, 1600, 1800, 1500],
            &self.turnout_rows().iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            false,
        ));
        body.push_str(&docx::para(&Block::H1("二、测评结果".into())));
        body.push_str(&table(
            &[1844, 1100, 1300, 1100, 1200, 1100, 1200],
            &self.result_rows().iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            true,
        ));
        body.push_str(&docx::para(&Block::H1("三、客观评价".into())));
        body.push_str(&docx::para(&Block::Para(
            "下表为各测评对象分管单位目标任务指标完成情况，数据取自系统台账和统计报表。".into(),
        )));
        body.push_str(&table(
            &[1844, 2600, 1500, 1500, 1400],
            &self.objective_rows().iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            true,
        ));
        body.push_str(&docx::para(&Block::H1("四、述职述廉述德报告".into())));
        for l in self.duty_lines() {
            body.push_str(&docx::para(&Block::Para(l)));
        }
        body.push_str(&right_para(&cn_date(self.today)));
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {NS}><w:body>{body}<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooterOdd\"/><w:footerReference w:type=\"even\" r:id=\"rIdFooterEven\"/><w:pgSz w:w=\"{PAGE_W}\" w:h=\"{PAGE_H}\"/><w:pgMar w:top=\"{MARGIN_TOP}\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"{MARGIN_BOTTOM}\" w:left=\"{MARGIN_LEFT}\" w:header=\"851\" w:footer=\"1247\" w:gutter=\"0\"/><w:cols w:space=\"425\"/><w:docGrid w:type=\"lines\" w:linePitch=\"{LINE_PITCH}\"/></w:sectPr></w:body></w:document>"
        );
        docx::package(doc)
    }

    /// The sheet as xlsx: 参评情况, 测评结果 (shares as numbers in percent),
    /// 客观评价, with the title in the first row of each sheet.
    pub fn xlsx(&self) -> Result<Vec<u8>, ReportError> {
        use rust_decimal::prelude::ToPrimitive;
        use rust_xlsxwriter::{Format, Workbook};
        let e = |e: rust_xlsxwriter::XlsxError| ReportError::Bad(format!("xlsx写入失败：{e}"));
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let title = self.title();
        {
            let ws = wb.add_worksheet();
            ws.set_name("参评情况").map_err(e)?;
            ws.write_string_with_format(0, 0, &title, &bold).map_err(e)?;
            for (i, h) in ["测评组", "权重（%）", "发放选票", "收回有效选票", "参评率（%）"]
                .iter()
                .enumerate()
            {
                ws.write_string_with_format(1, i as u16, *h, &bold).map_err(e)?;
            }
            for (row, t) in (2u32..).zip(self.r.turnout.iter()) {
                let w = self
                    .r
                    .campaign
                    .groups
                    .iter()
                    .find(|g| g.id == t.group_id)
                    .and_then(|g| g.weight.to_f64())
                    .unwrap_or(0.0);
                ws.write_string(row, 0, &t.name).map_err(e)?;
                ws.write_number(row, 1, w).map_err(e)?;
                ws.write_number(row, 2, t.issued as f64).map_err(e)?;
                ws.write_number(row, 3, t.voted as f64).map_err(e)?;
                if let Some(r) = t.rate.and_then(|r| r.to_f64()) {
                    ws.write_number(row, 4, r).map_err(e)?;
                }
            }
            ws.set_column_width(0, 20).map_err(e)?;
            ws.set_column_width(3, 14).map_err(e)?;
        }
        {
            let ws = wb.add_worksheet();
            ws.set_name("测评结果").map_err(e)?;
            ws.write_string_with_format(0, 0, &title, &bold).map_err(e)?;
            for (i, h) in [
                "测评对象",
                "测评项目",
                "优秀率（%）",
                "称职（%）",
                "基本称职（%）",
                "不称职（%）",
                "称职以上率（%）",
            ]
            .iter()
            .enumerate()
            {
                ws.write_string_with_format(1, i as u16, *h, &bold).map_err(e)?;
            }
            let mut row = 2u32;
            for s in &self.r.results.subjects {
                for it in &s.items {
                    ws.write_string(row, 0, self.subject_label(s.subject)).map_err(e)?;
                    ws.write_string(row, 1, it.item).map_err(e)?;
                    for (k, v) in it.shares.iter().enumerate() {
                        ws.write_number(row, 2 + k as u16, v.to_f64().unwrap_or(0.0))
                            .map_err(e)?;
                    }
                    ws.write_number(row, 6, it.competent_or_better_rate.to_f64().unwrap_or(0.0))
                        .map_err(e)?;
                    row += 1;
                }
            }
            ws.set_column_width(0, 24).map_err(e)?;
            ws.set_column_width(6, 16).map_err(e)?;
        }
        {
            let ws = wb.add_worksheet();
            ws.set_name("客观评价").map_err(e)?;
            ws.write_string_with_format(0, 0, &title, &bold).map_err(e)?;
            for (i, h) in ["测评对象", "目标任务指标", "完成", "目标", "完成率", "完成率（%）"]
                .iter()
                .enumerate()
            {
                ws.write_string_with_format(1, i as u16, *h, &bold).map_err(e)?;
            }
            let mut row = 2u32;
            for o in &self.objective {
                for r in &o.rows {
                    ws.write_string(row, 0, self.subject_label(o.subject)).map_err(e)?;
                    ws.write_string(row, 1, &r.name).map_err(e)?;
                    ws.write_string(row, 2, &r.actual).map_err(e)?;
                    ws.write_string(row, 3, &r.target).map_err(e)?;
                    ws.write_string(row, 4, &r.completion).map_err(e)?;
                    if let Some(v) = r.value.and_then(|v| v.to_f64()) {
                        ws.write_number(row, 5, v).map_err(e)?;
                    }
                    row += 1;
                }
            }
            ws.set_column_width(0, 24).map_err(e)?;
            ws.set_column_width(1, 28).map_err(e)?;
            let mut row = row + 1;
            ws.write_string_with_format(row, 0, "述职述廉述德报告", &bold)
                .map_err(e)?;
            row += 1;
            for l in self.duty_lines() {
                ws.write_string(row, 0, &l).map_err(e)?;
                row += 1;
            }
        }
        wb.save_to_buffer().map_err(e)
    }
}

fn esc(s: &str) -> String {
    crate::html::escape(s)
}

fn right_para(text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:spacing w:before=\"{LINE_PITCH}\" w:line=\"{LINE_PITCH}\" w:lineRule=\"exact\"/><w:jc w:val=\"right\"/><w:ind w:right=\"640\"/></w:pPr>{}</w:p>",
        docx::run(text, docx::BODY_FONT, 32)
    )
}

/// A table with a bold repeated header row; with `merge_first`, equal
/// consecutive values of the first column are merged vertically.
fn table(widths: &[u32], rows: &[Vec<String>], merge_first: bool) -> String {
    let total: u32 = widths.iter().sum();
    let border = |n: &str| format!("<w:{n} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>");
    let mut x = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{total}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/><w:tblBorders>{}{}{}{}{}{}</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"60\" w:type=\"dxa\"/><w:right w:w=\"60\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>",
        border("top"),
        border("left"),
        border("bottom"),
        border("right"),
        border("insideH"),
        border("insideV")
    );
    for w in widths {
        x.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    x.push_str("</w:tblGrid>");
    for (ri, row) in rows.iter().enumerate() {
        let header = ri == 0;
        x.push_str("<w:tr><w:trPr><w:cantSplit/>");
        if header {
            x.push_str("<w:tblHeader/>");
        }
        x.push_str("</w:trPr>");
        for (ci, cell) in row.iter().enumerate() {
            let w = widths.get(ci).copied().unwrap_or(1000);
            let mut merge = String::new();
            let mut text = cell.as_str();
            if merge_first && ci == 0 && !header {
                let same_as_prev = ri > 1 && rows[ri - 1].first() == Some(cell);
                let same_as_next = rows.get(ri + 1).and_then(|r| r.first()) == Some(cell);
                if same_as_prev {
                    merge = "<w:vMerge/>".into();
                    text = "";
                } else if same_as_next {
                    merge = "<w:vMerge w:val=\"restart\"/>".into();
                }
            }
            let run = if text.is_empty() {
                String::new()
            } else if header {
                format!(
                    "<w:r><w:rPr>{}<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
                    docx::fonts(docx::H1_FONT),
                    esc(text)
                )
            } else {
                docx::run(text, docx::BODY_FONT, 24)
            };
            x.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/>{merge}<w:vAlign w:val=\"center\"/></w:tcPr><w:p><w:pPr><w:spacing w:line=\"320\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/></w:pPr>{run}</w:p></w:tc>"
            ));
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvzhi_core::assess::{Tally, compute};
    use lvzhi_store::assess::{Group, Subject, Turnout};
    use std::io::Read;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn results() -> CampaignResults {
        use lvzhi_core::assess::Ballot;
        let mut t = Tally::default();
        let all = |g: Grade| Ballot([(5, [g; 6]), (6, [Grade::Competent; 6])].into_iter().collect());
        for g in [Grade::Excellent, Grade::Excellent, Grade::Competent] {
            t.add(1, &all(g));
        }
        for g in [Grade::Excellent, Grade::Competent, Grade::Competent, Grade::Competent] {
            t.add(2, &all(g));
        }
        let groups = [(1, d("30")), (2, d("40")), (3, d("30"))];
        let r = compute(&groups, &[5, 6], &t).unwrap();
        CampaignResults {
            campaign: Campaign {
                id: 1,
                year: 2026,
                title: "2026年度县级领导干部民主测评".into(),
                state: "closed".into(),
                opens_at: String::new(),
                closes_at: String::new(),
                closed_at: None,
                published: true,
                min_ballots: 0,
                groups: vec![
                    Group {
                        id: 1,
                        name: "县级领导".into(),
                        weight: d("30"),
                    },
                    Group {
                        id: 2,
                        name: "部门主要负责人".into(),
                        weight: d("40"),
                    },
                    Group {
                        id: 3,
                        name: "乡镇党政正职".into(),
                        weight: d("30"),
                    },
                ],
                subjects: vec![
                    Subject {
                        id: 5,
                        name: "王建国".into(),
                        post: "常务副县长".into(),
                        person_id: Some(9),
                    },
                    Subject {
                        id: 6,
                        name: "李明".into(),
                        post: String::new(),
                        person_id: None,
                    },
                ],
            },
            turnout: vec![
                Turnout {
                    group_id: 1,
                    name: "县级领导".into(),
                    issued: 4,
                    voted: 3,
                    rate: Some(d("75.0")),
                },
                Turnout {
                    group_id: 2,
                    name: "部门主要负责人".into(),
                    issued: 6,
                    voted: 4,
                    rate: Some(d("66.7")),
                },
                Turnout {
                    group_id: 3,
                    name: "乡镇党政正职".into(),
                    issued: 2,
                    voted: 0,
                    rate: Some(d("0.0")),
                },
            ],
            results: r,
        }
    }

    fn objective() -> Vec<Objective> {
        vec![
            Objective {
                subject: 5,
                oversees: vec!["财政局".into()],
                rows: vec![ObjectiveRow {
                    name: "财政总收入预算完成率".into(),
                    actual: "21.6亿元".into(),
                    target: "18.92亿元".into(),
                    completion: "114.2%".into(),
                    value: Some(d("114.16")),
                }],
                duty_report: "常务副县长述职述廉述德报告".into(),
                duty_report_url: None,
            },
            Objective {
                subject: 6,
                oversees: vec![],
                rows: vec![],
                duty_report: "李明述职述廉述德报告".into(),
                duty_report_url: None,
            },
        ]
    }

    fn today() -> Date {
        "2026-11-25".parse().unwrap()
    }

    #[test]
    fn docx_holds_the_figures_in_tables() {
        let r = results();
        let s = Sheet::new(&r, objective(), today());
        let bytes = s.docx().unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        z.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        // 优秀 for 王建国 with 乡镇 left out: (30·2/3 + 40·1/4) / 70 = 42.857… → 42.9%.
        for needle in [
            "2026年度县级领导干部民主测评结果汇总表",
            "王建国（常务副县长）",
            "42.9%",
            "57.1%",
            "100.0%",
            "称职以上率",
            "乡镇党政正职未收回选票",
            "66.7%",
            "58.3%", // 7 of 12 codes used
            "财政总收入预算完成率",
            "114.2%",
            "常务副县长述职述廉述德报告",
            "无分管单位的目标任务",
            "2026年11月25日",
            "<w:tbl>",
            "<w:vMerge w:val=\"restart\"/>",
            "仿宋_GB2312",
        ] {
            assert!(xml.contains(needle), "{needle} missing");
        }
        assert_eq!(xml.matches("<w:tbl>").count(), 3);
        // 1 header + 2 subjects × 6 items
        assert_eq!(s.result_rows().len(), 13);
        assert!(z.by_name("word/footer2.xml").is_ok());
    }

    #[test]
    fn xlsx_has_the_numbers() {
        use calamine::{Data, Reader, Xlsx};
        let r = results();
        let bytes = Sheet::new(&r, objective(), today()).xlsx().unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["参评情况", "测评结果", "客观评价"]);
        let res = wb.worksheet_range("测评结果").unwrap();
        assert_eq!(res.get((2, 0)), Some(&Data::String("王建国（常务副县长）".into())));
        assert_eq!(res.get((2, 1)), Some(&Data::String("德".into())));
        assert_eq!(res.get((2, 2)), Some(&Data::Float(42.9)));
        assert_eq!(res.get((2, 3)), Some(&Data::Float(57.1)));
        assert_eq!(res.get((2, 6)), Some(&Data::Float(100.0)));
        assert_eq!(res.height(), 2 + 12);
        let t = wb.worksheet_range("参评情况").unwrap();
        assert_eq!(t.get((3, 0)), Some(&Data::String("部门主要负责人".into())));
        assert_eq!(t.get((3, 2)), Some(&Data::Float(6.0)));
        assert_eq!(t.get((3, 3)), Some(&Data::Float(4.0)));
        assert_eq!(t.get((3, 4)), Some(&Data::Float(66.7)));
        let o = wb.worksheet_range("客观评价").unwrap();
        assert_eq!(o.get((2, 1)), Some(&Data::String("财政总收入预算完成率".into())));
        assert_eq!(o.get((2, 5)), Some(&Data::Float(114.16)));
    }
}
