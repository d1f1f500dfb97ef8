"""A command that serves HTTP, started as a real process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(
    server: subprocess.Popen[bytes], port: int, ready_path: str, *, seconds: float = 30
) -> str:
    """The base URL once GET `ready_path` answers; fails the test if the server dies first."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + ready_path, timeout=1)
            return base
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"the server on port {port} did not start")
            time.sleep(0.2)


@contextmanager
def serving(args: Sequence[str], ready_path: str, *, seconds: float = 30) -> Iterator[str]:
    """`python -m rlsiron ARGS --port P` running until the block ends; yields its base URL
    once GET `ready_path` answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rlsiron", *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield wait_until_serving(server, port, ready_path, seconds=seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
