"""The CLI through typer's CliRunner and, once, through the installed console script."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app

from ..conftest import DATA

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == "explainsse 0.1.0"
    assert "featurize" in run("--help").stdout


def test_datasets_info_obelix_counts(shared_data):
    r = run("datasets", "info", "obelix")
    assert r.exit_code == 0, r.output
    assert "599 in file, 599 usable, 0 excluded" in r.stdout
    assert "478 train / 121 test" in r.stdout
    assert "censored     37" in r.stdout and "CIFs         321" in r.stdout
    assert "CC BY 4.0" in r.stdout and "Therrien" in r.stdout
    j = json.loads(run("datasets", "info", "obelix", "--json").stdout)
    assert (j["rows_used"], j["train"], j["test"], j["censored"], j["with_cif"]) == (599, 478, 121, 37, 321)
    assert j["files"]["all.csv"]["sha256"].startswith("54f6265e")


def test_datasets_list_and_fetch(shared_data):
    r = run("datasets", "list", "--json")
    names = [d["name"] for d in json.loads(r.stdout)["datasets"]]
    assert names == ["obelix", "xu2020"]
    r = run("datasets", "fetch", "xu2020")
    assert r.exit_code == 0 and "TrainingData.csv: verified" in r.stdout


def test_unknown_dataset_is_one_line_error():
    r = run("datasets", "info", "nope")
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: unknown dataset 'nope'; known datasets: obelix, xu2020"


def test_corrupted_copy_is_refused_with_both_hashes(shared_data, tmp_path):
    bad = tmp_path / "data" / "obelix"
    bad.mkdir(parents=True)
    for name in ("train.csv", "test.csv", "all_cifs.tar.gz"):
        shutil.copy(shared_data / "obelix" / name, bad / name)
    text = (shared_data / "obelix" / "all.csv").read_text()
    (bad / "all.csv").write_text(text.replace("Li7BiO6", "Li8BiO6", 1))
    r = run("datasets", "info", "obelix", "--data-dir", str(tmp_path / "data"))
    assert r.exit_code == 2
    assert "sha256 mismatch" in r.stderr
    assert "54f6265ef84d16a919d08c6815f14b0fd7465fa00090bee2511c16c042e57f3c" in r.stderr
    from explainsse.datasets import sha256_file

    assert sha256_file(bad / "all.csv") in r.stderr
    assert "Traceback" not in r.output


def test_debug_shows_the_traceback(tmp_path):
    from explainsse.errors import InputDataError

    args = ["featurize", "--input", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.csv")]
    r = run("--debug", *args)
    assert isinstance(r.exception, InputDataError) and "file not found" in str(r.exception)
    plain = run(*args)  # without --debug: the same error as one line, no exception escapes
    assert plain.exit_code == 2 and plain.stderr.strip() == f"error: {r.exception}"


def test_featurize_obelix_crystal(shared_data, tmp_path):
    out = tmp_path / "f.parquet"
    r = run("featurize", "--dataset", "obelix", "--preset", "crystal-v1", "-o", str(out), "--quiet")
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out)
    assert len(df) == 599 and df["id"].is_unique
    assert {"id", "formula", "log10_sigma", "censored", "split", "Crystal Li number density",
            "MagpieData mean Electronegativity"} <= set(df.columns)
    assert not (tmp_path / "f.issues.csv").exists()


def test_featurize_csv_with_bad_rows_lists_them(tmp_path):
    out = tmp_path / "feat.csv"
    r = run("featurize", "--input", str(DATA / "bad_rows.csv"), "--formula-col", "composition",
            "--target-col", "sigma_S_cm", "--id-col", "sample", "--family-col", "family",
            "--descriptor-cols", "site_radius", "--preset", "composition-v1", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "3 rows x" in r.stdout
    assert "8 of 11 rows excluded" in r.stderr
    assert "row 2 (id s3), column 'composition': cannot parse formula 'Xx2O': unknown element" in r.stderr
    issues = pd.read_csv(tmp_path / "feat.issues.csv")
    assert issues["row"].tolist() == [2, 3, 4, 5, 6, 7, 9, 10]
    feats = pd.read_csv(out)
    assert feats["id"].tolist() == ["s1", "s2", "s9"] and "site_radius" in feats.columns


def test_featurize_csv_output_neutralises_spreadsheet_formulas(tmp_path):
    out = tmp_path / "c.csv"
    r = run("featurize", "--input", str(DATA / "candidates.csv"), "--id-col", "id",
            "--space-group-col", "sg", "--z-col", "Z", "--preset", "crystal-v1", "-o", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out)["id"].tolist()[-1] == "'=cmd"


def test_featurize_needs_exactly_one_source(tmp_path):
    r = run("featurize", "-o", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "exactly one of --dataset" in r.stderr
    r = run("featurize", "--input", str(DATA / "candidates.csv"), "--preset", "crystal-v9", "-o",
            str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "unknown preset 'crystal-v9'" in r.stderr
    r = run("featurize", "--input", str(DATA / "candidates.csv"), "-o", str(tmp_path / "x.txt"))
    assert r.exit_code == 2 and "must end in .parquet or .csv" in r.stderr


def test_descriptors_glossary():
    r = run("descriptors", "--preset", "crystal-v1", "--json")
    j = json.loads(r.stdout)
    assert list(j["presets"]) == ["crystal-v1"]
    names = {d["name"]: d for d in j["descriptors"]}
    assert names["Crystal volume per atom"]["unit"] == "angstrom^3/atom"
    r = run("descriptors", "--search", "Li number density")
    assert r.exit_code == 0 and "nm^-3" in r.stdout


@pytest.mark.slow
def test_console_script_offline_empty_dir_fails_fast(tmp_path):
    from pathlib import Path

    exe = Path(sys.executable).with_name("explainsse")
    assert exe.is_file(), "the console script is installed beside the interpreter"
    env = {"PATH": "", "HOME": str(tmp_path), "EXPLAINSSE_DATA_DIR": str(tmp_path / "empty"),
           "EXPLAINSSE_CACHE_DIR": str(tmp_path / "cache"),
           # no network: an unroutable proxy makes any download fail at once
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    p = subprocess.run([str(exe), "datasets", "info", "obelix"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2
    assert "EXPLAINSSE_DATA_DIR" in p.stderr and "https://raw.githubusercontent.com/NRC-Mila/OBELiX/" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert list((tmp_path / "empty" / "obelix").iterdir()) == []


@pytest.mark.slow
def test_python_dash_m(tmp_path):
    p = subprocess.run([sys.executable, "-m", "explainsse", "--version"], capture_output=True, text=True)
    assert p.stdout.strip() == "explainsse 0.1.0"


def test_crystal_preset_without_lattice_is_refused(tmp_path):
    r = run("featurize", "--input", str(DATA / "bad_rows.csv"), "--formula-col", "composition",
            "--preset", "crystal-v1", "-o", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "needs lattice parameters" in r.stderr


def test_crystal_preset_without_z_warns(tmp_path):
    r = run("featurize", "--input", str(DATA / "candidates.csv"), "--id-col", "id",
            "--preset", "crystal-v1", "-o", str(tmp_path / "x.csv"), "-q")
    assert r.exit_code == 0, r.output
    assert "warning:" in r.stderr and "formula units per cell unknown for 4 rows" in r.stderr
    df = pd.read_csv(tmp_path / "x.csv")
    assert df["Crystal volume per atom"].isna().all() and df["Crystal cell volume"].notna().all()


def test_debug_flag_anywhere_shows_traceback(tmp_path, capsys):
    from explainsse.cli import main
    from explainsse.errors import InputDataError

    with pytest.raises(InputDataError):
        main(["featurize", "--input", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "x.csv"), "--debug"])
    with pytest.raises(SystemExit) as exit_info:
        main(["featurize", "--input", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().endswith("nope.csv: CSV file not found")


def test_train_then_evaluate_then_reload(shared_data, tmp_path):
    from explainsse.models.persistence import load_model

    model_dir = tmp_path / "pls-model"
    r = run("train", "--dataset", "obelix", "--family", "pls", "--task", "regression",
            "--preset", "composition-v1", "-o", str(model_dir), "-q")
    assert r.exit_code == 0, r.output
    model = load_model(model_dir)
    assert model.dataset["n_train"] == 478 and model.dataset["files_sha256"]["all.csv"].startswith("54f6")
    # the model card scores the chosen hyperparameters under every scheme, random folds to cluster-out
    schemes = {r["scheme"]: r for r in model.metrics["cv_schemes"]}
    assert list(schemes) == ["random-kfold", "group-doi", "group-chemsys", "cluster-out"]
    assert all(r["ci_low"] <= r["value"] <= r["ci_high"] and r["n"] == 478 for r in schemes.values())
    assert schemes["cluster-out"]["value"] > schemes["random-kfold"]["value"]  # MAE: new chemistry is harder
    card = (model_dir / "MODEL_CARD.md").read_text()
    assert "cluster-out (leave-cluster-out CV" in card and f"MAE {schemes['cluster-out']['value']:.2f}" in card
    r = run("train", "--dataset", "obelix", "--family", "logreg", "--task", "regression",
            "-o", str(tmp_path / "x"), "-q")
    assert r.exit_code == 2 and "logreg (logistic regression, a classifier" in r.stderr and "does not model regression" in r.stderr
    r = run("train", "--dataset", "obelix", "--family", "pls", "-o", str(model_dir), "-q")
    assert r.exit_code == 2 and "not empty" in r.stderr
    out = tmp_path / "ev.json"
    r = run("evaluate", "--dataset", "obelix", "--family", "pls", "--task", "classification",
            "--scheme", "group-chemsys", "--train-only", "--preset", "composition-v1",
            "--n-boot", "20", "--n-scramble", "1", "--json", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert "confusion matrix" in r.stdout and "grouped by chemical system" in r.stdout
    j = json.loads(out.read_text())
    assert j["scheme"] == "group-chemsys" and len(j["params"]) == 5
    assert {"family", "task", "scheme", "split", "metric", "value", "ci_low", "ci_high"} <= set(j["results"][0])


def test_benchmark_json_schema(shared_data, tmp_path):
    out = tmp_path / "m.json"
    r = run("benchmark", "obelix", "--families", "pls", "--preset", "composition-v1",
            "--n-boot", "20", "--n-scramble", "1", "--json", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert "OBELiX random forest MAE 1.59" in r.stdout
    j = json.loads(out.read_text())
    rows = pd.DataFrame(j["results"])
    official = rows[(rows.scheme == "official") & (rows.fold == "all") & (rows.subset == "all")]
    assert set(official.family) == {"pls", "baseline-median", "baseline-majority"}
    assert {"mae", "mcc"} <= set(official.metric)
    assert set(rows.scheme) == {"official", "group-chemsys", "random-kfold", "cluster-out"}
    assert {a["value"] for a in j["anchors"]} == {1.59, 2.16, 0.56}
    # the extra schemes reuse the grouped CV's hyperparameters; the penalty is said in words
    pen = {(p["family"], p["task"]): p for p in j["extrapolation_penalty"]}
    assert set(pen) == {("pls", "regression"), ("pls", "classification")}
    reg = pen[("pls", "regression")]
    assert reg["penalty"] == pytest.approx(reg["scores"]["cluster-out"] - reg["scores"]["random-kfold"])
    assert "new chemistry (cluster-out)" in r.stdout


def test_internal_errors_are_reported_as_bugs_not_as_bad_input():
    import typer

    from explainsse.cli import handle_errors
    from explainsse.errors import InputDataError

    @handle_errors
    def bug():
        return {}["missing"]

    @handle_errors
    def bad_input():
        raise InputDataError("row 3: no formula")

    for fn, status in ((bug, 3), (bad_input, 2)):
        with pytest.raises(typer.Exit) as exc:
            fn()
        assert exc.value.exit_code == status


def test_bug_message_through_the_cli(monkeypatch):
    import explainsse.cli.descriptors as command

    monkeypatch.setattr(command, "glossary", lambda *a, **k: 1 / 0)
    r = CliRunner().invoke(app, ["descriptors"])
    assert r.exit_code == 3
    assert "internal error (this is a bug in explainsse" in r.stderr and "--debug" in r.stderr


def _command_paths(command, path=()):
    yield list(path)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*path, name))


@pytest.mark.slow
def test_help_shows_flags_as_plain_flags_everywhere():
    import typer

    paths = list(_command_paths(typer.main.get_command(app)))
    assert {"report", "screen", "explain", "featurize"} <= {p[0] for p in paths if p}
    assert ["validate", "nasicon"] in paths and ["datasets", "info"] in paths
    for path in paths:
        r = run(*path, "--help")
        assert r.exit_code == 0, (path, r.output)
        assert "<bool>" not in r.stdout and "BOOLEAN" not in r.stdout, (path, r.stdout)
    report = run("report", "--help").stdout
    assert "--quiet" in report and "--force" in report and "--strict" in report
    assert "--no-loo" in run("validate", "nasicon", "--help").stdout  # a flag pair keeps its second name


def test_flags_still_parse_after_the_help_change(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("id,formula\na,Li3PS4\n")
    r = run("featurize", "--input", p, "-o", tmp_path / "f.csv", "--quiet", "--strict", "--no-cache")
    assert r.exit_code == 0, r.output
    assert "note:" not in r.stderr and "featurizing" not in r.stderr  # --quiet: no notes, no progress
    assert pd.read_csv(tmp_path / "f.csv")["id"].tolist() == ["a"]


@pytest.mark.slow
def test_explain_prints_the_found_by_name_note_once(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("id,formula,sigma\nllzo,Li7La3Zr2O12,3e-4\nlps,Li3PS4,1e-7\n")
    r = run("explain", "--model", "default", "--input", p, "--top", "2")
    assert r.exit_code == 0, r.output
    assert r.stderr.count("found by name") == 1, r.stderr
    assert "conductivity column 'sigma'" in r.stderr and "(llzo)" in r.stdout and "(lps)" in r.stdout
    q = run("explain", "--model", "default", "--input", p, "--top", "2", "--quiet", "--json", "-")
    assert "found by name" not in q.stderr  # --quiet silences the loader's notes; the JSON keeps them
    assert sum("found by name" in n for n in json.loads(q.stdout)["notes"]) == 1
