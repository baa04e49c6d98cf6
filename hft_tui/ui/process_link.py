"""The engine in a process of its own, seen by the app as an ordinary ``EngineLink``.

Why a process: the engine and the UI are both Python. In one process they take
turns on the interpreter lock, so every frame the UI draws is time the engine
does not replay, and a replay at full speed starves the UI of frames. In two
processes each has a core: the engine replays as fast as headless and the UI
draws at its own rate. It also means a wedged UI cannot stop the engine from
acting on a kill, and the engine's end (crash included) cannot freeze the UI.

The child builds its link (``EngineAdapter`` or ``ReplayLink``, the same
objects the tests drive in one process) from a ``Recipe``, reports ``ready``
(or the one-line error that stopped it), waits for ``start``, then runs the
engine in a thread while its main thread forwards every new snapshot and
applies the parent's commands. Messages are pickled over one duplex pipe:

    child -> parent   ("notice", text)  ("error", text)  ("ready", info)
                      ("snap", snapshot, session)  ("done", state, error, notes)
    parent -> child   ("start",)  ("cmd", command)  ("kill", reason)
                      ("restart", ts_ns)  ("shutdown",)

The child ignores SIGINT and SIGHUP (they reach the whole terminal's process
group): the parent decides. When the parent goes away without a word (killed,
SSH drop), the pipe ends and the child shuts its engine down the same way:
every open order cancelled, the engine stopped, recordings closed.
"""

from __future__ import annotations

import importlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from multiprocessing.connection import Connection

from hft_tui.engine.commands import Command
from hft_tui.engine.publish import LOG_TAIL
from hft_tui.engine.snapshot import LogLine, Snapshot
from hft_tui.errors import HftError

_IDLE_S = 0.1  # a look without a doorbell: a replay's placeholder between sessions, the end
_STOP_WAIT_S = 10.0


@dataclass(frozen=True)
class Recipe:
    """How the child builds its link: ``module.function(*args)`` (picklable by name),
    after making the numba kernels of ``kernels`` (``hft_tui.jit`` names) ready."""

    module: str
    function: str
    args: tuple = ()
    kernels: tuple[str, ...] = ("engine",)

    def build(self) -> Any:
        return getattr(importlib.import_module(self.module), self.function)(*self.args)


class _Notices:
    """A text stream for the child's announcements (the first-run compile notice)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def write(self, text: str) -> int:
        self.conn.send(("notice", text))
        return len(text)

    def flush(self) -> None:
        pass


# --- the child -------------------------------------------------------------------------------
_CHILD = "import sys; from hft_tui.ui.process_link import host; host(int(sys.argv[1]))"


def host(fd: int) -> None:
    """The engine process: build, report, serve until the engine ends or the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        recipe = conn.recv()
    except (EOFError, OSError):
        return
    try:
        from hft_tui import jit

        built: list[Any] = []
        # the build (opening and checking tick files, the engine) overlaps the kernels' loading
        jit.prepare(recipe.kernels, stream=_Notices(conn), meanwhile=lambda: built.append(recipe.build()))
        link = built[0]
    except HftError as exc:
        conn.send(("error", str(exc)))
        return
    except Exception as exc:
        conn.send(("error", f"engine start failed: {type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", {"mode": link.mode, "instruments": list(link.instruments), "span": getattr(link, "span", None)}))
    _Host(conn, link).serve()


def _ring(fd: int) -> None:
    try:
        os.write(fd, b"\0")
    except (BlockingIOError, OSError):
        pass  # already ringing (the pipe is full), or the host has closed it


class _Host:
    def __init__(self, conn: Any, link: Any) -> None:
        self.conn = conn
        self.link = link
        self.thread: threading.Thread | None = None
        self.session = 0
        self.log_seq = 0
        self.crash = ""

    def serve(self) -> None:
        link = self.link
        sent: Snapshot | None = None
        # The engine thread rings a doorbell after each snapshot: this thread sleeps
        # (without the interpreter lock) until a snapshot or a command is there,
        # forwards at once, and never polls. The doorbell stays open until the
        # process ends: the engine thread may still ring it while it stops.
        bell_r, bell_w = os.pipe()
        os.set_blocking(bell_w, False)
        link.notify = lambda: _ring(bell_w)
        sel = selectors.DefaultSelector()
        sel.register(self.conn.fileno(), selectors.EVENT_READ, "parent")
        sel.register(bell_r, selectors.EVENT_READ, "bell")
        try:
            while True:
                ready = {key.data for key, _ in sel.select(_IDLE_S)}
                if "bell" in ready:
                    os.read(bell_r, 4096)
                if "parent" in ready and not self._command(self.conn.recv()):
                    break
                if self.thread is None:
                    continue
                snap, session = link.latest(), getattr(link, "session", 0)
                if snap is not None and (snap is not sent or session != self.session):
                    self._forward(snap, session)
                    sent = snap
                if link.finished.is_set():
                    break
        except (EOFError, OSError):
            pass  # the parent is gone
        finally:
            sel.close()
        link.shutdown()
        if self.thread is not None:
            link.finished.wait(_STOP_WAIT_S)
        try:
            last = link.latest()
            if last is not None and last is not sent:
                self._forward(last, getattr(link, "session", 0))
            state, error = ("error", self.crash) if self.crash else (link.state, link.error)
            self.conn.send(("done", state, error, list(getattr(link, "notes", ()))))
        except (EOFError, OSError):
            pass

    def _forward(self, snap: Snapshot, session: int) -> None:
        """Send a snapshot with only the log lines the parent has not had (a snapshot
        repeats the last few hundred: most of its size)."""
        if session != self.session:
            self.session, self.log_seq = session, 0
        # as plain tuples: a named tuple pickles by its class, six times slower, and this
        # thread holds the interpreter lock the engine thread wants while it pickles
        new = tuple(tuple(line) for line in snap.log if line.seq > self.log_seq)
        if snap.log:
            self.log_seq = snap.log[-1].seq
        self.conn.send(("snap", replace(snap, log=new), session))

    def _command(self, msg: tuple) -> bool:
        """Apply one message from the parent; False when the session is over."""
        what = msg[0]
        if what == "start":
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="hft-engine", daemon=True)
                self.thread.start()
        elif what == "kill":
            self.link.kill(msg[1])
        elif what == "cmd":
            self.link.send(msg[1])
        elif what == "restart":
            restart = getattr(self.link, "restart", None)
            if restart is not None:
                restart(msg[1])
        elif what == "shutdown":
            return False
        return True

    def _run(self) -> None:
        try:
            self.link.run()
        except Exception as exc:  # the adapters catch engine errors; this is a bug in ours
            self.crash = f"{type(exc).__name__}: {exc}"  # nobody reads this process's stderr
            self.link.finished.set()


# --- the parent ------------------------------------------------------------------------------
class ProcessLink:
    """The app's link to an engine process (see the module docstring).

    ``start`` spawns the child and waits until its engine is built: build errors
    come back as ``HftError`` (one line, before any screen is drawn), and the
    first-run compile notice is written to ``notices``.
    """

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.mode = ""
        self.instruments: list = []
        self.span: tuple[int, int] | None = None
        self.session = 0
        self.state = "starting"
        self.error = ""
        self.notes: list[tuple[str, str]] = []  # the engine process's last word (EngineAdapter.notes)
        self.finished = threading.Event()
        #: called in the receiving thread after each new snapshot (the app draws it then)
        self.on_snapshot: Callable[[], None] | None = None
        self._snap: Snapshot | None = None
        self._log: deque[LogLine] = deque(maxlen=LOG_TAIL)
        self._send_lock = threading.Lock()
        self._stopped = False
        self._conn: Any = None
        self._proc: Any = None

    def start(self, notices: Any = None, meanwhile: Any = None) -> ProcessLink:
        """``meanwhile``: work for this process while the child builds (the app's imports)."""
        # A plain interpreter running ``host``, not multiprocessing's spawn: that one
        # re-imports the parent's main script, which is not ours to rely on. The
        # terminal belongs to the app: the child's output goes nowhere.
        ours, theirs = socket.socketpair()
        self._conn = Connection(ours.detach())
        fd = theirs.fileno()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(fd)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._send(self.recipe)
        if meanwhile is not None:
            meanwhile()
        while True:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                self.close()
                raise HftError("the engine process ended before it was ready") from None
            if msg[0] == "notice":
                if notices is not None:
                    notices.write(msg[1])
                    notices.flush()
            elif msg[0] == "error":
                self.close()
                raise HftError(msg[1])
            elif msg[0] == "ready":
                info = msg[1]
                self.mode, self.instruments, self.span = info["mode"], info["instruments"], info["span"]
                return self

    # --- the app's engine worker thread --------------------------------------------------------
    def run(self) -> None:
        try:
            self._send(("start",))
            while True:
                msg = self._conn.recv()
                if msg[0] == "snap":
                    self._receive(msg[1], msg[2])
                elif msg[0] == "done":
                    self.state, self.error, self.notes = msg[1], msg[2], msg[3]
                    return
        except (EOFError, OSError):
            if self.state == "starting":
                self.state, self.error = "error", "the engine process ended unexpectedly"
        finally:
            self.finished.set()

    def _receive(self, snap: Snapshot, session: int) -> None:
        if session != self.session:
            self._log.clear()
        self._log.extend(map(LogLine._make, snap.log))  # (sent as plain tuples: _forward)
        self._snap, self.session = replace(snap, log=tuple(self._log)), session
        if self.on_snapshot is not None:
            self.on_snapshot()

    # --- the UI thread ---------------------------------------------------------------------------
    def latest(self) -> Snapshot | None:
        return self._snap

    def send(self, command: Command) -> None:
        self._send(("cmd", command))

    def kill(self, reason: str) -> None:
        self._send(("kill", reason))

    def restart(self, start_ns: int | None = None) -> None:
        self._send(("restart", start_ns))

    def shutdown(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._send(("shutdown",))

    def _send(self, msg: Any) -> None:
        # a signal handler may interrupt a send on the same thread: never wait for the lock there
        if not self._send_lock.acquire(timeout=1.0):
            return
        try:
            self._conn.send(msg)
        except (OSError, ValueError):
            pass  # the engine process has ended: nothing left to tell it
        finally:
            self._send_lock.release()

    def close(self, timeout: float = _STOP_WAIT_S) -> None:
        """Wait for the engine process to leave (it stops by itself after ``shutdown``)."""
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(1.0)
        try:
            self._conn.close()
        except OSError:
            pass
