#!/usr/bin/env python3
# Mutation test of the report checker on real text (issue 20): takes sentences of
# ../shared/corpus, injects one defect in each (a number deleted before 亿元/万人,
# a number replaced by ×/○/Ｘ/△, a bare space left before %), and counts how many
# the checker flags at the right place.
#   cargo build --release -p lvzhi-check --example check_file
#   python3 benches/check_mutations.py target/release/examples/check_file
import json, os, random, re, subprocess, sys
random.seed(20)
root = os.environ.get("LVZHI_CORPUS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/corpus"))
sents = []
for d, _, fs in os.walk(root):
    for f in sorted(fs):
        if f.endswith(".txt"):
            t = open(os.path.join(d, f), encoding="utf-8").read()
            sents += [s + "。" for s in re.split(r"[。\n]", t) if 10 < len(s) < 300]
CJK = r"[\u4e00-\u9fff]"
kinds = {
  # delete the number of an amount after a CJK char: 进出口3.2亿元、 -> 进出口亿元、
  "missing-number": (re.compile(r"(?<=" + CJK + r")(?<![第超过上近逾数几破余多每约个])\d+(?:\.\d+)?(?=(?:万|亿)(?:元|人|吨|亩)[，、；。])"), lambda m: ""),
  # a number before 个 or % replaced by × / ○ / Ｘ
  "mask": (re.compile(r"(?<=" + CJK + r")\d+(?:\.\d+)?(?=(?:个|%|万元|亿元))"), lambda m: random.choice(["×", "○", "Ｘ", "△"])),
  # a bare space for the number before %
  "space": (re.compile(r"(?<=" + CJK + r")\d+(?:\.\d+)?(?=%)"), lambda m: " "),
}
lines, meta = [], []
for name, (rx, rep) in kinds.items():
    cands = [s for s in sents if rx.search(s)]
    random.shuffle(cands)
    for s in cands[:200]:
        ms = list(rx.finditer(s))
        m = random.choice(ms)
        lines.append(s[:m.start()] + rep(m) + s[m.end():])
        meta.append((name, m.start()))
path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "lvzhi-check-mutated.txt")
open(path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
out = subprocess.run([sys.argv[1], path, "--format", "json"], capture_output=True, text=True).stdout
diags = json.loads(out)["files"][0]["diagnostics"]
by_line = {}
for d in diags:
    by_line.setdefault(d["line"], []).append(d)
stats = {}
missed = {}
for i, (name, col) in enumerate(meta):
    ds = [d for d in by_line.get(i + 1, []) if d["code"].startswith("placeholder")]
    hit = any(abs(d["column"] - 1 - col) <= 1 for d in ds)
    stats.setdefault(name, [0, 0])
    stats[name][0] += hit
    stats[name][1] += 1
    if not hit:
        missed.setdefault(name, []).append(lines[i][max(0, col - 15): col + 10])
for k, (h, n) in stats.items():
    print(f"{k}: {h}/{n} detected")
for k, v in missed.items():
    print(k, "missed e.g.:", v[:6])
