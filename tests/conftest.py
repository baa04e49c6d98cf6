"""Test helper modules (fake_binance, ui_doubles, replay_kit, ...) are imported by name:
keep tests/ on the path however pytest is started."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
