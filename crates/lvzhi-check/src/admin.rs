//! Admin level: one text that speaks of itself both as a county (全县, 县委,
//! 县政府, 我县) and as a district (全区, 区委, 区政府, 我区) — the mark of a
//! report copied from another place's.
//!
//! Only self-references count: 我县/本县/全县 and 县委/县政府 standing alone
//! (not 市县政府, 各县区, 县委书记); proper nouns such as 示范县 or 县域 never
//! match. In a text that mentions 自治区, 全区/区委/区政府 mean the autonomous
//! region, so only 我区/本区 count there. The side with fewer mentions is flagged,
//! each occurrence, as a warning.

use crate::diag::Raw;
use crate::number::{char_at, char_before, is_cjk, sl};

/// A self-reference found in the text.
struct Mention {
    start: usize,
    end: usize,
    county: bool,
}

/// Chars after which 县委/县政府/区委/区政府 are a self-reference.
fn standalone_before(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) if !is_cjk(c) => !c.is_ascii_alphanumeric(),
        Some(c) => matches!(
            c,
            '在' | '的'
                | '经'
                | '由'
                | '受'
                | '将'
                | '向'
                | '对'
                | '把'
                | '被'
                | '为'
                | '全'
                | '我'
                | '本'
                | '是'
                | '按'
                | '请'
                | '报'
                | '与'
                | '同'
        ),
    }
}

fn mentions(text: &str, autonomous: bool) -> Vec<Mention> {
    let mut v = Vec::new();
    // two SIMD substring searches are much faster than decoding every char
    let mut hits: Vec<(usize, &str)> = memchr::memmem::find_iter(text.as_bytes(), "县")
        .map(|p| (p, "县"))
        .chain(memchr::memmem::find_iter(text.as_bytes(), "区").map(|p| (p, "区")))
        .collect();
    hits.sort_unstable_by_key(|h| h.0);
    for (pos, c) in hits {
        let county = c == "县";
        let len = c.len();
        let before = char_before(text, pos);
        let after = sl(text, pos + len, text.len());
        let next = char_at(text, pos + len);
        // 我县 / 本县 / 全县
        if let Some(b @ ('我' | '本' | '全')) = before {
            let start = pos - b.len_utf8();
            if b == '全' && (matches!(next, Some('（' | '(' | '市' | '区' | '县' | '乡')) || !county && autonomous)
            {
                continue;
            }
            v.push(Mention {
                start,
                end: pos + len,
                county,
            });
            continue;
        }
        if !county && autonomous {
            continue;
        }
        for w in ["委", "政府"] {
            if after.starts_with(w) && standalone_before(before) {
                let rest = &after[w.len()..];
                if rest.starts_with("书记") || rest.starts_with("副书记") || rest.starts_with("常委") && w == "委"
                {
                    break;
                }
                v.push(Mention {
                    start: pos,
                    end: pos + len + w.len(),
                    county,
                });
                break;
            }
        }
    }
    v
}

/// Flags the minority side when a text calls itself both 县 and 区.
pub(crate) fn check(text: &str, out: &mut Vec<Raw>) {
    let autonomous = text.contains("自治区");
    let ms = mentions(text, autonomous);
    let counties = ms.iter().filter(|m| m.county).count();
    let districts = ms.len() - counties;
    if counties == 0 || districts == 0 {
        return;
    }
    // flag the side with fewer mentions; on a tie, the side that appears second
    let first_is_county = ms.first().is_some_and(|m| m.county);
    let flag_county = counties < districts || counties == districts && !first_is_county;
    let (major, major_n) = if flag_county {
        ("区", districts)
    } else {
        ("县", counties)
    };
    let major_example = ms
        .iter()
        .find(|m| m.county != flag_county)
        .map(|m| sl(text, m.start, m.end))
        .unwrap_or("");
    for m in ms.iter().filter(|m| m.county == flag_county) {
        let span = sl(text, m.start, m.end);
        let msg =
            format!("行政层级自称不一致：本文以“{major}”自称（如“{major_example}”，共{major_n}处），此处却称“{span}”");
        let suggested: String = span
            .chars()
            .map(|c| match c {
                '县' if !flag_county => '县',
                '区' if !flag_county => '县',
                '县' => '区',
                other => other,
            })
            .collect();
        out.push(Raw::warning("admin-level.mixed", m.start, m.end, msg).with_figures(suggested, span.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::check;

    fn admin(text: &str) -> Vec<String> {
        check(text)
            .into_iter()
            .filter(|d| d.family() == "admin-level")
            .map(|d| d.text)
            .collect()
    }

    #[test]
    fn mixed() {
        assert_eq!(
            admin("在县委、县政府的领导下，全县经济发展。项目落户我区。"),
            vec!["我区"]
        );
        assert!(admin("在县委、县政府的领导下，全县经济发展。被确定为示范县，县域经济。").is_empty());
        assert!(admin("全区经济发展，区委、区政府高度重视。各县区政府，市县政府，社区委员会。").is_empty());
        assert!(admin("广西壮族自治区全区生产总值增长，县委书记培训，全县脱贫。").is_empty());
    }
}
