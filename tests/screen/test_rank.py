"""Ranking a screen by the interval (lower bound, expected improvement) and picking a diverse batch."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.chemistry import parse_formula
from explainsse.cli import app
from explainsse.errors import InputDataError
from explainsse.models.splits import element_fractions
from explainsse.screen import enumeration_source, run_screen
from explainsse.screen.shortlist import pick_batch, rank_score


def test_expected_improvement_prefers_high_mean_and_wide_interval():
    part = pd.DataFrame({"prediction": [-3.0, -3.0, -2.0], "lower": [-4.0, -6.0, -3.0], "upper": [-2.0, 0.0, -1.0]})
    ei = rank_score(part, "ei", target=-2.5)
    assert ei[1] > ei[0]  # same mean, wider interval: more chance to beat the target
    assert ei[2] > ei[0]  # higher mean, same width
    assert np.all(ei >= 0)
    assert list(rank_score(part, "lower", None)) == [-4.0, -6.0, -3.0]


def test_batch_picks_are_distinct_and_spaced():
    formulas = [f"Li{7 - x:.2f}La3Zr{2 - x:.2f}Ta{x:.2f}O12" for x in np.arange(0.05, 1.0, 0.05)]
    short = pd.DataFrame({"formula": formulas, "id": formulas, "prediction": np.linspace(-3, -4, len(formulas))})
    batch = pick_batch(short, 4, 0.02)
    assert list(batch["batch"]) == [1, 2, 3, 4] and batch["formula"].is_unique
    F, _ = element_fractions([parse_formula(f) for f in batch["formula"]])
    gaps = [np.abs(F[i] - F[j]).sum() for i in range(4) for j in range(i)]
    assert min(gaps) >= 0.02
    assert batch["formula"].iloc[0] == formulas[0]  # the best-ranked candidate is always picked first


def test_screen_rank_ei_batch_10_returns_distinct_spaced_candidates_with_intervals(tmp_path):
    out = tmp_path / "s"
    # three series: Ta and Nb garnets measured in OBELiX are not next experiments, so the batch needs more room
    r = CliRunner().invoke(app, ["screen", "--parent", "Li7La3Zr2O12", "--substitute", "Zr:Ta,Nb,Sb", "--range",
                                 "0:1:0.05", "--rank", "ei", "--batch", "10", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    batch = pd.read_csv(out / "batch.csv")
    assert len(batch) == 10 and batch["formula"].is_unique
    F, _ = element_fractions([parse_formula(f) for f in batch["formula"]])
    assert min(np.abs(F[i] - F[j]).sum() for i in range(10) for j in range(i)) >= 0.02
    assert batch["measured"].isna().all()  # nothing already measured is proposed as a next experiment
    short = pd.read_csv(out / "shortlist.csv")
    assert (short["lower"] < short["prediction"]).all() and (short["prediction"] < short["upper"]).all()
    assert list(short["score"]) == sorted(short["score"], reverse=True)
    parts = pd.concat(pd.read_parquet(p) for p in sorted((out / "parts").glob("*.parquet")))
    ok = parts["error"] == ""
    assert parts.loc[ok, ["lower", "upper"]].notna().all().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shortlist"]["rank"] == "ei" and len(manifest["batch"]) == 10
    # the report and the doping series carry the intervals too, and say how the ranking compares with them
    series = pd.read_csv(out / "doping_series.csv")
    assert ((series["lower"] < series["prediction"]) & (series["prediction"] < series["upper"])).all()
    md = (out / "report.md").read_text()
    top = short.iloc[0]
    assert f"{top['lower']:.2f} to {top['upper']:.2f}" in md and "90% interval at best x" in md
    assert "while each 90% interval is" in md
    known = short[short["measured"].notna()]
    assert len(known) and known["warnings"].str.startswith("already in the training data").all()
    assert "shortlisted candidate(s) are already in the model's training data" in md


def test_rank_ei_refuses_a_classifier_before_writing(tmp_path):
    with pytest.raises(InputDataError, match="regression"):
        run_screen(enumeration_source("Li1.3Al0.3Ti1.7(PO4)3", ["Ti:Ge"], "0:0.5:0.1", 100), "nasicon-default",
                   tmp_path / "s", rank="ei", progress=False)
    assert not (tmp_path / "s").exists()
