"""Run `xqr serve` (or another xqr command) as a real process for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

XQR = str(Path(sys.executable).parent / "xqr")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def xqr_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
    env.update(
        {
            "XQR_DATABASE_URL": db_url,
            "XQR_DATA_DIR": str(data_dir),
            "XQR_SECRET_KEY": "e2e-secret-not-for-production",
            "XQR_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class ServerProcess:
    """`xqr serve` on a free port; output captured to files for inspection."""

    def __init__(self, env: dict[str, str], workdir: Path, *args: str) -> None:
        self._given_env = env
        self.workdir = workdir
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self._files: list[IO[bytes]] = []
        self._use_port(free_port())

    def _use_port(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **self._given_env,
            "XQR_PUBLIC_URL": self._given_env.get("XQR_PUBLIC_URL", self.url),
        }
        self.stdout_path = self.workdir / f"serve-{self.port}.out"
        self.stderr_path = self.workdir / f"serve-{self.port}.err"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        # Test processes running side by side (pytest-xdist) pick free ports independently: one
        # may take the port another was given before its server binds it; then try another.
        earlier = b""  # what a first start printed before it failed to bind (the new key)
        for _ in range(3):
            if self._start(timeout, earlier):
                return self
            self._close_files()
            earlier = self.stdout_path.read_bytes()
            self._use_port(free_port())
        raise RuntimeError(f"xqr serve found no free port:\n{self.stderr()}")

    def _start(self, timeout: float, earlier: bytes) -> bool:
        """Whether it became healthy (False: its port was taken); raises on other failures."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = self.stdout_path.open("wb")
        out.write(earlier)
        out.flush()
        errf = self.stderr_path.open("wb")
        self._files = [out, errf]
        self.process = subprocess.Popen(
            [XQR, "serve", "--port", str(self.port), *self.args],
            env=self.env,
            cwd=self.workdir,
            stdout=out,
            stderr=errf,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.stderr().lower():
                    return False
                raise RuntimeError(f"xqr serve exited early:\n{self.stderr()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()  # not left running after the test
        self.process.wait()
        raise RuntimeError(f"xqr serve did not become healthy:\n{self.stderr()}")

    def _close_files(self) -> None:
        for f in self._files:
            f.close()
        self._files = []

    def stop(self, timeout: float = 20.0) -> int:
        """Graceful stop (SIGTERM), as a process manager does."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_files()
        return int(self.process.returncode)

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def run_xqr(
    env: dict[str, str], *args: str, cwd: Path | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [XQR, *args], env=env, cwd=cwd, capture_output=True, text=True, input=input, timeout=120
    )
