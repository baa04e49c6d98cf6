"""Shared small texts: the log's wrapping is textwrap's, only faster."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.text import wrap

WORDS = st.text(alphabet="ab1.#@()- \t\n\xa0", max_size=60)


@settings(max_examples=2000, deadline=None)
@given(text=WORDS, width=st.integers(-1, 30))
def test_wrap_is_textwraps(text, width):
    if width < 1:
        width = 1  # textwrap refuses less (ValueError); the panel never asks for it
    assert wrap(text, width) == textwrap.wrap(text, width, break_on_hyphens=False)


def test_wrap_of_an_order_line():
    text = "bought 0.001 @ 60003.71 BTCUSDT #12345 (maker)"
    assert wrap(text, 20) == ["bought 0.001 @", "60003.71 BTCUSDT", "#12345 (maker)"]
    assert wrap(text, 200) == [text]
