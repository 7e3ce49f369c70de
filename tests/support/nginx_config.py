"""Debian's nginx with a given http block, as a command for `running_server`: no root, everything in one directory.

`nginx_command(http, workers)` returns `command(port, directory)`. It wraps the http-context text that
`http(port, directory)` returns in a minimal nginx.conf (pid, logs and temporary files in the server's own
directory), checks it with `nginx -t`, and returns the argv that runs nginx in the foreground.
"""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

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


def nginx_command(http: Callable[[int, Path], str], workers: int = 2,
                  checked: list[str] | None = None) -> Callable[[int, Path], list[str]]:
    """The command that starts nginx; what `nginx -t` said is appended to `checked`."""

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
        if checked is not None:
            checked.append(test.stderr)
        return argv

    return command
