"""Where the chunks of a screen run: local worker processes, or a Dask cluster.

Both engines expose ``submit(func, *args)`` returning a future, ``wait(futures)`` returning
``(done, pending)`` as soon as one finishes, and ``close()``. The chunk function and its inputs
are the same for both, so their outputs are identical bit for bit. The project does not
schedule work itself: a Dask cluster is whatever ``dask.distributed`` connects to (a
LocalCluster by default; dask-jobqueue or Kubernetes on real clusters, see README).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import FIRST_COMPLETED, wait

from .._config import get_settings
from ..errors import InputDataError
from ..models.families import worker_setup
from ..parallel import TaskPool

ENGINES = ("local", "dask")


class LocalEngine:
    """``workers`` local processes (:class:`explainsse.parallel.TaskPool`; one runs inline)."""

    name = "local"

    def __init__(self, workers: int):
        self.workers = max(int(workers), 1)
        self._pool = TaskPool(self.workers, worker_setup=worker_setup)

    def submit(self, func, *args):
        """Schedule ``func(*args)``."""
        return self._pool.submit(func, *args)

    @staticmethod
    def wait(futures):
        """``(done, pending)`` once at least one future has finished."""
        return wait(futures, return_when=FIRST_COMPLETED)

    def describe(self) -> dict:
        """What ran the chunks (for the manifest)."""
        return {"engine": "local", "workers": self.workers}

    def close(self, *, abandon: bool = False) -> None:
        """Stop the worker processes."""
        self._pool.close(abandon=abandon)


class DaskEngine:
    """A ``dask.distributed`` client: a LocalCluster of ``workers`` processes, or ``scheduler``'s cluster.

    Parameters
    ----------
    workers : int
        Worker processes of the LocalCluster (one thread each); with ``scheduler``, the cluster's
        workers at connection time are counted instead (it sets how many chunks are in flight).
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``). Its workers need explainsse
        installed and must see the model folder and the output folder at the same paths.
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None):
        from distributed import Client, LocalCluster  # heavy: dask.distributed loads only for the Dask engine

        self.workers = max(int(workers), 1)
        self.scheduler = scheduler
        self._cluster = None
        if scheduler:
            self.client = _connect(Client, scheduler)
            self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)  # the cluster's own
        else:
            env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            scratch = get_settings().cache_dir / "dask-scratch"  # not dask's default /tmp/dask-scratch-space
            scratch.mkdir(parents=True, exist_ok=True)
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=40, env=env,
                                         local_directory=str(scratch))
            self.client = Client(self._cluster)

    def submit(self, func, *args):
        """Schedule ``func(*args)`` on the cluster (pure=False: a chunk is never deduplicated)."""
        return self.client.submit(func, *args, pure=False)

    @staticmethod
    def wait(futures):
        """``(done, pending)`` once at least one future has finished."""
        from distributed import wait  # heavy: dask.distributed loads only for the Dask engine

        result = wait(list(futures), return_when="FIRST_COMPLETED")
        return result.done, result.not_done

    def describe(self) -> dict:
        """What ran the chunks (for the manifest)."""
        info = self.client.scheduler_info()
        return {"engine": "dask", "scheduler": self.scheduler or "LocalCluster",
                "workers": len(info.get("workers", {})), "dask_address": str(self.client.scheduler.address)}

    def close(self, *, abandon: bool = False) -> None:
        """Close the client (and the LocalCluster it started)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


#: Address schemes dask.distributed connects to (``tcp://HOST:PORT`` and the like).
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|ws|wss|ucx)://[A-Za-z0-9._\-\[\]:]+:\d{1,5}")
#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT_S = 10


def check_scheduler(address: str) -> str:
    """A Dask scheduler address as ``SCHEME://HOST:PORT``, or a one-line error (nothing is contacted)."""
    if not SCHEDULER_ADDRESS.fullmatch(address):
        raise InputDataError(f"--scheduler {address!r}: expected a Dask scheduler address such as "
                             "tcp://HOST:8786 (schemes tcp, tls, ws, wss, ucx)")
    return address


def _connect(client_class, address: str):
    """A client of the scheduler at ``address``; a one-line error when it cannot be reached."""
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputDataError(f"--scheduler {address}: cannot connect to a Dask scheduler there "
                             f"({type(exc).__name__}: {exc})".replace("\n", " ")) from None


def make_engine(name: str, workers: int | None = None, scheduler: str | None = None):
    """The engine called ``name`` (``local`` or ``dask``); ``workers`` defaults to the CPU count."""
    if workers is not None and workers < 1:
        raise InputDataError(f"--workers must be at least 1, got {workers}")
    workers = workers or os.cpu_count() or 1
    if name == "local":
        if scheduler:
            raise InputDataError("--scheduler needs --engine dask")
        return LocalEngine(workers)
    if name == "dask":
        return DaskEngine(workers, check_scheduler(scheduler) if scheduler else None)
    raise InputDataError(f"--engine {name!r}: expected one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "DaskEngine", "LocalEngine", "make_engine"]
