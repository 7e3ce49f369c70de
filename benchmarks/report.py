"""What every benchmark ends with: its tables written for the pages, each with a line saying what it was measured on."""

import os
import platform
from pathlib import Path


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
               platform.processor() or platform.machine())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_tables(directory: Path, tables: dict[str, str], footer: str) -> None:
    """Write each Markdown table to directory/<file name>, followed by the footer."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        (directory / name).write_text(table + "\n" + footer + "\n")
