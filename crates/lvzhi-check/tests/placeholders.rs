//! Kind 3 — placeholders in other dress: ×, ○, △, ＿, full-width Ｘ or a bare
//! space standing where a number or a name belongs; not the × of 3×3 or of a
//! formula, not ○ list bullets, not ○ written for zero.

mod common;
use common::{Case, run};

const CASES: &[Case] = &[
    (
        "全年完成固定资产投资×亿元，同比增长8.5%。",
        Some(("placeholder.mask", "×")),
    ),
    (
        "建成村级综合服务站○个，实现行政村全覆盖。",
        Some(("placeholder.mask", "○")),
    ),
    ("全县粮食播种面积稳定在△万亩以上。", Some(("placeholder.mask", "△"))),
    (
        "城镇新增就业＿人，完成年度目标任务。",
        Some(("placeholder.blank", "＿")),
    ),
    ("全年实现地区生产总值ＸＸ亿元。", Some(("placeholder.mask", "ＸＸ"))),
    ("全县规模以上工业增加值增长Ｘ%。", Some(("placeholder.mask", "Ｘ"))),
    (
        "Ｘ县人民政府办公室关于印发实施方案的通知",
        Some(("placeholder.mask", "Ｘ")),
    ),
    ("完成造林x万亩，森林覆盖率提高到42%。", Some(("placeholder.mask", "x"))),
    (
        "全县共有A级旅游景区○家，其中4A级景区2家。",
        Some(("placeholder.mask", "○")),
    ),
    ("由△△同志负责牵头落实。", Some(("placeholder.mask", "△△"))),
    (
        "全域旅游品牌影响力持续扩大，旅居人数增长×%。",
        Some(("placeholder.mask", "×")),
    ),
    ("××镇党委书记带头走访群众。", Some(("placeholder.mask", "××"))),
    (
        "经研究，决定任命×同志为县农业农村局局长。",
        Some(("placeholder.mask", "×")),
    ),
    ("实现税收收入＿＿万元。", Some(("placeholder.blank", "＿＿"))),
    // a bare space where the number was
    (
        "农村居民人均可支配收入增长 %，高于全市平均水平。",
        Some(("placeholder.missing-number", " %")),
    ),
    (
        "全年争取上级资金　万元，用于基础设施建设。",
        Some(("placeholder.missing-number", "　万元")),
    ),
    (
        "新建标准化村卫生室 个，改造提升乡镇卫生院3所。",
        Some(("placeholder.missing-number", " 个")),
    ),
    (
        "全社会研发投入年均增长超 %。",
        Some(("placeholder.missing-number", " %")),
    ),
    (
        "全年办理各类案件 件，结案率100%。",
        Some(("placeholder.missing-number", " 件")),
    ),
    ("完成固定资产投资 亿元。", Some(("placeholder.missing-number", " 亿元"))),
    // grids, formulas, bullets, zero, names
    ("新建3×3米标准化篮球场12个。", None),
    ("面积 3 × 4 米的展板共12块。", None),
    ("补助资金按补助标准×补助人数计算。", None),
    ("年度考核得分=基础分×权重系数。", None),
    ("建立“1×N”结对帮扶机制。", None),
    ("评分按得分×0.6折算。", None),
    ("○加强组织领导，压实工作责任。", None),
    ("○项目建设提速增效。", None),
    ("二○二五年十二月，县政府召开常务会议。", None),
    ("全县接受X光检查的群众达1200人。", None),
    ("实施“数据要素×”三年行动。", None),
    // spaces before a word that begins with a unit char
    ("全力推进 项目建设，加快 人才引进。", None),
    ("加强 个人信息保护。", None),
    ("县委书记 人大常委会主任", None),
    ("全县 人口52.3万人。", None),
    // letter-spaced headings
    ("个 人 总 结", None),
    ("重 点 项 目 推 进 情 况", None),
    ("增速（%）", None),
];

#[test]
fn placeholders_in_other_dress() {
    run(CASES, &["placeholder."]);
}
