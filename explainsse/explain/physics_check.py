"""Does a model's direction of effect agree with what the literature expects?

For descriptors whose effect on Li conductivity has an expected direction (shorter Li-Li
distances, lower bond-valence barriers, wider paths, partial Li occupancy, bcc-like anion
frameworks, softer and more polarizable anions, ...), the model's direction is read from its SHAP
dependence: the Spearman correlation of the descriptor's value with its SHAP value over the
explained rows, with a bootstrap interval over the rows. A direction "agrees" when the whole
interval has the expected sign, "disagrees" when the whole interval has the other sign, and is
"unclear" otherwise. Disagreements are findings, not errors to hide: they say what the model has
learnt from OBELiX that the textbook picture does not, or what a descriptor stands for there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..featurize.meaning import LI_LI_CONTACT, LI_LI_DISTANCES

#: Bootstrap resamples of the rows for the interval of a direction.
DIRECTION_BOOTSTRAP = 200


@dataclass(frozen=True)
class Expectation:
    """One expected direction: higher ``descriptor`` -> higher (``sign`` +1) or lower (-1) conductivity."""

    descriptor: str
    sign: int
    why: str
    citation: str


_SENDEK = ("A. D. Sendek et al., Energy Environ. Sci. 10, 306-320 (2017), doi:10.1039/C6EE02697D")
_WANG = ("Y. Wang et al., Nat. Mater. 14, 1026-1031 (2015), doi:10.1038/nmat4369")
_BACHMAN = ("J. C. Bachman et al., Chem. Rev. 116, 140-162 (2016), doi:10.1021/acs.chemrev.5b00563")
_ADAMS = ("H. Chen, L. L. Wong, S. Adams, Acta Cryst. B 75, 18-33 (2019), doi:10.1107/S2052520618015718")
_HE = ("X. He, Y. Zhu, Y. Mo, Nat. Commun. 8, 15893 (2017), doi:10.1038/ncomms15893")
_OHNO = ("S. Ohno et al., Prog. Energy 2, 022001 (2020), doi:10.1088/2516-1083/ab73dd")

#: The expected directions checked (literature, with citations).
EXPECTATIONS = (
    Expectation("Sendek LLSD mean shortest Li-Li distance", -1,
                "shorter Li-Li distances make Li hops shorter", _SENDEK),
    Expectation("Li percolation 3D hop distance", -1,
                "a shorter longest hop on the 3D-percolating Li network eases long-range transport", _SENDEK),
    Expectation("BVSE Li 3D percolation barrier", -1,
                "a lower bond-valence migration barrier means faster Li", _ADAMS),
    Expectation("Sendek PW straight-line path width", 1,
                "a wider straight-line path between Li sites blocks migration less", _SENDEK),
    Expectation("Li mean site occupancy", -1,
                "partially occupied Li sites (vacancies, disorder) enable concerted migration", _HE),
    Expectation("Anion framework bcc similarity", 1,
                "a bcc anion framework links face-sharing tetrahedral sites with low barriers", _WANG),
    Expectation("Anion framework fcc similarity", -1,
                "an fcc framework forces hops through octahedral sites (higher barriers than bcc)", _WANG),
    Expectation("Electrolyte S share of anions", 1,
                "soft, polarizable sulfide anions bind Li more weakly than oxide", _BACHMAN),
    Expectation("Electrolyte O share of anions", -1,
                "hard oxide anions bind Li strongly", _BACHMAN),
    Expectation("Electrolyte mean anion electronegativity", -1,
                "more electronegative (harder, less polarizable) anions bind Li more strongly", _OHNO),
    Expectation("Electrolyte mean anion radius", 1,
                "larger, more polarizable anions widen bottlenecks and soften the lattice", _OHNO),
    Expectation("Sendek LASD mean shortest Li-anion distance", 1,
                "longer Li-anion bonds mean weaker Li binding", _SENDEK),
    Expectation("Sendek LBI Li bond ionicity", -1,
                "more ionic Li-anion bonds hold Li more tightly", _SENDEK),
    Expectation("Crystal volume per anion", 1,
                "a more open anion framework leaves more room for Li to move", _WANG),
    Expectation("Electrolyte Li per anion", 1,
                "more Li carriers per anion (Li stuffing) raise the carrier concentration", _BACHMAN),
)


def short_citation(citation: str) -> str:
    """"First author (year)" of a citation string, e.g. ``"A. D. Sendek et al. (2017)"``."""
    import re

    year = re.search(r"\((\d{4})\)", citation)
    first = citation.split(",")[0]
    return f"{first}{'' if 'et al' in first else ' et al.'} ({year.group(1)})" if year else first


def _bootstrap_spearman(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Spearman correlation of every bootstrap resample (rows of ``idx``) at once; NaN-free."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x[idx], axis=1), rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rx * ry).sum(axis=1) / den
    return rho[np.isfinite(rho)]


def physics_check(table, *, n_boot: int = DIRECTION_BOOTSTRAP, seed: int = 0, min_rows: int = 10) -> list[dict]:
    """One row per expected direction: ``descriptor``, ``expected``, ``observed`` (Spearman of value
    with SHAP) with ``ci_low`` / ``ci_high`` (percentile bootstrap over the rows, widened to contain
    the estimate), ``n`` rows with a value, ``verdict`` ("agrees", "disagrees", "unclear" or "not in
    the model"), ``why`` and ``citation``.

    Parameters
    ----------
    table : ExplanationTable
        SHAP values in units where higher means more conductive (log10 sigma, or the log-odds or
        probability of being superionic).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for e in EXPECTATIONS:
        expected = "higher -> more conductive" if e.sign > 0 else "higher -> less conductive"
        base = {"descriptor": e.descriptor, "expected": expected, "why": e.why, "citation": e.citation}
        if e.descriptor not in table.feature_names:
            rows.append({**base, "observed": None, "ci_low": None, "ci_high": None, "n": 0,
                         "verdict": "not in the model"})
            continue
        col = table.feature_names.index(e.descriptor)
        x, s = np.asarray(table.data[:, col], float), np.asarray(table.values[:, col], float)
        keep = np.isfinite(x)  # imputed values are the model's filler, not the material's
        x, s = x[keep], s[keep]
        whole = _bootstrap_spearman(x, s, np.arange(len(x))[None, :]) if len(x) >= 3 else np.array([])
        rho = float(whole[0]) if len(whole) else float("nan")
        if len(x) < min_rows or not np.isfinite(rho):
            rows.append({**base, "observed": None if not np.isfinite(rho) else rho, "ci_low": None, "ci_high": None,
                         "n": int(len(x)), "verdict": "unclear"})
            continue
        boots = _bootstrap_spearman(x, s, rng.integers(0, len(x), (n_boot, len(x))))
        lo, hi = (min(float(np.percentile(boots, 2.5)), rho), max(float(np.percentile(boots, 97.5)), rho))
        agrees = lo > 0 if e.sign > 0 else hi < 0
        disagrees = hi < 0 if e.sign > 0 else lo > 0
        rows.append({**base, "observed": rho, "ci_low": lo, "ci_high": hi, "n": int(len(x)),
                     "verdict": "agrees" if agrees else "disagrees" if disagrees else "unclear"})
    return rows


def split_site_note(table, families=None) -> str:
    """A sentence when Li-Li distance descriptors fall below any physical Li-Li contact in some rows
    (split, partially occupied sites), with the structural families most concerned; "" otherwise.

    Parameters
    ----------
    table : ExplanationTable
    families : sequence, optional
        The structural family of each row of ``table`` (e.g. OBELiX's labels).
    """
    name = next((d for d in LI_LI_DISTANCES if d in table.feature_names), None)
    if name is None:
        return ""
    x = np.asarray(table.data[:, table.feature_names.index(name)], float)
    short = np.isfinite(x) & (x < LI_LI_CONTACT)
    if not short.any():
        return ""
    which = ""
    if families is not None:
        counts = pd.Series(np.asarray(families, object)[short]).astype("string").fillna("unlabelled").value_counts().head(3)
        which = " (" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ")"
    return (f"{int(short.sum())} of {int(np.isfinite(x).sum())} materials with a structure have {name} below "
            f"{LI_LI_CONTACT} A{which}: split, partially occupied Li sites, so there the descriptor marks a "
            "disordered Li sublattice rather than a Li-Li spacing.")


__all__ = ["EXPECTATIONS", "Expectation", "physics_check", "short_citation", "split_site_note"]
