//! Lists every diagnostic the checker reports on the real reports in
//! `../shared/corpus/` (or the folder given as the first argument), as a
//! Markdown table for `benches/RESULTS.md`, with the corpus size in chars.
//!
//! `cargo run --release -p lvzhi-check --example corpus_review -- [DIR] [--all]`

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "txt") {
            out.push(p);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = args.iter().any(|a| a == "--all");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")));
    let mut files = Vec::new();
    collect(&dir, &mut files);
    if files.is_empty() {
        eprintln!("no corpus at {}: skipped", dir.display());
        return;
    }
    let mut chars = 0usize;
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    println!("| file | line | code | text | message |");
    println!("| --- | --- | --- | --- | --- |");
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else { continue };
        let Ok(text) = lvzhi_check::decode(&bytes) else {
            continue;
        };
        chars += text.chars().count();
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for d in lvzhi_check::check(&text) {
            *counts.entry(d.code).or_default() += 1;
            if all || matches!(d.family(), "arithmetic" | "enumeration" | "placeholder") {
                let line = text.lines().nth(d.line - 1).unwrap_or("");
                let cs: Vec<char> = line.chars().collect();
                let a = (d.column - 1).saturating_sub(40);
                let b = (d.column - 1 + d.text.chars().count() + 20).min(cs.len());
                let ctx: String = cs[a..b].iter().collect();
                println!("| {name} | {} | {} | {} | {} |", d.line, d.code, d.text, d.message);
                println!("|  |  |  | context | …{ctx}… |");
            }
        }
    }
    eprintln!("files: {}, chars: {chars}", files.len());
    for (k, v) in counts {
        eprintln!("{k}: {v}");
    }
}
