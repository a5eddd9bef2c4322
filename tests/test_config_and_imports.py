import subprocess
import sys
from pathlib import Path

import pytest

from explainsse._config import DEFAULT_CENSORED_FLOOR, get_settings


def test_data_dir_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLAINSSE_DATA_DIR", str(tmp_path / "env"))
    assert get_settings().data_dir == tmp_path / "env"
    assert get_settings().data_dir_from_env
    explicit = get_settings(data_dir=tmp_path / "arg")
    assert explicit.data_dir == tmp_path / "arg" and not explicit.data_dir_from_env
    monkeypatch.delenv("EXPLAINSSE_DATA_DIR")
    default = get_settings().data_dir
    assert "explainsse" in str(default) and default != tmp_path / "env"


def test_defaults_and_env_overrides(monkeypatch):
    s = get_settings()
    assert DEFAULT_CENSORED_FLOOR == 1e-15
    assert (s.n_jobs, s.random_state, s.censored_floor) == (1, 0, 1e-15)
    monkeypatch.setenv("EXPLAINSSE_CENSORED_FLOOR", "1e-12")
    monkeypatch.setenv("EXPLAINSSE_N_JOBS", "2")
    s = get_settings()
    assert s.censored_floor == 1e-12 and s.n_jobs == 2
    monkeypatch.setenv("EXPLAINSSE_N_JOBS", "two")
    with pytest.raises(ValueError, match="EXPLAINSSE_N_JOBS"):
        get_settings()


def test_import_has_no_heavy_side_effects(tmp_path):
    code = (
        "import sys, explainsse; "
        "heavy = [m for m in ('pandas', 'matminer', 'pymatgen', 'sklearn', 'xgboost', 'shap') if m in sys.modules]; "
        "print(','.join(heavy)); print(explainsse.__version__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={"PATH": "", "HOME": str(tmp_path)})
    heavy, version = out.stdout.splitlines()
    assert heavy == ""
    assert version == "0.1.0"
    assert list(Path(tmp_path).iterdir()) == []  # nothing written at import


def test_lazy_public_api():
    import explainsse

    assert callable(explainsse.load_dataset)
    assert "DescriptorFeaturizer" in dir(explainsse)
    with pytest.raises(AttributeError):
        _ = explainsse.not_a_thing
