//! Kind 2 — rates against their counts: a rate stated beside its own numerator
//! and denominator (排查X条，已整改Y条，整改率Z%) where Z is not Y ÷ X, allowing the
//! text's rounding and its 以上/达/约; counts in 万件; 户次 over 户 and 人次 over 人.

mod common;
use common::{Case, first, run};

const CASES: &[Case] = &[
    (
        "全年排查安全隐患1340条，已整改268条，整改率25%。",
        Some(("arithmetic.rate", "25%")),
    ),
    ("全年排查安全隐患1340条，已整改1072条，整改率80%。", None),
    (
        "受理群众信访事项856件，按期办结812件，按期办结率98.6%。",
        Some(("arithmetic.rate", "98.6%")),
    ),
    ("受理群众信访事项856件，按期办结812件，按期办结率94.9%。", None),
    // counts in 万件: 12.1/12.6 lies in 95.3%–96.8% by their rounding
    (
        "12345热线受理群众诉求12.6万件，按期办结12.1万件，按期办结率99.2%。",
        Some(("arithmetic.rate", "99.2%")),
    ),
    ("12345热线受理群众诉求12.6万件，按期办结12.1万件，按期办结率96%。", None),
    // 以上, 达, 约
    (
        "共排查矛盾纠纷3365件，成功调处3198件，调处成功率达98%以上。",
        Some(("arithmetic.rate", "98%")),
    ),
    ("共排查矛盾纠纷3365件，成功调处3298件，调处成功率达98%以上。", None),
    ("全年办理法律援助案件420件，结案398件，结案率约95%。", None),
    (
        "全年办理法律援助案件420件，结案398件，结案率约80%。",
        Some(("arithmetic.rate", "80%")),
    ),
    (
        "发放惠民补贴农户8650户，已兑现7980户，兑现率达99.5%。",
        Some(("arithmetic.rate", "99.5%")),
    ),
    ("发放惠民补贴农户8650户，已兑现7980户，兑现率达92.3%。", None),
    // 户次 over 户, 人次 over 人: the rate word ties them
    (
        "结对帮扶脱贫户3200户，已走访3100户次，走访率86.9%。",
        Some(("arithmetic.rate", "86.9%")),
    ),
    ("结对帮扶脱贫户3200户，已走访3100户次，走访率96.9%。", None),
    (
        "组织适龄妇女免费两癌筛查1.2万人，已完成筛查1.15万人次，筛查率85.8%。",
        Some(("arithmetic.rate", "85.8%")),
    ),
    ("开展职业技能培训3.2万人次，培训合格2.8万人，合格率87.5%。", None),
    // a 其中 clause between the total and the numerator
    (
        "全县共排查各类风险隐患1260处，其中重大隐患36处，已整改1198处，整改率99.2%。",
        Some(("arithmetic.rate", "99.2%")),
    ),
    (
        "全县共排查各类风险隐患1260处，其中重大隐患36处，已整改1198处，整改率95.1%。",
        None,
    ),
    (
        "受理消费者投诉860件，其中按期办结842件，按期办结率99.8%。",
        Some(("arithmetic.rate", "99.8%")),
    ),
    ("受理消费者投诉860件，其中按期办结842件，按期办结率97.9%。", None),
    // the act named before 完成: 整改完成率
    (
        "排查问题隐患1340条，已整改1300条，整改完成率87%。",
        Some(("arithmetic.rate", "87%")),
    ),
    ("排查问题隐患1340条，已整改1300条，整改完成率97%。", None),
    (
        "受理行政复议案件48件，依法纠错6件，纠错率18.5%。",
        Some(("arithmetic.rate", "18.5%")),
    ),
    ("受理行政复议案件48件，依法纠错6件，纠错率12.5%。", None),
    (
        "全年立案查处违法案件230件，结案226件，结案率为89.5%。",
        Some(("arithmetic.rate", "89.5%")),
    ),
    ("全年立案查处违法案件230件，结案226件，结案率为98.3%。", None),
    (
        "全年计划实施重点项目120个，已开工115个，开工率98.5%。",
        Some(("arithmetic.rate", "98.5%")),
    ),
    ("全年计划实施重点项目120个，已开工115个，开工率95.8%。", None),
    (
        "排查隐患１３４０条，已整改２６８条，整改率２５％。",
        Some(("arithmetic.rate", "２５％")),
    ),
    ("受理投诉一百二十件，办结一百一十件，办结率91.7%。", None),
    // no numerator named by the rate word, approximate counts, other rates
    ("排查企业320家，发现隐患1250条，整改率96%。", None),
    ("受理案件856件，增长12.5%，办结率95%。", None),
    ("排查隐患1300余条，已整改1200余条，整改率80%。", None),
    ("全县森林覆盖率达到45.2%，草原综合植被盖度达到56%。", None),
    ("建成村级综合服务站186个，覆盖行政村186个，覆盖率100%。", None),
];

#[test]
fn rates_against_their_counts() {
    run(CASES, &["arithmetic.", "enumeration."]);
}

#[test]
fn rate_message_shows_the_division() {
    let d = first("全年排查安全隐患1340条，已整改268条，整改率25%。", "arithmetic.rate");
    assert_eq!(d.message, "整改率计算有误：268÷1340=20.0%，文中为25%");
    assert_eq!(
        (d.expected.as_deref(), d.stated.as_deref()),
        (Some("20.0%"), Some("25%"))
    );
    let d = first("排查问题隐患1340条，已整改1300条，整改完成率87%。", "arithmetic.rate");
    assert_eq!(d.message, "整改完成率计算有误：1300÷1340=97.0%，文中为87%");
    let d = first("结对帮扶脱贫户3200户，已走访3100户次，走访率86.9%。", "arithmetic.rate");
    assert_eq!(d.message, "走访率计算有误：3100户次÷3200户=96.9%，文中为86.9%");
}
