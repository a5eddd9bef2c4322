"""NASICON site descriptors (nasicon-v1): site assignment, values, lattice, in-fold estimate, glossary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from explainsse.featurize import DescriptorFeaturizer, glossary
from explainsse.featurize.nasicon_descriptors import (
    COL_A,
    COL_C,
    COL_FRAMEWORK,
    COL_M_RADIUS,
    COL_OPENNESS,
    COL_VOLUME,
    LABELS,
    NasiconSiteFeaturizer,
    m_site_charges,
    site_of,
)
from explainsse.featurize.nasicon_lattice import NasiconLatticeEstimator, fill_lattice
from explainsse.featurize.nasicon_sites import assign_sites
from explainsse.featurize.structure_table import NOTES

P = "NASICON "


def _table(formulas, **cols):
    return pd.DataFrame({"formula": formulas, **cols})


def _values(formula, **lattice):
    row = _table([formula], **{k: [v] for k, v in lattice.items()})
    return NasiconSiteFeaturizer().featurize_table(row).iloc[0]


# -- sites ---------------------------------------------------------------------------------------

def test_site_assignment_follows_the_framework_unit():
    lagp = assign_sites({"Li": 1.5, "Al": 0.5, "Ge": 1.5, "P": 3, "O": 12})
    assert lagp.m == {"Al": 0.5, "Ge": 1.5} and lagp.x == {"P": 3.0} and lagp.a == {"Li": 1.5}
    nvp = assign_sites({"Na": 3, "V": 2, "P": 3, "O": 12})  # V is octahedral when P fills the X sites
    assert nvp.m == {"V": 2.0} and nvp.x == {"P": 3.0}
    nzsp = assign_sites({"Na": 3, "Zr": 2, "Si": 2, "P": 1, "O": 12})
    assert nzsp.x == {"Si": 2.0, "P": 1.0} and nzsp.m == {"Zr": 2.0}
    cell = assign_sites({"Li": 7.8, "Al": 1.8, "Ti": 10.2, "P": 18, "O": 72})  # a whole cell: 6 units
    assert cell.a_total == pytest.approx(1.3) and cell.o == pytest.approx(12)


def test_latp_site_values_by_hand():
    v = _values("Li1.3Al0.3Ti1.7(PO4)3")
    assert v[COL_FRAMEWORK] == 1 and v[P + "A per unit"] == pytest.approx(1.3)
    assert v[P + "A-site filling"] == pytest.approx(1.3 / 4)
    assert v[P + "A-site ionic radius"] == pytest.approx(0.76)          # Shannon Li+ CN 6
    r = (0.3 * 0.535 + 1.7 * 0.605) / 2                                   # Al3+ and Ti4+ CN 6
    assert v[COL_M_RADIUS] == pytest.approx(r)
    assert v[P + "M-site radius spread"] == pytest.approx(math.sqrt((0.15 * (0.535 - r) ** 2 + 0.85 * (0.605 - r) ** 2)))
    assert v[P + "M-site mean oxidation state"] == pytest.approx((0.3 * 3 + 1.7 * 4) / 2)
    assert v[P + "X share P"] == 1 and v[P + "X share Si"] == 0
    assert v[P + "X-site mean tetrahedral radius"] == pytest.approx(0.17)  # P5+ CN 4
    assert v[P + "X-site mean oxidation state"] == 5
    assert np.isnan(v[COL_A])  # no lattice given: left to the model's in-fold estimate
    assert "estimated" in v[NOTES]


def test_na_and_li_share_the_site_filling_scale():
    li, na = _values("Li1.5Al0.5Ti1.5(PO4)3"), _values("Na1.5Al0.5Ti1.5(PO4)3")
    assert li[P + "A-site filling"] == na[P + "A-site filling"] == pytest.approx(0.375)
    assert li[P + "A-site ionic radius"] < na[P + "A-site ionic radius"]
    same = [c for c in LABELS if site_of(c) in ("M site", "X site")]
    pd.testing.assert_series_equal(li[same], na[same])


@pytest.mark.parametrize("m, required, expected", [
    ({"Al": 0.3, "Ti": 1.7}, 7.7, {"Al": 3, "Ti": 4}),
    ({"Mo": 1, "Zr": 1}, 8.0, {"Mo": 4, "Zr": 4}),          # NaMoZr(PO4)3: Mo4+ balances
    ({"Sc": 2}, 6.0, {"Sc": 3}),
    ({"Sn": 0.25, "Ge": 1.75}, 7.75, {"Sn": 4, "Ge": 4}),  # rounded doping: common states, not Ge3+
])
def test_m_site_charges_balance_the_framework(m, required, expected):
    assert m_site_charges(m, required) == expected


def test_lattice_in_the_hexagonal_setting_and_from_a_full_cell():
    hexa = _values("Li6Ti12P18O72", a=8.5112, b=8.5112, c=20.8479, alpha=90.0, beta=90.0, gamma=120.0,
                   formula_units_per_cell=1.0, space_group_number=167)
    assert hexa[COL_A] == pytest.approx(8.5112) and hexa[COL_C] == pytest.approx(20.8479)
    volume = math.sqrt(3) / 2 * 8.5112 ** 2 * 20.8479 / 6
    assert hexa[COL_VOLUME] == pytest.approx(volume)
    assert hexa[P + "h (Xu)"] == pytest.approx(math.sqrt(2) * 8.5112)
    assert hexa[COL_OPENNESS] == pytest.approx(volume ** (1 / 3) / (0.76 + 1.40))
    assert hexa[P + "trigonal cell"] == 1
    ortho = _values("Li16Cr8Ti8P24O96", a=8.461, b=8.688, c=23.83, alpha=90.0, beta=90.0, gamma=90.0,
                    formula_units_per_cell=1.0, space_group_number=61)
    assert np.isnan(ortho[COL_A])  # not the hexagonal setting: a, c are estimated later
    assert ortho[COL_VOLUME] == pytest.approx(8.461 * 8.688 * 23.83 / 8)  # 40 framework cations = 8 units
    assert ortho[P + "trigonal cell"] == 0 and "space group 61" in ortho[NOTES]
    odd = _values("Na3Zr2Si2PO12", a=9.021, c=9.206)  # Xu's monoclinic row: c/a is not a hexagonal cell's
    assert np.isnan(odd[COL_A]) and np.isnan(odd[P + "trigonal cell"])


def test_rows_that_are_not_nasicon_get_nan_and_the_detectors_reason():
    out = NasiconSiteFeaturizer().featurize_table(_table(["Li7La3Zr2O12", "Li3PS4", "Qq2O"]))
    assert (out[COL_FRAMEWORK] == 0).all() and out[LABELS[1:]].isna().all().all()
    assert "no XO4 polyanion former" in out.at[0, NOTES] and "no oxygen" in out.at[1, NOTES]
    assert "unparsable" in out.at[2, NOTES]


def test_preset_works_from_formulas_alone_and_combines_with_others():
    X = DescriptorFeaturizer("nasicon-v1", cache=False).fit_transform(["NaZr2(PO4)3", "Li3PO4"])
    assert list(X.columns) == LABELS and X[COL_FRAMEWORK].tolist() == [1.0, 0.0]
    both = DescriptorFeaturizer("composition-v1+nasicon-v1", cache=False).fit_transform(["NaZr2(PO4)3"])
    assert both.shape[1] == len(DescriptorFeaturizer("composition-v1").fit(["Li2O"]).feature_names_out_) + len(LABELS)


def test_every_descriptor_has_meaning_unit_and_citation():
    g = glossary("nasicon-v1").set_index("name")
    assert list(g.index) == LABELS
    assert (g["meaning"].str.len() > 20).all() and g["unit"].ne("").all()
    assert g["citation"].str.contains("Xu|Shannon|Hong|Pauling").all()
    assert g.loc[COL_M_RADIUS, "unit"] == "angstrom" and "Shannon" in g.loc[COL_M_RADIUS, "citation"]


def test_site_of_names_the_site():
    assert {site_of(c) for c in LABELS} == {None, "A site", "M site", "X site", "lattice"}
    assert site_of(P + "X share Si") == "X site" and site_of("MagpieData mean Number") is None


# -- lattice estimate inside the training rows ---------------------------------------------------

def _synthetic(n=30, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(0.0, index=range(n), columns=LABELS)
    frame[COL_FRAMEWORK] = 1.0
    frame[COL_M_RADIUS] = rng.uniform(0.5, 0.9, n)
    frame[P + "X-site mean tetrahedral radius"] = rng.uniform(0.17, 0.26, n)
    frame[P + "A per unit"] = rng.uniform(1, 3, n)
    frame[P + "A-site ionic radius"] = rng.choice([0.76, 1.02], n)
    frame[COL_A] = 6 + 3 * frame[COL_M_RADIUS] + 2 * frame[P + "X-site mean tetrahedral radius"]
    frame[COL_C] = 18 + 5 * frame[COL_M_RADIUS]
    frame[COL_VOLUME] = 150 + 120 * frame[COL_M_RADIUS]
    return frame


def test_estimator_learns_the_linear_fit_on_training_rows_only():
    train, test = _synthetic(), _synthetic(5, seed=1)
    truth = test[[COL_A, COL_C, COL_VOLUME]].copy()
    test[[COL_A, COL_C, COL_VOLUME]] = np.nan
    est = NasiconLatticeEstimator().fit(train)
    out = est.transform(test)
    np.testing.assert_allclose(out[[COL_A, COL_C, COL_VOLUME]], truth, rtol=2e-3)
    np.testing.assert_allclose(out[P + "c/a"], out[COL_C] / out[COL_A])
    np.testing.assert_allclose(out[COL_OPENNESS], np.cbrt(out[COL_VOLUME]) / (out[P + "A-site ionic radius"] + 1.40))
    # rows with a given lattice are never changed, and the test rows' values did not enter the fit
    given = _synthetic(5, seed=2)
    pd.testing.assert_frame_equal(est.transform(given), given)
    assert all(fit[-1] == len(train) for fit in est.fits_.values())


def test_estimator_passes_other_descriptors_through():
    X = pd.DataFrame({"d1": [1.0, np.nan], "d2": [0.5, 0.2]})
    est = NasiconLatticeEstimator().fit(X)
    assert not est.active_ and est.transform(X) is X
    np.testing.assert_array_equal(est.fit(X.to_numpy()).transform(X.to_numpy()), X.to_numpy())


def test_models_fill_the_lattice_in_their_own_folds():
    from explainsse.models.factory import make_model
    from explainsse.models.train import TrainedModel

    X = _synthetic(40)
    y = (X[COL_M_RADIUS] > 0.7).astype(int)
    X.loc[[0, 1], [COL_A, COL_C, COL_VOLUME]] = np.nan
    pipe = make_model("logreg", "classification").fit(X, y)
    assert pipe.steps[0][0] == "lattice" and pipe.steps[0][1].fits_[COL_A][-1] == 38
    model = TrainedModel(pipe, "logreg", "classification", "nasicon-v1", list(X.columns))
    filled, estimated = fill_lattice(model, X)
    assert estimated.tolist() == [True, True] + [False] * 38 and filled[COL_A].notna().all()
