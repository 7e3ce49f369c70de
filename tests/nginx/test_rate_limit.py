"""snippets/nginx/rate_limit.conf on Debian's nginx: exact counts for simultaneous bursts.

nginx's limit_req keeps, per key, an "excess" that drains at the zone's rate. A request that would
push it above `burst` is refused; one that pushes it above `delay` (0 unless set, unlimited with
`nodelay`) waits until it has drained back. For n simultaneous requests from a fresh key, request k
(from 0) finds an excess of k, so burst=4 delay=2 gives: k = 0..2 pass, k = 3..4 wait, k >= 5 are
refused. A burst lasting less than 1/rate cannot drain a whole request, so the counts are exact.
The access log's $limit_req_status says which requests were delayed, so no test relies on timing
for the counts.
"""

import http.client
import json
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

SNIPPET = Path(__file__).parents[2] / "snippets" / "nginx" / "rate_limit.conf"

# Stands in for the application: a second server in the same nginx, on a Unix socket.
BACKEND = """
server {{
    listen unix:{socket};
    access_log off;
    location / {{
        return 200 "backend saw $request_uri\\n";
    }}
}}
"""


def snippet_site(replace_in_config, **more_changes: str):
    """The snippet with only its port, backend address and log directory changed (plus `more_changes`)."""

    def site(port: int, directory: Path) -> str:
        socket = directory / "backend.sock"
        changes = {
            "listen 8080;": f"listen 127.0.0.1:{port};",
            "server 127.0.0.1:8000;": f"server unix:{socket};",
            "/var/log/nginx/": f"{directory}/",
            **more_changes,
        }
        return replace_in_config(SNIPPET.read_text(), changes) + BACKEND.format(socket=socket)

    return site


@pytest.fixture
def nginx(nginx_server, replace_in_config):
    with nginx_server(snippet_site(replace_in_config)) as server:
        yield server


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    sent: float  # time.monotonic() when the request went out
    seconds: float  # until the whole response was read


def get(port: int, path: str, source: str = "127.0.0.1") -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        sent = time.monotonic()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body, sent, time.monotonic() - sent)
    finally:
        connection.close()


def burst(port: int, path: str, n: int, source: str = "127.0.0.1") -> list[Reply]:
    """n requests sent at the same moment, each on its own connection, already open."""
    barrier = threading.Barrier(n)

    def one(i: int) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        try:
            connection.connect()
            barrier.wait()
            sent = time.monotonic()
            connection.request("GET", f"{path}?n={i}")
            response = connection.getresponse()
            body = response.read().decode()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers, body, sent, time.monotonic() - sent)
        finally:
            connection.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def statuses(replies: list[Reply]) -> Counter:
    return Counter(reply.status for reply in replies)


def limit_req_statuses(nginx, count: int) -> Counter:
    """$limit_req_status of the first `count` lines of the snippet's access log."""
    lines = nginx.log_lines("limits.log", count)
    assert len(lines) == count, lines
    return Counter(line.split()[-1] for line in lines)


def test_nginx_t_accepts_the_snippet(nginx):
    assert "syntax is ok" in nginx.checked
    assert "test is successful" in nginx.checked
    assert get(nginx.port, "/api/users").body == "backend saw /api/users\n"


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("rate=1r/s;", "rate=0.5r/s;", 'invalid rate "rate=0.5r/s"'),  # whole r/s or r/m only: write 30r/m
        ("limit_req_status 429;", "limit_req_status 600;", "value must be between 400 and 599"),
    ],
)
def test_nginx_t_rejects_a_fractional_rate_and_a_status_outside_4xx_5xx(nginx_server, replace_in_config, old, new, complaint):
    with pytest.raises(RuntimeError, match="nginx -t rejected") as rejected:
        with nginx_server(snippet_site(replace_in_config, **{old: new})):
            pass
    assert complaint in str(rejected.value)


def test_burst_4_delay_2_passes_3_delays_2_and_refuses_the_rest_with_429(nginx):
    replies = burst(nginx.port, "/api/items", 7)
    assert statuses(replies) == {200: 5, 429: 2}
    assert limit_req_statuses(nginx, 7) == {"PASSED": 3, "DELAYED": 2, "REJECTED": 2}
    # The delayed two wait for the excess to drain: 0.5 s and 1 s at 2 r/s (checked loosely).
    waits = sorted(reply.seconds for reply in replies if reply.status == 200)
    assert waits[-2] >= 0.4 and waits[-1] >= 0.9, waits
    # Refusals are logged at limit_req_log_level (warn), delays one level lower (notice).
    log = nginx.error_log()
    assert len(re.findall(r'\[warn\].*limiting requests, excess: [\d.]+ by zone "per_ip"', log)) == 2
    assert len(re.findall(r'\[notice\].*delaying request, excess: [\d.]+, by zone "per_ip"', log)) == 2


def test_the_429_is_json_with_a_retry_after_that_is_long_enough(nginx):
    replies = burst(nginx.port, "/api/items", 7)
    refused = [reply for reply in replies if reply.status == 429]
    assert len(refused) == 2
    for reply in refused:
        assert reply.headers["retry-after"] == "1"
        assert reply.headers["content-type"] == "application/json"
        assert json.loads(reply.body) == {"error": "too many requests"}
    # Waiting Retry-After after the refusal is enough for the same request to pass.
    time.sleep(max(0.0, max(reply.sent for reply in refused) + 1 - time.monotonic()))
    assert get(nginx.port, "/api/items").status == 200


def test_nodelay_serves_the_whole_burst_at_once_then_frees_one_slot_per_second(nginx):
    start = time.monotonic()
    replies = burst(nginx.port, "/login", 7)
    assert statuses(replies) == {200: 5, 429: 2}
    assert limit_req_statuses(nginx, 7) == {"PASSED": 5, "REJECTED": 2}
    # limit_req adds no Retry-After of its own.
    assert all("retry-after" not in reply.headers for reply in replies)
    # 1.5 s later (anywhere in [1 s, 2 s) would do) exactly one slot has drained at 1 r/s.
    time.sleep(max(0.0, start + 1.5 - time.monotonic()))
    assert statuses(burst(nginx.port, "/login", 3)) == {200: 1, 429: 2}


def test_burst_without_nodelay_is_a_queue_that_releases_requests_at_the_rate(nginx):
    replies = burst(nginx.port, "/reports/daily", 7)
    assert statuses(replies) == {200: 5, 429: 2}
    assert limit_req_statuses(nginx, 7) == {"PASSED": 1, "DELAYED": 4, "REJECTED": 2}
    # One request per 0.5 s leaves the queue: 0, 0.5, 1, 1.5 and 2 s (checked loosely).
    waits = sorted(reply.seconds for reply in replies if reply.status == 200)
    assert all(wait >= 0.5 * i - 0.1 for i, wait in enumerate(waits)), waits


def test_without_limit_req_status_refusals_are_503(nginx):
    replies = burst(nginx.port, "/legacy/report", 7)
    assert statuses(replies) == {200: 1, 503: 6}
    assert limit_req_statuses(nginx, 7) == {"PASSED": 1, "REJECTED": 6}
    refused = next(reply for reply in replies if reply.status == 503)
    assert "503 Service Temporarily Unavailable" in refused.body
    assert "retry-after" not in refused.headers


def test_dry_run_refuses_nothing_and_logs_what_it_would_have_refused(nginx):
    replies = burst(nginx.port, "/beta/feature", 7)
    assert statuses(replies) == {200: 7}
    assert limit_req_statuses(nginx, 7) == {"PASSED": 5, "REJECTED_DRY_RUN": 2}
    assert "limiting requests, dry run" in nginx.error_log()


def test_each_client_address_has_its_own_bucket(nginx):
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda source: burst(nginx.port, "/login", 7, source), ["127.0.0.2", "127.0.0.3"])
    assert statuses(first) == statuses(second) == {200: 5, 429: 2}
    clients = Counter(line.split()[0] for line in nginx.log_lines("limits.log", 14))
    assert clients == {"127.0.0.2": 7, "127.0.0.3": 7}


def test_locations_that_name_one_zone_share_the_bucket(nginx):
    assert get(nginx.port, "/api/items").status == 200
    # The client's one immediate slot is gone, even though /legacy/ itself saw no request yet.
    assert get(nginx.port, "/legacy/report").status == 503


PHASES = """
limit_req_zone $binary_remote_addr zone=returned:1m rate=1r/s;
limit_req_zone $binary_remote_addr zone=proxied:1m rate=1r/s;

server {{
    listen 127.0.0.1:{port};
    location /returned {{
        limit_req zone=returned;
        return 200 "answered by return\\n";
    }}
    location /proxied {{
        limit_req zone=proxied;
        proxy_pass http://unix:{socket};
    }}
}}
"""


ZONE_SIZE = """
limit_req_zone $arg_k zone=keys:1m rate=1r/m;

server {{
    listen 127.0.0.1:{port};
    access_log off;
    location / {{
        limit_req zone=keys;
        try_files /nothing @answer;  # a content phase after limit_req, cheaper than a proxy
    }}
    location @answer {{
        return 200;
    }}
}}
"""


def test_a_1m_zone_holds_about_8000_states_and_forgets_the_least_recently_used(nginx_server):
    with nginx_server(lambda port, directory: ZONE_SIZE.format(port=port), workers=1) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)

        def status(key: int) -> int:
            connection.request("GET", f"/?k={key:05d}")  # a 5-byte key: the same 128-byte state as an IPv4 address
            response = connection.getresponse()
            response.read()
            return response.status

        keys = 10_000
        assert all(status(key) == 200 for key in range(keys))  # every new key starts with a fresh bucket
        # Newest first: a key still stored is refused (no burst); the first one let through was forgotten.
        held = next(count for count, key in enumerate(reversed(range(keys))) if status(key) == 200)
        connection.close()
    assert 8_000 <= held < 8_192, held  # 1 MiB / 128 bytes = 8,192, less the zone's own bookkeeping


def test_return_answers_before_limit_req_runs(nginx_server):
    def site(port: int, directory: Path) -> str:
        socket = directory / "backend.sock"
        return PHASES.format(port=port, socket=socket) + BACKEND.format(socket=socket)

    with nginx_server(site) as server:
        # `return` runs in the rewrite phase, limit_req later (preaccess): nothing is limited.
        assert statuses(burst(server.port, "/returned", 5)) == {200: 5}
        assert statuses(burst(server.port, "/proxied", 5)) == {200: 1, 503: 4}
