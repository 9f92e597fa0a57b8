"""A real S3-compatible server for tests: `moto_server` on a free local port."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests.support.server import free_port

MOTO_SERVER = str(Path(sys.executable).parent / "moto_server")


class MotoServer:
    """`moto_server -H 127.0.0.1 -p PORT`; `client()` is a boto3 client talking to it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())

    def start(self, timeout: float = 30.0) -> MotoServer:
        self.process = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"moto_server exited early:\n{self._log.read().decode()}")
            try:
                httpx.get(f"{self.url}/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start")

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
