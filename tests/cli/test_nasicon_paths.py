"""NASICON-site models on formula-only input: training leaves the empty lattice descriptors out (said),
and the bundled NASICON classifier gives a non-NASICON formula no probability, only the reason."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app


@pytest.mark.integration
def test_train_nasicon_preset_on_a_formula_only_mixed_csv(tmp_path):
    df = pd.read_csv(Path(os.environ["EXPLAINSSE_DATA_DIR"]) / "obelix" / "all.csv")
    nasicons = pd.concat([df[df["Family"] == "NASICON"].head(60), df[df["Family"] == "garnet"].head(10)])
    path = tmp_path / "nas.csv"
    pd.DataFrame({"id": nasicons["ID"], "formula": nasicons["Reduced Composition"],
                  "sigma": nasicons["Ionic conductivity (S cm-1)"]}).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["train", "--input", str(path), "--preset", "nasicon-v1", "--family", "logreg",
                                      "--task", "classification", "-o", str(tmp_path / "m"), "-q"])
    assert result.exit_code == 0, result.output
    assert "have no value in any row and are left out of the models: NASICON trigonal cell" in result.output
    left_out = re.search(r"(\d+) of 70 training rows are not NASICON frameworks", result.output)
    assert left_out and int(left_out.group(1)) >= 10  # the 10 garnets (and labelled NASICONs the detector rejects)
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    features = manifest["feature_names"]
    assert "NASICON trigonal cell" not in features and "NASICON M-site mean ionic radius" in features


def test_nasicon_classifier_gives_other_frameworks_no_probability():
    result = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "--json", "-", "Li7La3Zr2O12",
                                      "Li1.3Al0.3Ti1.7(PO4)3"])
    assert result.exit_code == 0, result.output
    materials = {m["formula"]: m for m in json.loads(result.stdout[result.stdout.index("{"):])["materials"]}
    llzo, latp = materials["Li7La3Zr2O12"], materials["Li1.3Al0.3Ti1.7(PO4)3"]
    assert llzo["prediction"] is None and llzo["top_descriptors"] == [] and llzo["domain"] is None
    assert "not an A(1+x)M2(XO4)3 NASICON framework" in llzo["not_applicable"]
    assert 0 < latp["prediction"] < 1 and latp["domain"]["inside"] in (True, False)
    text = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "Li7La3Zr2O12"])
    assert "prediction   none: not an A(1+x)M2(XO4)3 NASICON framework" in text.stdout
