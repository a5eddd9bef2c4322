"""Descriptor glossary: a readable name, a one-line meaning, a unit and a source for each column.

Reports and ``explainsse descriptors`` print these entries; a saved model records the preset,
so every column it uses can be explained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .meaning import physical_group, proxy_flag

WARD_2016 = (
    "L. Ward, A. Agrawal, A. Choudhary, C. Wolverton, \"A general-purpose machine learning "
    "framework for predicting properties of inorganic materials\", npj Comput. Mater. 2, 16028 "
    "(2016), doi:10.1038/npjcompumats.2016.28"
)
SHANNON_1976 = (
    "R. D. Shannon, \"Revised effective ionic radii and systematic studies of interatomic "
    "distances in halides and chalcogenides\", Acta Cryst. A32, 751-767 (1976), "
    "doi:10.1107/S0567739476001551 (values via pymatgen)"
)
PAULING = "Pauling electronegativity (values via pymatgen)"
EXPLAINSSE = "explainsse electrolyte descriptors (this package)"
OBELIX_LATTICE = "crystallographic columns of the input table (OBELiX: Therrien et al. 2025)"


@dataclass(frozen=True)
class DescriptorInfo:
    """Glossary entry of one descriptor.

    Attributes
    ----------
    name : str
        Column name, e.g. ``"MagpieData mean Electronegativity"``.
    meaning : str
        One line a scientist can read.
    unit : str
        Physical unit, ``"-"`` for dimensionless.
    source : str
        Featurizer that computes it (``matminer ElementProperty``, ``explainsse ...``).
    citation : str
        Reference to cite.
    group : str
        Its named physical group (:func:`~explainsse.featurize.meaning.physical_group`; filled in
        from the name when not given).
    flag : str or None
        Why it is a proxy rather than physics (:func:`~explainsse.featurize.meaning.proxy_flag`),
        or None.
    """

    name: str
    meaning: str
    unit: str
    source: str
    citation: str
    group: str = ""
    flag: str | None = None

    def __post_init__(self):
        if not self.group:
            object.__setattr__(self, "group", physical_group(self.name))
        if self.flag is None:
            object.__setattr__(self, "flag", proxy_flag(self.name))

    def as_dict(self) -> dict:
        """Plain dict (for JSON and DataFrames)."""
        return asdict(self)


#: Magpie elemental properties: (meaning, unit).
MAGPIE_PROPERTIES = {
    "Number": ("atomic number", "-"),
    "MendeleevNumber": ("Mendeleev number (position in Pettifor's chemical scale)", "-"),
    "AtomicWeight": ("atomic weight", "amu"),
    "MeltingT": ("melting temperature of the element", "K"),
    "Column": ("group (column) in the periodic table", "-"),
    "Row": ("period (row) in the periodic table", "-"),
    "CovalentRadius": ("covalent radius", "pm"),
    "Electronegativity": ("Pauling electronegativity", "Pauling units"),
    "NsValence": ("filled s valence orbitals (electrons)", "electrons"),
    "NpValence": ("filled p valence orbitals (electrons)", "electrons"),
    "NdValence": ("filled d valence orbitals (electrons)", "electrons"),
    "NfValence": ("filled f valence orbitals (electrons)", "electrons"),
    "NValence": ("total valence electrons", "electrons"),
    "NsUnfilled": ("unfilled s valence states", "states"),
    "NpUnfilled": ("unfilled p valence states", "states"),
    "NdUnfilled": ("unfilled d valence states", "states"),
    "NfUnfilled": ("unfilled f valence states", "states"),
    "NUnfilled": ("total unfilled valence states", "states"),
    "GSvolume_pa": ("DFT volume per atom of the elemental ground state", "angstrom^3/atom"),
    "GSbandgap": ("DFT band gap of the elemental ground state", "eV"),
    "GSmagmom": ("DFT magnetic moment of the elemental ground state", "Bohr magneton/atom"),
    "SpaceGroupNumber": ("space-group number of the elemental ground state", "-"),
}

MAGPIE_STATS = {
    "minimum": "minimum over the elements present of the {p}",
    "maximum": "maximum over the elements present of the {p}",
    "range": "range (max - min) over the elements present of the {p}",
    "mean": "composition-weighted mean of the {p}",
    "avg_dev": "composition-weighted mean absolute deviation of the {p}",
    "mode": "{p} of the most abundant element",
}
