//! One truth for every figure (issue 14): for every role that reads
//! indicators and the periods 2025, 2026, 2026-11 and 2026年第四季度, every
//! figure the 指标 page shows — read out of the rendered HTML — equals the
//! same indicator from `/api/v1/indicators` and from `lvzhi indicators`
//! (`lvzhi_metrics::render::indicators_command`, the CLI's code) for that
//! reader, and the page's period label is the API's. A page that computed a
//! figure on its own would fail here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use std::collections::BTreeMap;

/// The 指标 table's rows: name → the value cell's text.
fn page_figures(html: &str) -> BTreeMap<String, String> {
    let strip = |s: &str| {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out.trim().replace("&amp;", "&")
    };
    let mut out = BTreeMap::new();
    for row in html.split("<tr>").skip(1) {
        let cells: Vec<&str> = row.split("<td").skip(1).collect();
        if cells.len() < 2 {
            continue;
        }
        let cell = |i: usize| strip(cells[i].split_once('>').map_or("", |x| x.1));
        out.insert(cell(0), cell(1));
    }
    out
}

#[test]
fn pages_api_and_cli_agree_for_every_role_and_period() {
    let s = Server::start();
    // Some records, so the figures are not all zero.
    let (xd, qs) = (s.county.xidong, s.county.qingshui);
    for (user, township, unit) in [("clerk_xd", "620902100", xd), ("clerk_qs", "620902101", qs)] {
        let a = s.county.access(user);
        for i in 0..3 {
            let mut f = lvzhi_testkit::county::hazard(township, unit, &format!("{township}隐患{i}"));
            if i > 0 {
                // Past its deadline: due in the year and 超期未办结.
                f.insert("deadline".into(), format!("{}-01-1{i}", s.store.today().year()).into());
            }
            s.rt.block_on(s.store.create(&a, "hazard", f)).unwrap();
        }
    }
    let files = lvzhi_packs::county_files();
    let today = s.store.today();
    let mut compared = 0;
    for user in ["admin", "office", "leader", "clerk_xd", "head_yj", "auditor"] {
        let mut b = s.signed_in(user);
        let access = s.county.access(user);
        for period in ["2025", "2026", "2026-11", "2026Q4"] {
            let q = enc(&[("period", period), ("scope", "county")]);
            let page = b.get(&format!("/indicators?{q}"));
            assert_eq!(page.status, 200, "{user} {period}");
            let html = page.text();
            let shown = page_figures(&html);
            let api = b.get(&format!("/api/v1/indicators?{q}"));
            assert_eq!(api.status, 200, "{user} {period}: {}", api.text());
            let api = api.json();
            let label = api["period_label"].as_str().unwrap();
            assert!(html.contains(label), "{user} {period}: the page does not say {label}");
            let cli =
                s.rt.block_on(lvzhi_metrics::render::indicators_command_as(
                    &s.store,
                    &files,
                    Some(period),
                    "county",
                    "json",
                    today,
                    &access,
                ))
                .unwrap();
            let cli: Vec<serde_json::Value> = serde_json::from_str(&cli).unwrap();
            for item in api["items"].as_array().unwrap() {
                let name = item["name"].as_str().unwrap();
                let display = item["display"].as_str().unwrap();
                let c = cli.iter().find(|v| v["name"] == name).unwrap();
                assert_eq!(c["display"], item["display"], "{user} {period} {name}: CLI ≠ API");
                assert_eq!(c["value"], item["value"], "{user} {period} {name}: CLI ≠ API");
                if let Some(p) = shown.get(name) {
                    assert_eq!(p, display, "{user} {period} {name}: page ≠ API");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 200, "only {compared} figures compared");

    // 督查督办's 评星挂旗 rows are lvzhi_metrics::duty's counts, for every reader.
    for user in ["office", "leader", "clerk_xd"] {
        let mut b = s.signed_in(user);
        let access = s.county.access(user);
        let html = b.get("/supervise?period=2026").text();
        let ranks = html
            .split("id=\"ranks\"")
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        let eff = lvzhi_metrics::effective(lvzhi_core::period::Period::Year(today.year()), today);
        let tallies =
            s.rt.block_on(lvzhi_metrics::duty::unit_tallies(&s.store, &access, &[], eff, today))
                .unwrap();
        let rows = page_figures(ranks);
        let mut ranked = 0;
        for t in tallies.iter().filter(|t| t.tally.due > 0 && !t.kind.is_empty()) {
            // The row is keyed by its first cell (the group); find the unit's row instead.
            let row = ranks
                .split("<tr")
                .find(|r| r.contains(&format!(">{}<", t.label)) || r.contains(&format!(">{} <", t.label)))
                .unwrap_or_else(|| panic!("{user}: {} not ranked\n{ranks}", t.label));
            let nums: Vec<String> = row
                .split("class=\"num\">")
                .skip(1)
                .map(|c| {
                    c.chars()
                        .skip_while(|ch| *ch == '<' || !ch.is_ascii_digit())
                        .take_while(|ch| ch.is_ascii_digit() || *ch == '.' || *ch == '%')
                        .collect()
                })
                .collect();
            // 名次, 到期, 按期办结, 超期未办结, 按期办结率
            assert_eq!(nums.get(1), Some(&t.tally.due.to_string()), "{user} {}: {row}", t.label);
            assert_eq!(
                nums.get(2),
                Some(&t.tally.on_time.to_string()),
                "{user} {}: {row}",
                t.label
            );
            assert_eq!(
                nums.get(3),
                Some(&t.tally.overdue.to_string()),
                "{user} {}: {row}",
                t.label
            );
            assert_eq!(nums.get(4), Some(&t.tally.rate_text()), "{user} {}: {row}", t.label);
            ranked += 1;
        }
        // The office sees both townships' items; others rank what they see.
        assert!(
            user != "office" || (ranked > 0 && !rows.is_empty()),
            "{user}: nothing ranked\n{ranks}"
        );
    }
    s.stop();
}

// ------------------------------------------------------------------ 2026-12-05

/// Unescapes the few entities the templates write.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Text without tags.
fn text_of(s: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in s.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    unescape(out.trim())
}

/// A query string's value of `key` (percent-decoded).
fn query_value(qs: &str, key: &str) -> Option<String> {
    qs.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| {
            let b = v.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
                    i += 3;
                } else {
                    out.push(if b[i] == b'+' { b' ' } else { b[i] });
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

/// Every `<a … href="PREFIX…">TEXT</a>` of `html`: (href, attributes, text).
fn links(html: &str, prefix: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for part in html.split("<a ").skip(1) {
        let Some((attrs, rest)) = part.split_once('>') else {
            continue;
        };
        let Some(h) = attrs.split("href=\"").nth(1).and_then(|h| h.split('"').next()) else {
            continue;
        };
        let href = unescape(h);
        if !href.starts_with(prefix) {
            continue;
        }
        let text = text_of(rest.split("</a>").next().unwrap_or(""));
        out.push((href, attrs.to_string(), text));
    }
    out
}

/// The indicators the API gives for (period, scope), by id; cached.
struct Truth {
    api: BTreeMap<(String, String), BTreeMap<String, serde_json::Value>>,
    cli: BTreeMap<(String, String), BTreeMap<String, serde_json::Value>>,
}

impl Truth {
    fn api(&mut self, b: &mut Browser, period: &str, scope: &str) -> &BTreeMap<String, serde_json::Value> {
        self.api.entry((period.into(), scope.into())).or_insert_with(|| {
            let r = b.get(&format!(
                "/api/v1/indicators?{}",
                enc(&[("period", period), ("scope", scope)])
            ));
            assert_eq!(r.status, 200, "{period} {scope}: {}", r.text());
            r.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| (v["id"].as_str().unwrap().to_string(), v.clone()))
                .collect()
        })
    }

    fn cli(
        &mut self,
        rt: &tokio::runtime::Runtime,
        store: &lvzhi_store::Store,
        access: &lvzhi_core::access::Access,
        period: &str,
        scope: &str,
    ) -> &BTreeMap<String, serde_json::Value> {
        self.cli.entry((period.into(), scope.into())).or_insert_with(|| {
            let files = lvzhi_packs::county_files();
            let out = rt
                .block_on(lvzhi_metrics::render::indicators_command_as(
                    store,
                    &files,
                    Some(period),
                    scope,
                    "json",
                    store.today(),
                    access,
                ))
                .unwrap();
            let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
            v.into_iter()
                .map(|v| (v["id"].as_str().unwrap().to_string(), v))
                .collect()
        })
    }
}

/// Checks every figure of a report: the API's HTML (links to
/// `/api/v1/indicators/…`), the UI's preview and the Markdown against the
/// API's indicators and the CLI's. Returns the number of figures compared, or
/// None when the report could not be written (the same refusal on both).
#[allow(clippy::too_many_arguments)]
fn check_report(
    b: &mut Browser,
    t: &mut Truth,
    rt: &tokio::runtime::Runtime,
    store: &lvzhi_store::Store,
    access: &lvzhi_core::access::Access,
    who: &str,
    template: &str,
    period: &str,
    person: Option<&str>,
) -> Option<usize> {
    let mut q: Vec<(&str, &str)> = vec![("period", period), ("scope", "county")];
    if let Some(p) = person {
        q.push(("person", p));
    }
    let mut qh = q.clone();
    qh.push(("format", "html"));
    let api = b.get(&format!("/api/v1/reports/{}?{}", pct(template), enc(&qh)));
    let mut qu = q.clone();
    qu.push(("template", template));
    let ui = b.get(&format!("/reports?{}", enc(&qu)));
    if api.status != 200 {
        assert_eq!(
            ui.status, 422,
            "{who} {template} {period}: API {} but the page {}",
            api.status, ui.status
        );
        return None;
    }
    assert_eq!(ui.status, 200, "{who} {template} {period}: {}", ui.text());
    let html = api.text();
    let figs = links(&html, "/api/v1/indicators/");
    assert!(!figs.is_empty(), "{who} {template} {period}: no figures");
    let mark = |attrs: &str| {
        attrs
            .split("data-mark=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    // The UI's preview shows the same figures, mark for mark.
    let ui_html = ui.text();
    let ui_figs: Vec<(String, String)> = ui_html
        .split("<a class=\"fig\"")
        .skip(1)
        .map(|a| {
            let attrs = a.split('>').next().unwrap();
            let text = text_of(a.split_once('>').unwrap().1.split("</a>").next().unwrap());
            (unescape(&mark(attrs)), text)
        })
        .collect();
    let api_figs: Vec<(String, String)> = html
        .split("<a class=\"fig\"")
        .skip(1)
        .map(|a| {
            let attrs = a.split('>').next().unwrap();
            let text = text_of(a.split_once('>').unwrap().1.split("</a>").next().unwrap());
            (unescape(&mark(attrs)), text)
        })
        .collect();
    assert_eq!(ui_figs, api_figs, "{who} {template} {period}: preview ≠ API");
    // The 月度督查通报's per-unit rows (`unit_rows`: 到期, 按期办结, 红, 黄, 批准延期) add up
    // to the totals its text states: for each indicator, the `id@unit` figures sum to the `id` figure.
    if template == "月度督查通报" {
        let n = |t: &str| {
            t.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<i64>()
                .unwrap_or(0)
        };
        let mut parts: BTreeMap<&str, i64> = BTreeMap::new();
        for (m, t) in &api_figs {
            if let Some((id, unit)) = m.split_once('@')
                && !unit.contains(':')
            {
                *parts.entry(id).or_default() += n(t);
            }
        }
        // 批准延期 is checked even when no row has one (then the text must say 0).
        parts.entry("petitions_extended").or_default();
        for (id, sum) in parts {
            if let Some((_, total)) = api_figs.iter().find(|(m, _)| m == id) {
                assert_eq!(
                    sum,
                    n(total),
                    "{who} {template} {period}: the rows' {id} ≠ the text's {total}"
                );
            }
        }
    }
    let mut qm = q.clone();
    qm.push(("format", "md"));
    let md = b.get(&format!("/api/v1/reports/{}?{}", pct(template), enc(&qm))).text();
    let mut n = 0;
    for (href, attrs, text) in figs {
        let m = unescape(&mark(&attrs));
        let (path, qs) = href.split_once('?').unwrap();
        let id = path.trim_start_matches("/api/v1/indicators/").to_string();
        let (p, s) = (query_value(qs, "period").unwrap(), query_value(qs, "scope").unwrap());
        let items = t.api(b, &p, &s);
        let v = items
            .get(&id)
            .unwrap_or_else(|| panic!("{who} {template}: {id} not in the API"));
        let want = match m.split_once('@') {
            Some((_, key)) if !key.contains(':') => v["breakdown"]
                .as_array()
                .and_then(|parts| parts.iter().find(|x| x["key"] == key))
                .map(|x| x["display"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{who} {template} {period}: no part {m} in the API")),
            _ => v["display"].as_str().unwrap().to_string(),
        };
        // A template may print the same exact value in one of `ind`'s styles
        // (rank 全市第一, amount, growth, the value itself).
        let mut forms = vec![want.clone()];
        if let (None, Some(x)) = (m.split_once('@'), v["value"].as_str()) {
            forms.push(x.to_string());
            if let Ok(d) = x.parse::<lvzhi_core::Decimal>() {
                forms.push(lvzhi_report::helpers::amount(d, 2));
                forms.push(lvzhi_report::helpers::growth(d, 1));
            }
            if let Ok(n) = x.parse::<u64>() {
                forms.push(lvzhi_report::helpers::rank(n, "全市"));
            }
        }
        assert!(
            forms.contains(&text),
            "{who} {template} {period} {m}: report {text} ≠ API {want}"
        );
        if !m.contains('@') {
            let c = t.cli(rt, store, access, &p, &s);
            assert_eq!(
                c[&id]["display"].as_str().unwrap(),
                want,
                "{who} {template} {period} {m}: CLI ≠ API"
            );
        }
        assert!(
            md.contains(&text),
            "{who} {template} {period}: the Markdown lacks {text}"
        );
        n += 1;
    }
    Some(n)
}

/// Every `/indicators/ID?period=…&scope=…` link of a page: its text is the
/// API's display (or its record count, the table's last column) and the CLI's.
fn check_indicator_links(
    b: &mut Browser,
    t: &mut Truth,
    rt: &tokio::runtime::Runtime,
    store: &lvzhi_store::Store,
    access: &lvzhi_core::access::Access,
    who: &str,
    html: &str,
) -> usize {
    let mut n = 0;
    for (href, _, text) in links(html, "/indicators/") {
        let Some((path, qs)) = href.split_once('?') else {
            continue;
        };
        let id = path.trim_start_matches("/indicators/").to_string();
        if id.contains('/') {
            continue;
        }
        // A link leaves out the defaults (this year, 全县).
        let p = query_value(qs, "period").unwrap_or_else(|| store.today().year().to_string());
        let s = query_value(qs, "scope").unwrap_or_else(|| "county".into());
        let v = t
            .api(b, &p, &s)
            .get(&id)
            .cloned()
            .unwrap_or_else(|| panic!("{who}: {id} not in the API"));
        let display = v["display"].as_str().unwrap();
        assert!(
            text == display || text.parse::<i64>().ok() == v["records"].as_i64(),
            "{who} {p} {s} {id}: page shows {text}, the API {display} ({href})"
        );
        let c = t.cli(rt, store, access, &p, &s);
        assert_eq!(
            c[&id]["display"].as_str().unwrap(),
            display,
            "{who} {p} {s} {id}: CLI ≠ API"
        );
        n += 1;
    }
    n
}

/// The number right after `key` in `text` (None when absent).
fn number_after(text: &str, key: &str) -> Option<i64> {
    let rest = text.split_once(key)?.1.trim_start();
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// One indicator from `GET /api/v1/indicators/{id}` (a page of one record).
fn one_indicator(b: &mut Browser, id: &str, period: &str, scope: &str) -> serde_json::Value {
    let r = b.get(&format!(
        "/api/v1/indicators/{id}?{}",
        enc(&[("period", period), ("scope", scope), ("limit", "1")])
    ));
    assert_eq!(r.status, 200, "{id} {period} {scope}: {}", r.text());
    r.json()["indicator"].clone()
}

/// The 督查督办 page's 超期 and 临期 totals, read out of its HTML.
fn supervise_totals(html: &str) -> (i64, i64) {
    let items = html
        .split("id=\"items\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    let t = text_of(items);
    (
        number_after(&t, "已过期限").unwrap_or_else(|| panic!("no 超期 total: {t}")),
        number_after(&t, "临近期限").unwrap_or_else(|| panic!("no 临期 total: {t}")),
    )
}

/// The `<title>` texts of every mark of the SVG charts whose class is
/// `class` (`line`, `bars`), chart by chart: (the chart's title, marks).
fn chart_marks(html: &str, class: &str) -> Vec<(String, Vec<String>)> {
    let opening = format!("<svg class=\"chart {class}\"");
    html.split(opening.as_str())
        .skip(1)
        .map(|svg| {
            let svg = svg.split("</svg>").next().unwrap();
            let title = unescape(svg.split("aria-label=\"").nth(1).unwrap().split('"').next().unwrap());
            // Each mark's tooltip; the chart's own <title> is the first.
            let marks = svg
                .split("<title>")
                .skip(2)
                .map(|t| unescape(t.split("</title>").next().unwrap()))
                .collect();
            (title, marks)
        })
        .collect()
}

/// The leader's 首页 against `GET /api/v1/dashboard`: the 红黄预警 table
/// and its bar chart, every point of the trend charts and every township
/// bar; each trend point and bar against `/api/v1/indicators/{id}` for its
/// period and scope, the month in progress also against `lvzhi indicators`;
/// each unit's row against `/api/v1/supervise/warned` and the 督查督办 page
/// its link opens. Returns the number of figures compared.
#[allow(clippy::too_many_arguments)]
fn check_dashboard(
    b: &mut Browser,
    t: &mut Truth,
    rt: &tokio::runtime::Runtime,
    store: &lvzhi_store::Store,
    access: &lvzhi_core::access::Access,
    who: &str,
    html: &str,
) -> usize {
    let api = b.get("/api/v1/dashboard");
    assert_eq!(api.status, 200, "{who}: {}", api.text());
    let d = api.json();
    let scope = d["scope"].as_str().unwrap().to_string();
    let mut n = 0;
    // 红黄预警（按单位）: the table, row for row.
    let section = html
        .split("<h2>红黄预警（按单位）</h2>")
        .nth(1)
        .unwrap_or_else(|| panic!("{who}: no 红黄预警 on 首页"))
        .split("</section>")
        .next()
        .unwrap();
    let rows: Vec<(String, Vec<String>)> = section
        .split("<tbody>")
        .nth(1)
        .map(|body| {
            body.split("<tr>")
                .skip(1)
                .map(|r| {
                    let cells: Vec<String> = r
                        .split("<td")
                        .skip(1)
                        .map(|c| text_of(c.split_once('>').unwrap().1.split("</td>").next().unwrap()))
                        .collect();
                    let href = r
                        .split("href=\"")
                        .nth(1)
                        .map(|h| unescape(h.split('"').next().unwrap()))
                        .unwrap_or_default();
                    (href, cells)
                })
                .collect()
        })
        .unwrap_or_default();
    let units = d["units"].as_array().unwrap();
    assert_eq!(rows.len(), units.len(), "{who}: 红黄预警 rows\n{section}");
    let warned = b.get("/api/v1/supervise/warned").json();
    for ((href, cells), u) in rows.iter().zip(units) {
        let want = vec![
            u["unit"].as_str().unwrap().to_string(),
            u["red"].to_string(),
            u["yellow"].to_string(),
        ];
        assert_eq!(cells, &want, "{who}: 首页 红黄预警 ≠ /api/v1/dashboard");
        // The same unit in /api/v1/supervise/warned, by unit and in its list.
        let id = u["unit_id"].as_i64().unwrap();
        let one = b.get(&format!("/api/v1/supervise/warned?unit={id}")).json();
        assert_eq!(
            (one["red"].as_i64(), one["yellow"].as_i64()),
            (u["red"].as_i64(), u["yellow"].as_i64()),
            "{who} {}: 首页 ≠ /api/v1/supervise/warned?unit={id}",
            want[0]
        );
        let listed = warned["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_id"] == u["unit_id"])
            .unwrap_or_else(|| panic!("{who}: {} not in /api/v1/supervise/warned", want[0]));
        assert_eq!((&listed["red"], &listed["yellow"]), (&u["red"], &u["yellow"]), "{who}");
        // The red count's link opens 督查督办 on that unit's 超期 items.
        if !href.is_empty() {
            let page = b.get(href);
            assert_eq!(page.status, 200, "{who} {href}");
            let (red, yellow) = supervise_totals(&page.text());
            assert_eq!((red, yellow), (u["red"].as_i64().unwrap(), 0), "{who} {href}");
        }
        n += 3;
    }
    // Its bar chart: one bar per unit with 超期 items, the same count.
    let bars = chart_marks(section, "bars");
    let want_bars: Vec<String> = units
        .iter()
        .filter(|u| u["red"].as_i64().unwrap() > 0)
        .map(|u| format!("{}：{}件", u["unit"].as_str().unwrap(), u["red"]))
        .collect();
    if !units.is_empty() {
        assert_eq!(bars.first().map(|b| &b.1), Some(&want_bars), "{who}: 红黄预警 bars");
    }
    // The trend charts: every point drawn is the API's, and no other.
    let dash = html
        .split("class=\"panel dash\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    let lines = chart_marks(dash, "line");
    let trends = d["trends"].as_array().unwrap();
    assert_eq!(lines.len(), trends.len(), "{who}: trend charts");
    for ((title, marks), tr) in lines.iter().zip(trends) {
        let id = tr["id"].as_str().unwrap();
        assert!(
            title.starts_with(&format!("{}（", tr["name"].as_str().unwrap())),
            "{who}: {title}"
        );
        let mut want = Vec::new();
        for line in tr["lines"].as_array().unwrap() {
            let series = line["name"].as_str().unwrap();
            for p in line["points"].as_array().unwrap() {
                let (label, period, display) = (
                    p["label"].as_str().unwrap(),
                    p["period"].as_str().unwrap(),
                    p["display"].as_str().unwrap(),
                );
                // Every point, drawn or not, is the indicator of its period.
                let v = one_indicator(b, id, period, &scope);
                assert_eq!(
                    v["display"].as_str().unwrap(),
                    display,
                    "{who} {id} {period}: dashboard ≠ API"
                );
                assert_eq!(v["value"], p["value"], "{who} {id} {period}");
                if label.contains('至') {
                    // The month in progress: also `lvzhi indicators`.
                    let c = t.cli(rt, store, access, period, &scope);
                    assert_eq!(c[id]["display"].as_str().unwrap(), display, "{who} {id} {period}: CLI");
                }
                if !p["value"].is_null() {
                    want.push(format!("{series} {label}：{display}"));
                }
                n += 1;
            }
        }
        assert_eq!(marks, &want, "{who}: {title}: drawn ≠ /api/v1/dashboard");
    }
    // The township comparison.
    let towns = chart_marks(dash, "bars");
    match d["townships"].as_object() {
        Some(tw) => {
            let id = tw["id"].as_str().unwrap();
            let period = tw["period"].as_str().unwrap();
            let (title, marks) = towns.first().unwrap_or_else(|| panic!("{who}: no township chart"));
            assert!(
                title.starts_with(&format!("各乡镇{}", tw["name"].as_str().unwrap())),
                "{title}"
            );
            let mut want = Vec::new();
            for bar in tw["bars"].as_array().unwrap() {
                let s = format!("division:{}", bar["division"].as_str().unwrap());
                let v = one_indicator(b, id, period, &s);
                assert_eq!(v["display"], bar["display"], "{who} {id} {s}: dashboard ≠ API");
                want.push(format!(
                    "{}：{}",
                    bar["name"].as_str().unwrap(),
                    bar["display"].as_str().unwrap()
                ));
                n += 1;
            }
            assert_eq!(marks, &want, "{who}: township bars");
        }
        None => assert!(towns.is_empty(), "{who}: a township chart the API does not have"),
    }
    n
}

/// 督查督办's 超期/临期 totals — overall, per ledger and per unit — against
/// `GET /api/v1/supervise/warned`; per ledger also against the pack's
/// 超期/临期 indicators (`/api/v1/indicators` and `lvzhi indicators`).
/// Returns the number of totals compared.
#[allow(clippy::too_many_arguments)]
fn check_supervise_totals(
    b: &mut Browser,
    t: &mut Truth,
    rt: &tokio::runtime::Runtime,
    store: &lvzhi_store::Store,
    access: &lvzhi_core::access::Access,
    who: &str,
) -> usize {
    let mut n = 0;
    let check = |b: &mut Browser, q: &str| -> (i64, i64) {
        let page = b.get(&format!("/supervise?{q}"));
        assert_eq!(page.status, 200, "{who} {q}");
        let shown = supervise_totals(&page.text());
        let api = b.get(&format!("/api/v1/supervise/warned?{q}"));
        assert_eq!(api.status, 200, "{who} {q}: {}", api.text());
        let api = api.json();
        assert_eq!(
            shown,
            (api["red"].as_i64().unwrap(), api["yellow"].as_i64().unwrap()),
            "{who} {q}: 督查督办 ≠ /api/v1/supervise/warned"
        );
        shown
    };
    let all = check(b, "");
    n += 2;
    let api = b.get("/api/v1/supervise/warned").json();
    // Per unit (the worst few: each is a page load).
    let units: Vec<i64> = api["units"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|u| u["unit_id"].as_i64().unwrap())
        .collect();
    for u in units {
        let (red, yellow) = check(b, &format!("unit={u}"));
        n += 2;
        let row = api["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_id"] == u)
            .unwrap();
        assert_eq!(
            (red, yellow),
            (row["red"].as_i64().unwrap(), row["yellow"].as_i64().unwrap()),
            "{who} {u}"
        );
    }
    // Per ledger, against the pack's indicators of the same counts. A
    // reader's figures count what they see, so the 全县 indicator is their
    // list's total — except a county leader's: their figures are county-wide
    // (published to every leader, `lvzhi_metrics::eval::published_to`) while
    // their list holds what they see (分管 units, 包挂 items); for them the
    // list lies between the figure of their 分管 (`leader:ID`) and the 全县 one.
    let year = store.today().year().to_string();
    let leader = lvzhi_metrics::eval::published_to(access);
    let scope = match access.person {
        Some(p) if leader => format!("leader:{p}"),
        _ => "county".to_string(),
    };
    let mut by_ledger = (0, 0);
    for (ledger, overdue, soon) in [
        (
            "supervision",
            "overdue_supervision_by_unit",
            "due_soon_supervision_by_unit",
        ),
        ("hazard", "overdue_hazards_by_unit", "due_soon_hazards_by_unit"),
        ("petition", "overdue_petitions_by_unit", ""),
    ] {
        let (red, yellow) = check(b, &format!("ledger={ledger}"));
        n += 2;
        by_ledger.0 += red;
        by_ledger.1 += yellow;
        let items = t.api(b, &year, &scope).clone();
        let cli = t.cli(rt, store, access, &year, &scope).clone();
        for (id, want) in [(overdue, red), (soon, yellow)] {
            if id.is_empty() {
                continue;
            }
            let v = &items[id];
            let got = v["value"].as_str().map_or(0, |x| x.parse::<i64>().unwrap());
            if leader {
                let county = &t.api(b, &year, "county")[id];
                let all = county["value"].as_str().map_or(0, |x| x.parse::<i64>().unwrap());
                assert!(
                    got <= want && want <= all,
                    "{who} {ledger}: 督查督办 {want} not within {id} of {scope} ({got}) and of 全县 ({all})"
                );
            } else {
                assert_eq!(
                    got, want,
                    "{who} {ledger}: 督查督办 ≠ indicator {id} ({})",
                    v["display"]
                );
            }
            assert_eq!(cli[id]["display"], v["display"], "{who} {id}: CLI ≠ API");
            n += 1;
        }
    }
    assert!(
        by_ledger.0 <= all.0 && by_ledger.1 <= all.1,
        "{who}: {by_ledger:?} > {all:?}"
    );
    n
}

/// The demo county on 2026-12-05, with no December statistics: for every
/// role and the periods 2025, 2026, 2026-11 and 2026年第四季度, every figure
/// of the leader's 首页, 指标, 督查督办 (counts, ranks, stars), both bulletins
/// and the duty report, read out of the rendered HTML and Markdown, is the
/// API's and the CLI's.
#[test]
fn demo_on_5_december_every_page_report_api_and_cli_agree() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pack = std::sync::Arc::new(lvzhi_packs::county().unwrap());
    let (db, store, users, addr) = rt.block_on(async {
        // The demo county as built on its own date (a copy of this run's build).
        let common::demo::DemoDb { db, users } = common::demo::demo_db().await;
        // Ten days on: the server's real date, December not reported yet.
        let clock = lvzhi_store::fixed_clock("2026-12-05T02:00:00Z".parse().unwrap());
        let s = lvzhi_store::Store::open(&db.url, pack, clock).await.unwrap();
        let addr = common::serve(&s).await;
        (db, s, users, addr)
    });
    assert_eq!(store.today(), jiff::civil::date(2026, 12, 5));
    // The evaluator sees neither the 督查督办 page nor its API.
    {
        let ev = users
            .iter()
            .find(|u| u.role == lvzhi_core::access::Role::Evaluator)
            .unwrap();
        let mut b = Browser {
            c: lvzhi_testkit::http::Client::new(addr),
            cookies: BTreeMap::new(),
        };
        assert_eq!(b.login(&ev.username, &ev.password).status, 303);
        assert_eq!(b.get("/supervise").status, 403);
        assert_eq!(b.get("/api/v1/supervise/ranks").status, 403);
    }
    let browser = || Browser {
        c: lvzhi_testkit::http::Client::new(addr),
        cookies: BTreeMap::new(),
    };
    // One user of each role, and every county leader (their own 述职报告).
    let mut chosen: Vec<&lvzhi_demo::DemoUser> = Vec::new();
    for u in &users {
        let leader = u.role == lvzhi_core::access::Role::Leader;
        if u.role != lvzhi_core::access::Role::Evaluator && (leader || !chosen.iter().any(|c| c.role == u.role)) {
            chosen.push(u);
        }
    }
    let (mut reports, mut figures, mut ranked, mut home, mut charts, mut totals) = (0, 0, 0, 0, 0, 0);
    for u in chosen {
        let who = u.username.as_str();
        let mut b = browser();
        assert_eq!(b.login(who, &u.password).status, 303, "{who}");
        let access = rt.block_on(store.access_for(u.id)).unwrap().0;
        let mut t = Truth {
            api: BTreeMap::new(),
            cli: BTreeMap::new(),
        };
        // 首页: the leader's dashboard (this year, their 分管).
        let h = b.get("/");
        assert_eq!(h.status, 200, "{who}: {}", h.text());
        let h = h.text();
        home += check_indicator_links(&mut b, &mut t, &rt, &store, &access, who, &h);
        if u.role == lvzhi_core::access::Role::Leader {
            charts += check_dashboard(&mut b, &mut t, &rt, &store, &access, who, &h);
        } else {
            assert!(!h.contains("领导驾驶舱"), "{who}: a dashboard on 首页");
        }
        // 督查督办's 超期/临期 totals (as of today, whatever the period).
        if access.role.sees_ledgers() {
            totals += check_supervise_totals(&mut b, &mut t, &rt, &store, &access, who);
        }
        let person = access.person.map(|p| p.to_string());
        for period in ["2025", "2026", "2026-11", "2026Q4"] {
            // 指标.
            let q = enc(&[("period", period), ("scope", "county")]);
            let page = b.get(&format!("/indicators?{q}"));
            if page.status == 403 {
                assert_eq!(b.get(&format!("/api/v1/indicators?{q}")).status, 403, "{who}");
                continue;
            }
            assert_eq!(page.status, 200, "{who} {period}");
            figures += check_indicator_links(&mut b, &mut t, &rt, &store, &access, who, &page.text());
            // 督查督办: counts, ranks, stars, 红旗.
            let sup = b.get(&format!("/supervise?{}", enc(&[("period", period)])));
            let api = b.get(&format!("/api/v1/supervise/ranks?{}", enc(&[("period", period)])));
            assert_eq!(sup.status, api.status, "{who} {period}");
            if sup.status == 200 {
                let html = sup.text();
                let section = html
                    .split("id=\"ranks\"")
                    .nth(1)
                    .unwrap()
                    .split("</section>")
                    .next()
                    .unwrap();
                let api = api.json();
                assert!(
                    section.contains(api["period_label"].as_str().unwrap()),
                    "{who} {period}"
                );
                let rows: Vec<Vec<String>> = section
                    .split("<tbody>")
                    .nth(1)
                    .map(|body| {
                        body.split("<tr")
                            .skip(1)
                            .map(|r| {
                                r.split("<td")
                                    .skip(1)
                                    .map(|c| text_of(c.split_once('>').unwrap().1))
                                    .collect()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let items = api["items"].as_array().unwrap();
                assert_eq!(rows.len(), items.len(), "{who} {period}: rows");
                for (r, i) in rows.iter().zip(items) {
                    let flag = if i["flag"].as_bool().unwrap() { " 红旗" } else { "" };
                    let stars = if i["few"].as_bool().unwrap() {
                        "样本不足".to_string()
                    } else {
                        let n = i["stars"].as_u64().unwrap() as usize;
                        format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
                    };
                    let want = vec![
                        i["group"].as_str().unwrap().to_string(),
                        i["place"].to_string(),
                        format!("{}{flag}", i["unit"].as_str().unwrap()),
                        i["due"].to_string(),
                        i["on_time"].to_string(),
                        i["overdue"].to_string(),
                        i["rate"].as_str().unwrap().to_string(),
                        stars,
                    ];
                    assert_eq!(r, &want, "{who} {period}: 督查督办 ≠ API");
                    ranked += 1;
                }
            }
            // Both bulletins, and the reader's own 述职报告.
            for template in ["月度督查通报", "隐患排查整改情况通报"] {
                if let Some(n) = check_report(&mut b, &mut t, &rt, &store, &access, who, template, period, None) {
                    figures += n;
                    reports += 1;
                }
            }
            if u.role == lvzhi_core::access::Role::Leader && period == "2026" {
                let n = check_report(
                    &mut b,
                    &mut t,
                    &rt,
                    &store,
                    &access,
                    who,
                    "述职述廉述德报告",
                    period,
                    person.as_deref(),
                )
                .unwrap_or_else(|| panic!("{who}: no 述职报告 of their own"));
                figures += n;
                reports += 1;
            }
        }
    }
    eprintln!(
        "compared {figures} figures in pages and {reports} reports, {ranked} ranked rows, {home} on 首页, \
         {charts} in the dashboards (tables and charts), {totals} 督查督办 totals"
    );
    assert!(reports >= 20, "only {reports} reports");
    assert!(ranked > 0 && home > 0 && figures > 500, "{ranked} {home} {figures}");
    assert!(charts > 100 && totals > 20, "{charts} {totals}");
    rt.block_on(async {
        store.close().await;
        db.drop_db().await;
    });
}
