"""Debian's nginx, started for real on a free loopback port with a snippet's configuration.

`nginx_server(http)` starts nginx with `http(port, directory)` as its http block (see nginx_config.py) through
`running_server`, and always stops it.
"""

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nginx_config import nginx_command


@dataclass(frozen=True)
class Nginx:
    port: int
    directory: Path
    checked: str  # what `nginx -t` said about the configuration

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def error_log(self) -> str:
        return (self.directory / "error.log").read_text()

    def log_lines(self, name: str, count: int, timeout: float = 5.0) -> list[str]:
        """The lines of log `name`, once it holds at least `count` of them.

        nginx writes an access log line after the response has gone out, so a client can read
        its last response a moment before the line exists.
        """
        path = self.directory / name
        deadline = time.monotonic() + timeout
        while True:
            lines = path.read_text().splitlines() if path.exists() else []
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.01)


def replaced(text: str, replacements: dict[str, str]) -> str:
    """`text` with each key replaced, failing if a key is missing (the snippet changed under the test)."""
    for old, new in replacements.items():
        assert old in text, f"expected {old!r} in the configuration"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def replace_in_config():
    """`replaced(text, {old: new})`: how a test points a snippet at its own ports and directory."""
    return replaced


@pytest.fixture(scope="session")
def nginx_server(start_server):
    """Start nginx with `http(port, directory)` as its http block; yields an `Nginx`."""

    @contextlib.contextmanager
    def start(http: Callable[[int, Path], str], workers: int = 2) -> Iterator[Nginx]:
        checked: list[str] = []
        with start_server("nginx", nginx_command(http, workers, checked)) as server:
            yield Nginx(server.port, server.directory, checked[0])

    return start
