#!/usr/bin/env python3
"""Run the benchmarks from a checkout: ``python scripts/bench.py [NAME ...] [--quick] [--json]``.

The same as ``hft-tui bench ...`` (see ``hft-tui bench --help``), without installing.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hft_tui.cli import main  # noqa: E402

raise SystemExit(main(["bench", *sys.argv[1:]]))
