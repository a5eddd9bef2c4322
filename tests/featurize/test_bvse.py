"""Li+ bond-valence site energy: charges, landscape symmetry, agreement with bvlain."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from explainsse.featurize.bvse import SOFTBV_LI, BVSEError, bvse_barriers, li_landscape
from explainsse.featurize.oxidation import OxidationError, anion_roles, framework_charges

REFERENCE = Path(__file__).parents[1] / "data" / "bvlain_reference.json"


def li2o():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["Li", "O"], [[0.25, 0.25, 0.25], [0, 0, 0]])


@pytest.mark.slow
def test_charges_of_common_electrolyte_chemistries():
    li3ps4 = Structure.from_spacegroup("P-43m", Lattice.cubic(5.6), ["Li", "P", "S"],
                                       [[0.5, 0, 0], [0, 0, 0], [0.21, 0.21, 0.21]])
    assert framework_charges(li3ps4) == {"S": -2, "Li": 1, "P": 5}  # P-S 2.04 A: P is the cation
    sulfate = Structure.from_spacegroup("P-43m", Lattice.cubic(5.0), ["Li", "S", "O"],
                                        [[0.5, 0.5, 0], [0, 0, 0], [0.17, 0.17, 0.17]])
    roles = anion_roles(sulfate)
    assert roles == {"O": True, "S": False}  # S-O 1.47 A: sulfate
    hydride = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.08), ["Li", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert framework_charges(hydride) == {"H": -1, "Li": 1}
    with pytest.raises(OxidationError, match="no anion"):
        framework_charges(Structure(Lattice.cubic(3.5), ["Li", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]]))


@pytest.mark.slow
def test_landscape_of_li2o_respects_cubic_symmetry():
    s = li2o()
    land = li_landscape(s, resolution=0.2)
    e = land.energy
    assert e.min() == 0
    # without the Li themselves, the deepest point of the O framework is the empty octahedral
    # site (1/2, 0, 0) and its equivalents (6 O at a/2), not the tetrahedral Li site (4 O)
    n = e.shape[0]
    low = np.argwhere(e < 1e-6)[0] / n
    assert sorted(np.round(np.minimum(low, 1 - low) * 2) / 2) == [0, 0, 0.5]
    # the 3-fold axis maps (x, y, z) -> (y, z, x): the landscape is invariant
    assert np.allclose(e, np.transpose(e, (1, 2, 0)), atol=1e-9)
    b = land.barriers()
    assert b[0] == b[1] == b[2] and 0.1 < b[2] < 1.0  # cubic: the same barrier in every direction


@pytest.mark.slow
def test_partial_occupancy_weights_the_framework():
    s = li2o()
    half = s.copy()
    half.replace_species({"O": {"O": 0.5}})
    full, weak = li_landscape(s, resolution=0.3), li_landscape(half, resolution=0.3)
    # half the anion attraction: a flatter landscape (smaller spread of energies)
    assert np.ptp(weak.energy) < np.ptp(full.energy)


def test_an_anion_without_softbv_parameters_is_a_clear_error():
    li3p = Structure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(4.27, 7.59), ["Li", "Li", "P"],
                                     [[0, 0, 0.25], [1 / 3, 2 / 3, 0.583], [1 / 3, 2 / 3, 0.25]])
    assert "P" not in SOFTBV_LI
    with pytest.raises(BVSEError, match="no softBV Li\\+ parameters for the anion P-3"):
        bvse_barriers(li3p)


@pytest.mark.slow
def test_time_limit_stops_the_grid():
    with pytest.raises(TimeoutError, match="not finished within"):
        bvse_barriers(li2o(), resolution=0.1, time_limit=0.0)


@pytest.mark.integration
def test_barriers_agree_with_bvlain_within_0_1_ev(obelix):
    """bvlain 0.25.1 values recorded by benchmarks/bvse_vs_bvlain.py on OBELiX's ordered CIFs, same grid spacing.

    At the default 0.3 A spacing (3x faster) the mean difference is 0.05 eV and 62 of 66 lie within
    0.1 eV (README); at bvlain's 0.2 A every structure does.
    """
    reference = json.loads(REFERENCE.read_text())
    structures = obelix.structures()
    assert len(reference["structures"]) >= 60
    worst = 0.0
    # every third structure keeps the test short; benchmarks/bvse_vs_bvlain.py compares all of them
    for key, ref in sorted(reference["structures"].items())[::3]:
        ours = bvse_barriers(structures[key], resolution=reference["resolution"])
        for dim in ("E_1D", "E_2D", "E_3D"):
            theirs = ref[dim]
            if theirs is None:  # bvlain found no percolation below its ceiling
                assert ours[dim] > reference["encut"] - 0.1 or math.isnan(ours[dim]), (key, dim)
                continue
            worst = max(worst, abs(ours[dim] - theirs))
            assert ours[dim] == pytest.approx(theirs, abs=0.1), (key, dim)
    assert worst < 0.1
