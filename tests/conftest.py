"""The test helpers import each other both ways: ``from tests.ui_doubles import ...``
(tests/ is a package) and ``from fake_binance import ...`` (the live-feed helpers).
Putting tests/ itself on the path serves the second once the first made it a package."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
