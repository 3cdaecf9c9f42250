//! Fictional names: people, companies, villages, identifiers. Every name is
//! generated from short lists; none is meant to be a real person or company.

use crate::rng::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程", "曹", "袁", "邓", "许", "沈", "曾", "彭", "吕",
    "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜",
    "范", "方", "石", "姚", "谭", "邹", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "秦", "史", "顾", "侯", "孟",
    "段", "雷", "常", "武", "乔", "贺", "牛", "祁", "岳", "鲁", "柴", "安", "雒", "把", "火", "寇",
];

const GIVEN: &[&str] = &[
    "建", "国", "伟", "芳", "秀", "英", "华", "军", "明", "强", "丽", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟",
    "涛", "超", "霞", "平", "刚", "桂", "兰", "玉", "梅", "红", "志", "文", "斌", "海", "波", "鹏", "辉", "飞", "春",
    "燕", "晓", "琳", "宏", "亮", "林", "婷", "德", "福", "荣", "新", "学", "成", "永", "生", "金", "忠", "家", "兴",
    "玲", "萍", "晶", "瑞", "宁", "博", "鑫", "宇", "浩", "然", "欣", "悦", "珍", "花", "凤", "彦", "军", "峰", "岩",
];

/// A fictional personal name (two or three characters).
pub fn person(rng: &mut Rng) -> String {
    let mut s = rng.pick(SURNAMES).to_string();
    s.push_str(rng.pick::<&str>(GIVEN));
    if rng.chance(700) {
        s.push_str(rng.pick::<&str>(GIVEN));
    }
    s
}

const BRANDS: &[&str] = &[
    "恒通", "鑫源", "宏达", "天成", "丰泽", "瑞丰", "嘉禾", "永盛", "华泰", "润泽", "鼎盛", "昌隆", "远航", "兴旺",
    "宏远", "新雅", "博源", "汇通", "金穗", "聚丰", "祥瑞", "泰和", "长盛", "安泰", "德润", "众诚", "明远", "腾达",
    "顺达", "卓越", "凯旋", "盛世", "万隆", "同心", "百川", "千禧", "锦程", "广源", "东升", "西域", "北辰", "南星",
    "雪峰", "绿洲", "戈壁", "祁丰", "泉源", "福瑞", "和顺", "嘉信",
];

/// The trade word of a company name, by hazard industry.
pub fn trade_word(industry: &str, rng: &mut Rng) -> &'static str {
    let list: &[&str] = match industry {
        "危险化学品" => &["化工", "化学品经营", "气体", "石化"],
        "非煤矿山" => &["矿业", "砂石", "石料开采"],
        "工贸" => &["建材", "农产品加工", "机械制造", "食品", "铸造", "彩钢"],
        "建筑施工" => &["建筑工程", "建设工程", "路桥工程", "市政工程"],
        "道路交通" => &["运输", "物流", "客运", "汽车运输"],
        "消防" | "人员密集场所" => &["商贸", "酒店管理", "超市", "餐饮管理", "物业管理"],
        "燃气" => &["燃气", "天然气", "能源"],
        "特种设备" => &["起重设备", "锅炉", "电梯工程"],
        "农业机械" => &["农机", "农业发展", "种植专业合作社"],
        _ => &["商贸", "实业", "科技"],
    };
    rng.pick::<&str>(list)
}

/// A fictional company: name and a valid 统一社会信用代码.
pub fn company(rng: &mut Rng, trade: &str) -> (String, String) {
    let brand = rng.pick(BRANDS);
    let name = if trade.ends_with("合作社") {
        format!("肃州区{brand}{trade}")
    } else {
        let form = if rng.chance(300) {
            "有限责任公司"
        } else {
            "有限公司"
        };
        format!("酒泉{brand}{trade}{form}")
    };
    (name, credit_code(rng))
}

const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid 统一社会信用代码 of a company registered in the county.
pub fn credit_code(rng: &mut Rng) -> String {
    let mut s = String::from("91620902MA");
    for _ in 0..7 {
        s.push(char::from(*rng.pick(CODE_CHARS)));
    }
    lvzhi_core::ids::complete_credit_code(&s).unwrap_or_else(|| format!("{s}0"))
}

/// A valid 身份证号 of someone born in the county.
pub fn id_card(rng: &mut Rng) -> String {
    let y = rng.range(1950, 2000);
    let m = rng.range(1, 12);
    let d = rng.range(1, 28);
    let seq = rng.range(10, 999);
    let first17 = format!("620902{y:04}{m:02}{d:02}{seq:03}");
    lvzhi_core::ids::complete_id_card(&first17).unwrap_or_else(|| format!("{first17}0"))
}

/// A mobile number (fictional).
pub fn mobile(rng: &mut Rng) -> String {
    let prefix = rng.pick(&[
        "138", "139", "135", "136", "150", "151", "180", "181", "189", "177", "133", "153",
    ]);
    format!("{prefix}{:08}", rng.below(100_000_000))
}

const VILLAGE_A: &[&str] = &[
    "东", "西", "南", "北", "新", "红", "金", "丰", "永", "胜", "和", "平", "太", "光", "明", "兴", "清", "泉", "沙",
    "黄", "青", "双", "三", "五", "中", "上", "下", "长", "团", "联",
];
const VILLAGE_B: &[&str] = &[
    "星", "光", "丰", "华", "泉", "河", "沟", "湾", "坝", "庄", "营", "墩", "渠", "堡", "湖", "寨", "岔", "滩", "源",
    "乐", "安", "合", "盛", "利", "胜", "旗", "峰", "林",
];

/// Village names, unique within the list.
pub fn villages(rng: &mut Rng, n: usize, taken: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && tries < 10_000 {
        tries += 1;
        let name = format!("{}{}村", rng.pick(VILLAGE_A), rng.pick(VILLAGE_B));
        if !taken.contains(&name) {
            taken.push(name.clone());
            out.push(name);
        }
    }
    while out.len() < n {
        out.push(format!("第{}村", out.len() + 1));
    }
    out
}

/// A deterministic password for a demo user: 12 characters without
/// look-alikes, with lower case, upper case and digits (the password policy's
/// three classes): a lower, an upper and a digit, then nine of any.
pub fn password(rng: &mut Rng) -> String {
    const LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out: String = [LOWER, UPPER, DIGIT]
        .iter()
        .map(|set| char::from(*rng.pick(set)))
        .collect();
    out.extend((0..9).map(|_| char::from(*rng.pick(ALPHABET))));
    out
}
