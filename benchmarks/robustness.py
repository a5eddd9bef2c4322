"""The reliability campaign as a table: each adversarial case, run for real, and what explainsse does.

Run from the repository root (the kill case needs the OBELiX files)::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/robustness.py

Prints a Markdown table (case | what was tried | outcome) for README. Every case is also a test
(tests/test_outputs.py, test_robustness.py, test_fuzz.py, test_fault.py); this script only shows
the outcomes side by side. Everything is written under a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.io import child_processes, is_running

ROOT = Path(tempfile.mkdtemp(prefix="explainsse-robustness-"))
os.environ["EXPLAINSSE_CACHE_DIR"] = str(ROOT / "cache")
RUNNER = CliRunner()
ROWS: list[tuple[str, str, str]] = []


def cli(*args, env=None) -> tuple[int, str]:
    """Exit code and the first stderr line (or stdout) of one CLI call."""
    result = RUNNER.invoke(app, [str(a) for a in args], env=env)
    text = (result.stderr or result.stdout or "").strip().splitlines()
    return result.exit_code, text[0] if text else ""


def case(name: str, tried: str, outcome: str) -> None:
    outcome = outcome.replace(str(ROOT), "<tmp>").replace("|", "\\|")
    ROWS.append((name, tried, outcome))
    print(f"{name}: {outcome}", file=sys.stderr)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def output_folders() -> None:
    work = ROOT / "work"
    cand = write(work / "cand.csv", "id,formula\nllzo,Li7La3Zr2O12\n")
    write(work / "precious.txt", "a user's file")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        code, msg = cli("report", "--input", "cand.csv", "--model", "default", "-o", ".", "--force", "-q")
    finally:
        os.chdir(cwd)
    kept = (work / "precious.txt").is_file() and cand.is_file()
    case("0 --force on the current folder", "`report --input cand.csv --model default -o . --force`",
         f"exit {code}, `{msg}`; files kept: {kept}")
    home = ROOT / "home"
    write(home / "precious.txt", "x")
    code, msg = cli("report", "--input", cand, "--model", "default", "-o", "~", "--force", "-q",
                    env={"HOME": str(home)})
    case("0 --force on the home folder", "`-o ~ --force`", f"exit {code}, `{msg}`")
    code, msg = cli("report", "--input", cand, "--model", "default", "-o", "/", "--force", "-q")
    case("0 --force on /", "`-o / --force`", f"exit {code}, `{msg}`")
    code, msg = cli("report", "--input", cand, "--model", "default", "-o", work, "--force", "-q")
    case("0 --force on the input's folder", "`-o <folder of cand.csv> --force`", f"exit {code}, `{msg}`")
    mine = ROOT / "mine"
    write(mine / "notes.txt", "x")
    code, msg = cli("report", "--input", cand, "--model", "default", "-o", mine, "--force", "-q")
    case("0 --force on a folder without manifest", "`-o mine/ --force`", f"exit {code}, `{msg}`")
    rep = ROOT / "rep"
    cli("report", "--input", cand, "--model", "default", "-o", rep, "-q")
    code, _ = cli("report", "--input", cand, "--model", "default", "-o", rep, "--force", "-q")
    write(rep / "notes.txt", "x")
    code2, msg = cli("report", "--input", cand, "--model", "default", "-o", rep, "--force", "-q")
    case("0 --force on an earlier report", "same report twice, then with a foreign file added",
         f"replaced (exit {code}); with the foreign file: exit {code2}, `{msg}`")


def cache_and_manifests() -> None:
    import pandas as pd

    from explainsse.datasets import load_table
    from explainsse.featurize import featurize_dataset

    csv = write(ROOT / "c" / "t.csv", "formula,sigma\nLi7La3Zr2O12,1e-4\nLi3PS4,1e-6\n")
    ds = load_table(csv, target_col="sigma")
    first = featurize_dataset(ds, "composition-v1").X
    path = next((ROOT / "cache" / "features").rglob("*.parquet"))
    table = pd.read_parquet(path)
    table["Electrolyte Li atomic fraction"] = 0.999
    table.to_parquet(path, index=False)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = featurize_dataset(ds, "composition-v1").X
    same = again.equals(first)
    case("1 edited feature cache", "set `Electrolyte Li atomic fraction` to 0.999 in the cached Parquet",
         f"detected ({len(caught)} warning: `{str(caught[0].message)[:70]}...`); recomputed values equal the "
         f"originals: {same}")
    path.write_bytes(path.read_bytes()[:64])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = featurize_dataset(ds, "composition-v1").X
    case("1 truncated feature cache", "cut the cached Parquet to 64 bytes",
         f"detected and recomputed ({len(caught)} warning); equal: {again.equals(first)}")
    import shutil

    from explainsse.models.bundled import bundled_model_dir

    model = ROOT / "model"
    shutil.copytree(bundled_model_dir(), model)
    body = json.loads((model / "manifest.json").read_text())
    body["task"], body["threshold_S_cm"] = "classification", 0.01
    (model / "manifest.json").write_text(json.dumps(body))
    code, msg = cli("explain", "--model", model, "Li7La3Zr2O12")
    case("9 edited model manifest", "`task` and `threshold_S_cm` changed in manifest.json",
         f"exit {code}, `{msg[:110]}...`")
    code, msg = cli("explain", "--model", "/", "Li7La3Zr2O12")
    case("8 --model /", "`explain --model / Li7La3Zr2O12`", f"exit {code} at once, `{msg}`")


def inputs() -> None:
    from explainsse.chemistry import parse_formula
    from explainsse.datasets import parse_conductivity

    for formula in ("Li3PS4.2H2O", "Li1e-30O", "Li1e400"):
        try:
            outcome = f"read as {parse_formula(formula).formula}"
        except Exception as exc:  # noqa: BLE001 - shown as the outcome
            outcome = f"{type(exc).__name__}: {exc}"
        case("5 formula", f"`{formula}`", outcome)
    for raw in ("1_000", "1e3", "3,2E-04"):
        parsed = parse_conductivity(raw)
        case("5 conductivity", f"`{raw}`", parsed.error or f"{parsed.sigma:g} S/cm")
    csv = write(ROOT / "i" / "t.csv", "formula,sigma\nLi2O,<1e-10\n")
    for floor in ("0", "nan", "1e-3"):
        code, msg = cli("featurize", "--input", csv, "--target-col", "sigma", "-o", ROOT / "i" / f"f{floor}.csv",
                        "-q", env={"EXPLAINSSE_CENSORED_FLOOR": floor})
        case("5 censored floor", f"`EXPLAINSSE_CENSORED_FLOOR={floor}`", f"exit {code}, `{msg}`")
    lat = write(ROOT / "i" / "lat.csv", "formula,sigma,a,b,c,alpha,beta,gamma,Z\n"
                "Li2O,1e-4,1e-300,4.6,4.6,90,90,90,4\nLi3N,1e-4,3.6,3.6,3.9,90,90,120,inf\n"
                "LiCl,1e-4,5.1,5.1,5.1,90,90,90,4\n")
    code, msg = cli("featurize", "--input", lat, "--target-col", "sigma", "--z-col", "Z", "--preset", "crystal-v1",
                    "-o", ROOT / "i" / "lat-f.csv")
    issues = open(ROOT / "i" / "lat-f.issues.csv").read().strip().splitlines()[1:]
    case("5 lattice", "`a = 1e-300`, `Z = inf`", f"exit {code}; {len(issues)} row issues: "
         + "; ".join(i.split(",", 4)[-1] for i in issues))
    semi = ROOT / "i" / "eu.csv"
    semi.write_bytes(b"\xef\xbb\xbfid;formula;sigma\r\na;Li7La3Zr2O12;3,2E-04\r\n")
    code, msg = cli("featurize", "--input", semi, "--target-col", "sigma", "--id-col", "id", "-o",
                    ROOT / "i" / "eu-f.csv")
    case("10 semicolon CSV with BOM, CRLF, decimal comma", "`id;formula;sigma` exported by a spreadsheet",
         f"exit {code}, `{msg}`")
    bad = write(ROOT / "i" / "bad.csv", "formula,sigma\nXx2O,1e-4\nLi2O,abc\n")
    code, msg = cli("report", "--input", bad, "--target-col", "sigma", "-o", ROOT / "i" / "rep", "-q")
    case("8 all rows bad", "two unusable rows", f"exit {code}, `{msg[:120]}`")
    code, msg = cli("report", "--input", lat, "--model", "default", "--cifs", ROOT / "nope.tar", "-o",
                    ROOT / "i" / "rep2", "-q")
    case("7 --cifs missing", "`report --cifs nope.tar`", f"exit {code}, `{msg}`")


def killed_report() -> None:
    data = os.environ.get("EXPLAINSSE_DATA_DIR")
    if not data or not Path("/proc/self/stat").exists():
        case("2 kill -9 of a report", "(skipped: needs EXPLAINSSE_DATA_DIR and Linux)", "")
        return

    proc = subprocess.Popen([sys.executable, "-m", "explainsse", "report", "--dataset", "obelix", "-o",
                             str(ROOT / "killed"), "--families", "pls,xgb", "-q"], stderr=subprocess.DEVNULL)
    while len(child_processes(proc.pid)) < 2 and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(2)
    workers = child_processes(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    while any(is_running(w) for w in workers) and time.monotonic() - start < 30:
        time.sleep(0.1)
    left = [w for w in workers if is_running(w)]
    case("2 kill -9 of a report", f"SIGKILL while its {len(workers)} child processes (2 workers) ran",
         f"child processes gone {time.monotonic() - start:.1f} s after the parent; {len(left)} left; "
         f"output folder exists: {(ROOT / 'killed').exists()}")


def main() -> None:
    output_folders()
    cache_and_manifests()
    inputs()
    killed_report()
    print("| case (issue 10 item) | tried | outcome |")
    print("|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
