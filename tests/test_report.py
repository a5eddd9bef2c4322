"""Reports: a small end-to-end report, escaping of user strings, numbers that agree across formats."""

import json
import re

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
            "-o", str(out), "-q"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["figures", "index.html", "manifest.json", "report.json", "report.md"]
    html = (out / "index.html").read_text()
    # user strings stay inert: escaped in HTML
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html.split("<body>")[1]
    assert html.count("<img") == len(list((out / "figures").glob("*.svg")))
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
    assert re.search(r"\| '?=?", md)  # markdown table present


def test_markdown_cells_are_neutralised():
    from explainsse.report.render import _md_cell

    assert _md_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _md_cell("a|b") == "a\\|b"
