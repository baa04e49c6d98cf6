"""The workstation's keys that drive the engine's clock: pause, speed, step, seek, back to start.

A mixin of the app (``HftApp``): it keeps the app's view of what it asked for
and the engine has not yet shown in a snapshot (``_paused``, ``_want_paused``,
``_speed``), which the app updates from each new snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hft_tui.engine.commands import Pause, Resume, Seek, SetSpeed, Step
from hft_tui.ui.screens.dialogs import SeekScreen
from hft_tui.text import utc_ms

if TYPE_CHECKING:
    from hft_tui.engine.snapshot import Snapshot
    from hft_tui.ui.link import EngineLink

SPEEDS: tuple[float | None, ...] = (1.0, 10.0, 100.0, None)
UNSET: Any = object()  # no speed sent that a snapshot has not shown yet


def next_speed(current: float | None, direction: int) -> float | None:
    """The next of ``SPEEDS`` above (direction > 0) or below ``current`` (None = max),
    staying at the ends; a speed between two steps goes to the neighbouring step."""
    inf = float("inf")
    value = inf if current is None else current
    ranked = [inf if s is None else s for s in SPEEDS]
    if direction > 0:
        pick = next((s for s in ranked if s > value), ranked[-1])
    else:
        pick = next((s for s in reversed(ranked) if s < value), ranked[0])
    return None if pick == inf else pick


class PlaybackKeys:
    link: EngineLink
    mode: str
    _snap: Snapshot | None
    _paused: bool
    _want_paused: bool | None
    _speed: Any

    def action_toggle_pause(self) -> None:
        self.link.send(Resume() if self._paused else Pause())
        self._paused = self._want_paused = not self._paused

    def action_speed(self, direction: int) -> None:
        current = self._speed if self._speed is not UNSET else (self._snap.speed if self._snap else None)
        speed = next_speed(current, direction)
        self._speed = speed  # a second press before the next snapshot goes on from here
        self.link.send(SetSpeed(speed))
        self.notify(f"speed: {'max' if speed is None else f'{speed:g}x'}", timeout=2)

    def action_step(self) -> None:
        self._pause_for_step()
        self.link.send(Step(events=1))

    def action_step_second(self) -> None:
        self._pause_for_step()
        self.link.send(Step(seconds=1.0))

    def _pause_for_step(self) -> None:
        # stepping while playing pauses first, then steps (the engine takes them in order)
        if not self._paused:
            self.link.send(Pause())
            self._paused = self._want_paused = True

    def action_seek(self) -> None:
        span = getattr(self.link, "span", None)

        def now() -> int:
            """The time on screen: an offset typed counts from it when enter is pressed."""
            ts = self._snap.exch_ts if self._snap else 0
            if ts <= 0 and span:
                ts = span[0]  # nothing played yet: offsets count from the first event
            if span and span[1] > 0:
                # at the end the engine's clock may be past the last event (own orders'
                # latency): a pre-filled time there would be refused on enter
                ts = min(ts, span[1])
            return ts

        def done(ts: int | None) -> None:
            if ts is not None:
                self.link.send(Seek(ts))
                self.notify(f"seek to {utc_ms(ts)}", timeout=2)

        self.push_screen(SeekScreen(utc_ms(now()), now, span), done)

    def action_restart(self) -> None:
        restart = getattr(self.link, "restart", None)
        if restart is not None:
            restart()  # a fresh session from the start (see ui.replay_link)
        else:
            self.link.send(Seek(0))
        self.notify("back to start", timeout=2)

    def mode_allows(self, action: str) -> bool:
        """False for a key that can never apply in this mode (help does not list it)."""
        if action in ("toggle_pause", "step") and self.mode == "LIVE":
            return False  # a live feed cannot wait: paper orders would sit on a frozen book
        return not (action in ("speed", "step_second", "seek", "restart") and self.mode != "REPLAY")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides a key that cannot apply (the footer of an 80-column terminal has
        # no room for it): never in this mode, or a sim's step while it plays
        if not self.mode_allows(action):
            return False
        if action == "step" and self.mode != "REPLAY":
            return self._paused
        return True
