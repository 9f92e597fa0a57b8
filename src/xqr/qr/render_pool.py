"""The worker processes QR images are drawn in, so that drawing never holds the server's
interpreter lock and redirects never wait on it.

A drawing is pure CPU work in Python and Pillow: a large PNG keeps a core busy for up to a
second. In a thread it would hold the interpreter lock for most of that time, and the event
loop, with every redirect it answers, would wait its turn for the lock again and again. In
another process it costs the server nothing but sending the inputs and reading the bytes back.

`RenderPool` starts its processes on first use, at most `workers` of them, and stops them with
the app. A job holds one of `workers` turns (`limiter`) from the moment it is sent until its
worker is done with it, so no more jobs than workers are ever in the pool, and requests waiting
for a turn hold nothing but their place in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import sys
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import anyio

from xqr.qr.render.worker import RenderJob, draw, start_worker

logger = logging.getLogger("xqr.qr")

# Fresh interpreters: a forked copy of the server would inherit its threads' locks and its
# event loop half-copied.
START_METHOD = "spawn"

RenderTask = Callable[[RenderJob], bytes]
Job = TypeVar("Job")
Result = TypeVar("Result")


@contextlib.contextmanager
def _main_module_left_out() -> Iterator[None]:
    """Start processes without running the server's main module again in them.

    A new process runs its parent's main module again, so that what is defined there can be
    unpickled. The server's main module is the `xqr` command, which imports the whole app: some
    65 MB a worker, and nothing a drawing uses (its job and task live in importable modules).
    A main module with no file (as in an interactive session) is not run again.

    Processes are started by `ProcessPoolExecutor.submit`, called on the event loop's thread,
    so no other request is handled while the main module is swapped out, and nothing in the
    server's other threads reads it.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _call_in_loop(loop: asyncio.AbstractEventLoop, call: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
        loop.call_soon_threadsafe(call)


class RenderPool:
    """Up to `workers` processes drawing `RenderJob`s with `task`, started on first use.

    `task` and `worker_setup` (run once in each new worker) must be importable module-level
    functions; tests put ones there that hold the jobs and report where they ran.
    """

    def __init__(
        self,
        workers: int,
        task: RenderTask = draw,
        worker_setup: Callable[[], None] | None = None,
    ) -> None:
        self.workers = workers
        self.task = task
        self.worker_setup = worker_setup
        self.limiter = anyio.CapacityLimiter(workers)
        self._executor: ProcessPoolExecutor | None = None

    def _running_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(START_METHOD),
                initializer=start_worker,
                initargs=(self.worker_setup,),
            )
        return self._executor

    async def render(self, job: RenderJob) -> bytes:
        """The bytes `task` makes of `job` in a worker, once a turn is free."""
        return await self.run(self.task, job)

    async def run(self, task: Callable[[Job], Result], job: Job) -> Result:
        """What `task` (an importable module-level function) makes of `job` in a worker."""
        turn = object()
        await self.limiter.acquire_on_behalf_of(turn)
        loop = asyncio.get_running_loop()
        release = functools.partial(self.limiter.release_on_behalf_of, turn)
        executor = self._running_executor()
        try:
            with _main_module_left_out():
                future: Future[Result] = executor.submit(task, job)
        except BaseException as exc:
            release()
            if isinstance(exc, BrokenProcessPool):
                self._replace(executor)
            raise
        # The turn is given back when the worker is done with the job, not when the request
        # stops waiting for it: a cancelled request's drawing still occupies its worker.
        future.add_done_callback(lambda _: _call_in_loop(loop, release))
        try:
            return await asyncio.wrap_future(future, loop=loop)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the jobs in flight failed with it, and
            # the next ones go to new workers.
            self._replace(executor)
            raise

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is broken:
            logger.error("a QR render worker died; starting new ones")
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

    async def stop(self) -> None:
        """Stop the workers: drawings in flight finish first (a second or so at most)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await anyio.to_thread.run_sync(
                functools.partial(executor.shutdown, wait=True, cancel_futures=True)
            )
