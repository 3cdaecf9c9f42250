//! Throughput of the checker over the whole real corpus (`../shared/corpus/**/*.txt`),
//! single-threaded, reported by criterion in bytes per second.
//!
//! `cargo bench -p lvzhi-check --bench check_corpus`. Skips with a message when
//! the corpus folder is absent. `LVZHI_BENCH_ONCE=1` instead runs one timed
//! pass of a few repetitions and prints `lvzhi-check MB/s: N` (used by
//! `benches/check_vs_recognizers.sh`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "txt") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<String> {
    let dir = std::env::var("LVZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")));
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .filter_map(|b| lvzhi_check::decode(&b).ok())
        .collect()
}

fn run_all(texts: &[String]) -> usize {
    texts
        .iter()
        .map(|t| black_box(lvzhi_check::check(black_box(t))).len())
        .sum()
}

fn bench(c: &mut Criterion) {
    let texts = corpus();
    if texts.is_empty() {
        eprintln!("skip: no corpus found (set LVZHI_CORPUS or provide ../shared/corpus)");
        return;
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    if std::env::var_os("LVZHI_BENCH_ONCE").is_some() {
        run_all(&texts); // warm up
        let reps = 20;
        let t = Instant::now();
        for _ in 0..reps {
            run_all(&texts);
        }
        let secs = t.elapsed().as_secs_f64();
        let mbs = (bytes * reps) as f64 / secs / 1e6;
        println!("corpus: {} files, {bytes} bytes", texts.len());
        println!("lvzhi-check MB/s: {mbs:.1}");
        return;
    }
    let mut g = c.benchmark_group("check");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(30);
    g.bench_function("corpus", |b| b.iter(|| run_all(&texts)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
