"""NASICON explanations in the framework's own terms.

Which site drives a classifier, and which descriptors shift between two domains (Na and Li
compounds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..featurize.nasicon_descriptors import site_of

#: Order in which the sites are named.
SITES = ("A site", "M site", "X site", "lattice")


def site_drivers(table) -> dict:
    """Share of the NASICON site descriptors' mean |SHAP| per site, and the strongest site descriptors.

    Parameters
    ----------
    table : ExplanationTable

    Returns
    -------
    dict
        ``shares`` (site -> share of the site descriptors' total mean |SHAP|, largest first),
        ``site_share_of_all`` (the site descriptors' share of all descriptors' mean |SHAP|),
        ``top`` (the three strongest site descriptors with their direction sentence) and
        ``sentence`` (one line a chemist can read); empty when the model has no site descriptor.
    """
    importance = table.global_importance()["mean_abs_shap"]
    sites = {name: site_of(name) for name in importance.index}
    site_imp = importance[[n for n, s in sites.items() if s is not None]]
    if site_imp.empty or site_imp.sum() <= 0:
        return {}
    shares = site_imp.groupby(lambda n: sites[n]).sum() / site_imp.sum()
    shares = shares.reindex([s for s in SITES if s in shares.index]).sort_values(ascending=False)
    top = list(site_imp.sort_values(ascending=False).index[:3])
    directions = table.directions(top).set_index("descriptor")["sentence"]
    lead = shares.index[0]
    sentence = (f"The {lead} drives the predictions most ({shares.iloc[0]:.0%} of the site descriptors' mean "
                f"|SHAP|" + "".join(f", {s} {v:.0%}" for s, v in shares.iloc[1:].items()) + "); strongest: "
                + "; ".join(directions[d] for d in top) + ".")
    return {"shares": {k: float(v) for k, v in shares.items()},
            "site_share_of_all": float(site_imp.sum() / importance.sum()),
            "top": [{"descriptor": d, "site": sites[d], "mean_abs_shap": float(site_imp[d]),
                     "direction": directions[d]} for d in top],
            "sentence": sentence}


def domain_shift(X_train: pd.DataFrame, X_test: pd.DataFrame, *, top: int = 10) -> list[dict]:
    """Descriptors whose values differ most between the training and the test domain.

    The shift is the difference of the means in training standard deviations; a descriptor that
    is constant in training but varies (or differs) in the test domain is flagged as such,
    since no model can learn its effect from the training rows.

    Parameters
    ----------
    X_train, X_test : pandas.DataFrame
        Descriptors of the two domains (same columns).
    top : int
        How many descriptors to return: most test rows outside the training range first, then
        the largest shift.

    Returns
    -------
    list of dict
        ``descriptor, train_mean, train_sd, test_mean, shift_sd`` (None when constant in
        training), ``outside_range`` (share of the test rows outside the training range) and ``note``.
    """
    rows = []
    for col in X_train.columns:
        tr, te = X_train[col].dropna(), X_test[col].dropna()
        if tr.empty or te.empty:
            continue
        sd = float(tr.std(ddof=0))
        diff = float(te.mean() - tr.mean())
        constant = sd <= 1e-9 * max(1.0, abs(float(tr.mean())))
        if constant and te.nunique() <= 1 and abs(diff) < 1e-12:
            continue
        shift = np.inf * np.sign(diff) if constant else diff / sd
        outside = float(((te < tr.min()) | (te > tr.max())).mean())
        note = ("constant in training: its effect cannot be learned there" if constant else
                f"test mean {abs(shift):.1f} training SD {'above' if diff > 0 else 'below'} the training mean")
        rows.append((abs(shift), outside, {
            "descriptor": col, "train_mean": float(tr.mean()), "train_sd": sd, "test_mean": float(te.mean()),
            "shift_sd": None if constant else float(shift), "outside_range": outside, "note": note}))
    rows.sort(key=lambda r: (-r[1], -r[0]))
    return [r[2] for r in rows[:top]]


__all__ = ["SITES", "domain_shift", "site_drivers"]
