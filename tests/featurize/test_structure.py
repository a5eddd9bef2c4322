"""Structure descriptors: golden values from the geometry, invariances, disorder, the OBELiX CIFs."""

import math

import numpy as np
import pytest
from pymatgen.core import Element, Lattice, Structure

from explainsse.featurize.structure import (
    HAS_STRUCTURE,
    LABELS,
    SENDEK_BIAS,
    SENDEK_MODEL,
    SENDEK_WEIGHTS,
    sendek_probability,
    structure_descriptors,
    structure_entries,
)

A = 4.61  # Li2O antifluorite lattice constant (angstrom)
GEOMETRY = [k for k in LABELS if not k.startswith("BVSE")]
BVSE = [k for k in LABELS if k.startswith("BVSE")]


def li2o():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(A), ["Li", "O"], [[0.25, 0.25, 0.25], [0, 0, 0]])


def li3n(a=3.648, c=3.875):
    return Structure(Lattice.hexagonal(a, c), ["N", "Li", "Li", "Li"],
                     [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0]])


def values(s, bvse=False):
    return structure_descriptors(s, bvse=bvse).values


def assert_same(a: dict, b: dict, labels, tol=1e-9, bvse_tol=0.05):
    for k in labels:
        t = bvse_tol if k.startswith("BVSE") else tol
        assert math.isclose(a[k], b[k], rel_tol=t, abs_tol=t) or (math.isnan(a[k]) and math.isnan(b[k])), \
            (k, a[k], b[k])


@pytest.mark.slow
def test_li2o_values_follow_from_the_geometry():
    v = values(li2o())
    # Li: simple cubic sublattice of spacing s = a/2; within 4 A: 6 at s (2.31 A), 12 at s*sqrt(2)
    # (3.26 A) and 8 at s*sqrt(3) (3.99 A)
    assert v["Sendek LLB Li neighbours of Li within 4 A"] == 26
    assert v["Sendek LLSD mean shortest Li-Li distance"] == pytest.approx(A / 2)
    assert v["Sendek LASD mean shortest Li-anion distance"] == pytest.approx(A * math.sqrt(3) / 4)
    assert v["Anion framework shortest anion-anion distance"] == pytest.approx(A / math.sqrt(2))
    assert v["Sendek AASD mean anion-anion separation"] == pytest.approx(A / math.sqrt(2))
    assert v["Sendek AFC anion framework coordination"] == 12  # O is fcc
    assert v["Sendek SBI sublattice bond ionicity"] == 0  # the non-Li sublattice is O only
    assert v["Sendek LNC Li neighbour count"] == 4 and v["Sendek SLNC spread of Li neighbour count"] == 0
    assert v["Sendek LBI Li bond ionicity"] == pytest.approx(Element("O").X - Element("Li").X)
    # the Li-Li hop along a/2 passes O at a*sqrt(2)/4 from its midpoint
    assert v["Sendek PW straight-line path width"] == pytest.approx(A * math.sqrt(2) / 4)
    assert v["Sendek LPF Li packing fraction"] == pytest.approx(8 * 4 / 3 * math.pi * 0.76**3 / A**3)
    assert v["Sendek V/atom volume per atom"] == pytest.approx(A**3 / 12)
    assert v["Anion framework volume per anion"] == pytest.approx(A**3 / 4)
    for d in (1, 2, 3):
        assert v[f"Li percolation {d}D hop distance"] == pytest.approx(A / 2)
    assert v["Anion framework fcc similarity"] == pytest.approx(1.0)
    assert v["Anion framework bcc similarity"] < 0.6 and v["Anion framework hcp similarity"] < 0.6
    assert v["Li mean site occupancy"] == 1 and v["Li sites per Li"] == 1 and v[HAS_STRUCTURE] == 1


@pytest.mark.slow
def test_li3n_values_follow_from_the_geometry():
    a, c = 3.648, 3.875
    v = values(li3n(a, c))
    in_plane = a / math.sqrt(3)  # Li2-N and Li2-Li2 in the Li2N layer
    li1_li2 = math.hypot(in_plane, c / 2)
    assert v["Sendek LASD mean shortest Li-anion distance"] == pytest.approx((c / 2 + 2 * in_plane) / 3)
    assert v["Sendek LLSD mean shortest Li-Li distance"] == pytest.approx((li1_li2 + 2 * in_plane) / 3)
    # the Li2 honeycomb percolates in 2D at its edge; the Li1 bridges give 3D
    assert v["Li percolation 1D hop distance"] == pytest.approx(in_plane)
    assert v["Li percolation 2D hop distance"] == pytest.approx(in_plane)
    assert v["Li percolation 3D hop distance"] == pytest.approx(li1_li2)
    # N: 6 neighbours at a in the plane and 2 at c along the axis (c < 1.1 a)
    assert v["Sendek AFC anion framework coordination"] == 8
    assert v["Sendek LNC Li neighbour count"] == pytest.approx((2 + 2 * 3) / 3)


@pytest.mark.slow
def test_supercell_gives_the_same_values():
    s = li3n()
    big = s.copy()
    big.make_supercell([2, 1, 1])
    assert_same(values(s, bvse=True), values(big, bvse=True), LABELS)


@pytest.mark.filterwarnings("ignore:Issues encountered while parsing CIF")
def test_occupancy_one_written_as_disorder_equals_the_ordered_structure():
    from pymatgen.io.cif import CifParser

    ordered = li3n()
    lines = []
    for line in ordered.to(fmt="cif").splitlines():
        parts = line.split()
        if parts[:1] == ["Li"] and len(parts) == 7:  # each Li site as two half-occupied labels at one position
            lines += ["  " + "  ".join([parts[0], parts[1] + suffix, *parts[2:6], "0.5"]) for suffix in "ab"]
        else:
            lines.append(line)
    text = "\n".join(lines) + "\n"
    assert text.count(" 0.5\n") == 6
    parsed = CifParser.from_str(text).parse_structures(primitive=False)[0]
    two_halves = ordered.copy()
    for i in [i for i, site in enumerate(two_halves) if site.specie.symbol == "Li"]:
        two_halves.replace(i, {"Li": 0.5}, two_halves[i].frac_coords)
        two_halves.append({"Li": 0.5}, two_halves[i].frac_coords)
    reference = values(ordered, bvse=True)
    assert_same(reference, values(parsed, bvse=True), LABELS, tol=1e-6)
    assert_same(reference, values(two_halves, bvse=True), LABELS, tol=1e-9)


@pytest.mark.slow
def test_a_split_li_position_counts_as_one_site():
    s = li2o()
    split = s.copy()
    first_li = next(i for i, site in enumerate(split) if site.specie.symbol == "Li")
    frac = split[first_li].frac_coords
    split.replace(first_li, {"Li": 0.5}, frac)
    split.append({"Li": 0.5}, frac + [0.01 / A, 0, 0])  # 0.01 A away
    assert_same(values(s, bvse=True), values(split, bvse=True), LABELS, tol=1e-2)


@pytest.mark.slow
def test_partial_li_occupancy_weights_the_neighbour_counts():
    half = li2o()
    half.replace_species({"Li": {"Li": 0.5}})
    v = values(half)
    assert v["Li mean site occupancy"] == pytest.approx(0.5)
    assert v["Sendek LLB Li neighbours of Li within 4 A"] == pytest.approx(13)  # 26 neighbours, half there
    assert v["Li sites per Li"] == pytest.approx(2)
    assert v["Sendek LPF Li packing fraction"] == pytest.approx(values(li2o())["Sendek LPF Li packing fraction"] / 2)


@pytest.mark.slow
def test_noise_of_the_public_cifs_moves_distances_by_less_than_its_size():
    rng = np.random.default_rng(0)
    s = li2o()
    s.make_supercell([2, 2, 2])
    noisy = Structure(s.lattice, s.species, s.frac_coords + rng.normal(0, 0.01, s.frac_coords.shape))
    a, b = values(s), values(noisy)
    sigma_angstrom = 0.01 * 2 * A  # sigma 0.01 of a 9.2 A cell
    for k in ("Sendek LASD mean shortest Li-anion distance", "Sendek LLSD mean shortest Li-Li distance",
              "Anion framework volume per anion"):
        assert abs(a[k] - b[k]) < 2 * sigma_angstrom if "distance" in k else abs(a[k] - b[k]) < 1e-9


@pytest.mark.slow
def test_no_li_site_is_a_reason_not_an_error():
    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    r = structure_descriptors(nacl)
    assert math.isnan(r.values["Sendek LLB Li neighbours of Li within 4 A"])
    assert math.isnan(r.values["BVSE Li 3D percolation barrier"])
    assert r.reasons == ["no Li site: Li descriptors undefined"]
    assert r.values["Sendek AFC anion framework coordination"] == 12
    # within 4 A each ion has 6 unlike neighbours at a/2 (|3.16 - 0.93|) and 12 like ones at a/sqrt(2)
    assert r.values["Sendek SBI sublattice bond ionicity"] == pytest.approx(6 * (3.16 - 0.93) / 18, abs=0.01)
    assert math.isnan(sendek_probability(r.values))


@pytest.mark.slow
def test_sendek_probability_is_their_published_model():
    v = values(li2o())
    z = SENDEK_BIAS + sum(w * v[k] for w, k in zip(SENDEK_WEIGHTS, SENDEK_MODEL))
    assert sendek_probability(v) == pytest.approx(1 / (1 + math.exp(-z)))
    assert [k.split()[1] for k in SENDEK_MODEL] == ["LLB", "SBI", "AFC", "LASD", "LLSD"]


def test_every_descriptor_has_meaning_unit_and_citation():
    entries = structure_entries()
    assert [e.name for e in entries] == list(LABELS)
    for e in entries:
        assert e.meaning and e.unit and e.citation
    assert all("Sendek" in e.citation for e in entries if e.name.startswith("Sendek"))
    assert all("SoftBV" in e.citation for e in entries if e.name.startswith("BVSE"))


@pytest.mark.integration
def test_every_obelix_cif_gets_values(obelix):
    structures = obelix.structures()
    assert len(structures) == 321
    results = {k: structure_descriptors(s, bvse=False) for k, s in structures.items()}
    no_li = [k for k, r in results.items() if any(x.startswith("no Li site") for x in r.reasons)]
    assert len(no_li) == 7
    for label in GEOMETRY:
        defined = sum(math.isfinite(r.values[label]) for r in results.values())
        assert defined >= 0.97 * (321 - len(no_li)), label
