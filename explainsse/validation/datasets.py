"""NASICON validation of datasets: descriptors for both sides, then :func:`validate_nasicon`."""

from __future__ import annotations

from ..featurize.presets import DEFAULT_PRESET
from .inputs import validation_descriptors
from .nasicon import validate_nasicon


def validate_datasets(ds, classifier="logreg", *, model=None, test_ds=None, predictions=None, preset=None,
                      descriptor_cols=(), protocol: str | None = None, predictions_name: str = "user predictions",
                      **options):
    """Validate a classifier on a dataset (and a test dataset or predictions), with a one-line description.

    Parameters
    ----------
    ds : Dataset
        Training (or, with ``predictions``, scored) rows.
    classifier : str
        A registered family, used unless ``model`` is given.
    model : TrainedModel, optional
        A saved classifier (its preset and columns are used).
    test_ds : Dataset, optional
        External test set, or the other alkali for cross-domain.
    predictions : pandas.DataFrame, optional
        id + probability (or label) the user already has: scored without refitting.
    preset : str, optional
        Descriptor preset (default: composition-v1, which any formula allows).
    descriptor_cols : sequence of str
        Use these own columns of the input instead of computed descriptors.
    protocol : str, optional
        Default: ``external`` with a test set or predictions, else ``within``.
    predictions_name : str
        How the predictions are named in the description (e.g. their file name).
    **options
        Passed to :func:`~explainsse.validation.validate_nasicon` (threshold, n_repeats, ...).

    Returns
    -------
    result : NasiconValidation
    description : str
        What was validated on what, in one sentence.
    """
    protocol = protocol or ("external" if (test_ds is not None or predictions is not None) else "within")
    cols = list(descriptor_cols or ())
    X = validation_descriptors(ds, preset=preset, descriptor_cols=cols, model=model)
    test_X = None if test_ds is None else validation_descriptors(test_ds, preset=preset, descriptor_cols=cols,
                                                                 model=model)
    # rows that could not be featurized are not in X (featurization leaves the dataset alone)
    result = validate_nasicon(ds.frame.loc[X.index], X, model if model is not None else classifier, protocol=protocol,
                              test_frame=None if test_ds is None else test_ds.frame.loc[test_X.index], test_X=test_X,
                              predictions=predictions, **options)
    descriptors = ("the descriptor columns " + ", ".join(cols) if cols
                   else "preset " + (model.preset if model is not None else preset or DEFAULT_PRESET))
    description = (f"{result.classifier} on {descriptors}; data {ds.name}"
                   + (f", test {test_ds.name}" if test_ds is not None else "")
                   + (f", predictions {predictions_name}" if predictions is not None else "") + ".")
    return result, description


__all__ = ["validate_datasets"]
