//! The statistic rows (统计报表, state 已审核): monthly figures for
//! 2025-01..2026-11 whose sums and last values give the seed's figures, annual
//! targets for 2026, and 社会消费品零售总额 of the other counties of 酒泉市.

use crate::Row;
use crate::org::Org;
use crate::rng::{Rng, split_by};
use crate::util::{dec2, row};
use serde_json::json;

/// How a statistic's monthly rows make its figure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Monthly amounts: the figure for 1-11月 is their sum.
    Flow,
    /// A level at the end of each month (a stock or a rate): the figure is
    /// the row of the range's last month.
    Level,
}

/// One statistic: name, 专业, reporting unit, measure, kind, 2026 1-11月,
/// 2025 1-11月, 2025-12 (all in hundredths), source.
struct Stat {
    name: &'static str,
    domain: &'static str,
    unit: &'static str,
    measure: &'static str,
    kind: Kind,
    y2026: i64,
    y2025: i64,
    dec2025: i64,
    source: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn flow(
    name: &'static str,
    domain: &'static str,
    unit: &'static str,
    measure: &'static str,
    y2026: i64,
    y2025: i64,
    dec2025: i64,
    source: &'static str,
) -> Stat {
    Stat {
        name,
        domain,
        unit,
        measure,
        kind: Kind::Flow,
        y2026: y2026 * 100,
        y2025: y2025 * 100,
        dec2025: dec2025 * 100,
        source,
    }
}

/// The monthly statistics. For Flow the numbers are 1-11月 totals; for Level,
/// the values at the end of November (2026, 2025) and at the end of 2024.
const STATS: &[Stat] = &[
    flow(
        "财政总收入",
        "财政税收",
        "财政局",
        "万元",
        216_000,
        177_300,
        16_500,
        "财政局预算执行月报",
    ),
    flow(
        "一般公共预算收入",
        "财政税收",
        "财政局",
        "万元",
        74_800,
        70_700,
        6_100,
        "财政局预算执行月报",
    ),
    flow(
        "政府性基金收入",
        "财政税收",
        "财政局",
        "万元",
        36_000,
        13_100,
        2_400,
        "财政局预算执行月报",
    ),
    flow(
        "税收收入",
        "财政税收",
        "税务局",
        "万元",
        52_000,
        49_600,
        4_700,
        "税务局税收征管系统",
    ),
    flow(
        "争取到位资金",
        "财政税收",
        "发改局",
        "万元",
        136_800,
        118_500,
        9_800,
        "发改局、财政局资金台账",
    ),
    flow(
        "社会消费品零售总额",
        "商贸流通",
        "统计局",
        "万元",
        675_300,
        622_970,
        70_500,
        "统计局",
    ),
    flow(
        "电子商务交易额",
        "电子商务",
        "商务局",
        "万元",
        80_000,
        60_000,
        6_500,
        "商务局电商平台监测",
    ),
    flow(
        "新增进出口备案企业数",
        "对外贸易",
        "商务局",
        "户",
        8,
        7,
        0,
        "商务局对外贸易经营者备案",
    ),
    flow(
        "城镇新增就业",
        "就业",
        "人社局",
        "人",
        7_090,
        6_850,
        420,
        "人社局就业信息系统",
    ),
    flow(
        "培训城乡劳动力",
        "就业",
        "人社局",
        "人",
        9_965,
        9_620,
        300,
        "人社局职业技能培训台账",
    ),
    flow(
        "输转农村劳动力",
        "就业",
        "人社局",
        "人",
        63_200,
        61_800,
        1_200,
        "人社局劳务输转台账",
    ),
    flow(
        "劳务收入",
        "就业",
        "人社局",
        "万元",
        109_700,
        104_300,
        4_500,
        "人社局劳务输转台账",
    ),
    flow(
        "查处治安案件",
        "公安治安",
        "公安分局",
        "起",
        3_670,
        3_815,
        310,
        "公安分局警综平台",
    ),
    flow(
        "治安拘留人数",
        "公安治安",
        "公安分局",
        "人",
        926,
        958,
        70,
        "公安分局警综平台",
    ),
    flow(
        "涉黄涉赌案件",
        "公安治安",
        "公安分局",
        "起",
        156,
        171,
        12,
        "公安分局警综平台",
    ),
    Stat {
        name: "城镇登记失业率",
        domain: "就业",
        unit: "人社局",
        measure: "%",
        kind: Kind::Level,
        y2026: 305,
        y2025: 312,
        dec2025: 318,
        source: "人社局就业信息系统",
    },
    Stat {
        name: "社会保险参保人数",
        domain: "社会保障",
        unit: "人社局",
        measure: "人",
        kind: Kind::Level,
        y2026: 42_600_000,
        y2025: 41_850_000,
        dec2025: 41_900_000,
        source: "人社局社保经办系统",
    },
];

/// Seasonal weights of the months (January..December).
const SEASON: [u64; 12] = [82, 70, 88, 90, 92, 95, 96, 97, 95, 102, 104, 118];

fn months_of(rng: &mut Rng, total: i64, n: usize, granularity: i64) -> Vec<i64> {
    let w: Vec<u64> = SEASON.iter().take(n).map(|s| s * (90 + rng.below(21))).collect();
    // Split in whole units of `granularity` so integer figures stay integers.
    split_by(total / granularity, &w, 0)
        .into_iter()
        .map(|x| x * granularity)
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, x)| if i == 0 { x + total % granularity } else { x })
        .collect()
}

/// A level series from `start` (end of the previous year) to `end` over `n`
/// months, with small wobbles, ending exactly at `end`.
fn level_series(rng: &mut Rng, start: i64, end: i64, n: usize, rate: bool) -> Vec<i64> {
    (1..=n)
        .map(|i| {
            if i == n {
                return end;
            }
            let lin = start + (end - start) * i as i64 / n as i64;
            if rate {
                lin + rng.range(-6, 6)
            } else {
                let step = ((end - start).abs() / n as i64).max(100);
                // Keep whole persons: hundredths of a person make no sense.
                (lin + rng.range(-step / 4, step / 4)) / 100 * 100
            }
        })
        .collect()
}

fn int_measure(measure: &str) -> bool {
    matches!(measure, "人" | "户" | "起")
}

fn value_text(v: i64, measure: &str) -> String {
    if int_measure(measure) {
        (v / 100).to_string()
    } else {
        dec2(v)
    }
}

fn add_row(out: &mut Vec<(String, usize, Row)>, period: String, order: usize, r: Row) {
    out.push((period, order, r));
}

/// Every statistic row, in period order.
pub fn rows(org: &Org, seed: u64) -> Vec<Row> {
    let mut rng = Rng::new(seed, "statistic");
    let county = crate::SEED_COUNTY;
    let reviewer = org.staff_of(&mut rng, "政府办");
    let mut out: Vec<(String, usize, Row)> = Vec::new();
    for (si, s) in STATS.iter().enumerate() {
        let gran = if int_measure(s.measure) { 100 } else { 1 };
        let (m2025, m2026): (Vec<i64>, Vec<i64>) = match s.kind {
            Kind::Flow => {
                let mut a = months_of(&mut rng, s.y2025, 11, gran);
                a.push(s.dec2025);
                (a, months_of(&mut rng, s.y2026, 11, gran))
            }
            Kind::Level => {
                let rate = s.measure == "%";
                let start = if rate { 320 } else { s.y2025 - (s.y2026 - s.y2025) };
                let mut a = level_series(&mut rng, start, s.y2025, 11, rate);
                a.push(s.dec2025);
                (a, level_series(&mut rng, s.dec2025, s.y2026, 11, rate))
            }
        };
        let preparer = org.staff_of(&mut rng, s.unit);
        for (year, months) in [(2025i16, &m2025), (2026, &m2026)] {
            for (i, v) in months.iter().enumerate() {
                let m = i as i8 + 1;
                let period = format!("{year}-{m:02}");
                let end = crate::util::date(year, m, 1).last_of_month();
                let due = crate::util::add(end, 5).min(crate::util::date(2026, 11, 30));
                let submitted = crate::util::add(end, 3).min(crate::util::today());
                let last = if year == 2026 { m2025.get(i).copied() } else { None };
                add_row(
                    &mut out,
                    period.clone(),
                    si,
                    row(
                        "已审核",
                        json!({
                            "indicator": s.name,
                            "domain": s.domain,
                            "period": period,
                            "division": county,
                            "unit": org.unit(s.unit),
                            "value": value_text(*v, s.measure),
                            "measure": s.measure,
                            "last_year_value": last.map(|x| value_text(x, s.measure)),
                            "source": s.source,
                            "due_on": due.to_string(),
                            "submitted_on": submitted.to_string(),
                            "preparer": preparer,
                            "reviewed_by": reviewer,
                        }),
                    ),
                );
            }
        }
    }
    // 进出口备案企业数: the stock at each month end, 73 at the end of 2024,
    // growing by the 新增 rows above (80 at 2025-11, 88 at 2026-11).
    let new_firms: Vec<(String, i64)> = out
        .iter()
        .filter(|(_, _, r)| r.0.get("indicator").and_then(|v| v.as_str()) == Some("新增进出口备案企业数"))
        .map(|(p, _, r)| {
            let v = r.0.get("value").and_then(|v| v.as_str()).and_then(|s| s.parse().ok());
            (p.clone(), v.unwrap_or(0))
        })
        .collect();
    let mut stock = 73i64;
    let mut last_year: Vec<i64> = Vec::new();
    let preparer = org.staff_of(&mut rng, "商务局");
    for (i, (period, added)) in new_firms.iter().enumerate() {
        stock += added;
        if i < 12 {
            last_year.push(stock);
        }
        let (y, m) = period.split_once('-').unwrap_or(("2026", "01"));
        let end = crate::util::date(y.parse().unwrap_or(2026), m.parse().unwrap_or(1), 1).last_of_month();
        out.push((
            period.clone(),
            STATS.len(),
            row(
                "已审核",
                json!({
                    "indicator": "进出口备案企业数",
                    "domain": "对外贸易",
                    "period": period,
                    "division": county,
                    "unit": org.unit("商务局"),
                    "value": stock.to_string(),
                    "measure": "户",
                    "last_year_value": if i >= 12 { last_year.get(i - 12).map(|x| x.to_string()) } else { None },
                    "source": "商务局对外贸易经营者备案",
                    "due_on": crate::util::add(end, 5).min(crate::util::date(2026, 11, 30)).to_string(),
                    "submitted_on": crate::util::add(end, 3).min(crate::util::today()).to_string(),
                    "preparer": preparer,
                    "reviewed_by": reviewer,
                }),
            ),
        ));
    }
    // Annual targets.
    for (name, unit, value, remark) in [
        (
            "财政总收入预算",
            "财政局",
            189_200_00i64,
            "县人大审议批准的2026年财政总收入预算",
        ),
        (
            "争取到位资金全年任务",
            "发改局",
            126_700_00,
            "2026年争取到位资金目标任务",
        ),
    ] {
        out.push((
            "2026".into(),
            0,
            row(
                "已审核",
                json!({
                    "indicator": name, "domain": "财政税收", "period": "2026", "division": county,
                    "unit": org.unit(unit), "value": dec2(value), "measure": "万元",
                    "source": unit, "remarks": remark, "due_on": "2026-01-31", "submitted_on": "2026-01-20",
                    "preparer": org.staff_of(&mut rng, unit), "reviewed_by": reviewer,
                }),
            ),
        ));
    }
    out.push((
        "2026-11".into(),
        0,
        row(
            "已审核",
            json!({
                "indicator": "居民消费价格总指数", "domain": "物价", "period": "2026-01..2026-11",
                "division": county, "unit": org.unit("统计局"), "value": "101.2", "measure": "上年同期=100",
                "source": "统计局价格调查", "due_on": "2026-11-30", "submitted_on": "2026-11-24",
                "preparer": org.staff_of(&mut rng, "统计局"), "reviewed_by": reviewer,
            }),
        ),
    ));
    // The other counties of 酒泉市: 社会消费品零售总额, all below ours (rank 1).
    let others = [238_000i64, 213_000, 41_000, 29_000, 372_000, 446_000];
    for ((code, name), total) in org.siblings.iter().zip(others) {
        let y2026 = months_of(&mut rng, total * 100, 11, 1);
        let mut y2025 = months_of(&mut rng, total * 100 * 100 / 106, 11, 1);
        y2025.push(total * 100 / 10);
        for (year, months) in [(2025i16, &y2025), (2026, &y2026)] {
            for (i, v) in months.iter().enumerate() {
                let period = format!("{year}-{:02}", i + 1);
                add_row(
                    &mut out,
                    period.clone(),
                    STATS.len() + 1,
                    row(
                        "已审核",
                        json!({
                            "indicator": "社会消费品零售总额", "domain": "商贸流通", "period": period,
                            "division": code, "unit": org.unit("统计局"), "value": dec2(*v), "measure": "万元",
                            "source": "酒泉市统计局", "remarks": format!("{name}数据，供全市排名"),
                            "preparer": org.staff_of(&mut rng, "统计局"), "reviewed_by": reviewer,
                            "submitted_on": crate::util::add(crate::util::date(year, i as i8 + 1, 1).last_of_month(), 6).min(crate::util::today()).to_string(),
                        }),
                    ),
                );
            }
        }
    }
    // Work in progress: 旬报 of tax revenue, a submission awaiting review, drafts due soon or late.
    let pending = [
        (
            "税收收入",
            "财政税收",
            "税务局",
            "2026-11-1",
            "4830.25",
            "万元",
            "已审核",
            "2026-11-13",
        ),
        (
            "税收收入",
            "财政税收",
            "税务局",
            "2026-11-2",
            "5012.60",
            "万元",
            "已报送",
            "2026-11-23",
        ),
        (
            "规模以上工业增加值增速",
            "其他",
            "工信局",
            "2026-10",
            "6.3",
            "%",
            "草稿",
            "2026-11-20",
        ),
        (
            "固定资产投资增速",
            "固定资产投资",
            "发改局",
            "2026-10",
            "7.1",
            "%",
            "草稿",
            "2026-11-26",
        ),
    ];
    for (name, domain, unit, period, value, measure, state, due) in pending {
        let submitted = (state != "草稿").then_some(due);
        let r = row(
            state,
            json!({
                "indicator": name, "domain": domain, "period": period, "division": county,
                "unit": org.unit(unit), "value": value, "measure": measure, "due_on": due,
                "submitted_on": submitted, "preparer": org.staff_of(&mut rng, unit),
                "reviewed_by": (state == "已审核").then(|| reviewer.clone()),
                "remarks": "旬报、月报为当期初步数，以正式统计数据为准",
            }),
        );
        add_row(&mut out, period.to_string(), STATS.len() + 2, r);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    out.into_iter().map(|(_, _, r)| r).collect()
}
