"""Shared test machinery: real servers on free loopback ports, and no silent skips in CI."""

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


@dataclass(frozen=True)
class Server:
    port: int
    directory: Path
    process: subprocess.Popen


@contextlib.contextmanager
def running_server(
    name: str,
    command: Callable[[int, Path], list[str]],
    ready: Callable[[int], bool] = accepts_connections,
    timeout: float = 30.0,
) -> Iterator[Server]:
    """Start `command(port, directory)` on a free loopback port in a fresh temporary directory.

    Waits until `ready(port)` is true, yields the server, then stops its whole process group and
    removes the directory, also when the test body fails. Start-up failures raise with the log.
    """
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        directory = Path(tmp)
        port = free_port()
        log_path = directory / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command(port, directory),
                cwd=directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + timeout
            while not ready(port):
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready on port {port} after {timeout}s:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.02)
            yield Server(port, directory, process)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def start_server():
    """`running_server` for tests; fixtures for Redis, PostgreSQL, nginx and Kafka build on it."""
    return running_server
