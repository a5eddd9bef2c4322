"""One test per defect of the reliability campaign (issue 10): each failed before its fix."""

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.chemistry import parse_formula
from explainsse.cli import app
from explainsse.datasets import ColumnMap, load_table, normalize_table, parse_conductivity
from explainsse.errors import ExplainsseError, FeaturizationError, FormulaError, InputDataError

from .conftest import DATA

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


# -- 3. one bad row never sinks a featurization -------------------------------------------------
def _failing_on(monkeypatch, bad_formula):
    """Make the composition featurizers raise an unexpected error for one composition."""
    from explainsse.featurize import transformer

    real = transformer.make_featurizers

    class Boom:
        def featurize(self, comp):
            if comp.reduced_formula == parse_formula(bad_formula).reduced_formula:
                raise OverflowError("cannot convert float infinity to integer")
            return []

    monkeypatch.setattr(transformer, "make_featurizers", lambda name: [*real(name), (Boom(), "")])


def test_an_exception_on_one_composition_becomes_that_rows_issue(monkeypatch, tmp_path):
    from explainsse.featurize import dataset_descriptors, featurize_dataset

    _failing_on(monkeypatch, "Li3PS4")
    path = tmp_path / "t.csv"
    path.write_text("id,formula,sigma\na,Li7La3Zr2O12,1e-4\nb,Li3PS4,1e-6\nc,Li10GeP2S12,1e-2\n")
    ds = load_table(path, target_col="sigma", id_col="id")
    X, excluded = featurize_dataset(ds, "composition-v1", backend="matminer")  # matminer's featurizers, one row at a time
    assert list(ds.frame["id"]) == ["a", "b", "c"] and ds.issues.empty  # the input is left alone
    assert list(X.index) == [0, 2] and list(excluded["id"]) == ["b"]
    used, X2 = dataset_descriptors(ds, "composition-v1", backend="matminer")
    assert list(used.frame["id"]) == ["a", "c"] and list(X2.index) == list(used.frame.index)
    issue = used.issues.iloc[0]
    assert (issue["row"], issue["id"], issue["column"]) == (1, "b", "formula")
    assert "OverflowError" in issue["reason"]
    strict = load_table(path, target_col="sigma", id_col="id", strict=True)
    with pytest.raises(FeaturizationError, match=r"row 1 \(id 'b'\)"):
        featurize_dataset(strict, "composition-v1", cache=False, backend="matminer").X


def test_li1e400_is_a_row_issue_not_a_crash(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("formula,sigma\nLi1e400,1e-4\nLi7La3Zr2O12,1e-4\n")
    r = run("featurize", "--input", path, "--target-col", "sigma", "-o", tmp_path / "f.csv", "--quiet")
    assert r.exit_code == 0, r.output
    assert "row 0" in r.stderr and "exponent notation" in r.stderr
    assert len(pd.read_csv(tmp_path / "f.csv")) == 1


# -- 4. the default preset follows the data ------------------------------------------------------
def test_composition_only_csv_gets_composition_preset(tmp_path):
    from explainsse.featurize.presets import choose_preset

    plain = load_table(DATA / "bad_rows.csv", formula_col="composition", target_col="sigma_S_cm")
    assert choose_preset(plain.frame)[0] == "composition-v1"
    lattice = load_table(DATA / "candidates.csv", target_col="log10_sigma", target_kind="log10")
    assert choose_preset(lattice.frame)[0] == "crystal-v1"


@pytest.mark.integration
def test_report_on_a_composition_only_csv_works(tmp_path):
    from .report.test_report import make_csv

    full = pd.read_csv(make_csv(tmp_path / "full.csv"))
    plain = tmp_path / "plain.csv"
    full[["formula", "sigma"]].to_csv(plain, index=False)  # formula + sigma, nothing else
    out = tmp_path / "out"
    r = run("report", "--input", plain, "-o", out, "--families", "pls", "--n-scramble", "1", "--side-schemes", "none")
    assert r.exit_code == 0, r.output
    assert "descriptor preset composition-v1" in r.stderr and "conductivity column 'sigma'" in r.stderr
    j = json.loads((out / "report.json").read_text())
    assert j["preset"] == "composition-v1" and "no row has lattice parameters" in j["preset_reason"]
    assert j["data"]["summary"]["rows_excluded"] == 1  # the Xx2O row, listed
    assert "composition-v1" in (out / "index.html").read_text()


# -- 5. silent wrong inputs ----------------------------------------------------------------------
def test_hydrate_dot_is_not_a_decimal_point():
    assert parse_formula("Li3PS4.2H2O").almost_equals(parse_formula("Li3PS4H4O2"))
    assert parse_formula("LiOH.H2O").almost_equals(parse_formula("LiO2H3"))
    assert parse_formula("Li3PS4·2H2O").almost_equals(parse_formula("Li3PS4H4O2"))
    assert parse_formula("Li0.33La0.55TiO3")["Li"] == pytest.approx(0.33)


@pytest.mark.parametrize("text, match", [("Li1e-30O", "exponent"), ("Li1e400", "exponent"),
                                         ("Li2000000O", "impossible amounts"), ("Li2O.", "empty part")])
def test_bad_amounts_raise_formula_error(text, match):
    with pytest.raises(FormulaError, match=match):
        parse_formula(text)


@pytest.mark.parametrize("raw, match", [("1_000", "non-numeric"), ("inf", "non-numeric"), ("nan", "non-numeric"),
                                        ("0x1p-3", "non-numeric"), ("1,5e-3", "decimal comma"),
                                        ("1e3", "outside"), ("0", "non-positive")])
def test_bad_conductivities_are_row_errors(raw, match):
    parsed = parse_conductivity(raw)
    assert parsed.error and match in parsed.error


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "12", "abc"])
def test_bad_censored_floor_is_a_one_line_error(monkeypatch, value, tmp_path):
    monkeypatch.setenv("EXPLAINSSE_CENSORED_FLOOR", value)
    path = tmp_path / "t.csv"
    path.write_text("formula,sigma\nLi2O,<1e-10\n")
    r = run("featurize", "--input", path, "--target-col", "sigma", "-o", tmp_path / "f.csv")
    assert r.exit_code == 2 and r.stderr.startswith("error: EXPLAINSSE_CENSORED_FLOOR")
    assert "math domain" not in r.stderr


def test_floor_above_a_bound_is_a_row_issue():
    parsed = parse_conductivity("<1e-10", floor=1e-8)
    assert parsed.error and "not below this upper bound" in parsed.error


def test_impossible_lattice_values_are_row_issues():
    raw = pd.DataFrame({
        "formula": ["Li2O"] * 5,
        "a": ["4.6", "1e-300", "4.6", "4.6", "4.6"], "b": ["4.6"] * 5, "c": ["4.6"] * 5,
        "alpha": ["90", "90", "90", "120", "90"], "beta": ["90", "90", "90", "120", "90"],
        "gamma": ["90", "90", "90", "120", "90"], "Z": ["4", "4", "inf", "4", "1_0"]}, dtype=object)
    frame, _, issues = normalize_table(raw, ColumnMap("formula", z_col="Z"))
    assert list(frame.index) == [0]
    reasons = dict(zip(issues["row"], issues["reason"]))
    assert "invalid lattice a" in reasons[1] and "Z must be" in reasons[2]
    assert "do not form a cell" in reasons[3] and "Z must be" in reasons[4]


# -- 6. user strings -----------------------------------------------------------------------------
@pytest.mark.slow
def test_descriptor_names_with_brackets_work_with_xgboost(tmp_path):
    from explainsse.explain import explain
    from explainsse.models.persistence import load_model, save_model
    from explainsse.models.train import train_model

    rng = np.random.default_rng(0)
    n = 40
    formulas = [["Li2O", "Li3N", "LiCl", "LiBr", "LiF", "Li2S", "LiI", "Li3P"][i % 8] for i in range(n)]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "formula": formulas,
                          "composition": [parse_formula(f) for f in formulas],
                          "log10_sigma": rng.normal(-5, 1, n), "sigma_S_cm": 0.0, "censored": False,
                          "sigma_bound_S_cm": np.nan, "family": ["a", "b"] * (n // 2), "split": None})
    frame["sigma_S_cm"] = 10 ** frame["log10_sigma"]
    X = pd.DataFrame({"radius [A]": rng.normal(size=n), "x<y": rng.normal(size=n), "plain": rng.normal(size=n)})
    model = train_model(frame, X, "xgb", "regression", preset="", random_state=0, n_jobs=1)
    table = explain(model, X)
    assert set(table.global_importance().index) == set(X.columns)
    pred = model.pipeline.predict(X)
    assert np.allclose(table.output().to_numpy(), pred, atol=1e-4)  # SHAP additivity
    save_model(model, tmp_path / "m")
    assert np.allclose(load_model(tmp_path / "m").pipeline.predict(X), pred)


def test_dollar_signs_in_labels_are_drawn_as_plain_text():
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.report import figures as fig
    from explainsse.report.html import svg_bytes as _svg

    frame = pd.DataFrame({"family": ["$x^{$", "cost $5"] * 3, "log10_sigma": np.arange(6.0)})
    svg = _svg(fig.log_sigma_by_family(frame).figure).decode()
    assert "$x^{$" in svg and "cost $5" in svg


def test_markdown_carries_no_raw_html_or_links():
    from explainsse.report.markdown import md_table

    evil = "<img src=x onerror=alert(1)>![p](http://e.org/x.png)"
    text = "\n".join(md_table([{"id": evil, "formula": "=HYPERLINK(1)"}]))
    assert "<img" not in text and "](" not in text.replace("\\](", "")
    assert "'=HYPERLINK" in text


def test_csv_headers_are_neutralised(tmp_path):
    from explainsse.io import write_table

    path = write_table(pd.DataFrame({"=cmd|' /C calc'!A0": [1.0]}), tmp_path / "x.csv")
    assert path.read_text().startswith("'=cmd")


# -- 7. --cifs is opened, counted or refused -----------------------------------------------------
def test_cifs_option_is_opened_safely(tmp_path, shared_data):
    import io
    import tarfile

    cand = tmp_path / "cand.csv"
    cand.write_text("id,formula\nx1,Li7La3Zr2O12\nx2,Li3PS4\n")
    cif = (shared_data / "obelix").glob("*.tar.gz")
    archive = next(cif)
    with tarfile.open(archive) as tar:
        member = next(m for m in tar if m.isfile() and m.name.endswith(".cif"))
        data = tar.extractfile(member).read()
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        info = tarfile.TarInfo("x1.cif")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    ds = load_table(cand, id_col="id", cif_dir=good)
    assert ds.frame["has_cif"].tolist() == [True, False] and "1 CIFs" in ds.notes[0]
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.cif")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    out = tmp_path / "rep"
    for archive_path, needle in ((evil, "escape the target folder"), (tmp_path / "missing.tar", "not found")):
        r = run("report", "--input", cand, "--id-col", "id", "--model", "default", "--cifs", archive_path,
                "-o", out, "--quiet")
        assert r.exit_code == 2 and needle in r.stderr, r.output
    assert not out.exists() and not (tmp_path / "escape.cif").exists()


# -- 8/9. small ones -----------------------------------------------------------------------------
def test_model_root_fails_fast_and_default_is_never_hijacked(tmp_path, monkeypatch):
    from explainsse.models.bundled import bundled_model_dir, resolve_model_dir
    from explainsse.models.persistence import ModelFileError, load_model

    with pytest.raises(ModelFileError, match="no manifest.json"):
        load_model("/")
    (tmp_path / "default").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_model_dir("default") == bundled_model_dir()


def test_edited_model_manifest_is_refused(tmp_path):
    from explainsse.models.bundled import bundled_model_dir
    from explainsse.models.persistence import ModelFileError, load_model

    copy = tmp_path / "m"
    shutil.copytree(bundled_model_dir(), copy)
    load_model(copy)
    body = json.loads((copy / "manifest.json").read_text())
    body["task"] = "classification"
    body["threshold_S_cm"] = 0.01
    (copy / "manifest.json").write_text(json.dumps(body))
    with pytest.raises(ModelFileError, match="manifest was edited"):
        load_model(copy)


def test_datasets_list_counts_only_verified_files(tmp_path, shared_data):
    data = tmp_path / "data" / "xu2020"
    data.mkdir(parents=True)
    (data / "TrainingData.csv").write_text("not the real file")
    r = run("datasets", "list", "--data-dir", tmp_path / "data", "--json")
    xu = next(d for d in json.loads(r.stdout)["datasets"] if d["name"] == "xu2020")
    assert (xu["on_disk"], xu["verified"], xu["failing_sha256"]) == (1, 0, ["TrainingData.csv"])


def test_all_bad_table_says_no_row_is_usable(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("formula,sigma\nXx2O,1e-4\nLi2O,abc\n")
    r = run("report", "--input", path, "--target-col", "sigma", "-o", tmp_path / "rep", "--quiet", "--side-schemes",
            "none")
    assert r.exit_code == 2 and "no usable row" in r.stderr and "all 2 rows have issues" in r.stderr
    assert "MagpieData" not in r.stderr


@pytest.mark.slow
def test_explain_lists_bad_rows_in_text_mode(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("formula\nLi7La3Zr2O12\nXx2O\n")
    r = run("explain", "--input", path)
    assert r.exit_code == 0, r.output
    assert "row 1" in r.stderr and "unknown element" in r.stderr


# -- 10. delimiters, BOM, line endings -----------------------------------------------------------
@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_delimiter_bom_and_crlf_are_detected(tmp_path, sep, name):
    path = tmp_path / "eu.csv"
    rows = [["id", "formula", "sigma", "family"], ["a", "Li7La3Zr2O12", "3,0E-04", "garnet"],
            ["b,2", "Li3PS4", "1.5e-7", "thio"]]
    path.write_bytes(b"\xef\xbb\xbf" + "".join(sep.join(r) + "\r\n" for r in rows).encode())
    ds = load_table(path, target_col="sigma", id_col="id", family_col="family")
    assert ds.frame["id"].tolist() == ["a", "b,2"]  # the id keeps its comma: only numeric columns convert
    assert ds.frame["sigma_S_cm"].tolist() == [3e-4, 1.5e-7]
    joined = " ".join(ds.notes)
    assert f"{name}-separated" in joined and "byte-order mark" in joined and "Windows line endings" in joined
    assert "decimal comma" in joined


def test_single_column_file_stays_comma(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("formula\nLi2O\nLi3N\n")
    ds = load_table(path)
    assert len(ds.frame) == 2 and ds.notes == []


def test_env_number_errors_are_user_errors(monkeypatch):
    from explainsse._config import get_settings

    monkeypatch.setenv("EXPLAINSSE_N_JOBS", "two")
    with pytest.raises(ExplainsseError, match="EXPLAINSSE_N_JOBS"):
        get_settings()
    assert issubclass(InputDataError, ExplainsseError) and math.isfinite(1.0)


def test_evaluate_shows_y_scrambling_progress(shared_data):
    r = run("evaluate", "--dataset", "obelix", "--family", "pls", "--task", "regression", "--scheme", "official",
            "--preset", "composition-v1", "--n-boot", "20", "--n-scramble", "2")
    assert r.exit_code == 0, r.output
    assert "y-scrambling refit 1 of 2" in r.stderr and "y-scrambling refit 2 of 2" in r.stderr
