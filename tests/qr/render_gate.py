"""Render tasks for tests, run inside the QR worker processes: they hold each drawing until the
test releases it, and report which process drew it and what a worker has imported.

The workers import this module, so it imports nothing but the engine (no pytest, no app).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized, SynchronizedArray

from xqr.qr.render.worker import RenderJob, draw

MOST_RENDERS = 256
HOLD_AT_MOST_SECONDS = 60


@dataclass(frozen=True)
class RenderGate:
    """Shared between a test and its workers, which receive it as they start.

    Workers poll `released` (a bare shared int, no lock) rather than wait on a multiprocessing
    Event: a test may kill a worker, and an Event whose waiter was killed, like a lock its
    holder never gave back, blocks whoever uses it next.
    """

    released: ctypes.c_int
    entered: Synchronized[int]
    running: Synchronized[int]
    most_at_once: Synchronized[int]
    pids: SynchronizedArray[int]

    @classmethod
    def new(cls) -> RenderGate:
        ctx = multiprocessing.get_context("spawn")
        return cls(
            ctx.RawValue(ctypes.c_int, 0),
            ctx.Value("i", 0),
            ctx.Value("i", 0),
            ctx.Value("i", 0),
            ctx.Array("i", MOST_RENDERS),
        )

    def release(self) -> None:
        self.released.value = 1

    def drawn_by(self) -> list[int]:
        """The process id of each render that has started, in order."""
        with self.entered.get_lock():
            return list(self.pids[: self.entered.value])


_gate: RenderGate | None = None


def open_gate(gate: RenderGate) -> None:
    """A worker's setup: the gate its renders pass through."""
    global _gate
    _gate = gate


def held_draw(job: RenderJob) -> bytes:
    """Draws `job` once the test releases the gate, counting the renders in flight."""
    gate = _gate
    if gate is None:
        raise RuntimeError("this worker was started without a gate")
    with gate.entered.get_lock():
        gate.pids[gate.entered.value] = os.getpid()
        gate.entered.value += 1
        gate.running.value += 1
        gate.most_at_once.value = max(gate.most_at_once.value, gate.running.value)
    try:
        deadline = time.monotonic() + HOLD_AT_MOST_SECONDS
        while not gate.released.value:
            if time.monotonic() > deadline:
                raise RuntimeError("the test never released the render")
            time.sleep(0.002)
        return draw(job)
    finally:
        with gate.entered.get_lock():
            gate.running.value -= 1


def session_and_niceness(job: RenderJob) -> bytes:
    """The worker's session id and CPU niceness, as "sid nice" (`job` is ignored)."""
    return f"{os.getsid(0)} {os.getpriority(os.PRIO_PROCESS, 0)}".encode()


def imported_modules(job: RenderJob) -> bytes:
    """The names of the modules the worker has imported, one a line (`job` is ignored)."""
    return "\n".join(sorted(sys.modules)).encode()
