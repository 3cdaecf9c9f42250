//! Diagnostics: what the checker reports, and the conversion of internal byte
//! spans into the public line/column/char-offset form.

use serde::Serialize;

/// How serious a diagnostic is. Any [`Severity::Error`] makes `lvzhi check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A defect that must be fixed before the report is printed.
    Error,
    /// Probably a defect; a person should look.
    Warning,
}

impl Severity {
    /// The lowercase English name used in output (`error`, `warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding of the checker.
///
/// Spans count Unicode scalar values (chars), never bytes: `start`/`end` from the
/// start of the text, `column` from the start of the line. `line` and `column`
/// are 1-based; `start` is 0-based and `end` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `<family>.<detail>`, e.g. `arithmetic.completion`, `placeholder.mask`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column of the span's start, in chars.
    pub column: usize,
    /// Char offset of the span's start from the start of the text.
    pub start: usize,
    /// Char offset just past the span's end.
    pub end: usize,
    /// The flagged text (the span).
    pub text: String,
    /// What is wrong, in Simplified Chinese, for the person who wrote the report.
    pub message: String,
    /// What the text's own numbers give, where that applies (e.g. `114.2%`).
    pub expected: Option<String>,
    /// What the text states, where that applies (e.g. `112%`).
    pub stated: Option<String>,
}

impl Diagnostic {
    /// The family of the code: the part before the first dot (`arithmetic`, `placeholder`…).
    pub fn family(&self) -> &'static str {
        self.code.split('.').next().unwrap_or(self.code)
    }
}

/// What a diagnostic code checks, in one Chinese sentence, for the human output
/// of `lvzhi check` (the message itself shows the arithmetic: `268÷1340=20.0%，文中为25%`).
/// `None` for a code it does not know.
pub fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "arithmetic.completion" => "“完成X、完成预算Y的P%”中，P应等于X÷Y（按文中数字的书写精度比较）。",
        "arithmetic.growth" => "增长率应等于增加额÷上年数（上年数=本年数−增加额），降幅应等于减少额÷上年数。",
        "arithmetic.direction" => "前后文的增减方向应一致：数字增加不能称“下降”，减少不能称“增长”。",
        "arithmetic.multiple" => "“增长N倍”指增加后为原来的N+1倍，“是…的N倍”“翻一番”指为原来的N倍、2倍。",
        "arithmetic.percentage-points" => "两个百分比之差以“个百分点”表示，应等于两者相减。",
        "arithmetic.rate" => {
            "“共X件，已办结Y件，办结率Z%”中，Z应等于Y÷X；允许文中数字的四舍五入，“以上”“约”“达”按其含义放宽。"
        }
        "arithmetic.share" => "“总数T，其中K，占比P%”中，P应等于K÷T。",
        "arithmetic.sum" => {
            "“其中”之后的分项合计不能超过总数；最后一项为“其余”“其他”“剩余”时，各分项应正好合计为总数。"
        }
        "arithmetic.share-sum" => "同一整体各部分的占比之和不能超过100%；含“其余”“其他”时应正好合计为100%。",
        "arithmetic.difference" => "“由A增加到B，净增C”中，C应等于B与A之差（按文中数字的书写精度比较）。",
        "arithmetic.structure" => {
            "写成a∶b∶c并保留一位小数的结构比例（如三次产业结构），各项之和应为100（每项允许±0.05的舍入误差）。"
        }
        "enumeration.count" => "所述数量（如“四个下降”“三个一批”）应与其前面或其后（冒号、“即”之后）列举的项数一致。",
        "placeholder.mask" => "×、○、△、＿、Ｘ、**等符号占着数字或名称的位置（如“○个”“×县”），是未填写的占位符。",
        "placeholder.blank" => "留空的下划线或括号是未填写的空白。",
        "placeholder.missing-number" => {
            "单位（%、万元、亿元、万人、个…）前缺少数字：数字被删掉，或只留下了空格；“万元以上”“亿元级”“超亿元”等固定说法不在此列。"
        }
        "residue.marker" | "residue.template" | "residue.markup" | "residue.page" => {
            "从文档平台、模板或网页带入的残留内容，打印前应删除。"
        }
        "admin-level.mixed" => "同一份报告中既自称“县”又自称“区”，可能是照抄其他地方的材料。",
        "repetition.duplicate" => "重复的字多为录入错误（“的的”“起，起”），叠词（人人、实实在在）不在此列。",
        _ => return None,
    })
}

/// A diagnostic before its span is converted to chars and lines.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub code: &'static str,
    pub severity: Severity,
    /// Byte span in the text.
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub expected: Option<String>,
    pub stated: Option<String>,
}

impl Raw {
    /// An error-severity finding without expected/stated.
    pub fn error(code: &'static str, start: usize, end: usize, message: String) -> Raw {
        Raw {
            code,
            severity: Severity::Error,
            start,
            end,
            message,
            expected: None,
            stated: None,
        }
    }

    /// A warning-severity finding without expected/stated.
    pub fn warning(code: &'static str, start: usize, end: usize, message: String) -> Raw {
        Raw {
            code,
            severity: Severity::Warning,
            start,
            end,
            message,
            expected: None,
            stated: None,
        }
    }

    /// Adds expected and stated figures.
    pub fn with_figures(mut self, expected: String, stated: String) -> Raw {
        self.expected = Some(expected);
        self.stated = Some(stated);
        self
    }
}

/// Sorts, deduplicates and converts byte spans to char offsets, lines and columns.
pub(crate) fn finalize(text: &str, mut raws: Vec<Raw>) -> Vec<Diagnostic> {
    raws.retain(|r| {
        r.start <= r.end && r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
    });
    raws.sort_by(|a, b| (a.start, a.end, a.code).cmp(&(b.start, b.end, b.code)));
    raws.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.code == b.code);
    let mut out = Vec::with_capacity(raws.len());
    // cursor state: byte position, char offset, line number, char offset of line start
    let mut pos = 0usize;
    let mut chars = 0usize;
    let mut line = 1usize;
    let mut line_start_chars = 0usize;
    for r in raws {
        let advance = |from: usize, to: usize, chars: &mut usize, line: &mut usize, ls: &mut usize| {
            for c in text.get(from..to).unwrap_or("").chars() {
                *chars += 1;
                if c == '\n' {
                    *line += 1;
                    *ls = *chars;
                }
            }
        };
        if r.start < pos {
            // cannot happen after sorting; restart from zero to stay correct
            pos = 0;
            chars = 0;
            line = 1;
            line_start_chars = 0;
        }
        advance(pos, r.start, &mut chars, &mut line, &mut line_start_chars);
        pos = r.start;
        let span = text.get(r.start..r.end).unwrap_or("");
        let span_chars = span.chars().count();
        out.push(Diagnostic {
            code: r.code,
            severity: r.severity,
            line,
            column: chars - line_start_chars + 1,
            start: chars,
            end: chars + span_chars,
            text: span.to_string(),
            message: r.message,
            expected: r.expected,
            stated: r.stated,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_chars() {
        let text = "第一行\n全县完成**万元";
        let start = text.find("**").unwrap();
        let d = finalize(text, vec![Raw::error("placeholder.mask", start, start + 2, "x".into())]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 2);
        assert_eq!(d[0].column, 5);
        assert_eq!(d[0].start, 8);
        assert_eq!(d[0].end, 10);
        assert_eq!(d[0].text, "**");
        assert_eq!(d[0].family(), "placeholder");
    }

    #[test]
    fn every_code_is_explained() {
        // every code string written in the checker's sources has its sentence
        let sources = [
            include_str!("arith.rs"),
            include_str!("enumeration.rs"),
            include_str!("structure.rs"),
            include_str!("template.rs"),
            include_str!("admin.rs"),
            include_str!("repetition.rs"),
        ];
        let mut seen = 0;
        for src in sources {
            for family in [
                "arithmetic",
                "enumeration",
                "placeholder",
                "residue",
                "admin-level",
                "repetition",
            ] {
                let open = format!("\"{family}.");
                for (i, _) in src.match_indices(&open) {
                    let rest = &src[i + 1..];
                    let code = &rest[..rest.find('"').unwrap()];
                    if code.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '-') {
                        assert!(explain(code).is_some(), "{code} has no explanation");
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 15, "{seen}");
    }

    #[test]
    fn invalid_spans_are_dropped() {
        let text = "全县";
        let d = finalize(
            text,
            vec![
                Raw::error("x.y", 1, 2, String::new()),
                Raw::error("x.y", 0, 99, String::new()),
            ],
        );
        assert!(d.is_empty());
    }
}
