"""Reports: a small end-to-end report, escaping of user strings, numbers that agree across formats."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app

CSV = """id,formula,sigma,family,a,b,c,alpha,beta,gamma,sg,Z
{rows}"""


def make_csv(path, n=42):
    import numpy as np

    rng = np.random.default_rng(0)
    bases = [("Li7La3Zr2O12", "garnet", 12.97, 230, 8), ("Li10GeP2S12", "LGPS", 8.72, 137, 2),
             ("Li3PS4", "thiophosphate", 8.0, 62, 4), ("Li6PS5Cl", "argyrodite", 9.85, 216, 4),
             ("LiTi2(PO4)3", "NASICON", 8.5, 167, 6), ("Li3InCl6", "halide", 6.4, 12, 2)]
    rows = []
    for i in range(n):
        f, fam, a, sg, z = bases[i % len(bases)]
        x = round(0.05 * (i // len(bases)), 2)
        formula = f.replace("Li", f"Li{1 + x:g}", 1) if x else f
        sigma = 10 ** (-2 - 3 * (i % len(bases)) / 5 - x + rng.normal(scale=0.3))
        rid = "<script>alert(1)</script>" if i == 0 else f"m{i}"
        rows.append(f"{rid},{formula},{sigma:.3e},{fam},{a},{a},{a * 1.1:.2f},90,90,90,{sg},{z}")
    rows.append("bad,Xx2O,1e-3,oxide,5,5,5,90,90,90,1,1")
    path.write_text(CSV.format(rows="\n".join(rows)))
    return path


@pytest.mark.integration
def test_report_end_to_end_small(tmp_path):
    src = make_csv(tmp_path / "cands.csv")
    out = tmp_path / "rep"
    args = ["report", "--input", str(src), "--target-col", "sigma", "--id-col", "id", "--family-col", "family",
            "--space-group-col", "sg", "--z-col", "Z", "--families", "logreg,pls,xgb", "--n-scramble", "2",
            # 5 random folds instead of the 10 composition clusters, and no side-by-side schemes: this test is
            # about the written report (the default cluster-out scheme and the side schemes are tested in
            # test_skill_gate.py, on the same table)
            "--scheme", "random-kfold", "--side-schemes", "none", "-o", str(out), "-q"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["figures", "index.html", "manifest.json", "report.json", "report.md", "study"]
    html = (out / "index.html").read_text()
    # user strings stay inert: escaped in HTML
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html.split("<body>")[1]
    assert html.count("<img") + html.count("<figure aria-label") == len(list((out / "figures").glob("*.svg")))
    assert "Xx2O" in html and "unknown element" in html  # the excluded row is accounted for
    j = json.loads((out / "report.json").read_text())
    assert j["data"]["summary"]["rows_excluded"] == 1
    md = (out / "report.md").read_text()
    # numbers agree between HTML, Markdown and JSON
    top = j["explanations"]["xgb"]["top"][0]
    assert f"{top['mean_abs_shap']:.3f}" in html and f"{top['mean_abs_shap']:.3f}" in md
    mae = j["models"]["tables"]["regression"][0]["mae"]
    assert mae in html and mae in md
    assert json.loads((out / "manifest.json").read_text())["dataset_sha256"]
    # no overwrite without --force
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "not empty" in r.stderr
    # HTML and Markdown show the same numbered sections, in the same order: the view model's headings
    from html import unescape

    from explainsse.report.view import headings

    html_sections = [unescape(h) for h in re.findall(r"<h2[^>]*>(\d+\. [^<]*)</h2>", html)]
    md_sections = [unescape(h) for h in re.findall(r"^## (\d+\. .*)$", md, flags=re.M)]
    assert html_sections == md_sections == list(headings(j["threshold_S_cm"]).values())
    assert len(html_sections) == 9
    assert f"| {mae} |" in md  # the model table is a real Markdown table
    # the study saved beside the report re-renders the same numbers, without refitting
    again = tmp_path / "again"
    r = CliRunner().invoke(app, ["report", "--from-study", str(out / "study"), "-o", str(again), "-q"])
    assert r.exit_code == 0, r.output
    j2 = json.loads((again / "report.json").read_text())
    assert {k: v for k, v in j2.items() if k != "started"} == {k: v for k, v in j.items() if k != "started"}
    assert (again / "study" / "study.json").is_file()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == sorted(p.name for p in (again / "figures").iterdir())
    assert all((out / "figures" / f).read_bytes() == (again / "figures" / f).read_bytes() for f in figures)
    r = CliRunner().invoke(app, ["report", "--from-study", str(out / "study"), "--dataset", "obelix",
                                 "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "give no --dataset" in r.stderr
    r = CliRunner().invoke(app, ["report", "--from-study", str(tmp_path), "-o", str(tmp_path / "y")])
    assert r.exit_code == 2 and "not a study folder" in r.stderr


def test_markdown_cells_are_neutralised():
    from explainsse.report.markdown import md_cell as _md_cell

    assert _md_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _md_cell("a|b") == "a\\|b"


def _open_in_chromium(index, tmp_path) -> tuple[int, int, int]:
    """Open ``index`` in headless Chromium: (images, images loaded, non-file requests); screenshot too."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    rel = index.relative_to(tmp_path).as_posix()
    (tmp_path / "check.html").write_text(
        "<script>window.onload=()=>{const f=document.createElement('iframe');f.src='" + rel + "';"
        "f.onload=()=>{const imgs=[...f.contentDocument.images];document.title=imgs.length+':'+"
        "imgs.filter(i=>i.complete&&i.naturalWidth>0).length+':'+performance.getEntriesByType('resource')"
        ".filter(r=>!r.name.startsWith('file:')&&!r.name.startsWith('data:')).length;"
        "document.body.setAttribute('data-done',document.title)};document.body.appendChild(f)}</script>")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--allow-file-access-from-files", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--virtual-time-budget=5000", "--dump-dom",
                          (tmp_path / "check.html").as_uri()], capture_output=True, text=True, timeout=120).stdout
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, *flags, "--window-size=1200,1600", f"--screenshot={shot}", index.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000
    done = re.search(r'data-done="(\d+):(\d+):(\d+)"', dom)
    assert done, dom[-500:]
    return tuple(map(int, done.groups()))


@pytest.mark.integration
def test_report_opens_in_headless_chromium(tmp_path):
    """Every image loads and nothing is requested from the network (file:// only)."""
    import matplotlib
    import pandas as pd

    from explainsse.report import Report
    from explainsse.report import figures as fig
    from explainsse.report.render import study_markdown, write_report

    matplotlib.use("Agg")
    frame = pd.DataFrame({"family": ["a", "a", "b"], "log10_sigma": [-3.0, -4.0, -6.0]})
    figures = {"data_distribution": fig.log_sigma_by_family(frame).figure}
    out = write_report(Report(minimal_context(), figures, "report.html.j2", study_markdown), tmp_path / "rep")
    total, loaded, external = _open_in_chromium(out / "index.html", tmp_path)
    assert total == 1 and loaded == total and external == 0


@pytest.mark.integration
def test_nasicon_report_opens_in_headless_chromium(tmp_path):
    """The NASICON validation report (user predictions: nothing refitted) renders offline."""
    data = Path(__file__).resolve().parents[1] / "data"
    res = CliRunner().invoke(app, ["validate", "nasicon", "--input", str(data / "li_nasicon_heldout.csv"),
                                   "--target-col", "sigma_S_cm", "--id-col", "id", "--predictions",
                                   str(data / "li_nasicon_predictions.csv"), "-o", str(tmp_path / "nas"), "-q"])
    assert res.exit_code == 0, res.output
    total, loaded, external = _open_in_chromium(tmp_path / "nas" / "index.html", tmp_path)
    assert total >= 4 and loaded == total and external == 0


def minimal_context():
    from explainsse.report.view import headings

    summary = {"rows_input": 3, "rows_used": 3, "rows_excluded": 0, "train": 2, "test": 1, "censored": 0,
               "with_cif": 0}
    return {"title": "t <b>x</b>", "dataset": "d", "preset": "composition-v1", "families": ["pls"],
            "threshold_S_cm": 1e-4, "seed": 0, "started": "now", "summary_sentences": ["<i>s</i>"],
            "headings": headings(1e-4),
            "data": {"summary": summary, "source": "s", "license": "l", "citation": "", "files": {"f": "0"},
                     "issues": [], "censored": {"n": 0, "floor_S_cm": 1e-15, "bounds": {}, "in_test": 0}},
            "models": {"scheme": "official", "scheme_description": "x", "tables": {"regression": []},
                       "anchors": [], "n_scramble": 5, "params": {}, "confusion": {}, "y_scramble": {},
                       "threshold_S_cm": 1e-4},
            "explanations": {}, "agreement": None, "dependence": [], "materials": [], "glossary": [],
            "citations": [], "results": [], "nasicon": {"n": 0, "note": "", "rows": []}, "structure": {},
            "skipped": {}}


def test_template_escapes_everything(tmp_path):
    from explainsse.report import Report
    from explainsse.report.render import study_markdown, write_report

    out = write_report(Report(minimal_context(), {}, "report.html.j2", study_markdown), tmp_path / "r")
    html = (out / "index.html").read_text()
    assert "t &lt;b&gt;x&lt;/b&gt;" in html and "&lt;i&gt;s&lt;/i&gt;" in html and "<i>s</i>" not in html


@pytest.mark.slow
def test_prediction_report_for_candidates_with_the_bundled_model(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLAINSSE_DATA_DIR", str(tmp_path / "no-data"))  # works with no data at all
    src = tmp_path / "cands.csv"
    src.write_text("id,formula\nllzo,Li7La3Zr2O12\n<script>alert(1)</script>,Li6PS5Br\n"
                   "nasi,Na3Zr2Si2PO12\nbad,Li2Qq\n")
    out = tmp_path / "pred"
    r = CliRunner().invoke(app, ["report", "--input", str(src), "--id-col", "id", "--model", "default",
                                 "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    html = (out / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    j = json.loads((out / "report.json").read_text())
    mats = {m["id"]: m for m in j["materials"]}
    assert set(mats) == {"llzo", "<script>alert(1)</script>", "nasi"}
    assert j["data"]["summary"]["rows_excluded"] == 1 and "Li2Qq" in html
    assert any("no Li" in w for w in mats["nasi"]["warnings"]) and not mats["nasi"]["domain"]["inside"]
    assert "1 of them lies outside the training domain" in html
    md = (out / "report.md").read_text()
    assert f"{mats['llzo']['prediction']:.3g}" in md and f"{mats['llzo']['prediction']:.3g}" in html
    assert not (tmp_path / "no-data").exists()


def test_censored_rows_show_their_bound_not_the_floor():
    from explainsse.report.view import _measured_text

    censored = pd.Series({"censored": True, "sigma_bound_S_cm": 1e-10, "log10_sigma": -15.0})
    measured = pd.Series({"censored": False, "sigma_bound_S_cm": float("nan"), "log10_sigma": -3.456})
    assert _measured_text(censored) == "< -10.00 (upper bound)"
    assert _measured_text(measured) == "-3.46"


@pytest.mark.integration
def test_screening_report_opens_in_headless_chromium(tmp_path):
    """The screening report (a doping grid with the bundled model) renders offline, its figure loads."""
    from explainsse.screen import enumeration_source, run_screen

    source = enumeration_source("Li7La3Zr2O12", ["Zr:Ta"], "0:0.5:0.1", 1000)
    run_screen(source, "default", tmp_path / "scr", top=3, workers=1, progress=False)
    total, loaded, external = _open_in_chromium(tmp_path / "scr" / "report.html", tmp_path)
    assert total == 2 and loaded == total and external == 0  # the distribution and the doping series


@pytest.mark.integration
def test_scatter_points_carry_tooltips_in_the_browser(tmp_path):
    """Parity points carry their id, formula and values as SVG <title>s, inlined in the HTML (no JavaScript)."""
    import shutil
    import subprocess

    import matplotlib
    import pandas as pd

    from explainsse.report import Report
    from explainsse.report import figures as fig
    from explainsse.report.render import study_markdown, write_report

    matplotlib.use("Agg")
    pred = pd.DataFrame({"row": [0, 1, 2], "id": ["m<1>", "m2", "m3"], "y_true": [-3.0, -5.0, -15.0],
                         "y_pred": [-3.5, -4.0, -9.0], "censored": [False, False, True]})
    formulas = pd.Series(["Li7La3Zr2O12", "Li3PS4", "Li2O"], index=[0, 1, 2])
    figures = {"parity_xgb": fig.parity(pred, title="xgb", formulas=formulas).figure}
    out = write_report(Report(minimal_context(), figures, "report.html.j2", study_markdown), tmp_path / "rep")
    html = (out / "index.html").read_text()
    assert "<title>m&lt;1&gt; Li7La3Zr2O12: measured log10 sigma -3.00, predicted -3.50</title>" in html
    assert "<script" not in html.split("</style>", 1)[1]
    svg = (out / "figures" / "parity_xgb.svg").read_text()
    assert svg.count("<title>") == 3 and 'id="parity_xgb-' not in svg  # the file keeps its own ids
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", (out / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    svg_dom = dom[dom.index("<svg"):]
    assert "<title>m2 Li3PS4: measured log10 sigma -5.00, predicted -4.00</title>" in svg_dom
