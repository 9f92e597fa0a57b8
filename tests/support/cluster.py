"""Several machines behind a load balancer, on one machine: the production topology.

PostgreSQL (a fresh database from the test run's throwaway server), Redis (a throwaway
`redis-server`), an S3-compatible store (moto), `nodes` × `xqr serve --workers 2` on their
own ports standing in for machines, `workers` × `xqr worker`, and nginx in front of the nodes,
round-robin, with passive health checks: a node that refuses or drops a connection is taken
out for `fail_timeout`, and the request is retried on the next node (nginx open source has
no active checks; /readyz is what an orchestrator or a balancer that has them asks).

    with Cluster(database_template, folder) as cluster:
        cluster.url, cluster.key, cluster.nodes[0].url, cluster.kill_node(1), cluster.redis
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.live import KEY_PATTERN, module_database
from tests.support.redis import RedisServer
from tests.support.s3 import MotoServer
from tests.support.server import XQR, ServerProcess, free_port, xqr_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_available() -> bool:
    return Path(NGINX).exists()


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    found = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            found.extend(process_tree(int(child)))
    return found


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> str:
    servers = "\n".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstreams
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
{temp}
  upstream xqr {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://xqr;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 3;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


class Cluster:
    def __init__(
        self, template: Any, folder: Path, *, nodes: int = 3, workers: int = 2, **env: str
    ) -> None:
        self.template = template
        self.folder = folder
        self.node_count = nodes
        self.worker_count = workers
        self.extra_env = env
        self.nodes: list[ServerProcess] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self._stack = ExitStack()
        self._files: list[IO[bytes]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = ""
        self.nginx: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        db_url = self._stack.enter_context(module_database(self.template, self.folder))
        self.redis = self._stack.enter_context(RedisServer())
        self.moto = MotoServer().start()
        self._stack.callback(self.moto.stop)
        s3 = self.moto.client()
        for bucket in ("xqr-private", "xqr-public"):
            s3.create_bucket(Bucket=bucket)
        self.env = xqr_env(
            db_url,
            self.folder / "data",
            XQR_PUBLIC_URL=self.url,
            XQR_REDIS_URL=self.redis.url,
            XQR_STORAGE_BACKEND="s3",
            XQR_S3_ENDPOINT_URL=self.moto.url,
            XQR_S3_ACCESS_KEY_ID="test",
            XQR_S3_SECRET_ACCESS_KEY="test",
            XQR_S3_ADDRESSING_STYLE="path",
            XQR_RUN_BACKGROUND="false",
            XQR_TRUSTED_PROXIES="127.0.0.1",
            XQR_ACCESS_LOG="false",
            XQR_WEBHOOKS_ALLOW_PRIVATE="1",
            XQR_QR_CONCURRENT_RENDERS="1",
            **self.extra_env,
        )
        # The first node migrates and creates the first workspace and key; the others join.
        first = self._node(0)
        match = KEY_PATTERN.search(first.stdout())
        assert match, first.stdout()
        self.key = match.group(0)
        with ThreadPoolExecutor(self.node_count) as pool:
            list(pool.map(self._node, range(1, self.node_count)))
        self.nodes.sort(key=lambda node: node.workdir.name)
        for n in range(self.worker_count):
            out = (self.folder / f"worker-{n}.log").open("wb")
            self._files.append(out)
            self.workers.append(
                subprocess.Popen(
                    [XQR, "worker"], env=self.env, stdout=out, stderr=subprocess.STDOUT
                )
            )
        self._start_nginx()

    def _node(self, n: int) -> ServerProcess:
        node = ServerProcess(
            {**self.env, "XQR_DATA_DIR": str(self.folder / f"node-{n}" / "data")},
            self.folder / f"node-{n}",
            "--workers",
            "2",
        )
        self._stack.callback(node.stop)
        node.start(timeout=120)
        self.nodes.append(node)
        return node

    def _start_nginx(self) -> None:
        conf = self.folder / "nginx.conf"
        conf.write_text(nginx_config(self.folder, self.port, [node.port for node in self.nodes]))
        self.nginx = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: {(self.folder / 'nginx.err').read_text()}")

    def node_of(self, upstream: str) -> int:
        """Which node an `X-Upstream` value (`127.0.0.1:port`, the last one tried) names."""
        port = int(re.split(r"[ ,]+", upstream.strip())[-1].rsplit(":", 1)[1] or 0)
        return next((i for i, node in enumerate(self.nodes) if node.port == port), -1)

    def kill_node(self, n: int) -> None:
        """kill -9 of the node's server and its worker processes, as a machine that dies."""
        node = self.nodes[n]
        assert node.process is not None
        for pid in process_tree(node.process.pid):  # the supervisor first: no restarts
            os.kill(pid, signal.SIGKILL)
        node.process.wait(10)

    def kill_worker(self, n: int) -> None:
        self.workers[n].kill()
        self.workers[n].wait(10)

    def __exit__(self, *exc: Any) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        for f in self._files:
            f.close()
        self._stack.close()
