"""Run the benchmark: our engine against plain ``pytesseract --psm 10``, side by side.

    python -m bench.run                 # both font sets, full size (a few minutes)
    python -m bench.run --quick         # a third of the samples
    python -m bench.run --fonts holdout --limit 20

For every sample both readers get the same bytes. "engine" is the end-to-end engine
path a request takes: ``load_image`` + ``recognise_letters`` (tesserocr backend unless
``--backend``). "baseline" is Pillow decode + ``pytesseract.image_to_string(image,
config="--psm 10")`` on the whole image, keeping only the letters. Printed per group
and overall: exact accuracy, case-insensitive accuracy, character error rate and
p50/p95 latency, then the median latency ratio baseline/engine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image

from bench.generate import GROUPS, Sample, generate, scaled_counts
from ocr_record.engine import load_image, recognise_letters

# A lone letter of these may come back in either case: the glyph cannot tell.
CASELESS_SINGLES: str = "cosuvwxz"


def _canonical(text: str) -> str:
    # "I" and "l" are the same glyph in many sans fonts: count them as one letter.
    return text.replace("I", "l")


def exact(label: str, got: str) -> bool:
    label, got = _canonical(label), _canonical(got)
    if len(label) == 1 and label.lower() in CASELESS_SINGLES:
        return got.lower() == label.lower()
    return got == label


def caseless(label: str, got: str) -> bool:
    return _canonical(got).lower() == _canonical(label).lower()


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(
                    previous[j] + 1,
                    current[j - 1] + 1,
                    previous[j - 1] + (char_a != char_b),
                )
            )
        previous = current
    return previous[-1]


def char_errors(label: str, got: str) -> int:
    label, got = _canonical(label), _canonical(got)
    if len(label) == 1 and label.lower() in CASELESS_SINGLES:
        label, got = label.lower(), got.lower()
    return edit_distance(label, got)


@dataclass
class Result:
    sample: Sample
    got: str
    seconds: float


def run_engine(sample: Sample, backend: str) -> Result:
    start = time.perf_counter()
    image = load_image(sample.data)
    letters = recognise_letters(image, backend=backend).letters
    return Result(sample, "".join(letters), time.perf_counter() - start)


def run_baseline(sample: Sample) -> Result:
    import pytesseract

    start = time.perf_counter()
    image = Image.open(io.BytesIO(sample.data))
    image.load()
    text = pytesseract.image_to_string(image, config="--psm 10")
    letters = "".join(c for c in text if c.isascii() and c.isalpha())
    return Result(sample, letters, time.perf_counter() - start)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarise(results: list[Result]) -> dict[str, float]:
    chars = sum(len(r.sample.label) for r in results)
    times = [r.seconds * 1000 for r in results]
    return {
        "n": len(results),
        "exact": 100 * sum(exact(r.sample.label, r.got) for r in results) / len(results),
        "caseless": 100 * sum(caseless(r.sample.label, r.got) for r in results) / len(results),
        "cer": 100 * sum(char_errors(r.sample.label, r.got) for r in results) / max(chars, 1),
        "p50": _percentile(times, 0.5),
        "p95": _percentile(times, 0.95),
    }


DATASET_GROUP = "dataset"


def dataset_samples(path: str) -> list[Sample]:
    """Samples from a labelled dataset, e.g. the admin's export of reviewed records."""
    from ocr_record.dataset import read_dataset

    return [
        Sample(
            id=item.name,
            group=DATASET_GROUP,
            font_set=path,
            font="",
            text="".join(item.letters),
            label="".join(item.letters),
            style="",
            format="",
            text_height=0,
            degradations=(),
            data=item.data,
        )
        for item in read_dataset(path)
    ]


def print_table(title: str, by_reader: dict[str, list[Result]]) -> None:
    print(f"\n### {title}\n")
    print("| reader | group | n | exact % | case-insens. % | CER % | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for reader, results in by_reader.items():
        groups = defaultdict(list)
        for result in results:
            groups[result.sample.group].append(result)
        for group in [*GROUPS, DATASET_GROUP, "overall"]:
            rows = results if group == "overall" else groups.get(group)
            if not rows:
                continue
            s = summarise(rows)
            print(
                f"| {reader} | {group} | {s['n']} | {s['exact']:.1f} | {s['caseless']:.1f} | "
                f"{s['cer']:.2f} | {s['p50']:.1f} | {s['p95']:.1f} |"
            )
    if "baseline" in by_reader and len(by_reader) > 1:
        base = statistics.median(r.seconds for r in by_reader["baseline"])
        for reader, results in by_reader.items():
            if reader != "baseline":
                ratio = base / statistics.median(r.seconds for r in results)
                print(f"\nmedian latency ratio baseline / {reader}: {ratio:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the OCR engine against pytesseract.")
    parser.add_argument("--fonts", choices=("tune", "holdout", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="a third of the samples")
    parser.add_argument("--limit", type=int, help="at most this many samples per group")
    parser.add_argument("--backend", default="tesserocr", choices=("tesserocr", "pytesseract"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the pytesseract baseline")
    parser.add_argument("--errors", action="store_true", help="list the engine's misreads")
    parser.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar="PATH",
        help="also read a labelled dataset (ZIP or folder, see ocr_record/dataset.py), "
        "e.g. reviewed records exported from the admin",
    )
    parser.add_argument("--only-datasets", action="store_true", help="skip the generated font sets")
    args = parser.parse_args(argv)

    font_sets = ("tune", "holdout") if args.fonts == "both" else (args.fonts,)
    sets: list[tuple[str, list[Sample]]] = []
    if not args.only_datasets:
        counts = scaled_counts(args.quick, args.limit)
        sets += [(f"Fonts: {name}", generate(name, counts=counts)) for name in font_sets]
    sets += [(f"Dataset: {path}", dataset_samples(path)) for path in args.dataset]
    reader = f"engine ({args.backend})"
    # Warm up: load the model once, as a running service would have.
    warm = generate("tune", counts={"single": 1})[0]
    run_engine(warm, args.backend)
    for title, samples in sets:
        by_reader: dict[str, list[Result]] = {reader: [], "baseline": []}
        for sample in samples:
            by_reader[reader].append(run_engine(sample, args.backend))
            if not args.no_baseline:
                by_reader["baseline"].append(run_baseline(sample))
        if args.no_baseline:
            del by_reader["baseline"]
        print_table(f"{title} ({len(samples)} images)", by_reader)
        if args.errors:
            for result in by_reader[reader]:
                if not exact(result.sample.label, result.got):
                    s = result.sample
                    print(
                        f"  {s.id} {s.font} h={s.text_height} {s.style} {s.format} "
                        f"{'+'.join(s.degradations)}: {s.label!r} -> {result.got!r}"
                    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
