"""What a render worker process runs: plain inputs in, image bytes out.

The server draws QR images in a few worker processes (`xqr.qr.render_pool`), so that drawing
never holds its interpreter lock. A worker imports this engine and nothing of the app; it
receives a `RenderJob` (content, design, size, format and logo bytes: plain, picklable data)
and answers with the image's bytes or a `DesignError`.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from xqr.qr.render.design import Design, DesignError
from xqr.qr.render.engine import render
from xqr.qr.render.scan import DEFAULT_SCAN_DISTANCE_CM, ScanReport, check_design

# Workers draw at a lower CPU priority than their server: where they share a core with it, the
# kernel runs the server's event loop (and the redirects it answers) first.
WORKER_NICENESS = 10


@dataclass(frozen=True)
class RenderJob:
    """Everything a drawing depends on; the logo as the bytes the server resolved."""

    content: str
    design: Design
    size: int
    fmt: str
    logo: bytes | None = None
    width_mm: float | None = None
    dpi: int | None = None
    # Refuse (DesignError on `design`, with the check's reason) a design that does not scan.
    verify: bool = False


@dataclass(frozen=True)
class CheckJob:
    """A scannability check: content, design (contrast not enforced) and logo bytes."""

    content: str
    design: Design
    logo: bytes | None = None
    scan_distance_cm: float = DEFAULT_SCAN_DISTANCE_CM


def draw(job: RenderJob) -> bytes:
    """The image of `job` (raises DesignError, a PNG over the pixel cap included)."""
    image = render(
        job.content,
        job.design,
        size=job.size,
        fmt=job.fmt,
        logo=job.logo,
        width_mm=job.width_mm,
        dpi=job.dpi,
    )
    if job.verify:
        report = check_design(job.content, job.design, logo=job.logo)
        if not report.decodes:
            raise DesignError("design", f"This design does not scan: {report.reason}")
    return image


def check(job: CheckJob) -> ScanReport:
    """The scannability report of `job` (raises DesignError for a design it cannot draw)."""
    return check_design(
        job.content, job.design, logo=job.logo, scan_distance_cm=job.scan_distance_cm
    )


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(0)


def start_worker(setup: Callable[[], None] | None = None) -> None:
    """Runs first in every worker process.

    A worker is a session of its own, at a lower priority (`WORKER_NICENESS`). Where Linux
    shares CPU time between sessions (autogroups, on by default on many systems), a worker's
    drawing is then charged to its own session, not to the server's, so the server's event
    loop, which mostly sleeps, is not made to wait for the CPU time its workers used when a
    request wakes it. Out of the server's process group, a worker does not get the server's
    Ctrl-C either (nor would it heed it): it leaves stopping to its server, which lets the
    drawing in flight finish. And it exits when its server is gone, however that happened;
    otherwise it would wait for its next job forever. `setup` is for tests, which watch the
    jobs in the workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setsid"):
        os.setsid()
        os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with_parent, name="exit-with-server", daemon=True).start()
    if setup is not None:
        setup()
