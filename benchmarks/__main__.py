"""Run every benchmark: ``python -m benchmarks [NAME ...]`` (``make bench``).

Each ``benchmarks/bench_<name>.py`` has a ``main() -> int`` that prints its figures as ratios
against a baseline measured in the same run. Benchmarks never gate CI on wall-clock time.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [f"bench_{n}" if not n.startswith("bench_") else n for n in argv] or names
    status = 0
    for name in wanted:
        if name not in names:
            print(f"unknown benchmark {name}; have: {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        rc = importlib.import_module(f"benchmarks.{name}").main()
        print(f"--- {name}: {time.perf_counter() - t0:.1f} s", flush=True)
        status = status or (rc or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
