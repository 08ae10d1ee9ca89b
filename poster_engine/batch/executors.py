"""The same job list on a Dask distributed cluster (`poster build --scheduler tcp://HOST:PORT`).

Workers must see the project at the same path (a shared or identical checkout) and have the engine
installed (`pip install 'poster-engine[distributed]'`). They return bytes; the client writes.
"""

from __future__ import annotations

from typing import Iterator

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job


def run_on_cluster(scheduler: str, spec: tuple, jobs: list[Job]) -> Iterator:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise PosterError(Diagnostic("--scheduler needs Dask; install it with pip install "
                                     "'poster-engine[distributed]'")) from None
    from poster_engine.batch.build import _run_in_worker

    try:
        client = Client(scheduler, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise PosterError(Diagnostic(f"cannot reach the Dask scheduler {scheduler} ({exc}); "
                                     "start it (dask scheduler) or fix --scheduler")) from None
    with client:
        # pure=False: the same job is rendered again if asked again (its inputs may have changed).
        futures = client.map(_run_in_worker, [spec] * len(jobs), jobs, pure=False)
        # This client is not the process-wide default, so as_completed gets its loop explicitly
        # and each future fetches its result through the client that made it.
        for future in as_completed(futures, loop=client.loop):
            yield future.result()
