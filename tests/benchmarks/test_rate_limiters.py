"""The benchmark still runs, and its round-trip column says what the Redis pages claim.

Speed is never asserted here: the rates come from `make bench` on a quiet machine.
"""

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "rate_limiters.py"


def rows(table: str) -> dict[str, list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith(("| Variant", "| ---"))]
    return {cells[0]: cells[1:] for cells in ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)}


def test_a_short_run_measures_every_variant_and_counts_round_trips(tmp_path):
    output = tmp_path / "table.md"
    command = [sys.executable, str(BENCHMARK), "--seconds", "0.05", "--repeats", "1", "--output", str(output)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    table = rows(output.read_text())
    scripts = ["Fixed window (Lua)", "Sliding window log (Lua)", "Sliding window counter (Lua)", "GCRA (Lua)"]
    in_process = ["Token bucket", "Leaky bucket (meter)", "Leaky bucket (queue)", "Fixed window", "Sliding window log"]
    in_process += ["Sliding window counter", "GCRA"]
    peers = ["`limits` fixed window", "`limits` moving window", "`limits` sliding window counter"]
    assert set(table) == {*scripts, *in_process, *peers, "Naive INCR then EXPIRE", "Redis PING"}
    for name in scripts:
        assert table[name][2] == "1.00 (1.00 EVALSHA)", name
    assert float(table["Naive INCR then EXPIRE"][2]) > 1  # INCR, plus EXPIRE whenever it creates a key
    assert table["Redis PING"][2] == "1.00"
    assert all(table[name][2] == "none" for name in in_process)
    assert all(float(cells[0].replace(",", "")) > 0 for cells in table.values())
    assert "Measured" in output.read_text()
