"""Saved studies are verified: every file against its sha256, no links, nothing unlisted, names inside.

One small study is saved once per module; each test tampers with its own copy and checks that
``load_study`` and ``explainsse report --from-study`` refuse it with a one-line error (exit 2)
naming the file, and that nothing of the tampering reaches a new report.
"""

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.analysis import load_study, run_study
from explainsse.analysis.study import StudyFileError, StudyIntegrityError
from explainsse.cli import app
from explainsse.datasets import load_table
from explainsse.errors import DataIntegrityError
from explainsse.io import read_parquet, sha256_file, sha256_json, write_parquet
from explainsse.io.outputs import verify_manifest

from ..report.test_report import make_csv

# every test here reads one saved study of a real report run (about 10 s to build)
pytestmark = pytest.mark.slow

runner = CliRunner()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A small study (PLS, both tasks), saved once; tests work on copies."""
    base = tmp_path_factory.mktemp("pristine")
    ds = load_table(make_csv(base / "small.csv"), target_col="sigma", id_col="id", family_col="family",
                    space_group_col="sg", z_col="Z")
    # 5 random folds (not the 10 composition clusters) and two workers: the study's files are what is tested
    study = run_study(ds, families=("pls",), scheme="random-kfold", n_scramble=0, n_boot=10, nasicon=False, seed=0,
                      n_jobs=2, side_schemes=())
    return study.save(base / "study")


@pytest.fixture
def study(pristine, tmp_path):
    """A fresh copy of the pristine study, to tamper with."""
    return shutil.copytree(pristine, tmp_path / "study")


def _listed(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())["explainsse_output"]


def _resign(folder, *changed) -> None:
    """Record the new sha256 of ``changed`` files and the manifest's own digest, as a deliberate tamperer would."""
    body = json.loads((folder / "manifest.json").read_text())
    for name in changed:
        body["explainsse_output"]["sha256"][name] = sha256_file(folder / name)
    body.pop("manifest_sha256")
    body["manifest_sha256"] = sha256_json(body)
    (folder / "manifest.json").write_text(json.dumps(body))


def _results_file(folder) -> str:
    return next(n for n in _listed(folder)["files"] if n.endswith(".results.parquet"))


def _rerender(study, out):
    return runner.invoke(app, ["report", "--from-study", str(study), "-o", str(out), "-q"])


def _refused(result, out, *needles) -> str:
    """Exit 2, one line naming ``needles``; no output folder written."""
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("error: "), line
    for needle in needles:
        assert needle in line, line
    assert not out.exists()
    return line


@pytest.mark.slow
def test_an_untouched_study_re_renders_and_its_copy_holds_exactly_the_listed_files(study, tmp_path):
    out = tmp_path / "again"
    r = _rerender(study, out)
    assert r.exit_code == 0, r.output
    listed = _listed(study)
    copied = sorted(p.relative_to(out / "study").as_posix() for p in (out / "study").rglob("*") if p.is_file())
    assert copied == sorted(listed["files"])
    assert all((out / "study" / n).read_bytes() == (study / n).read_bytes() for n in listed["files"])
    # every file of the model folders is covered by the study manifest, and the new report's manifest
    # covers the copied study in turn
    assert any(n.startswith("models/") and n.endswith("/manifest.json") for n in listed["sha256"])
    assert any(n.endswith("model.skops") for n in listed["sha256"])
    report = verify_manifest(out)["explainsse_output"]["sha256"]
    assert report["study/study.json"] == listed["sha256"]["study.json"]
    loaded = load_study(out / "study", models=True)
    assert {e.family for e in loaded.evaluations} == {"pls"} and set(loaded.models) == {"pls/regression",
                                                                                          "pls/classification"}


def test_an_edited_study_json_is_refused(study, tmp_path):
    payload = json.loads((study / "study.json").read_text())
    payload["data_card"]["summary"]["rows_used"] = 99999
    (study / "study.json").write_text(json.dumps(payload))
    with pytest.raises(StudyIntegrityError, match=r"study\.json: sha256 does not match manifest\.json") as info:
        load_study(study, models=False)
    assert isinstance(info.value, DataIntegrityError)
    line = _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", f"{study / 'study.json'}: sha256",
                    "the study is not used")
    assert "99999" not in line


def test_an_edited_results_parquet_is_refused(study, tmp_path):
    name = _results_file(study)
    table = read_parquet(study / name)
    table["mae"] = 0.123
    write_parquet(table, study / name)
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", str(study / name), "sha256 does not match")


def test_a_truncated_parquet_is_refused_even_when_the_manifest_is_re_signed(study, tmp_path):
    name = _results_file(study)
    data = (study / name).read_bytes()
    (study / name).write_bytes(data[: len(data) // 2])
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", str(study / name), "sha256 does not match")
    _resign(study, name)  # the hashes now agree: the file itself must still be refused cleanly (not a crash)
    with pytest.raises(StudyFileError, match="not a readable Parquet table"):
        load_study(study, models=False)
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", str(study / name), "not a readable Parquet")


def test_a_symlink_in_place_of_study_json_is_refused(study, tmp_path):
    real = tmp_path / "real-study.json"
    (study / "study.json").rename(real)
    (study / "study.json").symlink_to(real)
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", str(study / "study.json"), "symbolic link")


def _plant_notes(study, tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("PRIVATE TEXT")
    (study / "notes.txt").symlink_to(private)
    return "notes.txt"


def _plant_dir(study, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("PRIVATE TEXT")
    (study / "evaluations" / "more").symlink_to(elsewhere, target_is_directory=True)
    return "evaluations/more"


def _plant_pickle(study, tmp_path):
    (study / "evil.pkl").write_bytes(b"\x80\x04PRIVATE TEXT.")
    return "evil.pkl"


@pytest.mark.parametrize("plant, reason", [(_plant_notes, "symbolic link"), (_plant_dir, "symbolic link"),
                                           (_plant_pickle, "not listed in manifest.json")])
def test_links_and_unlisted_files_are_refused_and_never_copied(study, tmp_path, plant, reason):
    name = plant(study, tmp_path)
    with pytest.raises(StudyIntegrityError, match=reason):
        load_study(study, models=False)
    out = tmp_path / "out"
    _refused(_rerender(study, out), out, str(study / name), reason)
    assert not any("PRIVATE" in p.read_text(errors="replace") for p in tmp_path.rglob("*")
                   if p.is_file() and not p.is_symlink() and "out" in p.parts)


def test_a_crafted_evaluation_name_cannot_read_outside_the_study(study, tmp_path):
    name = _results_file(study)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for kind in ("results", "predictions"):  # planted where ../../../elsewhere/x would lead
        shutil.copy(study / name.replace(".results.", f".{kind}."), outside / f"x.{kind}.parquet")
    payload = json.loads((study / "study.json").read_text())
    payload["evaluations"][0]["name"] = "../../../elsewhere/x"
    (study / "study.json").write_text(json.dumps(payload))
    _resign(study, "study.json")
    with pytest.raises(StudyIntegrityError, match=r"evaluation name '\.\./\.\./\.\./elsewhere/x' is not a plain"):
        load_study(study, models=False)
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", str(study / "study.json"), "elsewhere/x")


def test_a_model_path_pointing_outside_is_refused(study, tmp_path):
    payload = json.loads((study / "study.json").read_text())
    key = next(iter(payload["models"]))
    payload["models"][key]["path"] = str(tmp_path / "model")
    (study / "study.json").write_text(json.dumps(payload))
    _resign(study, "study.json")
    with pytest.raises(StudyIntegrityError, match="is not models/<name>"):
        load_study(study, models=False)


def test_a_model_file_changed_inside_the_study_is_refused_without_loading_models(study, tmp_path):
    name = next(n for n in _listed(study)["files"] if n.endswith("model.skops"))
    with open(study / name, "ab") as fh:
        fh.write(b" ")
    with pytest.raises(StudyIntegrityError, match=rf"{name}: sha256 does not match"):
        load_study(study, models=False)
    _resign(study, name)  # the study manifest agrees now; the model's own manifest still does not
    with pytest.raises(StudyIntegrityError, match=rf"{name}: sha256 does not match"):
        load_study(study, models=False)


def test_a_study_of_the_old_format_is_refused_with_a_re_run_message(study, tmp_path):
    body = json.loads((study / "manifest.json").read_text())
    body["format_version"] = 1
    del body["explainsse_output"]["sha256"]
    body.pop("manifest_sha256")
    body["manifest_sha256"] = sha256_json(body)
    (study / "manifest.json").write_text(json.dumps(body))
    with pytest.raises(StudyFileError, match="older explainsse .*re-run the study"):
        load_study(study, models=False)
    _refused(_rerender(study, tmp_path / "out"), tmp_path / "out", "re-run the study")


def test_round_trip_keeps_the_numbers(pristine):
    loaded = load_study(pristine, models=False)
    first = read_parquet(pristine / _results_file(pristine))
    assert any(e.results.equals(first) for e in loaded.evaluations)
    assert isinstance(loaded.frame, pd.DataFrame) and len(loaded.frame) == len(loaded.descriptors)
