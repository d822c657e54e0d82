"""A real ``redis-server`` on 127.0.0.1 for the distributed-run tests.

Each server listens on a free port, keeps nothing on disk (``--save ""``,
``--appendonly no``) and works in its own temp folder; it is stopped at teardown.
Without ``redis-server`` the tests that need it are skipped, loudly; under ``CI=true``
that is a failure instead (CI installs it: .ci/run).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest
import redis

LOOPBACK = "127.0.0.1"
#: A safety limit on start-up, not a timing assertion.
START_LIMIT = 20.0


def redis_server_binary() -> str:
    """The path of ``redis-server``; skips the test (fails it under ``CI=true``) when
    there is none."""
    path = shutil.which("redis-server")
    if path is None:
        message = (
            "redis-server is not installed: the distributed-run (Redis) tests cannot run; "
            "install it (apt-get install redis-server)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}")
        pytest.skip(f"SKIPPED, NOT PASSED: {message}")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """``with RedisServer(workdir) as server:`` … ``server.url``."""

    def __init__(self, workdir: Path) -> None:
        self.binary = redis_server_binary()
        self.workdir = workdir
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host=LOOPBACK, port=self.port)

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # a free port may be taken between probe and bind
            self.port = _free_port()
            proc = subprocess.Popen(
                [
                    self.binary,
                    "--bind", LOOPBACK,
                    "--port", str(self.port),
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.workdir),
                    "--logfile", str(self.workdir / "redis.log"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._wait_ready(proc):
                self._proc = proc
                return self
        log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"redis-server did not start:\n{log}")

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_LIMIT
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    time.sleep(0.02)
        finally:
            client.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
