"""`explainsse report --input` on small and odd user tables: optional sections skipped with a reason, never a crash.

The tables are cut from the real OBELiX file (integration): a plain id/formula/sigma CSV (no CIFs), NASICONs
only (one family), 20 rows of one class only, all censored, CIFs for a few rows. Each report runs with one fast family and
one y-scrambling refit on 5 random folds, so the matrix stays quick; what is checked is what each section says.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def obelix_csv():
    import os

    root = Path(os.environ["EXPLAINSSE_DATA_DIR"]) / "obelix"
    if not (root / "all.csv").is_file():
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    df = pd.read_csv(root / "all.csv")
    return root, pd.DataFrame({"id": df["ID"], "formula": df["Reduced Composition"],
                               "sigma": df["Ionic conductivity (S cm-1)"], "family": df["Family"]})


def _report(tmp_path, table: pd.DataFrame, *extra, columns=("id", "formula", "sigma")):
    path = tmp_path / "table.csv"
    table[list(columns)].to_csv(path, index=False)
    out = tmp_path / "out"
    # 5 random folds, not the 10 composition clusters of the default scheme: what is checked is the sections
    args = ["report", "--input", str(path), "--id-col", "id", "--target-col", "sigma", "--families", "pls",
            "--n-scramble", "1", "--scheme", "random-kfold", "--side-schemes", "none", "-o", str(out), "-q",
            *map(str, extra)]
    if "family" in columns:
        args += ["--family-col", "family"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text(), out


def _log_sigma(table):
    return pd.to_numeric(table["sigma"], errors="coerce")


def test_plain_table_without_nasicon_support(tmp_path, obelix_csv):
    _, df = obelix_csv
    j, md, _ = _report(tmp_path, df.head(120))  # the crash: NASICON rows all in one class
    assert j["nasicon"]["rows"] == [] and "0 of 11 NASICON materials are at or above 0.0001 S/cm" in j["nasicon"]["note"]
    assert any(s.startswith("Not shown: the NASICON validation") for s in j["summary_sentences"])
    assert "none (cross-validation on the rows used)" in md and "'-" not in md
    assert "mae CIF rows" not in md  # no row has a CIF: no empty CIF column


def test_nasicons_only_one_family(tmp_path, obelix_csv):
    _, df = obelix_csv
    nasicons = df[df["family"] == "NASICON"].head(60)
    fast = int((_log_sigma(nasicons) >= 1e-4).sum())
    assert 3 <= fast <= 57  # both classes present: the NASICON section runs
    j, md, _ = _report(tmp_path, nasicons, columns=("id", "formula", "sigma", "family"))
    assert j["nasicon"]["rows"], j["nasicon"]["note"]
    assert j["models"]["tables"]["regression"] and "<NA>" not in md


def test_twenty_rows_of_one_class_only_skip_classification(tmp_path, obelix_csv):
    _, df = obelix_csv
    slow = df[_log_sigma(df) < 1e-6].head(20)
    j, md, _ = _report(tmp_path, slow)
    assert j["data"]["summary"]["rows_used"] == 20
    assert j["explanations"] == {} and not j["models"]["tables"].get("classification")
    skipped = [s for s in j["summary_sentences"] if s.startswith("Not shown: the classification task")]
    assert skipped and "0 of 20 rows are at or above 0.0001 S/cm" in skipped[0]
    assert j["models"]["tables"]["regression"]
    assert "No classification model, so no global explanation: 0 of 20 rows" in md


def test_cifs_for_a_few_rows(tmp_path, obelix_csv):
    root, df = obelix_csv
    table = df.head(60)
    with tarfile.open(root / "all_cifs.tar.gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".cif")]
        chosen = [m for m in members if Path(m.name).stem in set(table["id"])][:4]
        cif_dir = tmp_path / "cifs"
        cif_dir.mkdir()
        for m in chosen:
            (cif_dir / Path(m.name).name).write_bytes(tar.extractfile(m).read())
    assert len(chosen) == 4
    j, md, _ = _report(tmp_path, table, "--cifs", cif_dir)
    assert j["data"]["summary"]["with_cif"] == 4
    st = j["structure"]
    assert st["n_with_structure"] == 4 and st["n_rows"] == 60  # the section stays; only the Sendek check is skipped
    assert st["published_model"] is None and "no positives among 4 rows" in st["published_note"]
    assert "Sendek et al.'s published model not scored" in md


def test_an_all_censored_table_is_refused_with_the_reason(tmp_path, obelix_csv):
    _, df = obelix_csv
    table = df.head(12).assign(sigma="<1e-10")
    path = tmp_path / "censored.csv"
    table[["id", "formula", "sigma"]].to_csv(path, index=False)
    result = CliRunner().invoke(app, ["report", "--input", str(path), "--families", "pls", "-o", str(tmp_path / "o"),
                                      "-q"])
    assert result.exit_code == 2
    assert "nothing to model: regression: 0 of 12 rows have a measured conductivity" in result.output
    assert "classification: 0 of 12 rows are at or above" in result.output
    assert not (tmp_path / "o").exists()
