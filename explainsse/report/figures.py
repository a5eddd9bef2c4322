"""Figure functions: each takes ``ax=None`` and returns the Axes; nothing here calls ``plt.show()``.

Every text in a figure is drawn as plain text: user strings (family labels, formulas, descriptor
names) may contain ``$``, which matplotlib would otherwise parse as mathtext and fail on.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

#: rcParams under which every figure function runs: no mathtext, no LaTeX.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def plain_text(func):
    """Run a figure function with :data:`PLAIN_TEXT` (Text objects read it when they are created)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import matplotlib  # heavy: matplotlib loads only when a figure is drawn

        with matplotlib.rc_context(PLAIN_TEXT):
            return func(*args, **kwargs)

    return wrapper


#: Attribute of a Figure holding its point tooltips: scatter group id -> one label per drawn point.
TOOLTIPS = "_explainsse_tooltips"


def with_tooltips(collection, labels) -> None:
    """Give each point of a scatter ``collection`` a hover label (an SVG ``<title>``, no JavaScript).

    The points are drawn as vectors (not rasterized) so that each can carry its label; the labels
    are attached when the figure is written (:func:`~explainsse.report.html.svg_bytes`).
    """
    fig = collection.figure
    tips = getattr(fig, TOOLTIPS, None)
    if tips is None:
        tips = {}
        setattr(fig, TOOLTIPS, tips)
    gid = f"points{len(tips)}"
    collection.set_gid(gid)
    collection.set_rasterized(False)
    tips[gid] = [str(label) for label in labels]


def _material_label(ident, formula, extra: str) -> str:
    name = str(ident) if formula is None or str(formula) in ("", "nan", str(ident)) else f"{ident} {formula}"
    return f"{name}: {extra}"


def _axes(ax, size=(6.0, 4.0)):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure  # heavy: matplotlib loads only when a figure is drawn

    return Figure(figsize=size, layout="constrained").add_subplot()


@plain_text
def log_sigma_by_family(frame: pd.DataFrame, ax=None, top: int = 10):
    """Box plot of log10 sigma for the largest families (censored rows marked at their floor)."""
    ax = _axes(ax, (7.0, 3.6))
    family = frame["family"].astype("string").fillna("unlabelled")  # rows without a family label: never "<NA>"
    fams = family.value_counts().index[:top].tolist()
    data = [frame.loc[family == f, "log10_sigma"].to_numpy() for f in fams]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(fams) + 1), [f"{f}\n(n={len(d)})" for f, d in zip(fams, data)], fontsize=7)
    ax.set_ylabel("log10 sigma (S/cm)")
    ax.set_title("Measured conductivity by structural family (censored rows at the floor)", fontsize=9)
    return ax


@plain_text
def parity(pred: pd.DataFrame, ax=None, title: str = "", formulas: pd.Series | None = None):
    """Predicted vs measured log10 sigma; censored rows drawn as open triangles at their floor.

    Each point carries its id (and formula, from ``formulas`` indexed by the frame's rows, matched
    on ``pred["row"]``), measured and predicted value as a hover tooltip.
    """
    ax = _axes(ax, (4.2, 4.0))
    cens = pred["censored"].to_numpy(bool)
    def labels(part, what):
        ids = part["id"] if "id" in part else part.index
        forms = (formulas.reindex(part["row"]).to_numpy() if formulas is not None and "row" in part
                 else [None] * len(part))
        return [_material_label(i, f, f"{what} {t:.2f}, predicted {p:.2f}")
                for i, f, t, p in zip(ids, forms, part["y_true"], part["y_pred"])]
    points = ax.scatter(pred.loc[~cens, "y_true"], pred.loc[~cens, "y_pred"], s=12, alpha=0.7, label="measured")
    with_tooltips(points, labels(pred.loc[~cens], "measured log10 sigma"))
    if cens.any():
        points = ax.scatter(pred.loc[cens, "y_true"], pred.loc[cens, "y_pred"], s=20, marker="v",
                            facecolors="none", edgecolors="tab:red", label="censored (floor)")
        with_tooltips(points, labels(pred.loc[cens], "upper bound, stored at the floor"))
    lo = float(min(pred["y_true"].min(), pred["y_pred"].min())) - 0.5
    hi = float(max(pred["y_true"].max(), pred["y_pred"].max())) + 0.5
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    ax.fill_between([lo, hi], [lo - 1, hi - 1], [lo + 1, hi + 1], color="grey", alpha=0.12, label="±1 log unit")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="measured log10 sigma", ylabel="predicted log10 sigma")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


@plain_text
def roc(preds: dict[str, pd.DataFrame], ax=None):
    """ROC curves of several classifiers (family -> predictions with y_true, y_pred)."""
    from sklearn.metrics import (  # heavy: scikit-learn loads only when a model is built or scored
        roc_auc_score,
        roc_curve,
    )

    ax = _axes(ax, (4.2, 4.0))
    for name, p in preds.items():
        fpr, tpr, _ = roc_curve(p["y_true"], p["y_pred"])
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(p['y_true'], p['y_pred']):.2f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    ax.set(xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title("ROC, superionic vs not", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return ax


@plain_text
def confusion(conf: dict, ax=None, title: str = ""):
    """2x2 confusion matrix with counts."""
    ax = _axes(ax, (3.0, 2.8))
    m = np.array([[conf["tn"], conf["fp"]], [conf["fn"], conf["tp"]]])
    ax.imshow(m, cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center", color="black", fontsize=10)
    ax.set_xticks([0, 1], ["pred. not", "pred. superionic"], fontsize=7)
    ax.set_yticks([0, 1], ["not", "superionic"], fontsize=7)
    ax.set_title(title, fontsize=9)
    return ax


@plain_text
def importance_bar(importance: pd.DataFrame, ax=None, top: int = 12, title: str = ""):
    """Mean |SHAP| with optional CI columns (ci_low, ci_high), largest at the top."""
    ax = _axes(ax, (6.0, 0.28 * top + 1.0))
    imp = importance.head(top).iloc[::-1]
    y = np.arange(len(imp))
    ax.barh(y, imp["mean_abs_shap"], color="tab:blue", alpha=0.8)
    if {"ci_low", "ci_high"} <= set(imp.columns):
        lo = (imp["mean_abs_shap"] - imp["ci_low"]).clip(lower=0)
        hi = (imp["ci_high"] - imp["mean_abs_shap"]).clip(lower=0)
        ax.errorbar(imp["mean_abs_shap"], y, xerr=[lo, hi], fmt="none", ecolor="black", lw=0.8)
    ax.set_yticks(y, imp.index, fontsize=7)
    ax.set_xlabel("mean |SHAP|")
    ax.set_title(title, fontsize=9)
    return ax


@plain_text
def beeswarm(table, ax=None, top: int = 10, title: str = ""):
    """SHAP value per sample for the top descriptors, coloured by the descriptor's value (rank)."""
    ax = _axes(ax, (6.0, 0.35 * top + 1.0))
    names = table.top(top)[::-1]
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        part = table.column(name)
        colour = part["value"].rank(pct=True).fillna(0.5).to_numpy()
        ax.scatter(part["shap"], i + rng.uniform(-0.25, 0.25, len(part)), c=colour, cmap="coolwarm",
                   s=5, alpha=0.7, vmin=0, vmax=1, rasterized=True)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel(f"SHAP ({table.output_units})", fontsize=8)
    ax.set_title(title or "SHAP per material (red = high descriptor value)", fontsize=9)
    return ax


@plain_text
def dependence(table, descriptor: str, families: pd.Series, ax=None, unit: str = "",
               measured: pd.Series | None = None):
    """SHAP vs descriptor value, coloured by structural family (top 6 families, others grey).

    Each point carries its material id, formula, value, SHAP and (with ``measured``, indexed like
    the table's samples) its measured log10 sigma as a hover tooltip; rows without a value
    (imputed) are not drawn.
    """
    ax = _axes(ax, (4.4, 3.4))
    part = table.column(descriptor)
    part["id"], part["formula"] = np.asarray(table.ids, object), np.asarray(table.formulas, object)
    part = part[np.isfinite(part["value"].to_numpy(float))]
    fam = families.reindex(part["sample"]).fillna("other").astype(str).to_numpy()
    meas = measured.reindex(part["sample"]).to_numpy(float) if measured is not None else np.full(len(part), np.nan)
    counts = pd.Series(fam).value_counts()
    top = [f for f in counts.index if f != "other"][:6]
    for name in [*top, "other"]:
        mask = (fam == name) if name != "other" else ~np.isin(fam, top)
        if mask.any():  # rows without a family (or outside the top 6) are drawn grey, never left out
            sub = part[mask]
            points = ax.scatter(sub["value"].to_numpy(), sub["shap"].to_numpy(), s=8, alpha=0.7,
                                label=name, color=None if name != "other" else "lightgrey")
            with_tooltips(points, [_material_label(i, f, f"value {v:.4g}, SHAP {sh:+.3f}"
                                                   + ("" if not np.isfinite(m) else f", measured log10 sigma {m:.2f}"))
                                   for i, f, v, sh, m in zip(sub["id"], sub["formula"], sub["value"], sub["shap"],
                                                             meas[mask])])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"{descriptor} ({unit})" if unit and unit != "-" else descriptor, fontsize=8)
    ax.set_ylabel("SHAP", fontsize=8)
    if top:
        ax.legend(fontsize=6, loc="best")
    return ax


@plain_text
def versus_measured(values: pd.Series, frame: pd.DataFrame, descriptor: str, ax=None, unit: str = ""):
    """Measured log10 sigma against one descriptor (rows where it is defined; censored rows as open triangles)."""
    ax = _axes(ax, (4.4, 3.4))
    ok = values.notna() & frame["log10_sigma"].notna()
    cens = frame["censored"].astype(bool) & ok
    plain = ok & ~cens
    def labels(mask, what):
        ids = frame.loc[mask, "id"] if "id" in frame else frame.index[mask]
        forms = frame.loc[mask, "formula"] if "formula" in frame else [None] * int(mask.sum())
        return [_material_label(i, f, f"value {v:.4g}, {what} {y:.2f}")
                for i, f, v, y in zip(ids, forms, values[mask], frame.loc[mask, "log10_sigma"])]
    points = ax.scatter(values[plain], frame.loc[plain, "log10_sigma"], s=10, alpha=0.7, label="measured")
    with_tooltips(points, labels(plain, "measured log10 sigma"))
    if cens.any():
        points = ax.scatter(values[cens], frame.loc[cens, "log10_sigma"], s=16, marker="v", facecolors="none",
                            edgecolors="grey", label="upper bound (censored)")
        with_tooltips(points, labels(cens, "censored, stored at"))
    ax.set_xlabel(f"{descriptor} ({unit})" if unit and unit != "-" else descriptor, fontsize=8)
    ax.set_ylabel("measured log10 sigma (S/cm)", fontsize=8)
    ax.set_title(f"{int(ok.sum())} rows with a value", fontsize=8)
    ax.legend(fontsize=6, loc="best")
    return ax


@plain_text
def waterfall(sample: pd.DataFrame, ax=None, top: int = 8, title: str = ""):
    """Contributions of one material: base value, top descriptors, the rest, and the output.

    The bars start at the base value (the model's mean output, dotted line) and end at the
    prediction (dashed line); the legend inside the axes gives both values, so no label runs past
    the figure, and the x axis spans the contributions rather than reaching to zero.
    """
    ax = _axes(ax, (6.4, 0.3 * top + 1.6))
    sample = sample.reindex(sample["shap"].abs().sort_values(ascending=False).index)
    head, rest = sample.head(top), sample.iloc[top:]
    base = float(sample["base_value"].iloc[0])
    labels = ["base value", *head["descriptor"], f"{len(rest)} other descriptors"]
    steps = [*head["shap"], float(rest["shap"].sum())]
    ax.axvline(base, color="grey", lw=1, ls=":", label=f"base value {base:.2f}")
    ax.plot([base], [0], marker="D", color="grey", ls="none")
    start = base
    for i, step in enumerate(steps, start=1):
        ax.barh(i, step, left=start, color="tab:red" if step > 0 else "tab:blue")
        start += step
    ax.axvline(start, color="black", lw=1, ls="--", label=f"prediction {start:.2f}")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ends = np.cumsum([base, *steps])
    lo, hi = float(ends.min()), float(ends.max())
    pad = 0.08 * (hi - lo) or 0.5
    ax.set_xlim(lo - pad, hi + pad)  # bars are sticky at their ends: margins alone would not pad them
    ax.set_xlabel(f"model output ({sample['output_units'].iloc[0]})", fontsize=8)
    ax.legend(fontsize=7, loc="best", framealpha=0.9)
    ax.set_title(title, fontsize=9)
    return ax


@plain_text
def agreement_heatmap(matrix: dict, ax=None):
    """Family x family rank correlation of global importance."""
    ax = _axes(ax, (3.6, 3.0))
    names = list(matrix)
    m = np.array([[matrix[a][b] for b in names] for a in names], float)
    ax.imshow(m, cmap="viridis", vmin=-1, vmax=1)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white", fontsize=9)
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_title("Rank correlation of mean |SHAP|", fontsize=9)
    return ax


@plain_text
def calibration(curves: dict[str, dict], ax=None):
    """Reliability diagram: mean predicted probability vs observed fraction superionic, per evaluation."""
    ax = _axes(ax, (4.2, 4.0))
    for name, c in curves.items():
        if c:
            ax.plot(c["mean_predicted"], c["fraction_positive"], marker="o", label=f"{name} (Brier {c['brier']:.2f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    ax.set(xlabel="mean predicted probability", ylabel="fraction superionic", xlim=(0, 1), ylim=(0, 1))
    ax.set_title("calibration", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


@plain_text
def versus_baseline(rows: list[dict], ax=None):
    """Accuracy (95% CI) of each evaluation next to always answering the majority class."""
    ax = _axes(ax, (6.0, 0.5 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    acc = np.array([r["accuracy"] for r in rows])
    lo = np.array([r["ci_low"] for r in rows])
    hi = np.array([r["ci_high"] for r in rows])
    err = np.nan_to_num(np.vstack([acc - lo, hi - acc]).clip(min=0))
    ax.barh(y, acc, color="tab:blue", alpha=0.8, label="classifier accuracy (95% CI)")
    ax.errorbar(acc, y, xerr=err, fmt="none", ecolor="black", lw=0.8)
    ax.scatter([r["baseline"] for r in rows], y, marker="|", s=400, color="tab:red", zorder=3,
               label="always the majority class")
    ax.set_yticks(y, [r["name"] for r in rows], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.3 / len(rows)), ncol=2, frameon=False)
    return ax


@plain_text
def prediction_histogram(edges, counts, task: str, n: int, ax=None):
    """Predictions of a screen, from fixed-bin counts (log counts; the occupied range shown).

    Parameters
    ----------
    edges, counts : sequence
        Bin edges and the count in each bin.
    task : {"regression", "classification"}
    n : int
        Candidates screened (the title).
    """
    from matplotlib.ticker import FuncFormatter  # heavy: matplotlib loads only when a figure is drawn

    ax = _axes(ax, size=(6.5, 3.2))
    edges = np.asarray(edges, float)
    counts = np.asarray(counts if len(counts) else np.zeros(len(edges) - 1), float)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#4472c4")
    used = np.flatnonzero(counts)
    if len(used):  # the occupied range, one bin of margin each side
        ax.set_xlim(edges[max(used[0] - 1, 0)], edges[min(used[-1] + 2, len(edges) - 1)])
    ax.set_yscale("symlog", linthresh=1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))  # plain text, no mathtext
    ax.set_xlabel("predicted log10 sigma (S/cm)" if task == "regression" else "predicted probability")
    ax.set_ylabel("candidates")
    ax.set_title(f"{n:,} screened candidates")
    return ax.figure


@plain_text
def doping_curves(curves: dict, task: str, parent: float | None = None, ax=None):
    """Prediction against the dopant amount x, one line per doping series (host -> dopant).

    Parameters
    ----------
    curves : dict
        Series name (``"Zr->Ta"``) -> DataFrame with ``x``, ``prediction``, ``in_domain`` and, when
        the model is calibrated, ``lower`` / ``upper`` (the 90% interval, drawn as a band).
    task : {"regression", "classification"}
    parent : float, optional
        The parent's prediction (x = 0), drawn as a dashed line.
    """
    ax = _axes(ax, size=(6.5, 3.6))
    for i, (name, frame) in enumerate(curves.items()):
        color = f"C{i % 10}"
        ax.plot(frame["x"], frame["prediction"], "-", color=color, lw=1.2, label=name)
        if {"lower", "upper"} <= set(frame) and frame["lower"].notna().any():
            ax.fill_between(frame["x"], frame["lower"], frame["upper"], color=color, alpha=0.12, lw=0)
        inside = frame["in_domain"].astype(bool)
        ax.plot(frame.loc[inside, "x"], frame.loc[inside, "prediction"], "o", color=color, ms=4)
        ax.plot(frame.loc[~inside, "x"], frame.loc[~inside, "prediction"], "o", mfc="white", mec=color, ms=4)
    if parent is not None and np.isfinite(parent):
        ax.axhline(parent, color="0.4", ls="--", lw=1, label="parent (x = 0)")
    ax.set_xlabel("dopant amount x per formula unit")
    ax.set_ylabel("predicted log10 sigma (S/cm)" if task == "regression" else "predicted probability")
    ax.set_title("prediction along each doping series (hollow: outside the training domain; band: 90% interval)",
                 fontsize=9)
    if curves:
        ax.legend(fontsize=8, frameon=False)
    return ax.figure

