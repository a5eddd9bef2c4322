"""`run_screen` and `explainsse screen`: bad rows kept and listed, engines identical, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explainsse.io import OutputFolderError
from explainsse.screen import enumeration_source, file_source, run_screen
from explainsse.screen.chunk import screen_frame

BASES = ["Li7La3Zr2O12", "Li10GeP2S12", "Li1.3Al0.3Ti1.7(PO4)3", "Li3PS4", "Li6PS5Cl", "Li0.33La0.56TiO3",
         "Li3InCl6", "Li2ZrCl6", "Li3YBr6", "LiTi2(PO4)3", "Li4GeO4", "Li3N", "LiBH4", "Li7P3S11", "Li2S"]


def candidates(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct candidates: the bases with every amount scaled by 0.9-1.1 (as issue 14's benchmark)."""
    from explainsse.featurize.formula import parse_amounts

    rng = np.random.default_rng(seed)
    amounts = [parse_amounts(b) for b in BASES]
    rows = []
    for i in range(n):
        d = amounts[i % len(amounts)]
        rows.append("".join(f"{el}{a * s:.4g}" for (el, a), s in zip(d.items(), rng.uniform(0.9, 1.1, len(d)))))
    return pd.DataFrame({"id": [f"c{i}" for i in range(n)], "formula": rows})


def _model_dir():
    from explainsse.models.bundled import bundled_model_dir

    return str(bundled_model_dir())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for sub in ("parts", "done") for p in sorted((folder / sub).iterdir())}


def test_a_bad_row_in_a_chunk_is_listed_and_the_rest_kept():
    frame = pd.DataFrame({"row": range(5), "id": list("abcde"), "error": ["", "", "", "", "not charge balanced"],
                          "formula": ["Li7La3Zr2O12", "Li3PS4", "Li2Xx", "Li6PS5Cl", ""]})
    part = screen_frame(_model_dir(), frame)
    assert part["error"].iloc[2].startswith("could not be featurized") and "Xx" in part["error"].iloc[2]
    assert part["error"].iloc[4] == "not charge balanced" and np.isnan(part["prediction"].iloc[[2, 4]]).all()
    good = screen_frame(_model_dir(), frame.iloc[[0, 1, 3]])
    np.testing.assert_array_equal(part["prediction"].iloc[[0, 1, 3]].to_numpy(), good["prediction"].to_numpy())
    assert (part["error"].iloc[[0, 1, 3]] == "").all() and part["in_domain"].iloc[[0, 1, 3]].all()


def test_warnings_name_no_li_and_unseen_elements():
    frame = pd.DataFrame({"row": range(2), "id": ["a", "b"], "error": "", "formula": ["Na3PS4", "Li3PoCl6"]})
    part = screen_frame(_model_dir(), frame)
    assert "contains no Li" in part["warnings"].iloc[0]
    assert "Po never occur in the training data" in part["warnings"].iloc[1]
    # without Li a material is outside a Li-conductor model's domain; the no-Li warning says why (no distance note)
    assert not part["in_domain"].iloc[0] and "outside the training domain" not in part["warnings"].iloc[0]


@pytest.mark.slow
def test_doping_grid_screen_explains_every_shortlisted_row(tmp_path):
    source = enumeration_source("Li7La3Zr2O12", ["Zr:Ta,Nb"], "0:1:0.05", 50_000)
    m = run_screen(source, "default", tmp_path / "s", top=20, workers=1, progress=False)
    assert m["counts"]["rows"] == 41 and m["counts"]["shortlisted"] == 20 and m["counts"]["invalid"] == 0
    assert m["shortlist"]["additivity_max_error"] < 1e-4
    short = pd.read_csv(tmp_path / "s" / "shortlist.csv", keep_default_na=False)
    long = pd.read_csv(tmp_path / "s" / "shortlist_explained.csv")
    assert short["prediction"].is_monotonic_decreasing and (short["reasons"] != "").all()
    # against the parent: output change = prediction - the parent's prediction (first row of the grid)
    parent = pd.read_parquet(tmp_path / "s" / "parts" / "part-000000.parquet").iloc[0]
    np.testing.assert_allclose(short["vs_reference"], short["prediction"] - parent["prediction"], atol=1e-4)
    assert short["changes_vs_reference"].str.count(";").eq(2).all()
    assert long.groupby("rank").size().eq(5).all() and long["meaning"].notna().all()
    # the reasons add up: base value + all SHAP = prediction; the top 5 are the largest |SHAP|
    assert (long.groupby("rank")["shap"].apply(lambda s: s.abs().is_monotonic_decreasing)).all()
    html = (tmp_path / "s" / "report.html").read_text()
    assert "Descriptors that most often push candidates up" in html and "Li6.45La3Zr1.45Ta0.55O12" in html
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["model"]["sha256"]


@pytest.mark.slow
def test_min_sigma_shortlist_and_html_escaping(tmp_path):
    frame = candidates(200)
    frame.loc[3, "id"] = "<script>alert(1)</script>"
    frame.loc[7, "formula"] = "Li2<b>O"
    frame.to_csv(tmp_path / "c.csv", index=False)
    m = run_screen(file_source(tmp_path / "c.csv", 64), "default", tmp_path / "o", min_sigma=1e-4, workers=1,
                   progress=False)
    short = pd.read_csv(tmp_path / "o" / "shortlist.csv")
    assert m["counts"]["shortlisted"] == len(short) > 0 and (short["prediction"] >= -4).all()
    invalid = pd.read_csv(tmp_path / "o" / "invalid.csv")
    assert invalid["row"].tolist() == [7] and "Li2<b>O" in invalid["formula"].iloc[0]
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<script>alert" not in html and "<b>O" not in html
    inside = run_screen(file_source(tmp_path / "c.csv", 64), "default", tmp_path / "i", top=200, workers=1,
                        progress=False, in_domain_only=True)
    short = pd.read_csv(tmp_path / "i" / "shortlist.csv")
    assert short["in_domain"].all() and len(short) == inside["counts"]["screened"] - inside["counts"]["outside"]


@pytest.mark.slow
def test_output_folder_rules(tmp_path):
    source = lambda: enumeration_source("Li7La3Zr2O12", ["Zr:Ta"], "0:0.5:0.25", 100)  # noqa: E731
    other = lambda: enumeration_source("Li7La3Zr2O12", ["Zr:Nb"], "0:0.5:0.25", 100)  # noqa: E731
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(OutputFolderError):
        run_screen(source(), "default", tmp_path / "mine", workers=1, progress=False, force=True)
    assert (tmp_path / "mine" / "thesis.tex").exists()
    run_screen(source(), "default", tmp_path / "s", workers=1, progress=False)
    with pytest.raises(OutputFolderError, match="not empty"):
        run_screen(source(), "default", tmp_path / "s", workers=1, progress=False)
    (tmp_path / "s" / "manifest.json").unlink()  # an unfinished run of another command is not resumed
    with pytest.raises(OutputFolderError, match="unfinished screen of something else"):
        run_screen(other(), "default", tmp_path / "s", workers=1, progress=False)


@pytest.mark.slow
def test_local_and_dask_engines_write_identical_parts(tmp_path):
    pytest.importorskip("distributed")
    candidates(10_000).to_parquet(tmp_path / "c.parquet")
    runs = {}
    for engine, workers in (("local", 2), ("dask", 2)):
        out = tmp_path / engine
        m = run_screen(file_source(tmp_path / "c.parquet", 2_500), "default", out, top=50, engine=engine,
                       workers=workers, progress=False)
        assert m["counts"]["rows"] == 10_000 and m["engine"]["engine"] == engine
        runs[engine] = out
    assert _files(runs["local"]) == _files(runs["dask"])  # bit for bit
    assert (runs["local"] / "shortlist.csv").read_bytes() == (runs["dask"] / "shortlist.csv").read_bytes()


@pytest.mark.slow
def test_an_existing_dask_scheduler_is_used_by_its_address(tmp_path):
    """--scheduler: connect to a running cluster (here a LocalCluster started apart), same parts as local."""
    distributed = pytest.importorskip("distributed")
    candidates(3_000).to_parquet(tmp_path / "c.parquet")
    run_screen(file_source(tmp_path / "c.parquet", 1_000), "default", tmp_path / "local", top=10, workers=1,
               progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        m = run_screen(file_source(tmp_path / "c.parquet", 1_000), "default", tmp_path / "remote", top=10,
                       engine="dask", scheduler=cluster.scheduler_address, progress=False)
    assert m["engine"]["scheduler"] == cluster.scheduler_address and m["engine"]["workers"] == 1
    assert _files(tmp_path / "local") == _files(tmp_path / "remote")


@pytest.mark.slow
def test_kill_9_then_the_same_command_resumes_to_the_same_output(tmp_path):
    candidates(12_000).to_parquet(tmp_path / "c.parquet")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def command(out):
        return [sys.executable, "-m", "explainsse", "screen", "--input", str(tmp_path / "c.parquet"), "--top", "30",
                "--chunk-rows", "1000", "--workers", "1", "--quiet", "-o", str(out)]

    subprocess.run(command(tmp_path / "whole"), check=True, env=env, capture_output=True, cwd=tmp_path)
    proc = subprocess.Popen(command(tmp_path / "cut"), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    done = tmp_path / "cut" / "done"
    deadline = time.time() + 120
    while time.time() < deadline and (not done.is_dir() or len(list(done.glob("*.json"))) < 3):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(done.glob("*.json")))
    assert 3 <= finished < 12 and not (tmp_path / "cut" / "manifest.json").exists()
    subprocess.run(command(tmp_path / "cut"), check=True, env=env, capture_output=True, cwd=tmp_path)
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert manifest["counts"]["chunks_resumed"] >= finished
    assert _files(tmp_path / "cut") == _files(tmp_path / "whole")
    for name in ("shortlist.csv", "shortlist_explained.csv", "invalid.csv"):
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert not list((tmp_path / "cut").rglob(".*.part"))


@pytest.mark.slow
def test_cli_acceptance_doping_grid(tmp_path):
    from typer.testing import CliRunner

    from explainsse.cli import app

    result = CliRunner().invoke(app, ["screen", "--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta,Nb", "--range",
                                      "0:1:0.05", "--model", "default", "--top", "20", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "shortlist: 20 candidates" in result.output and "MagpieData" in result.output
    bad = CliRunner().invoke(app, ["screen", "--parent", "Li7La3Zr2O12", "-o", str(tmp_path / "t")])
    assert bad.exit_code == 2 and "--substitute" in bad.output


@pytest.mark.slow
def test_any_saved_model_family_screens_a_nasicon_series(tmp_path):
    """The bundled NASICON classifier (logreg, nasicon-v1): probabilities, linear SHAP, no --min-sigma."""
    source = enumeration_source("LiTi2(PO4)3", ["Ti:Al"], "0:0.5:0.1", 1000)
    m = run_screen(source, "nasicon-default", tmp_path / "n", top=6, workers=1, progress=False)
    short = pd.read_csv(tmp_path / "n" / "shortlist.csv")
    assert m["model"]["family"] == "logreg" and m["model"]["task"] == "classification"
    assert short["prediction"].between(0, 1).all() and len(short) == 6
    assert "Li1.3Ti1.7Al0.3P3O12" in set(short["formula"]) and m["shortlist"]["additivity_max_error"] < 1e-6
    with pytest.raises(Exception, match="--min-sigma needs a regression model"):
        run_screen(source, "nasicon-default", tmp_path / "m", min_sigma=1e-4, workers=1, progress=False)


@pytest.mark.slow
def test_cli_when_no_row_can_be_screened(tmp_path):
    from typer.testing import CliRunner

    from explainsse.cli import app

    (tmp_path / "bad.csv").write_text("id,formula\na,Xx2O\nb,\n")
    result = CliRunner().invoke(app, ["screen", "--input", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "o"),
                                      "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "no candidate" in result.output
    invalid = pd.read_csv(tmp_path / "o" / "invalid.csv")
    assert invalid["id"].tolist() == ["a", "b"] and invalid["error"].str.contains("could not be featurized").all()
