//! Kind 1 — parts against their whole: a breakdown after 其中 that exceeds its
//! total (also across an intervening growth clause), an exhaustive breakdown
//! (其余/其他/剩余) that does not make up its total, shares in % over 100%, and a
//! difference stated beside its two ends (由A增加到B，净增C).

mod common;
use common::{Case, first, run};

const CASES: &[Case] = &[
    // exhaustive parts (其余/其他) that do not add up
    (
        "全县共有行政村186个，其中脱贫村52个、一般村98个、其余村40个。",
        Some(("arithmetic.sum", "52个、一般村98个、其余村40个")),
    ),
    ("全县共有行政村186个，其中脱贫村52个、一般村98个、其余村36个。", None),
    (
        "全县学校86所，其中小学52所、初中20所、其余10所。",
        Some(("arithmetic.sum", "52所、初中20所、其余10所")),
    ),
    ("全县学校86所，其中小学52所、初中24所、其余10所。", None),
    // not exhaustive: parts below the total are fine
    ("全县学校86所，其中小学52所、初中20所。", None),
    (
        "全县共有乡镇十二个，其中镇八个、其余乡三个。",
        Some(("arithmetic.sum", "八个、其余乡三个")),
    ),
    ("全县共有乡镇十二个，其中镇八个、其余乡四个。", None),
    (
        "全县现有养老机构26家，其中公办养老机构15家、民办养老机构9家、其他养老服务机构5家。",
        Some(("arithmetic.sum", "15家、民办养老机构9家、其他养老服务机构5家")),
    ),
    (
        "全县现有养老机构26家，其中公办养老机构15家、民办养老机构9家、其他养老服务机构2家。",
        None,
    ),
    (
        "全县登记市场主体2.36万户，其中企业4120户、个体工商户1.82万户、其他市场主体1800户。",
        Some(("arithmetic.sum", "4120户、个体工商户1.82万户、其他市场主体1800户")),
    ),
    // parts exceeding the total across an intervening growth clause
    (
        "完成固定资产投资85.6亿元，同比增长12.3%，其中工业技改项目52.1亿元、基础设施项目40.2亿元。",
        Some(("arithmetic.sum", "52.1亿元、基础设施项目40.2亿元")),
    ),
    (
        "完成固定资产投资85.6亿元，同比增长12.3%，其中工业技改项目52.1亿元、基础设施项目30.2亿元。",
        None,
    ),
    (
        "全年接待游客526万人次，增长15.3%，其中过夜游客148万人次、一日游游客398万人次。",
        Some(("arithmetic.sum", "148万人次、一日游游客398万人次")),
    ),
    (
        "全年接待游客526万人次，增长15.3%，其中过夜游客128万人次、一日游游客398万人次。",
        None,
    ),
    // a clause with another kind of figure between total and 其中: not the same breakdown
    (
        "完成投资85.6亿元，带动就业3200人，其中工业项目52.1亿元、基础设施项目40.2亿元。",
        None,
    ),
    // 万元 and 亿元 mixed
    (
        "整合涉农资金1.25亿元，其中中央资金6800万元、省级资金3200万元、其余县级配套资金3500万元。",
        Some(("arithmetic.sum", "6800万元、省级资金3200万元、其余县级配套资金3500万元")),
    ),
    (
        "整合涉农资金1.25亿元，其中中央资金6800万元、省级资金3200万元、其余县级配套资金2500万元。",
        None,
    ),
    (
        "全县森林面积达到128.6万亩，其中公益林86.3万亩、商品林35.2万亩、其他林地9.8万亩。",
        Some(("arithmetic.sum", "86.3万亩、商品林35.2万亩、其他林地9.8万亩")),
    ),
    (
        "全县森林面积达到128.6万亩，其中公益林86.3万亩、商品林32.5万亩、其他林地9.8万亩。",
        None,
    ),
    // a change is not a total; a status (已整改) is not a part
    (
        "财政收入比上年增加1.2亿元，其中税收收入增加0.8亿元、非税收入增加0.6亿元。",
        None,
    ),
    (
        "全县共排查各类风险隐患1260处，其中重大隐患36处，已整改1250处，整改率99.2%。",
        None,
    ),
    // shares in %
    (
        "全县户籍人口52.3万人，其中城镇人口占41.2%、农村人口占61.8%。",
        Some(("arithmetic.share-sum", "41.2%、农村人口占61.8%")),
    ),
    ("全县户籍人口52.3万人，其中城镇人口占41.2%、农村人口占58.8%。", None),
    (
        "全县财政支出28.6亿元，其中民生支出占比78.5%，其余支出占比18.5%。",
        Some(("arithmetic.share-sum", "78.5%，其余支出占比18.5%")),
    ),
    ("全县财政支出28.6亿元，其中民生支出占比78.5%，其余支出占比21.5%。", None),
    (
        "三次产业增加值占比分别为14.2%、38.5%、49.3%。",
        Some(("arithmetic.share-sum", "14.2%、38.5%、49.3%")),
    ),
    ("三次产业增加值占比分别为14.2%、38.5%、47.3%。", None),
    // each item's own share, not parts of one whole
    ("炼铁、炼钢先进产能占比分别达到64.3%、62.3%。", None),
    // shares given clause by clause may overlap, even of one named whole
    (
        "全年完成投资80亿元，其中工业投资30亿元，工业投资占全部投资的37.5%，民间投资占全部投资的70%。",
        None,
    ),
    (
        "规上工业增加值增长8.2%，其中高新技术产业占比达62.3%，战略性新兴产业占比达45.1%。",
        None,
    ),
    // shares of different wholes
    ("其中，民营经济增加值占GDP比重达56%，民间投资占全部投资的62%。", None),
    (
        "全县常住人口48.6万人，其中城镇人口占全县人口的42.5%、农村人口占全县人口的59.5%。",
        Some(("arithmetic.share-sum", "42.5%、农村人口占全县人口的59.5%")),
    ),
    // growth rates are not shares
    ("第一、二、三产业增加值分别增长4.2%、6.5%、98.3%。", None),
    (
        "第三产业增加值占地区生产总值的比重为52.3%，工业增加值占比为38.6%，民营经济占比为65.2%。",
        None,
    ),
    // a difference beside its two ends
    (
        "全县农村居民人均可支配收入由1.52万元增加到1.68万元，净增1800元。",
        Some(("arithmetic.difference", "1800元")),
    ),
    ("全县农村居民人均可支配收入由1.52万元增加到1.68万元，净增1600元。", None),
    (
        "城镇新增就业由2860人增加到3125人，净增365人。",
        Some(("arithmetic.difference", "365人")),
    ),
    ("城镇新增就业由2860人增加到3125人，净增265人。", None),
    (
        "城镇新增就业由2860人增加到3125人，净增265人，增长12.5%。",
        Some(("arithmetic.growth", "12.5%")),
    ),
    ("城镇新增就业由2860人增加到3125人，净增265人，增长9.3%。", None),
    ("建档立卡监测户从1250户减少到1080户，减少170户。", None),
    // a yearly average is not the whole difference
    (
        "农村居民人均可支配收入从2020年的1.21万元增加到2025年的1.68万元，年均增加940元。",
        None,
    ),
    (
        "建档立卡监测户从1250户减少到1080户，减少190户。",
        Some(("arithmetic.difference", "190户")),
    ),
];

#[test]
fn parts_against_their_whole() {
    run(CASES, &["arithmetic.", "enumeration."]);
}

#[test]
fn parts_messages_show_the_arithmetic() {
    let d = first(
        "整合涉农资金1.25亿元，其中中央资金6800万元、省级资金3200万元、其余县级配套资金3500万元。",
        "arithmetic.sum",
    );
    assert_eq!(
        d.message,
        "分项之和大于总数：6800万元+3200万元+3500万元=13500万元，而总数为1.25亿元"
    );
    let d = first("全县学校86所，其中小学52所、初中20所、其余10所。", "arithmetic.sum");
    assert_eq!(
        d.message,
        "分项之和小于总数：52+20+10=82所，而总数为86所（含“其余/其他”的分项应合计为总数）"
    );
    let d = first(
        "全县农村居民人均可支配收入由1.52万元增加到1.68万元，净增1800元。",
        "arithmetic.difference",
    );
    assert_eq!(d.message, "增减量计算有误：1.68万元−1.52万元=1600元，文中为1800元");
    assert_eq!(
        (d.expected.as_deref(), d.stated.as_deref()),
        (Some("1600元"), Some("1800元"))
    );
    let d = first("三次产业增加值占比分别为14.2%、38.5%、49.3%。", "arithmetic.share-sum");
    assert_eq!(d.message, "各部分占比之和超过100%：14.2%+38.5%+49.3%=102.0%");
}
