"""The real `hft-tui` in a real terminal (tmux): it starts on the sim venue, the
kill key halts it and the screen says so, q leaves and the session ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def _wait_for(session: str, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {seconds} s; screen was:\n{screen}")


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (exited, not yet reaped by the tmux
    server: a server that was already running may reap it late)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_kill_key_in_a_real_terminal(tmp_path):
    session = f"hft-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "TERM": "xterm-256color"}
    command = f"{sys.executable} -m hft_tui --seed 7 --speed 5"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
        check=True, env=env, timeout=10,
    )
    try:
        # a cold numba cache compiles first (announced on screen): allow for it
        _wait_for(session, "SIM", 120)
        _wait_for(session, "running", 60)
        _tmux("send-keys", "-t", session, "C-k")
        screen = _wait_for(session, "HALTED", 10)
        assert "BTCUSDT" in screen
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and session in _tmux("list-sessions", "-F", "#{session_name}"):
            time.sleep(0.2)
        assert session not in _tmux("list-sessions", "-F", "#{session_name}"), "q did not end the program"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=10)


@pytest.mark.parametrize("how", ["hangup", "terminate"])
def test_hangup_and_terminate_end_the_program(tmp_path, how):
    """An SSH drop (SIGHUP: the terminal is gone) or SIGTERM stops the engine and the process."""
    session = f"hft-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "TERM": "xterm-256color"}
    command = f"exec {sys.executable} -m hft_tui --seed 7"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command],
        check=True, env=env, timeout=10,
    )
    try:
        _wait_for(session, "running", 120)
        pid = int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        if how == "hangup":
            subprocess.run(["tmux", "kill-session", "-t", session], timeout=10)
        else:
            os.kill(pid, 15)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.1)
        assert not _running(pid), f"hft-tui still running 10 s after {how}"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=10)
