"""Debian's nginx, started for real on a free loopback port with a snippet's configuration.

`nginx_server(http)` wraps the `http`-context text that `http(port, directory)` returns in a
minimal nginx.conf (pid, logs and temporary files in the server's own directory, no root needed),
checks it with `nginx -t`, starts nginx in the foreground with `running_server`, and always stops it.
"""

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """\
daemon off;
master_process on;
worker_processes {workers};
{user}pid nginx.pid;
lock_file nginx.lock;
error_log error.log info;

events {{
    worker_connections 256;
}}

http {{
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    access_log access.log;

{http}
}}
"""


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
        checked = []

        def command(port: int, directory: Path) -> list[str]:
            (directory / "temp").mkdir()
            # The master runs as whoever runs the tests; as root, nginx would switch workers to
            # "nobody", who cannot enter the private temporary directory.
            user = "user root;\n" if os.geteuid() == 0 else ""
            config = directory / "nginx.conf"
            config.write_text(MAIN.format(workers=workers, user=user, http=http(port, directory)))
            argv = [NGINX, "-p", f"{directory}/", "-c", str(config)]
            test = subprocess.run([*argv, "-t"], capture_output=True, text=True)
            if test.returncode != 0:
                raise RuntimeError(f"nginx -t rejected the configuration:\n{test.stderr}\n{config.read_text()}")
            checked.append(test.stderr)
            return argv

        with start_server("nginx", command) as server:
            yield Nginx(server.port, server.directory, checked[0])

    return start
