"""Every notebook in notebooks/ executes top to bottom against the real data."""

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, shared_data, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # execute() raises CellExecutionError on the first failing cell, naming it
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code and all(c.execution_count for c in code)  # every cell ran, none was skipped
    shown = [o for c in code for o in c.get("outputs", []) if o.get("output_type") in
             ("stream", "execute_result", "display_data")]
    assert shown, "the notebook shows no result at all"
    assert list(tmp_path.iterdir()) == []  # the notebook writes nothing beside itself


def test_there_is_a_notebook():
    assert NOTEBOOKS
