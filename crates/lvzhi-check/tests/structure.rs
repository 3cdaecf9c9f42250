//! Kind 5 — structure: ratios written a:b:c to one decimal that must total 100
//! (三次产业结构), and quoted count words that disagree with the items listed
//! before or after them (“四个不摘”：five items).

mod common;
use common::{Case, first, run};

const CASES: &[Case] = &[
    // structural ratios
    (
        "全县三次产业结构调整为12.5∶38.6∶50.2。",
        Some(("arithmetic.structure", "12.5∶38.6∶50.2")),
    ),
    ("三次产业结构由15.2:40.1:44.7调整为12.5:38.6:48.9。", None),
    (
        "三次产业结构优化为9.8:42.3:46.2，服务业占比持续提升。",
        Some(("arithmetic.structure", "9.8:42.3:46.2")),
    ),
    ("三次产业比重为4.0∶37.7∶58.3，第一产业增加值增长3.5%。", None),
    (
        "全县三次产业结构比例为10.2：35.6：55.1。",
        Some(("arithmetic.structure", "10.2：35.6：55.1")),
    ),
    // within the rounding of three one-decimal terms
    ("三次产业结构为8.4∶41.3∶50.4。", None),
    ("三次产业结构为8.4∶41.3∶50.2。", None),
    (
        "三次产业结构为8.4∶41.3∶50.6。",
        Some(("arithmetic.structure", "8.4∶41.3∶50.6")),
    ),
    (
        "全县就业人员在一二三产业及其他行业的构成为25.1∶30.2∶40.3∶5.2。",
        Some(("arithmetic.structure", "25.1∶30.2∶40.3∶5.2")),
    ),
    ("农林牧渔业产值结构为52.3∶30.1∶12.4∶5.2。", None),
    // not a structure to check: integers, two terms, times, no structure word
    ("三次产业结构调整为9∶38∶55。", None),
    ("三次产业结构由8.7∶41.2∶50.1调整为7.4∶39.6∶53。", None),
    ("城乡居民收入比缩小到2.31∶1。", None),
    ("会议于3月5日9:30:00准时召开。", None),
    ("按照1.5∶2.5∶3.0的比例配置专项资金。", None),
    // quoted counts and the list after them
    (
        "深入落实“四个不摘”：摘帽不摘责任、摘帽不摘政策、摘帽不摘帮扶、摘帽不摘监管、摘帽不摘考核。",
        Some(("enumeration.count", "四个")),
    ),
    (
        "深入落实“四个不摘”：摘帽不摘责任、摘帽不摘政策、摘帽不摘帮扶、摘帽不摘监管。",
        None,
    ),
    ("全面推行“三个一批”，即新建一批、改造一批、提升一批。", None),
    (
        "全面推行“三个一批”，即新建一批、改造一批、提升一批、关停一批。",
        Some(("enumeration.count", "三个")),
    ),
    (
        "扎实推进“五大工程”：产业提升工程、城市更新工程、乡村振兴工程、民生保障工程。",
        Some(("enumeration.count", "五大")),
    ),
    ("扎实推进“五大工程”：产业提升工程、城市更新工程等。", None),
    ("牢固树立“四个意识”：政治意识、大局意识、核心意识、看齐意识。", None),
    (
        "着力打造“三大平台”：招商引资平台、投融资平台。",
        Some(("enumeration.count", "三大")),
    ),
    ("聚焦“六个方面”：一是抓产业，二是抓项目。", None),
    ("开展“两个专项行动”，即打击整治、排查化解。", None),
    (
        "坚持“三个导向”：问题导向、目标导向、结果导向、效果导向。",
        Some(("enumeration.count", "三个")),
    ),
    ("推进“三项改革”：医疗改革、医保改革和医药改革。", None),
    ("全面落实“三个一”工作机制。", None),
    ("“三大工程”即将开工、投产。", None),
    ("“两个专项行动”，即将在全县铺开、推进。", None),
    // quoted counts and the list before them
    (
        "实现事故起数、死亡人数、受伤人数、直接经济损失、较大事故起数“四个下降”。",
        Some(("enumeration.count", "四个")),
    ),
    ("实现事故起数、死亡人数、受伤人数和直接经济损失“四个下降”。", None),
    (
        "推动产业、人才、文化、生态、组织“四个振兴”。",
        Some(("enumeration.count", "四个")),
    ),
    ("推动产业、人才、文化、生态、组织“五个振兴”。", None),
];

#[test]
fn structure_and_quoted_counts() {
    run(CASES, &["arithmetic.", "enumeration."]);
}

#[test]
fn structure_messages() {
    let d = first("全县三次产业结构调整为12.5∶38.6∶50.2。", "arithmetic.structure");
    assert_eq!(d.message, "结构比例各项之和应为100：12.5+38.6+50.2=101.3");
    assert_eq!(
        (d.expected.as_deref(), d.stated.as_deref()),
        (Some("100"), Some("101.3"))
    );
    let d = first(
        "全面推行“三个一批”，即新建一批、改造一批、提升一批、关停一批。",
        "enumeration.count",
    );
    assert_eq!(
        d.message,
        "列举项数与所述数量不符：后面列举了4项（新建一批、改造一批、提升一批、关停一批），文中称“三个”"
    );
}
