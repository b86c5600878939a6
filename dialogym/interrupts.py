"""Ctrl-C that is never lost: recorded as well as raised, so a long loop can stop on it later.

Python turns Ctrl-C into a ``KeyboardInterrupt`` raised wherever the main thread happens to be.
When that is inside a finaliser or a garbage-collector callback (which a long loop that frees
many objects, torch's among them, runs often) Python prints "Exception ignored" and drops it,
and the loop goes on as if nothing was pressed. `recording_ctrl_c` installs a handler that
records the press before raising, so the loop can check `CtrlC.pressed` at its next natural
stop (a dialogue's end, a training step) and raise there.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class CtrlC:
    """Whether Ctrl-C was pressed while `recording_ctrl_c` was installed."""

    def __init__(self) -> None:
        self.pressed = False

    def stop_if_pressed(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed (its own exception may be lost)."""
        if self.pressed:
            raise KeyboardInterrupt


@contextmanager
def recording_ctrl_c() -> Iterator[CtrlC]:
    """While the block runs, Ctrl-C is recorded in the `CtrlC` given, then raised as usual.

    The handler is installed only in the main thread and only over Python's default one (a
    program that set its own keeps it); it is put back when the block ends.
    """
    ctrl_c = CtrlC()

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        ctrl_c.pressed = True
        raise KeyboardInterrupt

    replace = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if replace:
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield ctrl_c
    finally:
        if replace:
            signal.signal(signal.SIGINT, signal.default_int_handler)
