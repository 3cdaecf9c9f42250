#!/usr/bin/env python3
"""Throughput of Microsoft Recognizers-Text's Chinese number-with-unit extraction
over the same corpus the lvzhi-check benchmark reads, single-threaded.

Runs the four Chinese NumberWithUnit models (currency, dimension, temperature,
age) of the `recognizers-text-suite` package over every line of
../shared/corpus/**/*.txt and prints `recognizers MB/s: N` (UTF-8 bytes per
second). `--number-only` times the plain Chinese number model instead.

Setup: pip install recognizers-text-suite "emoji<2"
(recognizers-text 1.0.2a2 imports emoji.UNICODE_EMOJI, which emoji 2 removed).
"""

import argparse
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"


def load(corpus: pathlib.Path, limit: int | None) -> list[str]:
    texts = []
    for p in sorted(corpus.rglob("*.txt")):
        texts.append(p.read_text(encoding="utf-8"))
    if limit is not None:
        out, total = [], 0
        for t in texts:
            if total >= limit:
                break
            out.append(t)
            total += len(t.encode("utf-8"))
        texts = out
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=pathlib.Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit-bytes", type=int, default=None, help="time only the first files up to this many bytes")
    ap.add_argument("--number-only", action="store_true", help="time the Chinese number model alone")
    args = ap.parse_args()

    if not args.corpus.is_dir():
        print(f"skip: no corpus at {args.corpus}", file=sys.stderr)
        return 0
    try:
        from recognizers_text import Culture
        from recognizers_number import NumberRecognizer
        from recognizers_number_with_unit import NumberWithUnitRecognizer
    except ImportError as e:  # pragma: no cover
        print(f"recognizers-text-suite is not installed ({e}); pip install recognizers-text-suite 'emoji<2'", file=sys.stderr)
        return 2

    texts = load(args.corpus, args.limit_bytes)
    if args.number_only:
        models = [NumberRecognizer(Culture.Chinese).get_number_model()]
        label = "number"
    else:
        r = NumberWithUnitRecognizer(Culture.Chinese)
        models = [r.get_currency_model(), r.get_dimension_model(), r.get_temperature_model(), r.get_age_model()]
        label = "number-with-unit (currency+dimension+temperature+age)"
    lines = [line for t in texts for line in t.splitlines() if line.strip()]
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    # warm up the models' lazily compiled regexes on one line
    for m in models:
        m.parse(lines[0] if lines else "")
    found = 0
    t0 = time.perf_counter()
    for line in lines:
        for m in models:
            found += len(m.parse(line))
    secs = time.perf_counter() - t0
    print(f"recognizers model: Chinese {label}")
    print(f"corpus: {len(texts)} files, {nbytes} bytes, {found} entities, {secs:.2f} s")
    print(f"recognizers MB/s: {nbytes / secs / 1e6:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
