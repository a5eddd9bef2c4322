"""`explainsse screen` on hostile or odd input: each case ends in its exact outcome (issue 21).

Every refusal is exit 2 with the file or option named, before the output folder is touched.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache


def _screen(*args):
    workers = [] if "--workers" in args else ["--workers", "1"]
    return CliRunner().invoke(app, ["screen", *map(str, args), "--quiet", *workers])


def _csv(path: Path, formulas, ids=None, sep=","):
    ids = ids or [f"c{i}" for i in range(len(formulas))]
    pd.DataFrame({"id": ids, "formula": formulas}).to_csv(path, index=False, sep=sep)
    return path


@pytest.mark.parametrize("make, match", [
    (lambda p: p.write_bytes(b""), "the file is empty"),
    (lambda p: p.write_bytes(b"id,formula\n\x00\x01\x02\x00garbage\n"), "binary data"),
    (lambda p: p.write_bytes("id,formula\nm\u00e9,Li2O\n".encode("latin-1")), "not UTF-8 text"),
])
def test_unreadable_csv_files_are_user_errors_naming_the_file(tmp_path, make, match):
    path = tmp_path / "cand.csv"
    make(path)
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert match in result.output and "cand.csv" in result.output
    assert not (tmp_path / "out").exists()


def test_a_parquet_suffix_on_another_file_is_a_user_error(tmp_path):
    path = tmp_path / "cand.parquet"
    path.write_text("id,formula\nc0,Li2O\n")
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output and "cand.parquet" in result.output
    assert not (tmp_path / "out").exists()


def test_devices_and_pipes_are_refused_at_once(tmp_path):
    fifo = tmp_path / "cand.csv"
    os.mkfifo(fifo)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(r=_screen("--input", fifo, "-o", tmp_path / "o1")),
                              daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # unblock the reader before failing, so the test run can end
        with open(fifo, "w"):
            pass
        pytest.fail("a FIFO as --input hung the screen")
    assert outcome["r"].exit_code == 2 and "not a regular file" in outcome["r"].output
    dev = _screen("--input", "/dev/zero", "-o", tmp_path / "o2")
    assert dev.exit_code == 2 and "/dev/zero: not a regular file" in dev.output
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


@pytest.mark.slow
def test_semicolon_separated_candidates_are_read(tmp_path):
    path = _csv(tmp_path / "c.csv", ["Li7La3Zr2O12", "Li3PS4"], sep=";")
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    part = pd.read_parquet(tmp_path / "out" / "parts" / "part-000000.parquet")
    assert part["formula"].tolist() == ["Li7La3Zr2O12", "Li3PS4"] and (part["error"] == "").all()


@pytest.mark.parametrize("args, match", [
    (["--top", "0"], "--top must be at least 1, got 0"),
    (["--top", "-5"], "--top must be at least 1, got -5"),
    (["--explain-top", "-3"], "--explain-top must be at least 1, got -3"),
    (["--engine", "dask", "--scheduler", "garbage://x"], "expected a Dask scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
    (["--workers", "0"], "--workers must be at least 1, got 0"),
])
def test_meaningless_options_are_refused_before_anything_is_written(tmp_path, args, match):
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25",
                     "-o", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert match in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_unreachable_scheduler_leaves_no_folder(tmp_path, monkeypatch):
    from explainsse.screen import engines

    monkeypatch.setattr(engines, "CONNECT_TIMEOUT_S", 2)
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25",
                     "-o", tmp_path / "out", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2, result.output
    assert "cannot connect to a Dask scheduler" in result.output
    assert not (tmp_path / "out").exists()


def test_acceptance_huge_range_is_exit_2_and_nothing_is_built(tmp_path):
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:1e12:1",
                     "-o", tmp_path / "x")
    assert result.exit_code == 2
    assert "1,000,000,000,001 values, more than the 5,000,000" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_acceptance_li_site_doping_grid_with_series_plot(tmp_path):
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Li:Ga,Al", "--range", "0:0.4:0.05",
                     "-o", tmp_path / "ga")
    assert result.exit_code == 0, result.output
    out = tmp_path / "ga"
    series = pd.read_csv(out / "doping_series.csv")
    assert sorted(series["series"].unique()) == ["Li->Al", "Li->Ga"] and len(series) == 16
    parts = pd.read_parquet(out / "parts" / "part-000000.parquet").set_index("id")
    assert parts.loc["Li->Ga x=0.1", "formula"] == "Li6.7Ga0.1La3Zr2O12"
    assert parts.loc["Li->Al x=0.4", "formula"] == "Li5.8Al0.4La3Zr2O12"
    assert series.set_index(["series", "x"]).loc[("Li->Ga", 0.1), "prediction"] == pytest.approx(
        parts.loc["Li->Ga x=0.1", "prediction"])
    html = (out / "report.html").read_text()
    assert "Prediction along each doping series" in html and (out / "figures" / "doping_series.svg").is_file()
    assert "Prediction along each doping series" in (out / "report.md").read_text()
    assert not any(p.name.endswith(".lock") for p in out.rglob("*"))


def test_force_keeps_user_files_inside_an_unfinished_screen(tmp_path):
    out = tmp_path / "out"
    (out / "parts").mkdir(parents=True)
    (out / "done").mkdir()
    (out / "screen-run.json").write_text('{"source": {"kind": "other"}}')
    (out / "parts" / "my-notes.txt").write_text("keep me")
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25",
                     "-o", out, "--force")
    assert result.exit_code == 2 and "parts/my-notes.txt" in result.output
    assert (out / "parts" / "my-notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_a_running_screen_holds_its_folder_until_its_manifest_is_written(tmp_path, monkeypatch):
    from explainsse.screen import run as screen_run
    from explainsse.screen.run import _FolderLock

    out = tmp_path / "out"
    out.mkdir()
    held = _FolderLock(out)  # as a screen running in another process would
    try:
        result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25",
                         "-o", out, "--force")
        assert result.exit_code == 2 and "another screen is running in this folder" in result.output
        assert list(out.iterdir()) == []  # the lock file lives in the cache folder, not here
    finally:
        held.release()
    # the lock is still held while the shortlist, report and manifest are written
    seen = {}
    finish = screen_run._finish

    def finishing(out_, *args, **kwargs):
        try:
            _FolderLock(out_).release()
            seen["second"] = "got the lock"
        except Exception as exc:  # noqa: BLE001
            seen["second"] = str(exc)
        return finish(out_, *args, **kwargs)

    monkeypatch.setattr(screen_run, "_finish", finishing)
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25", "-o", out,
                     "--force")
    assert result.exit_code == 0, result.output
    assert "another screen is running" in seen["second"]
    assert not any(p.name.endswith(".lock") for p in out.rglob("*"))


def test_a_refused_screen_leaves_nothing_in_a_user_folder(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    result = _screen("--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta", "--range", "0:0.5:0.25", "-o", out)
    assert result.exit_code == 2
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


@pytest.mark.slow
def test_report_markdown_uses_the_shared_cell_escaping(tmp_path):
    evil = ["![p](http://evil.example/p.png)", "=1+1", "@SUM(A1)", "`code`", "[link](http://x.example)"]
    path = _csv(tmp_path / "c.csv", ["Li7La3Zr2O12"] * len(evil), ids=evil)
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    md = (tmp_path / "out" / "report.md").read_text()
    assert "![p](http" not in md and not re.search(r"(?<!\\)\]\(http", md)  # no live image or link
    assert "!\\[p\\](http://evil.example/p.png)" in md
    assert "| =1+1 |" not in md and "| @SUM" not in md and "`code`" not in md
    assert "'=1+1" in md and "\\`code\\`" in md


@pytest.mark.slow
def test_nasicon_model_gives_non_nasicon_rows_no_probability(tmp_path):
    path = _csv(tmp_path / "c.csv", ["Li1.3Al0.3Ti1.7(PO4)3", "Li7La3Zr2O12"], ids=["latp", "llzo"])
    result = _screen("--input", path, "--model", "nasicon-default", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    part = pd.read_parquet(tmp_path / "out" / "parts" / "part-000000.parquet").set_index("id")
    assert part.loc["latp", "error"] == "" and 0 <= part.loc["latp", "prediction"] <= 1
    assert "not an A(1+x)M2(XO4)3 NASICON framework" in part.loc["llzo", "error"]
    assert pd.isna(part.loc["llzo", "prediction"]) and not part.loc["llzo", "in_domain"]
    invalid = pd.read_csv(tmp_path / "out" / "invalid.csv")
    assert invalid["id"].tolist() == ["llzo"]


@pytest.mark.slow
@pytest.mark.parametrize("formula, match", [
    ("Li7\x00La3Zr2O12", "control character"),
    ("Li7La3Zr2O12La-1", "negative amount"),
    ("Li3PS4.0.5H2O", "ambiguous"),
    ("Li" * 2**12, "longer than the 256 accepted"),
])
def test_misleading_formulas_are_row_issues(tmp_path, formula, match):
    path = _csv(tmp_path / "c.csv", ["Li3PS4", formula])
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    invalid = pd.read_csv(tmp_path / "out" / "invalid.csv")
    assert invalid["id"].tolist() == ["c1"] and match in invalid["error"].iloc[0]


@pytest.mark.slow
def test_nul_bytes_in_parquet_cells_are_row_issues_shown_as_the_nul_mark(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"id": ["ok", "nul"], "formula": ["Li3PS4", "Li7\x00La3Zr2O12"]}).to_parquet(path)
    result = _screen("--input", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    invalid = (tmp_path / "out" / "invalid.csv").read_bytes()
    assert b"\x00" not in invalid and "Li7\u2400La3Zr2O12".encode() in invalid and b"control character NUL" in invalid
