//! Repetition: a duplicated character that is a typo ("的的", "**起，起查获"),
//! not Chinese reduplication (人人, 个个, 天天, 实实在在).
//!
//! Two shapes are checked. A doubled function word (的的, 了了, 在在…) unless it
//! is part of an AABB form (实实在在, 的的确确) or an idiom (不了了之). And a
//! measure word repeated across a comma right after a number or placeholder
//! ("**起，起"), unless the second one begins a word (人，人均; 项，项目).

use crate::diag::Raw;
use crate::number::{char_at, char_before, digit_value, is_cn_numeral, sl};

/// Function words that never reduplicate.
const FUNCTION_CHARS: &[char] = &[
    '的', '了', '在', '是', '和', '与', '对', '把', '被', '将', '从', '向', '于', '以', '并', '而', '或', '其', '之',
    '就', '也', '又', '但', '使', '让', '给',
];

/// For a doubled char, the chars before it that make the first one end a word:
/// 为了了解, 现在在, 可以以, 尤其其他, 应对对外, 实事求是是…
const WORD_ENDINGS: &[(char, &str)] = &[
    ('了', "为除"),
    ('在', "现存正实所自内外潜健"),
    ('以', "可所加予难足得用借据是"),
    ('其', "尤极与"),
    ('就', "成造迁将早"),
    ('使', "行大出指促致迫假即纵"),
    ('让', "转出谦退礼"),
    ('给', "供交发补配"),
    ('并', "合兼吞"),
    ('和', "总温平缓调柔随饱暖议"),
    ('与', "参给赋授"),
    ('对', "应针面绝相反核比配校"),
    ('是', "求为皆"),
    ('从', "服自跟顺听遵"),
    ('向', "方面导走倾趋动意志取偏转"),
    ('的', "目端标"),
];

/// Measure words that follow a number.
const MEASURES: &[char] = &[
    '起', '件', '个', '人', '名', '户', '家', '项', '条', '处', '次', '所', '座', '辆', '台', '套', '宗', '批', '笔',
    '元', '万', '亿',
];

/// Words a measure word may begin after a comma: 人，人均 is not a typo.
pub(crate) const WORD_STARTS: &[&str] = &[
    "人均", "人员", "人口", "人民", "人才", "人数", "人次", "人工", "人大", "人社", "人力", "人居", "人文", "个人",
    "个体", "个性", "个别", "家庭", "家长", "家乡", "家政", "家电", "户籍", "户口", "户均", "户外", "次年", "次日",
    "名列", "名单", "名称", "处理", "处置", "处于", "处在", "条件", "条例", "条款", "件件", "项目", "起步", "起草",
    "起到", "起来", "起点", "起诉", "所有", "所在", "所属", "所得", "座谈", "台账", "台风", "套餐", "宗教", "批准",
    "批复", "批次", "元旦", "元宵", "万元", "亿元", "万人", "家家", "人人", "个个", "件事", "次要", "名义", "台阶",
    "家门", "家园", "家居", "家具", "家族", "家风", "家属", "家务", "家底", "家政", "户型", "户主", "件数", "处室",
    "处级", "条线", "条块", "名额", "名牌", "名优", "名录", "名片", "人事", "人身", "人脸", "人防", "人气", "人物",
    "人群", "人生", "人性", "人机", "人类", "人心", "人情", "个案", "个税", "个股", "次数", "次序", "所长", "座位",
    "起码", "起源", "起飞", "起伏", "批发", "批评", "批示", "宗旨", "笔者", "台湾", "套路", "元素", "元件", "元年",
    "万家", "万众", "万物", "亿万", "项下", "户户",
];

/// Checks both shapes of duplication.
pub(crate) fn check(text: &str, out: &mut Vec<Raw>) {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b == b',' && char_before(text, i).is_some_and(|p| MEASURES.contains(&p)) {
                cross_punct(text, i, out);
            }
            i += 1;
            continue;
        }
        let len = crate::number::utf8_len(b);
        // a doubled three-byte char: compare bytes before decoding anything
        if len == 3
            && i + 6 <= bytes.len()
            && bytes[i] == bytes[i + 3]
            && bytes[i + 1] == bytes[i + 4]
            && bytes[i + 2] == bytes[i + 5]
        {
            if let Some(c) = crate::number::decode3(bytes, i)
                && FUNCTION_CHARS.contains(&c)
                && !aabb(text, i, i + 6, c)
            {
                let span = sl(text, i, i + 6);
                out.push(Raw::warning(
                    "repetition.duplicate",
                    i,
                    i + 6,
                    format!("疑似重复字“{span}”：请删去一个"),
                ));
            }
        } else if matches!(b, 0xE3 | 0xEF)
            && matches!(crate::number::decode3(bytes, i), Some('，' | '、'))
            && char_before(text, i).is_some_and(|p| MEASURES.contains(&p))
        {
            cross_punct(text, i, out);
        }
        i += len;
    }
}

/// Whether the pair at `pi..end` is part of an AABB form or an idiom.
fn aabb(text: &str, pi: usize, end: usize, c: char) -> bool {
    let before = char_before(text, pi);
    // BB of AABB: the two chars before are equal
    if let Some(b) = before {
        let b2 = char_before(text, pi - b.len_utf8());
        if b2 == Some(b) && b != c {
            return true;
        }
    }
    // AA of AABB: the two chars after are equal
    let n1 = char_at(text, end);
    let n2 = n1.and_then(|x| char_at(text, end + x.len_utf8()));
    if n1.is_some() && n1 == n2 && n1 != Some(c) {
        return true;
    }
    // 不了了之; 一把把, 一次次 (one + reduplicated measure)
    if c == '了' && matches!(before, Some('不')) || before == Some('一') {
        return true;
    }
    WORD_ENDINGS
        .iter()
        .any(|(d, prev)| *d == c && before.is_some_and(|b| prev.contains(b)))
}

/// `**起，起查获`: a measure word after a number, repeated after the comma.
fn cross_punct(text: &str, comma: usize, out: &mut Vec<Raw>) {
    let Some(m) = char_before(text, comma) else { return };
    let m_start = comma - m.len_utf8();
    let Some(num) = char_before(text, m_start) else { return };
    if !(digit_value(num).is_some() || is_cn_numeral(num) || matches!(num, '*' | 'X' | '×' | '○')) {
        return;
    }
    let comma_len = char_at(text, comma).map_or(1, char::len_utf8);
    let after = comma + comma_len;
    if char_at(text, after) != Some(m) {
        return;
    }
    let rest = sl(text, after, text.len());
    if WORD_STARTS.iter().any(|w| rest.starts_with(w)) {
        return;
    }
    let end = after + m.len_utf8();
    let span = sl(text, m_start, end);
    out.push(Raw::warning(
        "repetition.duplicate",
        m_start,
        end,
        format!("疑似重复“{span}”：量词重复，请删去一个"),
    ));
}

#[cfg(test)]
mod tests {
    use crate::check;

    fn reps(text: &str) -> Vec<String> {
        check(text)
            .into_iter()
            .filter(|d| d.family() == "repetition")
            .map(|d| d.text)
            .collect()
    }

    #[test]
    fn typos() {
        assert_eq!(reps("侦破毒品案件**起，起查获各类毒品"), vec!["起，起"]);
        assert_eq!(reps("加强的的学习"), vec!["的的"]);
        assert_eq!(reps("侦破案件3起，起查获"), vec!["起，起"]);
    }

    #[test]
    fn reduplication_is_fine() {
        assert!(reps("人人参与，个个争先，天天向上，实实在在，的的确确，不了了之，家家户户，是是非非。").is_empty());
        assert!(reps("新增就业1万人，人均收入提高，完成5项，项目建设。").is_empty());
        assert!(reps("为了了解情况，现在在做，可以以此为契机，积极应对对外开放，实事求是是路线，首都都市圈，一把把尺子，新建食堂57家、家门口服务站。").is_empty());
    }
}
