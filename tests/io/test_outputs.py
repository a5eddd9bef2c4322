"""Output folders: --force replaces only an earlier, intact explainsse output; nothing else is deleted.

Each refused target holds a sentinel file that must survive.
"""

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.io import (
    OutputFolderError,
    check_output_target,
    output_directory,
    read_manifest,
    write_manifest,
)

from ..conftest import DATA

runner = CliRunner()


def _candidates(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cand.csv"
    path.write_text("id,formula\nllzo,Li7La3Zr2O12\nlgps,Li10GeP2S12\n")
    return path


def _sentinel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "precious.txt"
    path.write_text("a user's file")
    return path


def _report(*args):
    return runner.invoke(app, ["report", "--model", "default", "--quiet", *map(str, args)])


def _one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("error: ")
    for needle in needles:
        assert needle in line, line


def test_force_refuses_the_current_folder(tmp_path, monkeypatch):
    cand = _candidates(tmp_path)
    sentinel = _sentinel(tmp_path)
    monkeypatch.chdir(tmp_path)
    for args in (["-o", ".", "--force"], ["-o", ".."], ["-o", str(tmp_path), "--force"]):
        _one_line_error(_report("--input", cand.name, *args), "current folder")
    assert sentinel.read_text() == "a user's file" and cand.is_file()


def test_force_refuses_home_and_root(tmp_path, monkeypatch):
    home = tmp_path / "home"
    sentinel = _sentinel(home)
    monkeypatch.setenv("HOME", str(home))
    cand = _candidates(tmp_path / "work")
    _one_line_error(_report("--input", cand, "-o", "~", "--force"), "home folder")
    _one_line_error(_report("--input", cand, "-o", str(home), "--force"), "home folder")
    assert sentinel.is_file()
    with pytest.raises(OutputFolderError, match="file-system root"):
        check_output_target("/", force=True)
    with pytest.raises(OutputFolderError, match="file-system root"):
        check_output_target("/", force=False)


def test_force_refuses_a_folder_holding_an_input(tmp_path):
    cand = _candidates(tmp_path / "project" / "data")
    sentinel = _sentinel(tmp_path / "project")
    for target in (tmp_path / "project", tmp_path / "project" / "data"):
        _one_line_error(_report("--input", cand, "-o", target, "--force"), "holds the input")
    assert sentinel.is_file() and cand.is_file()


def test_force_refuses_a_folder_without_manifest_and_never_suggests_force_for_it(tmp_path):
    cand = _candidates(tmp_path / "in")
    target = tmp_path / "mine"
    sentinel = _sentinel(target)
    r = _report("--input", cand, "-o", target)
    _one_line_error(r, "not empty", "earlier explainsse output")
    _one_line_error(_report("--input", cand, "-o", target, "--force"), "not an intact explainsse output")
    assert sentinel.is_file()


@pytest.mark.slow
def test_force_replaces_an_earlier_output_but_not_one_with_foreign_files(tmp_path):
    cand = _candidates(tmp_path / "in")
    target = tmp_path / "rep"
    assert _report("--input", cand, "-o", target).exit_code == 0
    manifest = read_manifest(target)
    assert manifest["explainsse_output"]["kind"] == "report"
    assert {"index.html", "report.md", "report.json", "manifest.json"} <= set(manifest["explainsse_output"]["files"])
    first = (target / "manifest.json").stat().st_ino
    r = _report("--input", cand, "-o", target, "--force")
    assert r.exit_code == 0, r.output
    # really replaced: a new manifest file (its text may be equal when both runs start in the same second)
    assert (target / "manifest.json").stat().st_ino != first
    notes = _sentinel(target / "figures")
    _one_line_error(_report("--input", cand, "-o", target, "--force"), "did not write", "figures/precious.txt")
    assert notes.is_file()
    notes.unlink()
    # an edited manifest (e.g. a file list widened by hand) no longer vouches for the folder
    body = json.loads((target / "manifest.json").read_text())
    body["explainsse_output"]["files"].append("precious.txt")
    (target / "manifest.json").write_text(json.dumps(body))
    _sentinel(target)
    _one_line_error(_report("--input", cand, "-o", target, "--force"), "manifest was edited")
    assert (target / "precious.txt").is_file()


def test_symlinked_target_and_file_target_are_refused(tmp_path):
    real = tmp_path / "real"
    _sentinel(real)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(OutputFolderError, match="symbolic link"):
        check_output_target(tmp_path / "link", force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="not a folder"):
        check_output_target(tmp_path / "file", force=True)


def test_block_that_writes_unlisted_files_fails_and_leaves_nothing(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(OutputFolderError, match="internal error"):
        with output_directory(target) as tmp:
            write_manifest(tmp, {}, kind="test")
            (tmp / "late.txt").write_text("written after the manifest")
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir()]


@pytest.mark.slow
def test_outputs_follow_the_umask_and_stale_partials_are_removed(tmp_path):
    cand = _candidates(tmp_path / "in")
    target = tmp_path / "rep"
    stale = tmp_path / ".rep.explainsse-partial-999999999-abc"  # a pid that cannot exist
    stale.mkdir()
    (stale / "index.html").write_text("half-written")
    old = os.umask(0o022)
    try:
        assert _report("--input", cand, "-o", target).exit_code == 0
        from explainsse.io import write_table

        table = write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    finally:
        os.umask(old)
    assert not stale.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "index.html").stat().st_mode) == 0o644
    assert stat.S_IMODE(table.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_featurize_never_overwrites_its_input_and_needs_force_to_replace(tmp_path):
    src = tmp_path / "same.csv"
    src.write_text((DATA / "bad_rows.csv").read_text())
    before = src.read_text()
    r = runner.invoke(app, ["featurize", "--input", str(src), "--formula-col", "composition", "-o", str(src),
                            "--force"])
    _one_line_error(r, "refusing to overwrite the input file")
    assert src.read_text() == before
    out = tmp_path / "features.csv"
    args = ["featurize", "--input", str(src), "--formula-col", "composition", "-o", str(out), "--quiet"]
    assert runner.invoke(app, args).exit_code == 0
    _one_line_error(runner.invoke(app, args), "exists", "--force")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
