"""The Kafka benchmark still runs and measures every setting; its speeds come from `make bench`, never from here."""

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "kafka_clients.py"


def rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_a_short_run_measures_every_producer_setting_and_commit_strategy(tmp_path):
    command = [sys.executable, str(BENCHMARK), "--records", "300", "--commit-records", "120", "--repeats", "1",
               "--output", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=180)

    producer = rows((tmp_path / "kafka-producer.md").read_text())
    assert {(linger, batch, compression) for linger, batch, compression, *_ in producer} == {
        (linger, batch, compression)
        for linger in ("0", "5", "50") for batch in ("16,384", "1,000,000") for compression in ("none", "lz4", "zstd")
    }
    assert ["5", "1,000,000", "none"] + ["1.00×"] == [*producer[9][:3], producer[9][4]]
    assert all(float(row[3].replace(",", "")) > 0 for row in producer)

    commits = rows((tmp_path / "kafka-commits.md").read_text())
    assert [row[0] for row in commits] == [
        "Synchronous commit after every message",
        "Synchronous commit after every batch of 500",
        "Asynchronous commit after every batch of 500, synchronous at the end",
    ]
    assert max(float(row[2].rstrip("×")) for row in commits) == 1.0
    assert "Measured" in (tmp_path / "kafka-commits.md").read_text()


def test_nonsense_sizes_are_refused_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(BENCHMARK), "--records", "0", "--output", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "--records" in done.stderr
