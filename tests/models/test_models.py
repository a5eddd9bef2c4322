"""Model families, targets, validation schemes and evaluation (small and fast)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.utils.estimator_checks import parametrize_with_checks

from explainsse.errors import InputDataError
from explainsse.featurize import featurize_dataset
from explainsse.models import (
    RESULT_COLUMNS,
    SCHEMES,
    PLSDAClassifier,
    PLSRegressor,
    evaluate,
    groups_for,
    iter_folds,
    make_model,
    make_target,
)
from explainsse.models.censored import XGBAFTRegressor
from explainsse.models.estimators import Clipper


@pytest.mark.slow
@parametrize_with_checks([Clipper(), PLSRegressor(), PLSDAClassifier(), XGBAFTRegressor(n_estimators=100, learning_rate=0.3)])
def test_custom_estimators_follow_the_sklearn_contract(estimator, check):
    check(estimator)


def toy_frame():
    return pd.DataFrame({
        "id": list("abcdef"), "sigma_S_cm": [1e-2, 1e-3, 1e-5, 1e-15, 2e-4, 1e-4],
        "log10_sigma": [-2, -3, -5, -15, np.log10(2e-4), -4],
        "censored": [False, False, False, True, False, False],
    })


def test_targets():
    f = toy_frame()
    assert make_target(f, "regression").tolist()[:2] == [-2, -3]
    assert make_target(f, "classification").tolist() == [1, 1, 0, 0, 1, 1]
    assert make_target(f, "classification", threshold=3e-4).tolist() == [1, 1, 0, 0, 0, 0]
    censored_high = f.assign(sigma_S_cm=[1e-2, 1e-3, 1e-5, 1.0, 2e-4, 1e-4])
    assert make_target(censored_high, "classification")[3] == 0  # censored rows are negative
    with pytest.raises(InputDataError, match="leaves no positives"):
        make_target(f, "classification", threshold=1.0)
    with pytest.raises(InputDataError, match="no measured conductivity"):
        make_target(f.assign(sigma_S_cm=np.nan), "regression")
    with pytest.raises(InputDataError, match="task must be"):
        make_target(f, "ranking")


def test_factory_pipelines_keep_names():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=["d1", "d2", "d3", "d4"])
    X.iloc[0, 0] = np.nan
    y = X["d2"].fillna(0) * 2 + rng.normal(scale=0.1, size=60)
    c = (y > 0).astype(int)
    for family, task, target in [("pls", "regression", y), ("xgb", "regression", y),
                                 ("logreg", "classification", c), ("pls", "classification", c),
                                 ("xgb", "classification", c)]:
        model = make_model(family, task).fit(X, target)
        assert list(model[:-1].get_feature_names_out()) == ["d1", "d2", "d3", "d4"]
        if family != "xgb":
            assert [n for n, _ in model.steps] == ["lattice", "impute", "scale", "clip", "model"]
    with pytest.raises(InputDataError, match="logreg .*does not model regression"):
        make_model("logreg", "regression")
    with pytest.raises(InputDataError, match="family must be"):
        make_model("svm", "regression")


def test_pls_adapter_coefficients_are_stable():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 5))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5, 0.0]) + 3
    m = PLSRegressor(n_components=3).fit(X, y)
    assert m.coef_.shape == (5,) and isinstance(m.intercept_, float)
    assert_allclose(m.predict(X), X @ m.coef_ + m.intercept_, atol=1e-10)
    assert_allclose(m.predict(X), m.pls_.predict(X).ravel(), atol=1e-10)
    assert m.x_scores(X).shape == (40, 3)


@pytest.fixture(scope="module")
def obelix_small(obelix):
    """OBELiX with composition-v1 descriptors (cached per module)."""
    return obelix.frame, featurize_dataset(obelix, "composition-v1", cache=False).X


@pytest.mark.integration
@pytest.mark.parametrize("scheme, key", [("group-chemsys", "chemsys"), ("group-doi", "doi"),
                                         ("leave-family-out", "family")])
def test_grouped_folds_never_split_a_group(obelix, scheme, key):
    frame = obelix.frame[obelix.frame["split"] == "train"]
    y = make_target(frame, "classification")
    groups = groups_for(frame, key)
    seen = {}
    tests = []
    for fold, train, test in iter_folds(scheme, frame, y.to_numpy(), task="classification"):
        assert not set(groups[train]) & set(groups[test]), fold
        for g in set(groups[test]):
            assert g not in seen, f"group {g} in folds {seen[g]} and {fold}"
            seen[g] = fold
        tests.append(test)
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(frame)))


@pytest.mark.integration
def test_chemical_systems_of_a_doping_series_share_a_group(obelix):
    f = obelix.frame
    llzo = f[f["formula"].str.contains("La") & f["formula"].str.contains("Zr")
             & f["formula"].str.contains("Ta") & ~f["formula"].str.contains("Ga|Al|Nb|Ba|Sr|Ca|Y|Ce|Sb|Te|W|Bi|Ge|Gd|Mo")]
    assert len(llzo) > 3
    assert len(set(groups_for(llzo, "chemsys"))) == 1


def test_scheme_errors():
    f = toy_frame().assign(split=None, composition=None, doi=None, family=None)
    y = make_target(f, "regression").to_numpy()
    with pytest.raises(InputDataError, match="scheme must be one of"):
        list(iter_folds("bogus", f, y, task="regression"))
    with pytest.raises(InputDataError, match="split column"):
        list(iter_folds("official", f, y, task="regression"))
    with pytest.raises(InputDataError, match="at least 10 rows"):
        list(iter_folds("random-kfold", f, y, task="regression"))
    with pytest.raises(InputDataError, match="doi column"):
        list(iter_folds("group-doi", f, y, task="regression"))
    assert set(SCHEMES) >= {"official", "group-chemsys", "group-doi", "leave-family-out",
                            "repeated-kfold", "loo"}


@pytest.mark.integration
def test_official_evaluation_pls_regression(obelix_small):
    frame, X = obelix_small
    ev = evaluate(frame, X, "pls", "regression", "official", n_boot=50, n_scramble=2)
    r = ev.results
    assert tuple(r.columns) == RESULT_COLUMNS
    assert len(ev.predictions) == 121 and set(ev.predictions["fold"]) == {"test"}
    assert ev.predictions["censored"].sum() == 8
    assert {"pls", "baseline-median"} <= set(r["family"])
    for subset in ("all", "uncensored"):
        mae = ev.metric("mae", subset=subset)
        assert 0 < mae < 5
        row = r[(r.family == "pls") & (r.metric == "mae") & (r.subset == subset)].iloc[0]
        assert row.ci_low <= row.value <= row.ci_high
    assert 0 <= ev.metric("share_predicted_below_bound", subset="censored") <= 1
    # the median baseline on the official test split reproduces the published 2.16
    assert ev.metric("mae", family="baseline-median") == pytest.approx(2.16, abs=0.01)
    assert 1 / 3 <= ev.scramble["p_value"] <= 1 and len(ev.scramble["scores"]) == 2


@pytest.mark.integration
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_permuting_test_labels_changes_no_hyperparameter(obelix_small, task):
    frame, X = obelix_small
    rng = np.random.default_rng(0)
    test = frame["split"] == "test"
    shuffled = frame.copy()
    for col in ("sigma_S_cm", "log10_sigma", "censored", "sigma_bound_S_cm"):
        shuffled.loc[test, col] = rng.permutation(frame.loc[test, col].to_numpy())
    a = evaluate(frame, X, "pls", task, "official", n_boot=0, n_scramble=0)
    b = evaluate(shuffled, X, "pls", task, "official", n_boot=0, n_scramble=0)
    assert a.params == b.params
    assert_allclose(a.predictions["y_pred"], b.predictions["y_pred"])


@pytest.mark.integration
def test_grouped_cv_classification_keeps_oof_predictions(obelix_small):
    frame, X = obelix_small
    train = frame["split"] == "train"
    ev = evaluate(frame[train], X[train], "pls", "classification", "group-chemsys",
                  n_boot=0, n_scramble=0)
    assert len(ev.predictions) == int(train.sum()) and ev.predictions["row"].is_unique
    assert set(ev.params) == {"0", "1", "2", "3", "4"}
    assert sum(ev.confusion.values()) == int(train.sum())
    folds = ev.results[(ev.results.fold != "all") & (ev.results.metric == "mcc")]
    assert len(folds) == 5
    assert ev.metric("mcc") > ev.metric("mcc", family="baseline-majority")


def test_bad_descriptor_tables_are_refused():
    f = toy_frame().assign(split=["train"] * 4 + ["test"] * 2)
    X = pd.DataFrame({"d": [1.0] * 6, "empty": [np.nan] * 6})
    with pytest.raises(InputDataError, match="no value in any row: \\['empty'\\]"):
        evaluate(f, X, "pls", "regression")
    with pytest.raises(InputDataError, match="index differs"):
        evaluate(f, X.iloc[:3], "pls", "regression")
    with pytest.raises(InputDataError, match="too few"):
        evaluate(f, X[["d"]], "pls", "regression")


def test_censored_encoding_and_scorer():
    from explainsse.models.censored import censored_mae, decode_censored, encode_censored

    f = toy_frame().assign(sigma_bound_S_cm=[np.nan, np.nan, np.nan, 1e-10, np.nan, np.nan])
    enc = encode_censored(f)
    value, cens = decode_censored(enc)
    assert cens.tolist() == [False, False, False, True, False, False]
    assert value[3] == pytest.approx(-10) and value[0] == -2
    # a censored row costs nothing below its bound, the distance above it otherwise
    assert censored_mae(enc[:4], [-2, -3, -5, -12]) == 0
    assert censored_mae(enc[:4], [-2, -3, -5, -8]) == pytest.approx(0.5)
    with pytest.raises(InputDataError, match="censoring='aft' is available"):
        make_model("pls", "regression", censoring="aft")


def test_aft_regressor_respects_bounds():
    from explainsse.models.censored import CENSOR_OFFSET, XGBAFTRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(size=(300, 3))
    y = -2 - 8 * X[:, 0] + rng.normal(scale=0.2, size=300)
    censored = y < -7.5
    y_enc = np.where(censored, -7.5 - CENSOR_OFFSET, y)  # bound at -7.5, true values hidden
    model = XGBAFTRegressor(n_estimators=200, max_depth=3).fit(X, y_enc)
    pred = model.predict(X)
    assert np.mean(pred[censored] < -7.5) > 0.7
    assert np.mean(np.abs(pred[~censored] - y[~censored])) < 0.6


@pytest.mark.integration
def test_aft_model_round_trip(obelix_small, tmp_path):
    from explainsse.models.persistence import load_model, save_model
    from explainsse.models.train import train_model

    frame, X = obelix_small
    sub = frame.index[:200]
    model = train_model(frame.loc[sub].assign(split=None), X.loc[sub], "xgb", "regression",
                        preset="composition-v1", censoring="aft")
    loaded = load_model(save_model(model, tmp_path / "aft"))
    assert loaded.censoring == "aft"
    assert_allclose(loaded.predict(X.loc[sub]), model.predict(X.loc[sub]), rtol=1e-6)
