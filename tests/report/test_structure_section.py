"""The report's structure section on real OBELiX rows (a sixth of them, to stay fast)."""

import dataclasses

import pytest


@pytest.mark.integration
def test_structure_section_from_a_full_v1_study(obelix, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.analysis import run_study
    from explainsse.report.render import render_study_report
    from explainsse.report.view import build_view

    part = obelix.frame.iloc[::6]
    ds = dataclasses.replace(obelix, frame=part, descriptors=obelix.descriptors.loc[part.index], _structures=None)
    study = run_study(ds, preset="full-v1", families=("xgb",), tasks=("regression",), n_scramble=0, n_boot=0,
                      nasicon=False, n_jobs=1, side_schemes=())
    st = study.structure
    assert st["n_with_structure"] == int(part["has_cif"].sum()) and st["n_rows"] == len(part)
    assert st["published_model"]["n"] > 40 and 0 <= st["published_model"]["accuracy"] <= 1
    view, figures = build_view(study)
    section = view.structure
    assert section["drivers"] and all(d["descriptor"] in st_labels() for d in section["drivers"])
    assert [p["descriptor"] for p in section["plots"]][:2] == ["Sendek LLSD mean shortest Li-Li distance",
                                                               "BVSE Li 3D percolation barrier"]
    assert all(p["figure"] in figures for p in section["plots"])
    assert any(s.startswith("Structure (") for s in view.summary_sentences)
    out = render_study_report(study, tmp_path / "rep")
    html = (out / "index.html").read_text()
    md = (out / "report.md").read_text()
    assert view.headings["structure"] in html.replace("&#39;", "'") and view.headings["structure"] in md
    assert "Sendek et al. 2017" in html and section["drivers"][0]["descriptor"] in md


def st_labels():
    from explainsse.featurize.structure import LABELS

    return set(LABELS)
