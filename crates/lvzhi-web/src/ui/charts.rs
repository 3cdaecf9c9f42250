//! Charts drawn on the server as inline SVG: a line chart (monthly trends),
//! a horizontal bar chart (township comparison, counts by unit) and a progress
//! bar (target completion).
//!
//! No script and no `style` attributes (the pages run under a strict CSP):
//! colours come from classes in `app.css` (`.chart .s0`…) and geometry from
//! SVG attributes. Every mark carries a `<title>` (the browser's tooltip, also
//! read by screen readers); every text is escaped here, since templates insert
//! the SVG with `|safe`. Charts scale to their container (`viewBox`) and print
//! as vectors. The numbers drawn are `f64` for geometry only: the labels show
//! the exact figures passed in as text.

use std::fmt::Write;

/// Escapes text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A "nice" upper bound of an axis ≥ `v`: 1, 2, 2.5 or 5 × 10ⁿ (1 for v ≤ 0).
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag * (1.0 + 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// An axis's top and number of steps: [`nice_max`] in four steps; for whole
/// numbers (counts) the top is whole and the steps are too (5 steps of 10 up
/// to 50, not 4 of 12.5).
pub fn axis(max: f64, integral: bool) -> (f64, usize) {
    let top = nice_max(max);
    if !integral {
        return (top, 4);
    }
    let top = top.ceil().max(1.0);
    let steps = [4usize, 5, 2, 1]
        .into_iter()
        .find(|n| (top / *n as f64).fract() == 0.0)
        .unwrap_or(1);
    (top, steps)
}

/// An axis tick label: integers plainly, others with up to two decimals.
fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn num(v: f64) -> String {
    // Coordinates with one decimal are plenty and keep pages small.
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// One line of a line chart.
pub struct Series {
    /// Its name (legend, tooltips).
    pub name: String,
    /// One value per x label (None = no data; the line breaks there), and the text shown for it.
    pub points: Vec<Option<(f64, String)>>,
}

/// A line chart: x labels (months) along the bottom, one line per series.
pub fn line_chart(title: &str, labels: &[String], series: &[Series]) -> String {
    let (w, h) = (480.0, 220.0);
    let (left, right, top, bottom) = (44.0, 12.0, 28.0, 40.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().flatten().map(|p| p.0))
        .fold(0.0f64, f64::max);
    // Counts (every value whole) tick at integers: 0, 5, 10… never 12.5.
    let integral = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .all(|p| p.0.fract() == 0.0);
    let (ymax, ticks) = axis(max, integral);
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + ph - (v.max(0.0) / ymax) * ph;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg class="chart line" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text class="ct" x="{left}" y="16">{t}</text>"#,
        t = esc(title)
    );
    for k in 0..=ticks {
        let v = ymax * k as f64 / ticks as f64;
        let yy = num(y(v));
        let _ = write!(
            o,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy}" y2="{yy}"/><text class="ax" x="{}" y="{yy}" text-anchor="end" dy="4">{}</text>"#,
            num(left + pw),
            num(left - 4.0),
            esc(&tick(v))
        );
    }
    let step = n.div_ceil(12);
    for (i, l) in labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                o,
                r#"<text class="ax" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                num(x(i)),
                num(h - bottom + 16.0),
                esc(l)
            );
        }
    }
    for (si, s) in series.iter().enumerate() {
        let cls = format!("s{}", si % 6);
        // Segments of consecutive points with data.
        let mut seg: Vec<String> = Vec::new();
        let mut paths: Vec<String> = Vec::new();
        for (i, p) in s.points.iter().enumerate().take(n) {
            match p {
                Some((v, _)) => seg.push(format!("{},{}", num(x(i)), num(y(*v)))),
                None if !seg.is_empty() => paths.push(std::mem::take(&mut seg).join(" ")),
                None => {}
            }
        }
        if !seg.is_empty() {
            paths.push(seg.join(" "));
        }
        for p in paths {
            let _ = write!(o, r#"<polyline class="{cls}" points="{p}"/>"#);
        }
        for (i, p) in s.points.iter().enumerate().take(n) {
            if let Some((v, text)) = p {
                let label = labels.get(i).map(String::as_str).unwrap_or("");
                let _ = write!(
                    o,
                    r#"<circle class="{cls}" cx="{}" cy="{}" r="3"><title>{}</title></circle>"#,
                    num(x(i)),
                    num(y(*v)),
                    esc(&format!("{} {label}：{text}", s.name))
                );
            }
        }
    }
    if series.len() > 1 {
        let mut lx = left;
        for (si, s) in series.iter().enumerate() {
            let _ = write!(
                o,
                r#"<rect class="s{} key" x="{}" y="{}" width="10" height="10"/><text class="ax" x="{}" y="{}">{}</text>"#,
                si % 6,
                num(lx),
                num(h - 14.0),
                num(lx + 14.0),
                num(h - 5.0),
                esc(&s.name)
            );
            lx += 24.0 + 12.0 * s.name.chars().count() as f64;
        }
    }
    o.push_str("</svg>");
    o
}

/// One bar of a bar chart.
pub struct Bar {
    /// What it is (乡镇名).
    pub label: String,
    /// Its length.
    pub value: f64,
    /// The exact figure shown at its end.
    pub text: String,
    /// Drawn highlighted (the current township, the worst unit…).
    pub mark: bool,
}

/// A horizontal bar chart, one row per bar in the given order.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let row = 20.0;
    let (w, left, right, top) = (480.0, 132.0, 64.0, 28.0);
    let h = top + row * bars.len().max(1) as f64 + 8.0;
    let pw = w - left - right;
    let max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    let xmax = nice_max(max);
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg class="chart bars" viewBox="0 0 {w} {}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text class="ct" x="0" y="16">{t}</text>"#,
        num(h),
        t = esc(title)
    );
    if bars.is_empty() {
        let _ = write!(o, r#"<text class="ax" x="0" y="{}">无数据</text>"#, num(top + 14.0));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let bw = (b.value.max(0.0) / xmax) * pw;
        let label: String = if b.label.chars().count() > 9 {
            format!("{}…", b.label.chars().take(8).collect::<String>())
        } else {
            b.label.clone()
        };
        let _ = write!(
            o,
            r#"<g><title>{}</title><text class="ax" x="{}" y="{}" text-anchor="end">{}</text><rect class="{}" x="{left}" y="{}" width="{}" height="{}"/><text class="val" x="{}" y="{}">{}</text></g>"#,
            esc(&format!("{}：{}", b.label, b.text)),
            num(left - 6.0),
            num(y + 13.0),
            esc(&label),
            if b.mark { "bar mark" } else { "bar" },
            num(y + 3.0),
            num(bw),
            num(row - 6.0),
            num(left + bw + 4.0),
            num(y + 13.0),
            esc(&b.text)
        );
    }
    o.push_str("</svg>");
    o
}

/// A progress bar toward a target: `pct` percent done (None: no target), the
/// text (114.2%) at its end. Over 100% the bar is full and marked `over`.
pub fn progress_bar(label: &str, pct: Option<f64>, text: &str) -> String {
    let (w, h) = (200.0, 16.0);
    let p = pct.unwrap_or(0.0);
    let fill = (p.clamp(0.0, 100.0) / 100.0) * w;
    let cls = match pct {
        None => "pb none",
        Some(v) if v >= 100.0 => "pb over",
        Some(v) if v >= 80.0 => "pb good",
        Some(_) => "pb low",
    };
    format!(
        r#"<svg class="chart progress" viewBox="0 0 {} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><rect class="track" x="0" y="3" width="{w}" height="10"/><rect class="{cls}" x="0" y="3" width="{}" height="10"/><text class="val" x="{}" y="13">{}</text></svg>"#,
        num(w + 60.0),
        num(fill),
        num(w + 4.0),
        esc(text),
        t = esc(&format!("{label}：{text}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_axes_tick_at_integers() {
        assert_eq!(axis(37.0, true), (50.0, 5));
        assert_eq!(axis(12.0, true), (20.0, 4));
        assert_eq!(axis(2.0, true), (2.0, 2));
        assert_eq!(axis(0.0, true), (1.0, 1));
        assert_eq!(axis(37.0, false), (50.0, 4));
        let svg = line_chart(
            "件数",
            &["1月".into(), "2月".into()],
            &[Series {
                name: "2026年".into(),
                points: vec![Some((37.0, "37件".into())), None],
            }],
        );
        assert!(
            !svg.contains(">12.5<") && svg.contains(">10<") && svg.contains(">50<"),
            "{svg}"
        );
    }

    /// A minimal XML well-formedness check: tags balance, attributes are
    /// quoted, no raw `<` or `&` in text.
    fn well_formed(s: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = s;
        while let Some(i) = rest.find('<') {
            let text = &rest[..i];
            assert!(!text.contains('>'), "raw > in text: {text}");
            for (j, _) in text.match_indices('&') {
                let ent = &text[j..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|e| ent.starts_with(e)),
                    "bare & in {text}"
                );
            }
            let end = rest[i..].find('>').expect("unclosed tag") + i;
            let tag = &rest[i + 1..end];
            assert!(!tag.contains('<'), "< inside tag {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("").to_string();
                stack.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(!s.contains("style="), "no style attributes under the CSP");
    }

    #[test]
    fn nice_scales() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(-3.0), 1.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(23.0), 25.0);
        assert_eq!(nice_max(260.0), 500.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(100.0), "100");
    }

    #[test]
    fn line_chart_is_well_formed_escaped_and_scaled() {
        let labels: Vec<String> = (1..=4).map(|m| format!("{m}月")).collect();
        let s = Series {
            name: "<script>alert(1)</script>&".into(),
            points: vec![
                Some((10.0, "10件".into())),
                None,
                Some((50.0, "50件".into())),
                Some((0.0, "0件".into())),
            ],
        };
        let t = Series {
            name: "对比".into(),
            points: vec![Some((5.0, "5".into())); 4],
        };
        let svg = line_chart("隐患\"排查\"数", &labels, &[s, t]);
        well_formed(&svg);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
        assert!(svg.contains("隐患&quot;排查&quot;数"));
        // The gap breaks the line: two polylines for the first series, one for the second.
        assert_eq!(svg.matches("<polyline class=\"s0\"").count(), 2);
        assert_eq!(svg.matches("<polyline class=\"s1\"").count(), 1);
        // Axis 0..50; 50 sits at the top of the plot (y = 28), 0 at the bottom (y = 180).
        assert!(svg.contains(">50</text>"), "{svg}");
        assert!(svg.contains(r#"cy="28" r="3""#), "{svg}");
        assert!(svg.contains(r#"cy="180" r="3""#), "{svg}");
        // Tooltips name the series, month and exact text.
        assert!(svg.contains("<title>对比 2月：5</title>"));
    }

    #[test]
    fn bar_chart_is_well_formed_escaped_and_scaled() {
        let bars = vec![
            Bar {
                label: "西洞镇".into(),
                value: 50.0,
                text: "50件".into(),
                mark: true,
            },
            Bar {
                label: "A&B<镇>".into(),
                value: 25.0,
                text: "25件".into(),
                mark: false,
            },
        ];
        let svg = bar_chart("各乡镇对比", &bars);
        well_formed(&svg);
        assert!(svg.contains("A&amp;B&lt;镇&gt;"));
        // 50 fills the plot width (480 − 132 − 64 = 284), 25 half of it.
        assert!(svg.contains(r#"class="bar mark" x="132" y="31" width="284""#), "{svg}");
        assert!(svg.contains(r#"class="bar" x="132" y="51" width="142""#), "{svg}");
        well_formed(&bar_chart("空", &[]));
        assert!(bar_chart("空", &[]).contains("无数据"));
    }

    #[test]
    fn progress_bar_clamps_and_classes() {
        let p = progress_bar("财政<收入>", Some(114.2), "114.2%");
        well_formed(&p);
        assert!(p.contains(r#"class="pb over" x="0" y="3" width="200""#));
        assert!(p.contains("财政&lt;收入&gt;：114.2%"));
        let half = progress_bar("x", Some(50.0), "50%");
        assert!(half.contains(r#"class="pb low" x="0" y="3" width="100""#));
        let none = progress_bar("x", None, "无目标");
        well_formed(&none);
        assert!(none.contains(r#"class="pb none" x="0" y="3" width="0""#));
    }
}
