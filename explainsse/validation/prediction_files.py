"""Reading a user's predictions file: which column is the id, which the probability or the label."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputDataError

PREDICTION_ID_COLUMNS = ("id", "material_id", "name", "formula")
PREDICTION_PROBABILITY_COLUMNS = ("probability", "proba", "prob", "p_superionic", "predicted_probability", "score")
PREDICTION_LABEL_COLUMNS = ("label", "predicted", "prediction", "predicted_label", "class", "superionic")


def align_predictions(predictions: pd.DataFrame, side) -> tuple[pd.Series, str, list]:
    """Match user predictions to the input's NASICON rows.

    Matching is by id (``id``, ``material_id`` or ``name``), else by formula. Ids unknown to the
    input are an error; input rows without a prediction, and predicted rows that are not NASICON,
    are returned as excluded rows with their reason.

    Returns
    -------
    score : pandas.Series
        Probability (or 0/1 label) by frame index, NASICON rows with a prediction only.
    kind : {"probability", "label"}
    excluded : list of dict
    """
    frame, member = side.frame, side.member
    cols = {c.lower().strip(): c for c in predictions.columns}
    key = next((k for k in PREDICTION_ID_COLUMNS if k in cols), None)
    if key is None:
        raise InputDataError(f"predictions file needs an id column ({', '.join(PREDICTION_ID_COLUMNS)}); "
                             f"it has {list(predictions.columns)}")
    id_col = cols[key]
    prob_col = next((cols[c] for c in PREDICTION_PROBABILITY_COLUMNS if c in cols), None)
    label_col = next((cols[c] for c in PREDICTION_LABEL_COLUMNS if c in cols), None)
    if prob_col is None and label_col is None:
        raise InputDataError("predictions file needs a probability column (" + ", ".join(PREDICTION_PROBABILITY_COLUMNS)
                             + ") or a label column (" + ", ".join(PREDICTION_LABEL_COLUMNS)
                             + f") next to {id_col!r}; it has {list(predictions.columns)}")
    col, kind = (prob_col, "probability") if prob_col else (label_col, "label")
    text = predictions[col].astype(str).str.strip().str.lower()
    values = pd.to_numeric(text.replace({"true": "1", "false": "0", "superionic": "1", "not superionic": "0"}),
                           errors="coerce")
    bad = values.isna() | (values < 0) | (values > 1) | (kind == "label") & ~values.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(f"predictions row {i + 2} ({id_col} {predictions[id_col].iloc[i]!r}): {col} = "
                             f"{predictions[col].iloc[i]!r} is not {'0 or 1' if kind == 'label' else 'a probability in [0, 1]'}")
    ids = predictions[id_col].astype(str).str.strip()
    if ids.duplicated().any():
        raise InputDataError(f"predictions file lists {id_col} {ids[ids.duplicated()].iloc[0]!r} twice")
    by_id = pd.Series(values.to_numpy(float), index=ids)
    frame_keys = frame["formula" if key == "formula" else "id"].astype(str).str.strip()
    if key == "formula" and frame_keys.duplicated().any():
        raise InputDataError("predictions are matched by formula, but the input has the formula "
                             f"{frame_keys[frame_keys.duplicated()].iloc[0]!r} twice; add an id column")
    unknown = sorted(set(ids) - set(frame_keys))
    if unknown:
        raise InputDataError(f"predictions for {id_col} values not in the input: {unknown[:5]}"
                             + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
    have = frame_keys.isin(by_id.index)
    excluded = side.not_nasicon()
    for row, predicted in zip(excluded, have[~member]):
        if predicted:
            row["reason"] += " (prediction ignored)"
    excluded += [{"id": frame.at[i, "id"], "formula": frame.at[i, "formula"], "reason": "no prediction supplied"}
                 for i in frame.index[member & ~have]]
    use = have & member
    if not use.any():
        raise InputDataError("no prediction matches a NASICON row of the input (use --all-nasicon if every row is one)")
    return pd.Series(by_id.loc[frame_keys[use]].to_numpy(), index=frame.index[use]), kind, excluded
