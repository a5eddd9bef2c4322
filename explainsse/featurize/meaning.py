"""What a descriptor stands for: its named physical group, and whether it is a proxy rather than physics.

Every descriptor of every preset belongs to exactly one **named group** (:func:`physical_group`),
so that explanations can be read as "Li-Li spacing" or "anion framework" rather than as 200
partly collinear columns; a group's SHAP value is the exact sum of its members' SHAP values.

Some descriptors carry a **flag** (:func:`proxy_flag`): their values order materials in a way
that tracks which elements are present or how the literature works, not a mechanism of ionic
transport (Mendeleev or atomic numbers, the elements' own ground-state space groups, the number
of elements, a space-group number read as a quantity). A per-material flag
(:func:`value_flag`) marks a contribution from an imputed (missing) value and Li-Li distances
shorter than any physical Li-Li contact (split, partially occupied sites).
"""

from __future__ import annotations

import math
import re

#: The named groups, each with one line on what it measures (shown in the glossary).
PHYSICAL_GROUPS = {
    "Li-Li spacing": "distances between Li sites and Li hop lengths (structure)",
    "Li-anion bonding": "Li-anion distances, coordination and bond ionicity",
    "bond-valence landscape": "bond-valence migration barriers and the width of the Li path (structure)",
    "anion framework": "how the anions pack: bcc/fcc/hcp similarity, anion-anion separation, volume per anion",
    "anion chemistry": "which anions, their size, electronegativity and share (softer, more polarizable S, Se, I vs O, F)",
    "Li content and site filling": "Li per formula unit, per anion and per cation, Li site occupancy and filling",
    "cation chemistry": "the non-Li cations: their electronegativity, radius, oxidation state and mix",
    "lattice size": "cell parameters and volumes",
    "crystal symmetry": "crystal system and space group",
    "element size and electronegativity": "statistics over the elements of covalent radius, electronegativity "
                                          "and elemental volume",
    "element electronic structure": "statistics over the elements of valence-electron counts and unfilled states",
    "element identity": "statistics over the elements of atomic number, weight, Mendeleev number, row, column, "
                        "melting point, ground-state space group, band gap and magnetic moment",
    "composition complexity": "number of elements and how evenly they are mixed",
    "doping and mixing": "substitution (doping) level, aliovalent charge and size mismatch, configurational "
                         "entropy of the anion and cation sublattices",
    "data flags": "whether a structure or a NASICON framework was recognised",
}

#: Magpie element properties by group (matminer ElementProperty, preset "magpie").
_MAGPIE = {
    "element size and electronegativity": ("CovalentRadius", "Electronegativity", "GSvolume_pa"),
    "element electronic structure": ("NsValence", "NpValence", "NdValence", "NfValence", "NValence",
                                     "NsUnfilled", "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled"),
    "element identity": ("Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row",
                         "SpaceGroupNumber", "GSbandgap", "GSmagmom"),
}

#: (pattern, group), first match wins; a pattern is matched at the start of the descriptor name.
_RULES = (
    (r"MagpieData \w+ (?P<p>\w+)$", None),  # resolved through _MAGPIE
    (r"Chem (Li-anion|cation-anion) (ionic character|radius ratio)", "Li-anion bonding"),
    (r"Chem Li ", "Li content and site filling"),
    (r"Chem (\w+ share of anions|mean anion|anion radius spread|H atomic fraction)", "anion chemistry"),
    (r"Chem (mean cation|cation field strength)", "cation chemistry"),
    (r"Chem (anion mixing|cation mixing|cation charge spread|cation radius spread|non-integer share)",
     "doping and mixing"),
    (r"Sendek (LLSD|LLB)|Li percolation \dD hop distance", "Li-Li spacing"),
    (r"Sendek (LASD|LBI|SLBI|LNC|SLNC)|Electrolyte anion-cation electronegativity difference", "Li-anion bonding"),
    (r"BVSE |Sendek PW", "bond-valence landscape"),
    (r"Anion framework|Sendek (AASD|AFC|SNC|SBI|SPF)|Crystal volume per anion", "anion framework"),
    (r"Li mean site occupancy|Li sites per Li|Crystal Li number density|Electrolyte Li |Sendek LPF|"
     r"NASICON A-site filling|NASICON A per unit", "Li content and site filling"),
    (r"Electrolyte (\w+ share of anions|mean anion|distinct anions|anion atomic fraction|H atomic fraction)",
     "anion chemistry"),
    (r"Electrolyte (mean non-Li cation|distinct non-Li cations|non-Li cation atomic fraction)|NASICON (M-site|X)|"
     r"NASICON A-site ionic radius", "cation chemistry"),
    (r"Crystal (lattice|cell volume|atoms per cell|volume per atom)|Sendek V/atom|NASICON (a|c) \(hexagonal\)|"
     r"NASICON (c/a|volume per unit|h \(Xu\)|d \(Xu\)|framework size)", "lattice size"),
    (r"Crystal (space group number|system is)", "crystal symmetry"),
    (r"Stoichiometry ", "composition complexity"),
    (r"(avg|frac) [spdf] valence electrons", "element electronic structure"),
    (r"NASICON framework$|NASICON trigonal cell|Structure available", "data flags"),
)

#: Group of a descriptor that no rule names (a user's own column).
USER_GROUP = "user descriptors"


def physical_group(name: str) -> str:
    """The named group a descriptor belongs to (:data:`PHYSICAL_GROUPS`; :data:`USER_GROUP` for others).

    Examples
    --------
    >>> physical_group("Sendek LLSD mean shortest Li-Li distance")
    'Li-Li spacing'
    >>> physical_group("MagpieData avg_dev SpaceGroupNumber")
    'element identity'
    """
    for pattern, group in _RULES:
        m = re.match(pattern, name)
        if m is None:
            continue
        if group is not None:
            return group
        prop = m.group("p")
        return next((g for g, props in _MAGPIE.items() if prop in props), USER_GROUP)
    return USER_GROUP


#: Proxy flags by pattern: why the descriptor is a proxy, and what it most likely stands for.
_PROXIES = (
    (r"MagpieData \w+ SpaceGroupNumber$", "proxy: a statistic of the elements' own ground-state space groups, not "
                                          "the material's symmetry; it stands for which elements are present"),
    (r"MagpieData \w+ (MendeleevNumber|Number|AtomicWeight|Row|Column)$",
     "proxy: a statistic of element identity (position in the periodic table); it stands for which elements "
     "are present"),
    (r"MagpieData \w+ (GSmagmom|GSbandgap|MeltingT)$", "proxy: a property of the pure elements' ground states; it "
                                                       "stands for which elements are present"),
    (r"Stoichiometry 0-norm$|Electrolyte distinct (non-Li cations|anions)$",
     "proxy: the number of elements tracks how doped and optimized a composition is (what gets made and "
     "published), not a transport mechanism"),
    (r"Crystal space group number$", "proxy: a space-group number read as a quantity; its order means nothing "
                                     "physical (the crystal-system indicators say the same honestly)"),
)

#: Shortest Li-Li separation that can exist between two occupied Li sites (angstrom); shorter
#: distances come from split or partially occupied sites in a disordered structure.
LI_LI_CONTACT = 2.0
#: Descriptors that are Li-Li distances (checked against :data:`LI_LI_CONTACT`).
LI_LI_DISTANCES = ("Sendek LLSD mean shortest Li-Li distance", "Li percolation 1D hop distance",
                   "Li percolation 2D hop distance", "Li percolation 3D hop distance")

#: The flag of a contribution that comes from an imputed (missing) value.
IMPUTED = "imputed: the value is missing for this material and was filled in by the model's imputer"


def proxy_flag(name: str) -> str | None:
    """Why a descriptor is a proxy rather than physics (None for the others).

    Examples
    --------
    >>> proxy_flag("Stoichiometry 0-norm").split(":")[0]
    'proxy'
    >>> proxy_flag("Sendek LLSD mean shortest Li-Li distance") is None
    True
    """
    return next((why for pattern, why in _PROXIES if re.match(pattern, name)), None)


def value_flag(name: str, value) -> str | None:
    """The flag of one material's descriptor value: imputed, a split-site Li-Li distance, or its proxy flag."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing:
        return IMPUTED
    if name in LI_LI_DISTANCES and float(value) < LI_LI_CONTACT:
        return (f"split sites: {float(value):.2f} A is shorter than any Li-Li contact ({LI_LI_CONTACT} A); here the "
                "descriptor marks a disordered, partially occupied Li sublattice rather than a Li-Li spacing")
    return proxy_flag(name)


__all__ = ["IMPUTED", "LI_LI_CONTACT", "LI_LI_DISTANCES", "PHYSICAL_GROUPS", "USER_GROUP", "physical_group",
           "proxy_flag", "value_flag"]
