"""One small task pool for independent model fits: worker processes, or inline when ``n_jobs=1``.

Reports and validations run several independent evaluations (families x tasks), each made
of many small fits on a few hundred rows. On such data two single-threaded fits side by side
beat one fit on two threads, so the pool runs whole tasks in worker processes (loky, the
executor joblib uses) and tells each task to fit with one thread
(:attr:`TaskPool.inner_jobs`). Tasks may be submitted while others run, so a follow-up (e.g.
explaining a model) starts as soon as what it needs is done. Workers exit on their own when the
process that started them dies (even by SIGKILL), so a killed run leaves no work behind.

A worker that dies itself (killed by the out-of-memory killer, a crash in compiled code) breaks a
process pool: every task in it fails with ``TerminatedWorkerError``. :meth:`TaskPool.run_each`
contains that: only the task that was running in the dead worker is lost (reported with the
reason), the pool is recreated and the other tasks run again.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, as_completed, wait

_SINGLE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                          "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


#: Reason given for a task whose worker process died (:meth:`TaskPool.run_each`).
WORKER_DIED = "worker process died (out of memory?)"


def _death_reason(exc: BaseException) -> str:
    """:data:`WORKER_DIED`, with the exit codes loky reports (e.g. ``SIGKILL(-9)``) when it gives them."""
    text = str(exc)
    marker = "exit codes of the workers are "
    if marker in text:
        return f"{WORKER_DIED}; exit code {text.split(marker, 1)[1].strip().splitlines()[0]}"
    return WORKER_DIED


#: How often a worker checks that the process that started it is still alive (seconds).
PARENT_POLL_S = 0.5


def _exit_with_parent(parent_pid: int, poll: float = PARENT_POLL_S) -> None:
    """Worker initializer: a daemon thread that ends this worker when its parent process is gone.

    A parent killed with SIGKILL cannot stop its workers; without this they would finish (or
    loop over) their current fit for minutes. When the parent dies the worker is re-parented,
    so ``os.getppid()`` changes; the thread then exits the process at once.
    """
    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(70)  # EX_SOFTWARE; nothing to clean up: results have nowhere to go
            time.sleep(poll)

    threading.Thread(target=watch, name="explainsse-parent-watch", daemon=True).start()


def _set_up_then_run(setup, func, args: tuple, kwargs: dict):
    """Run ``func`` in a worker after the pool's setup call ``setup = (function, args)``, if any."""
    if setup is not None:
        setup[0](*setup[1])
    return func(*args, **kwargs)


class TaskPool:
    """Submit callables to ``n_jobs`` worker processes, or run them at once when ``n_jobs <= 1``.

    Parameters
    ----------
    n_jobs : int
        Worker processes; ``1`` runs every task inline, in submission order (no processes,
        plain tracebacks).
    worker_setup : callable, optional
        Called in this process at each submit; returns ``None`` or ``(function, args)``, which the
        worker calls before the task (picklable). This is how state of this process reaches the
        workers without the pool knowing about it, e.g. the model families a user registered
        (:func:`explainsse.models.families.worker_setup`).

    Examples
    --------
    >>> with TaskPool(1) as pool:
    ...     futures = [pool.submit(pow, 2, k) for k in range(3)]
    >>> [f.result() for f in futures]
    [1, 2, 4]
    """

    def __init__(self, n_jobs: int = 1, *, worker_setup: Callable[[], tuple | None] | None = None):
        self.n_jobs = max(int(n_jobs), 1)
        self.worker_setup = worker_setup
        self._executor = None
        self._workers = self.n_jobs  # worker processes of the executor (1 while tasks run alone)

    @property
    def inner_jobs(self) -> int:
        """Threads each task should use: 1 in worker processes, else ``n_jobs``."""
        return 1 if self.n_jobs > 1 else self.n_jobs

    def submit(self, func, /, *args, **kwargs) -> Future:
        """Schedule ``func(*args, **kwargs)``; returns a :class:`concurrent.futures.Future`.

        Inline (``n_jobs=1``) the call runs now and its exception propagates at once.
        """
        if self.n_jobs == 1:
            future = Future()
            future.set_result(func(*args, **kwargs))
            return future
        if self._executor is None:
            # A private loky executor (not the process-wide reusable one, which joblib and
            # scikit-learn own and configure themselves); one thread per worker for OpenMP
            # (XGBoost) and BLAS too, or they oversubscribe the cores.
            # heavy: the process pool (loky) starts only when workers are needed
            from joblib.externals.loky import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(max_workers=self._workers, env=_SINGLE_THREAD,
                                                 initializer=_exit_with_parent, initargs=(os.getpid(),))
        setup = self.worker_setup() if self.worker_setup is not None else None
        return self._executor.submit(_set_up_then_run, setup, func, args, kwargs)

    def close(self, *, abandon: bool = False) -> None:
        """Stop the worker processes; the pool can be used again.

        Waits for running tasks, unless ``abandon`` (after an error), which stops the workers at once.
        """
        if self._executor is not None:
            self._executor.shutdown(wait=not abandon, kill_workers=abandon)
            self._executor = None
        self._workers = self.n_jobs

    def run_each(self, func: Callable, calls: Iterable[tuple]) -> Iterator[tuple[int, object, str | None]]:
        """Run ``func(*args)`` for every ``args`` of ``calls``; a dead worker costs only its own task.

        At most ``n_jobs`` tasks are in flight, so that when a worker process dies (out of memory,
        a crash in compiled code) the tasks that may have been in it are known. The pool is then
        recreated and those tasks run again one at a time: a task whose worker dies while it runs
        alone is the one that killed it and is reported lost; the others get their results.
        Inline (``n_jobs=1``) the calls run here, in order.

        Parameters
        ----------
        func : callable
            Importable by the workers (a module-level function).
        calls : iterable of tuple
            Positional arguments of each call.

        Yields
        ------
        (index, result, lost) : tuple
            ``index`` in ``calls``, in completion order; ``lost`` is None, or the reason (starting
            with :data:`WORKER_DIED`) when the task's worker died, and then ``result`` is None.
            An exception raised by ``func`` itself propagates.

        Examples
        --------
        >>> with TaskPool(1) as pool:
        ...     sorted(pool.run_each(pow, [(2, 3), (3, 2)]))
        [(0, 8, None), (1, 9, None)]
        """
        calls = list(calls)
        if self.n_jobs == 1:
            for k, args in enumerate(calls):
                yield k, func(*args), None
            return
        queue = deque(range(len(calls)))
        alone: deque = deque()  # tasks in flight when a worker died: run again one at a time
        running: dict[Future, int] = {}
        while queue or alone or running:
            source, limit = (alone, 1) if alone else (queue, self.n_jobs)
            if self._workers != limit and not running:  # one worker to run tasks alone, n_jobs otherwise
                self.close()  # (idle) the next submit starts an executor of the right size
                self._workers = limit
            while source and len(running) < limit:
                k = source.popleft()
                running[self.submit(func, *calls[k])] = k
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken: BaseException | None = None
            for future in done:
                try:
                    result = future.result()
                except BrokenExecutor as exc:
                    broken = exc
                    continue
                yield running.pop(future), result, None
            if broken is None:
                continue
            in_flight = list(running.values())  # the dead worker's task is one of them
            running.clear()
            self.close(abandon=True)  # the executor is broken; a new one starts at the next submit
            if len(in_flight) == 1:
                yield in_flight[0], None, _death_reason(broken)
            else:
                alone.extend(sorted(in_flight))

    @staticmethod
    def as_completed(futures):
        """Yield ``futures`` as they finish (see :func:`concurrent.futures.as_completed`)."""
        return as_completed(futures)

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abandon=exc_type is not None)


__all__ = ["WORKER_DIED", "TaskPool"]
