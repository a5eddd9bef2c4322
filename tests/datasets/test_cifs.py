"""Safe CIF extraction: nothing is written outside the cache, dangerous archives are refused."""

import io
import tarfile

import pytest

from explainsse.datasets import load_table
from explainsse.datasets.cifs import extract_cifs, parse_cifs
from explainsse.errors import UnsafeArchiveError

from ..conftest import DATA

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

LI2O_CIF = """data_Li2O
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   4.61
_cell_length_b   4.61
_cell_length_c   4.61
_cell_angle_alpha   90
_cell_angle_beta   90
_cell_angle_gamma   90
_symmetry_Int_Tables_number   1
loop_
 _symmetry_equiv_pos_as_xyz
  'x, y, z'
loop_
 _atom_site_label
 _atom_site_type_symbol
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  O1  O  0.0 0.0 0.0 1
  Li1  Li  0.25 0.25 0.25 0.5
  Li2  Li  0.75 0.75 0.75 1
"""


def make_tar(path, members):
    """members: list of (name, bytes | None, kind) with kind in file/symlink/dir/fifo."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, "cifs/a.cif"
                tar.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
    return path


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_good_archive_extracts_flat_and_skips_non_cif(tmp_path):
    archive = make_tar(tmp_path / "ok.tar.gz", [
        ("cifs", None, "dir"),
        ("cifs/a.cif", LI2O_CIF.encode(), "file"),
        ("cifs/b.cif", b"not a cif at all", "file"),
        ("cifs/readme.txt", b"hello", "file"),
    ])
    out = extract_cifs(archive, tmp_path / "cache")
    assert sorted(out.files) == ["a", "b"]
    assert out.skipped == [("cifs/readme.txt", "not a .cif file")]
    assert all(p.parent == out.folder for p in out.files.values())
    structures, failures = parse_cifs(out.files)
    assert list(structures) == ["a"] and not structures["a"].is_ordered  # partial occupancy kept
    assert failures["id"].tolist() == ["b"] and failures["reason"].str.len().iloc[0] > 0
    # a second call reuses the extraction
    assert extract_cifs(archive, tmp_path / "cache").folder == out.folder


@pytest.mark.parametrize(
    "name, kind, match",
    [
        ("../evil.cif", "file", "escape"),
        ("cifs/../../evil.cif", "file", "escape"),
        ("/tmp/evil.cif", "file", "absolute"),
        ("cifs/link.cif", "symlink", "link"),
        ("cifs/hard.cif", "hardlink", "link"),
        ("cifs/pipe.cif", "fifo", "not a regular file"),
    ],
)
def test_dangerous_members_refuse_the_whole_archive(tmp_path, name, kind, match):
    archive = make_tar(tmp_path / "bad.tar.gz", [
        ("cifs/a.cif", LI2O_CIF.encode(), "file"),
        (name, b"data_evil\n", kind),
    ])
    root = tmp_path / "sandbox"
    cache = root / "cache"
    with pytest.raises(UnsafeArchiveError, match=match):
        extract_cifs(archive, cache)
    assert not (tmp_path / "evil.cif").exists() and not (root / "evil.cif").exists()
    assert not cache.exists() or files_under(cache) == [] or all(
        "evil" not in f for f in files_under(cache))
    assert not (cache / "cifs").exists() or not any((cache / "cifs").rglob("*.cif"))


def test_oversized_members_and_archives(tmp_path, monkeypatch):
    import explainsse.datasets.cifs as cifs

    archive = make_tar(tmp_path / "big.tar.gz", [("cifs/a.cif", b"x" * 2048, "file")])
    monkeypatch.setattr(cifs, "MAX_CIF_MEMBER_BYTES", 1024)
    with pytest.raises(UnsafeArchiveError, match="over the 1024 byte limit"):
        extract_cifs(archive, tmp_path / "cache")
    monkeypatch.setattr(cifs, "MAX_CIF_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(cifs, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(UnsafeArchiveError, match="larger than 100 bytes|more than 100 bytes"):
        extract_cifs(archive, tmp_path / "cache")


def test_not_an_archive(tmp_path):
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"plain text")
    with pytest.raises(UnsafeArchiveError, match="not a readable tar archive"):
        extract_cifs(bogus, tmp_path / "cache")


def test_user_table_with_cif_folder(tmp_path):
    folder = tmp_path / "cifs"
    folder.mkdir()
    (folder / "llzo.cif").write_text(LI2O_CIF)
    ds = load_table(DATA / "candidates.csv", id_col="id", cif_dir=folder)
    assert ds.frame.set_index("id")["has_cif"].to_dict() == {
        "llzo": True, "lgps": False, "latp": False, "=cmd": False}
    # the test CIF is Li2O, not the row's garnet: refused and listed, never used
    assert list(ds.structures()) == []
    issue = ds.structure_issues.set_index("id").loc["llzo"]
    assert "does not match the formula" in issue["reason"]
    # the same CIF for a row whose formula is Li2O is used
    table = tmp_path / "t.csv"
    table.write_text((DATA / "candidates.csv").read_text().replace("Li7La3Zr2O12", "Li2O"))
    ds = load_table(table, id_col="id", cif_dir=folder)
    assert list(ds.structures()) == ["llzo"]
    # with a CIF folder every row expects one: the rows without <id>.cif are listed, by id, with the folder
    missing = ds.structure_issues.set_index("id")
    assert sorted(missing.index) == ["=cmd", "latp", "lgps"]
    assert missing.at["lgps", "reason"] == f"no lgps.cif in {folder}: the structure descriptors are imputed"
