"""Key numbers of the OBELiX report and benchmark, for the golden test (tests/test_golden.py).

    python benchmarks/golden.py REPORT.json BENCHMARK.json [-o tests/data/golden_obelix.json]

reads the ``report.json`` of ``explainsse report --dataset obelix`` and the JSON of
``explainsse benchmark obelix --json``, and writes the numbers the golden test recomputes:
every pooled metric (with its 95% interval) of the report's models, the top-5 descriptors and
their mean |SHAP| per family, the families' agreement, the per-material predictions, and the
official-split metrics of two benchmark evaluations. y-scrambling numbers are left out (they
changed on purpose when the report went from 5 to 19 permutations).
"""

import argparse
import json
from pathlib import Path

#: Benchmark evaluations the golden test re-runs (cheap: official split, one fit each).
BENCHMARK_KEYS = (("xgb", "regression"), ("logreg", "classification"))


def report_numbers(report: dict) -> dict:
    """The report's key numbers (no y-scrambling)."""
    results = [{k: r[k] for k in ("family", "task", "subset", "metric", "value", "ci_low", "ci_high")}
               for r in report["results"] if r["fold"] == "all" and not r["metric"].startswith("y_scramble")]
    return {
        "results": results,
        "top": {f: [[t["descriptor"], t["mean_abs_shap"]] for t in e["top"][:5]]
                for f, e in report["explanations"].items()},
        "direction_agreement": report["agreement"]["direction_agreement"],
        "materials": [[m["id"], m["predicted"]] for m in report["materials"]],
    }


def benchmark_numbers(bench: dict) -> list:
    """Official-split metrics of :data:`BENCHMARK_KEYS` (model rows and their baselines)."""
    keys = {f"{f}/{t}" for f, t in BENCHMARK_KEYS}
    return [{k: r[k] for k in ("family", "task", "subset", "metric", "value", "ci_low", "ci_high")}
            for r in bench["results"] if r["scheme"] == "official" and r["fold"] == "all"
            and not r["metric"].startswith("y_scramble")
            and (f"{r['family']}/{r['task']}" in keys or (r["family"].startswith("baseline")
                                                         and any(r["task"] == t for _, t in BENCHMARK_KEYS)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path)
    parser.add_argument("benchmark", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("tests/data/golden_obelix.json"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    bench = json.loads(args.benchmark.read_text())
    golden = {"note": args.note, "seed": report["seed"], "preset": report["preset"],
              "report": report_numbers(report), "benchmark": benchmark_numbers(bench)}
    args.output.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"{args.output}: {len(golden['report']['results'])} report metrics, "
          f"{len(golden['benchmark'])} benchmark metrics")


if __name__ == "__main__":
    main()
