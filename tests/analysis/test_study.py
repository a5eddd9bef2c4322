"""The analysis layer: run_study -> Study, saved and loaded back; a toy fourth family registered here alone."""

import json

import numpy as np
import pandas as pd
import pytest

from explainsse.analysis import Study, StudyFileError, load_study, run_study
from explainsse.datasets import load_table
from explainsse.models.families import LOG10_SIGMA, LOG_ODDS, Family, register_family, unregister_family

from ..report.test_report import make_csv


def _toy_estimator(task, random_state, n_jobs, params):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import Ridge

    return Ridge(**params) if task == "regression" else LinearDiscriminantAnalysis(**params)


def _toy_space(task):
    return {"model__alpha": [0.1, 10.0]} if task == "regression" else {"model__solver": ["svd"]}


def _toy_explainer(*args, **kwargs):
    from explainsse.explain import explain_linear

    return explain_linear(*args, **kwargs)


TOY = Family(
    name="toy", description="ridge regression / linear discriminant analysis (a test family)",
    tasks=("regression", "classification"), estimator=_toy_estimator, search_space=_toy_space,
    explainer=_toy_explainer, output_units={"regression": LOG10_SIGMA, "classification": LOG_ODDS},
    trusted_types=("sklearn.linear_model._ridge.Ridge",
                   "sklearn.discriminant_analysis.LinearDiscriminantAnalysis"),
    cost=0, regression_rank=-1,
)


@pytest.fixture
def toy_family():
    register_family(TOY)
    yield TOY
    unregister_family("toy")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = make_csv(tmp_path_factory.mktemp("small") / "small.csv")
    return path


def _load(path):
    return load_table(path, target_col="sigma", id_col="id", family_col="family", space_group_col="sg", z_col="Z")


@pytest.mark.slow
def test_a_fourth_family_runs_through_study_save_load_and_report(toy_family, small, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.report import render_study_report

    ds = _load(small)
    # 5 random folds rather than the 10 composition clusters (cluster-out still runs as a side scheme)
    study = run_study(ds, families=("pls", "toy"), scheme="random-kfold", n_scramble=3, n_boot=20, seed=0, n_jobs=2)
    assert isinstance(study, Study)
    assert {(e.family, e.task) for e in study.evaluations} == {(f, t) for f in ("pls", "toy")
                                                                for t in ("regression", "classification")}
    assert study.config.regression_family == "toy"  # its regression_rank wins
    assert set(study.explanations) == {"pls", "toy"} and study.agreement is not None
    toy = study.explanations["toy"]
    assert toy.table.output_units == LOG_ODDS and toy.table.method.startswith("exact linear SHAP")
    clf = study.models["toy/classification"]
    toy.table.check_additivity(clf.pipeline.decision_function(study.descriptors.loc[toy.table.samples]))
    # the report renders it and the study beside it reloads with its models (skops, family allow-list)
    out = render_study_report(study, tmp_path / "rep")
    report = json.loads((out / "report.json").read_text())
    assert "toy" in report["explanations"] and report["models"]["params"]["toy/regression"]
    loaded = load_study(out / "study")
    assert loaded.models["toy/classification"].pipeline[-1].__class__.__name__ == "LinearDiscriminantAnalysis"
    X = study.descriptors
    assert np.allclose(loaded.models["toy/regression"].predict(X), study.models["toy/regression"].predict(X))
    pd.testing.assert_frame_equal(loaded.descriptors, study.descriptors)
    # models are saved without their training rows (the study holds them) and get them back on loading
    saved = out / "study" / "models" / "toy_regression"
    assert (saved / "manifest.json").is_file() and not (saved / "train_descriptors.parquet").exists()
    pd.testing.assert_frame_equal(loaded.models["toy/regression"].train_X, study.models["toy/regression"].train_X)
    pd.testing.assert_frame_equal(loaded.results, study.results)


@pytest.mark.slow
def test_run_study_lists_excluded_rows_and_refuses_unknown_families(small):
    from explainsse.errors import InputDataError

    ds = _load(small)
    with pytest.raises(InputDataError, match="unknown families"):
        run_study(ds, families=("logreg", "nope"))
    study = run_study(ds, families=("pls",), tasks=("regression",), scheme="random-kfold", n_scramble=0, n_boot=0,
                      nasicon=False, n_jobs=1, side_schemes=())
    assert study.data_card.summary["rows_excluded"] == 1  # the Xx2O row, with its reason
    assert any("Xx2O" in str(r["value"]) for r in study.data_card.issues)
    assert study.explanations == {} and study.regression is not None and study.nasicon is None


def test_load_study_refuses_what_is_not_a_study(tmp_path):
    with pytest.raises(StudyFileError, match="not a study folder"):
        load_study(tmp_path)
