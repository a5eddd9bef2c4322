"""``explain --model structure-default`` on a user's own CIFs (issue 24): a folder of <id>.cif (``--cifs``)
or a CSV column naming each row's CIF; structural drivers for rows with a CIF, a per-row issue for a
missing or broken one (the row is still explained, on composition, and says so)."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.featurize import get_preset

pytestmark = pytest.mark.integration

#: How many OBELiX rows with a CIF the user's folder holds.
CHOSEN = 3


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    """A user's folder: three real OBELiX CIFs, one broken CIF, one row without a CIF."""
    if not os.environ.get("EXPLAINSSE_DATA_DIR"):
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    shared = Path(os.environ["EXPLAINSSE_DATA_DIR"]) / "obelix"
    root = tmp_path_factory.mktemp("mine")
    cifs = root / "my_cifs"
    cifs.mkdir()
    table = pd.read_csv(shared / "all.csv")
    with tarfile.open(shared / "all_cifs.tar.gz") as tar:
        members = {Path(m.name).stem: m for m in tar.getmembers() if m.isfile() and m.name.endswith(".cif")}
        ids = [i for i in table["ID"] if i in members][:CHOSEN]  # the first rows with a CIF
        for i in ids:
            (cifs / f"{i}.cif").write_bytes(tar.extractfile(members[i]).read())
    (cifs / "broken.cif").write_text("data_broken\n_cell_length_a 5.0\nthis is not a CIF loop\n")
    rows = table.set_index("ID").loc[ids, ["Reduced Composition"]].reset_index()
    rows.columns = ["id", "formula"]
    rows = pd.concat([rows, pd.DataFrame({"id": ["broken", "nocif"], "formula": ["Li3PS4", "Li7La3Zr2O12"]})])
    rows.to_csv(root / "mine.csv", index=False)
    return root, ids


def _explain(root: Path, *args) -> dict:
    out = root / f"e{len(list(root.glob('e*.json')))}.json"
    result = CliRunner().invoke(app, ["explain", "--model", "structure-default", *args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def _structural(names) -> list[str]:
    structure = set(get_preset("structure-v1").subset(["structure"]).labels())
    return [n for n in names if n in structure]


def test_cifs_folder_gives_structural_drivers_and_per_row_cif_issues(mine):
    root, ids = mine
    e = _explain(root, "--input", str(root / "mine.csv"), "--cifs", str(root / "my_cifs"))
    by_id = {m["id"]: m for m in e["materials"]}
    assert set(by_id) == {*ids, "broken", "nocif"}  # nothing dropped
    for i in ids:
        m = by_id[i]
        assert m["structure"]["cif"] is True
        assert _structural(t["descriptor"] for t in m["top_descriptors"]), m["top_descriptors"]
        assert all("flag" in t for t in m["top_descriptors"])
        assert m["interval"] is not None  # the bundled model is calibrated
    issues = {r["id"]: r["reason"] for r in e["structure_issues"]}
    assert "broken" in issues and issues["broken"]  # named, with pymatgen's reason
    assert issues["nocif"].startswith(f"no nocif.cif in {root / 'my_cifs'}")  # the missing CIF is a per-row issue
    assert not set(ids) & set(issues)
    for bad in ("broken", "nocif"):
        m = by_id[bad]
        assert m["structure"]["cif"] is False and m["prediction"] is not None
        assert any("no usable CIF" in w for w in m["warnings"])
        assert not any(t["flag"] and t["flag"].startswith("imputed") for t in m["top_descriptors"][:1])


def test_a_cif_column_in_the_csv_works_like_the_folder(mine):
    root, ids = mine
    table = pd.read_csv(root / "mine.csv")
    table["cif"] = [f"my_cifs/{i}.cif" for i in ids] + ["my_cifs/broken.cif", "my_cifs/does_not_exist.cif"]
    table.to_csv(root / "with_column.csv", index=False)
    e = _explain(root, "--input", str(root / "with_column.csv"))
    by_id = {m["id"]: m for m in e["materials"]}
    assert all(by_id[i]["structure"]["cif"] for i in ids)
    issues = {r["id"]: r["reason"] for r in e["structure_issues"]}
    assert "CIF file not found" in issues["nocif"] and "does_not_exist.cif" in issues["nocif"]
    assert "broken" in issues
    folder = _explain(root, "--input", str(root / "mine.csv"), "--cifs", str(root / "my_cifs"))
    same = {m["id"]: m["prediction"] for m in folder["materials"]}
    assert all(by_id[i]["prediction"] == pytest.approx(same[i]) for i in ids)


def test_formulas_alone_with_the_structure_model_say_the_structure_is_imputed(mine):
    root, _ = mine
    e = _explain(root, "Li6PS5Cl")
    m = e["materials"][0]
    assert m["structure"]["cif"] is False
    assert any("structure descriptors" in n and "imputed" in n for n in e["notes"])
    top = m["top_descriptors"][0]
    assert top["value"] is not None  # an imputed value never leads


def test_a_cif_of_another_compound_is_not_used_and_na_values_mean_no_cif(mine):
    root, ids = mine
    table = pd.read_csv(root / "mine.csv").head(len(ids))
    other = table.copy()
    other["formula"] = ["Li7La3Zr2O12"] * len(ids)  # the CIFs hold other compounds (not garnets)
    other["cif"] = [f"my_cifs/{i}.cif" for i in ids[:-1]] + ["n/a"]
    other.to_csv(root / "other.csv", index=False)
    e = _explain(root, "--input", str(root / "other.csv"))
    issues = {r["id"]: r["reason"] for r in e["structure_issues"]}
    for i in ids[:-1]:
        assert "does not match the formula" in issues[i] and "the CIF is not used" in issues[i]
    by_id = {m["id"]: m for m in e["materials"]}
    assert not any(m["structure"]["cif"] for m in by_id.values())
    assert ids[-1] not in issues  # "n/a": no CIF given, not a missing file
    assert any(w.startswith("no usable CIF") for w in by_id[ids[-1]]["warnings"])


def test_formulas_as_arguments_refuse_cif_options(mine):
    root, _ = mine
    result = CliRunner().invoke(app, ["explain", "--model", "structure-default", "--cifs", str(root / "my_cifs"),
                                      "Li3PS4"])
    assert result.exit_code == 2 and "go with --input FILE.csv" in result.output
