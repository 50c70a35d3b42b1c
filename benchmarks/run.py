"""Run every benchmark under ``benchmarks/`` in turn, each in its own interpreter.

Usage::

    python benchmarks/run.py            # all of them
    python benchmarks/run.py sign ltv   # only bench_sign.py and bench_ltv.py

Each benchmark prints its own table of figures measured in that run, with the ratio against
its peer and the target from the issue that set it. Benchmarks report; they do not assert.
A separate interpreter per benchmark keeps one benchmark's caches and peak memory from
colouring the next one's figures. The exit code is non-zero only when a benchmark crashed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _selected(names: list[str]) -> list[Path]:
    every = sorted(HERE.glob("bench_*.py"))
    if not names:
        return every
    wanted = {n.removeprefix("bench_").removesuffix(".py") for n in names}
    chosen = [p for p in every if p.stem.removeprefix("bench_") in wanted]
    unknown = wanted - {p.stem.removeprefix("bench_") for p in chosen}
    if unknown:
        known = ", ".join(p.stem.removeprefix("bench_") for p in every)
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))} (known: {known})")
    return chosen


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks; return 1 if any of them crashed."""
    crashed: list[str] = []
    for path in _selected(argv):
        print(f"\n=== {path.name} ===", flush=True)
        started = time.monotonic()
        rc = subprocess.call([sys.executable, str(path)])
        print(f"--- {path.name}: exit {rc}, {time.monotonic() - started:.0f} s", flush=True)
        if rc != 0:
            crashed.append(path.name)
    if crashed:
        print(f"\ncrashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
