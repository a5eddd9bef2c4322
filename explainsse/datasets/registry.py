"""Registry of the datasets explainsse knows: files, pinned URLs, sha256, licence, citation.

Adding a dataset means adding one :class:`DatasetSpec` to :data:`REGISTRY`; everything else
(fetching, verification, ``explainsse datasets list/info/fetch``) reads from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DatasetNotFoundError

_OBELIX_COMMIT = "4eaac889809dd489e3bae468c45d5c0e02b9147a"
_OBELIX_BASE = (
    f"https://raw.githubusercontent.com/NRC-Mila/OBELiX/{_OBELIX_COMMIT}/data/downloads/"
)
_XU_COMMIT = "0191a36c5583e108c413754d36e65f0592172db7"
_XU_BASE = (
    "https://raw.githubusercontent.com/EXJUSTICE/"
    f"LISICON_NASICON_IonicConductivity_Classification/{_XU_COMMIT}/"
)


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset.

    Parameters
    ----------
    name : str
        File name inside ``<data_dir>/<dataset>/``.
    url : str
        Pinned download URL (a fixed commit, never a moving branch).
    sha256 : str
        Expected SHA-256 of the file's bytes.
    description : str
        What the file holds.
    """

    name: str
    url: str
    sha256: str
    description: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the toolkit knows about one dataset.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"obelix"``.
    title : str
        Human-readable title.
    version : str
        Upstream version or commit.
    files : tuple of FileSpec
        The dataset's files.
    license : str
        Licence of the data.
    citation : str
        How to cite it.
    source : str
        Where it comes from.
    columns : dict
        Meaning of the upstream columns.
    expected : dict
        Counts a correct load must reproduce (checked by tests and shown by ``info``).
    """

    name: str
    title: str
    version: str
    files: tuple[FileSpec, ...]
    license: str
    citation: str
    source: str
    columns: dict[str, str] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)

    def file(self, name: str) -> FileSpec:
        """Return the :class:`FileSpec` called ``name``."""
        for spec in self.files:
            if spec.name == name:
                return spec
        known = ", ".join(f.name for f in self.files)
        raise KeyError(f"dataset {self.name!r} has no file {name!r} (files: {known})")


OBELIX = DatasetSpec(
    name="obelix",
    title="OBELiX v1.2: experimentally measured ionic conductivities of Li solid electrolytes",
    version=f"v1.2 (commit {_OBELIX_COMMIT[:10]})",
    files=(
        FileSpec(
            "all.csv",
            _OBELIX_BASE + "all.csv",
            "54f6265ef84d16a919d08c6815f14b0fd7465fa00090bee2511c16c042e57f3c",
            "all 599 entries",
        ),
        FileSpec(
            "train.csv",
            _OBELIX_BASE + "train.csv",
            "01d87779862807e24bc45bb2c759852f892390b99f9340f13906c54805aa8776",
            "official training split (478 entries)",
        ),
        FileSpec(
            "test.csv",
            _OBELIX_BASE + "test.csv",
            "b2c266eb74e22f403743d52959bea7c43b1531a850994870a70dd909200e5297",
            "official test split (121 entries)",
        ),
        FileSpec(
            "all_cifs.tar.gz",
            _OBELIX_BASE + "all_cifs.tar.gz",
            "bfa2a3c92e3b8ca1b9859992e686c9e19f98924e7ff369c05db7006548217d49",
            "321 CIFs (atomic positions slightly randomized by the authors)",
        ),
    ),
    license="CC BY 4.0 (Creative Commons Attribution 4.0 International)",
    citation=(
        "F. Therrien et al., \"OBELiX: A Curated Dataset of Crystal Structures and "
        "Experimentally Measured Ionic Conductivities for Lithium Solid-State Electrolytes\", "
        "arXiv:2502.14234 (2025); Digital Discovery (2026)."
    ),
    source="https://github.com/NRC-Mila/OBELiX (data/downloads)",
    columns={
        "ID": "three-character entry id",
        "Reduced Composition": "reduced formula as written by the authors (does not always parse)",
        "Z": "formula units of the reduced composition per unit cell",
        "True Composition": "composition of the whole unit cell (parses for every row)",
        "Ionic conductivity (S cm-1)": "room-temperature ionic conductivity; a number or a text "
        "upper bound such as '<1E-10'",
        "IC (Total)": "total ionic conductivity when reported separately",
        "IC (Bulk)": "bulk ionic conductivity when reported separately",
        "Space group": "Hermann-Mauguin symbol",
        "Space group #": "space-group number (1-230)",
        "a": "lattice length a (angstrom)",
        "b": "lattice length b (angstrom)",
        "c": "lattice length c (angstrom)",
        "alpha": "lattice angle alpha (degrees)",
        "beta": "lattice angle beta (degrees)",
        "gamma": "lattice angle gamma (degrees)",
        "Family": "structural family (NASICON, garnet, perovskites, argyrodites, LGPS, ...)",
        "DOI": "DOI of the paper reporting the conductivity",
        "Cif ID": "'done' when a CIF is in all_cifs.tar.gz",
    },
    expected={"rows": 599, "train": 478, "test": 121, "censored": 37, "cifs": 321},
)

XU2020 = DatasetSpec(
    name="xu2020",
    title="Xu, Zong & Hippalgaonkar (2020) sodium NASICON training set",
    version=f"commit {_XU_COMMIT[:10]}",
    files=(
        FileSpec(
            "TrainingData.csv",
            _XU_BASE + "TrainingData.csv",
            "c325a12f7a262725f1f4b765f8621d1c226922a66f8df3cb979c28c2d9cad0fe",
            "70 Na NASICON compositions with conductivity and hand-made site descriptors",
        ),
    ),
    license="no licence file upstream; facts and numbers from the publication",
    citation=(
        "Y. Xu, Y. Zong, K. Hippalgaonkar, \"Machine learning-assisted cross-domain prediction "
        "of ionic conductivity in sodium and lithium-based superionic conductors using facile "
        "descriptors\", J. Phys. Commun. 4, 055015 (2020), doi:10.1088/2399-6528/ab92d8."
    ),
    source="https://github.com/EXJUSTICE/LISICON_NASICON_IonicConductivity_Classification",
    columns={
        "Formula": "Na NASICON composition",
        "S": "room-temperature ionic conductivity (S/cm) - target",
        "Slog": "log10 of S - target",
        "Sclass": "1 = good superionic conductor (sigma >= 1e-6 S/cm) - target",
        "Ea": "activation energy (eV) - measurement, not a descriptor",
        "a, c, a/c, h, d, Vcalc": "lattice parameters and derived geometry (angstrom, angstrom^3)",
        "D1*/D2*/D3*": "per-site (Na site, M sites) dopant ionic radius, volume, electronegativity",
        "PO4, SiO4, ...": "polyanion group counts and volumes",
    },
    expected={"rows": 70},
)

#: All datasets known to the toolkit, by name.
REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in (OBELIX, XU2020)}


def get_spec(name: str) -> DatasetSpec:
    """Return the registry entry for ``name`` (case-insensitive).

    Raises
    ------
    DatasetNotFoundError
        If no dataset of that name is registered.
    """
    key = name.strip().lower()
    if key not in REGISTRY:
        raise DatasetNotFoundError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(REGISTRY))}"
        )
    return REGISTRY[key]
