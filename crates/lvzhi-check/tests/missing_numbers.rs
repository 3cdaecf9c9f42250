//! Kind 4 — a unit with its number gone: a money or count unit right after a
//! verb, a noun or a preposition (进出口亿元、, 资金达亿元, 完成了万元, 新增个、),
//! not the normal uses (万元以上, 亿元级, 千亿元产业, 万元GDP能耗, 超亿元, 每万元).

mod common;
use common::{Case, first, run};

const CASES: &[Case] = &[
    (
        "全县外贸进出口亿元、增长11.7%。",
        Some(("placeholder.missing-number", "亿元")),
    ),
    (
        "争取中央预算内资金达亿元，创历史新高。",
        Some(("placeholder.missing-number", "亿元")),
    ),
    (
        "全年完成了万元的招商引资任务。",
        Some(("placeholder.missing-number", "万元")),
    ),
    (
        "一般公共预算收入完成亿元，同比增长6.2%。",
        Some(("placeholder.missing-number", "亿元")),
    ),
    (
        "全年实现社会消费品零售总额亿元",
        Some(("placeholder.missing-number", "亿元")),
    ),
    ("招商引资到位资金万元；", Some(("placeholder.missing-number", "万元"))),
    (
        "全年转移农村劳动力万人，实现劳务收入12.6亿元。",
        Some(("placeholder.missing-number", "万人")),
    ),
    (
        "全年粮食总产量达万吨，再创新高。",
        Some(("placeholder.missing-number", "万吨")),
    ),
    ("新增造林绿化面积万亩。", Some(("placeholder.missing-number", "万亩"))),
    (
        "全年接待游客万人次、实现旅游综合收入15.2亿元。",
        Some(("placeholder.missing-number", "万人次")),
    ),
    (
        "新增市场主体个，其中企业1200个。",
        Some(("placeholder.missing-number", "个")),
    ),
    (
        "全年共受理件，按期办结率98%。",
        Some(("placeholder.missing-number", "件")),
    ),
    (
        "全年新建了所，新增学位2400个。",
        Some(("placeholder.missing-number", "所")),
    ),
    (
        "全年累计排查处，整改率100%。",
        Some(("placeholder.missing-number", "处")),
    ),
    ("全县各个乡镇、每个村都建立了工作台账。", None),
    ("实施重点项目1900多个，新增停车位5万余个。", None),
    ("完成投资千万元，", None),
    // the normal uses
    ("新增投资万元以上项目32个。", None),
    ("打造百亿元级产业集群。", None),
    ("建设千亿元产业基地。", None),
    ("万元GDP能耗下降3.2%。", None),
    ("单位：万元", None),
    ("金额（亿元）", None),
    ("投资超亿元项目15个。", None),
    ("年销售收入超亿元，成为县域龙头企业。", None),
    ("全县农民人均增收近万元，", None),
    ("每万元地区生产总值能耗下降。", None),
    ("填补数亿元的资金缺口。", None),
    ("上亿元的项目陆续落地。", None),
    ("党的好政策温暖千家万户，", None),
    ("惠及万家，", None),
    ("亿万人民共同奋斗。", None),
    ("招商引资到位资金3.2亿元。", None),
    // nouns ending in a count char
    ("培育企业家，", None),
    ("重点帮扶户、监测户全部落实帮扶措施。", None),
    ("新增个体工商户1200户。", None),
    ("完成项目建设，", None),
    ("办结件数同比增长。", None),
];

#[test]
fn units_with_their_number_gone() {
    run(CASES, &["placeholder.missing-number"]);
}

#[test]
fn missing_number_message() {
    let d = first("全县外贸进出口亿元、增长11.7%。", "placeholder.missing-number");
    assert_eq!(d.message, "缺少数字：“亿元”前没有填写金额");
    let d = first("全年转移农村劳动力万人，", "placeholder.missing-number");
    assert_eq!(d.message, "缺少数字：“万人”前没有填写数值");
}
