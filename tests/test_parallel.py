"""The task pool: inline and in worker processes, and no clash with joblib's own executor."""

import os
import signal

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from explainsse.parallel import WORKER_DIED, TaskPool


def _threads():
    return os.environ.get("OMP_NUM_THREADS")


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pool_returns_results_as_submitted(n_jobs):
    with TaskPool(n_jobs) as pool:
        futures = [pool.submit(pow, 2, k) for k in range(5)]
        assert sorted(f.result() for f in pool.as_completed(futures)) == [1, 2, 4, 8, 16]
        assert [f.result() for f in futures] == [1, 2, 4, 8, 16]
        pids = {pool.submit(os.getpid).result() for _ in range(4)}
    # inline (n_jobs=1) tasks run in this process; otherwise in worker processes, never here
    assert pids == {os.getpid()} if n_jobs == 1 else os.getpid() not in pids


@pytest.mark.slow
def test_workers_are_single_threaded_and_joblib_still_works_afterwards():
    with TaskPool(2) as pool:
        assert pool.submit(_threads).result() == "1"
    # scikit-learn's own process pool (joblib/loky) must not inherit or break on ours
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_jobs=2, cv=3).fit(X, y)
    assert search.best_params_["C"] in (0.1, 1.0) and search.best_score_ > 0.8
    assert len(search.cv_results_["mean_test_score"]) == 2


def test_inline_errors_propagate_at_once():
    with TaskPool(1) as pool, pytest.raises(ZeroDivisionError):
        pool.submit(lambda: 1 / 0)


def _fail():
    raise ValueError("task failed")


@pytest.mark.slow
def test_a_failing_task_raises_in_the_caller_and_the_workers_stop():
    pool = TaskPool(2)
    with pytest.raises(ValueError, match="task failed"), pool:
        pool.submit(_fail).result()
    assert pool._executor is None


def _square_or_die(k, doomed):
    if k == doomed:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return k * k


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_own_task():
    with TaskPool(2) as pool:
        results = {k: (value, lost) for k, value, lost in pool.run_each(_square_or_die, [(k, 3) for k in range(7)])}
    assert sorted(results) == list(range(7))
    assert {k: v for k, (v, lost) in results.items() if lost is None} == {k: k * k for k in range(7) if k != 3}
    value, lost = results[3]
    assert value is None and lost.startswith(WORKER_DIED) and "SIGKILL" in lost


@pytest.mark.slow
def test_run_each_inline_runs_in_order_and_errors_propagate():
    with TaskPool(1) as pool:
        assert list(pool.run_each(pow, [(2, k) for k in range(3)])) == [(0, 1, None), (1, 2, None), (2, 4, None)]
    pool = TaskPool(2)
    with pytest.raises(ValueError, match="task failed"), pool:
        list(pool.run_each(_fail, [()]))
