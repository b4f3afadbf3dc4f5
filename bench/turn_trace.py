"""What ran on the UI loop while a key waited (a profiling aid of ``responsive_bench``/``streaming_bench``).

With ``WABIZ_BENCH_TRACE=FILE`` (``{pid}`` in it: one file per child) in a benchmark child's environment, every callback the UI thread's event loop runs
(``asyncio.events.Handle._run``: a task step, a ``call_soon``, a timer) is timed in the UI thread's CPU clock and in
wall time, and the callbacks that ran between a key's press and its handling are kept with that key. At the end the
child writes to ``FILE``, for its slowest keys, the callbacks that held them (what they were, their CPU and wall
milliseconds) and the garbage collector's runs among them (full collections apart: their CPU is inside the callbacks'),
and with ``WABIZ_BENCH_TRACE_PROFILE=1`` also a cProfile of every callback that took more than
:data:`SLOW_MS` of CPU (cumulative, top functions), so that the cost can be put on a function.

The tracer itself costs a few microseconds per callback (and the profiler much more: its figures are relative).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import os
import pstats
import threading
import time
from collections import deque
from typing import Any

#: A callback that took more CPU than this (ms) is profiled (``WABIZ_BENCH_TRACE_PROFILE=1``).
SLOW_MS = 10.0


def _describe(handle: Any) -> str:
    cb = getattr(handle, "_callback", None)
    owner = getattr(cb, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        frame = getattr(coro, "cr_frame", None)
        where = f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}" if frame is not None else ""
        timer = frame.f_locals.get("self") if frame is not None else None
        callback = getattr(timer, "_callback", None)  # a Textual Timer: which callback it runs
        if callback is not None:
            where += f" -> {getattr(callback, '__qualname__', callback)}"
        return f"task {getattr(coro, '__qualname__', coro)} {where}"
    return getattr(cb, "__qualname__", repr(cb))[:120]


class TurnTrace:
    """Times the UI loop's callbacks; :meth:`press` and :meth:`hit` bracket one key."""

    def __init__(self, profile: bool = False) -> None:
        self.thread = threading.get_ident()
        self.clock = time.pthread_getcpuclockid(self.thread)
        self.turns: deque[tuple[float, float, float, str, Any]] = deque(maxlen=5000)  # (start, wall, cpu, what, stats)
        self.keys: list[tuple[float, float, list, list]] = []  # (wait, cpu, turns, collections)
        #: the garbage collector's runs on this thread: (start, wall, cpu, generation)
        self.collections: deque[tuple[float, float, float, int]] = deque(maxlen=500)
        self._gc_start: tuple[float, float] | None = None
        self.profile = profile
        self.pressed_at: float | None = None
        self._original = None
        self.profiles: list[tuple[float, str, str]] = []

    def install(self) -> None:
        original = self._original = asyncio.events.Handle._run
        trace = self

        def _run(handle: Any) -> None:
            if threading.get_ident() != trace.thread:
                return original(handle)
            t0, c0 = time.perf_counter(), time.clock_gettime(trace.clock)
            prof = cProfile.Profile() if trace.profile else None
            if prof is not None:
                prof.enable()
            try:
                return original(handle)
            finally:
                if prof is not None:
                    prof.disable()
                cpu = time.clock_gettime(trace.clock) - c0
                wall = time.perf_counter() - t0
                stats = None
                what = _describe(handle)
                if prof is not None and cpu * 1000 > SLOW_MS:
                    out = io.StringIO()
                    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
                    stats = out.getvalue()
                trace.turns.append((t0, wall, cpu, what, stats))

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]
        gc.callbacks.append(self._collected)

    def _collected(self, phase: str, info: dict) -> None:
        # Python's collections run inside whatever callback allocates: a full one (generation 2) scans every object
        # not frozen (gc.freeze), 15-30 ms on the UI thread with a 50-host screen (issue 17, round s10)
        if threading.get_ident() != self.thread:
            return
        if phase == "start":
            self._gc_start = (time.perf_counter(), time.clock_gettime(self.clock))
        elif self._gc_start is not None:
            t0, c0 = self._gc_start
            self.collections.append((t0, time.perf_counter() - t0, time.clock_gettime(self.clock) - c0,
                                     info["generation"]))
            self._gc_start = None

    def press(self) -> None:
        """A key was pressed (any thread)."""
        self.pressed_at = time.perf_counter()

    def hit(self, wait: float, cpu: float) -> None:
        """The key pressed last was handled (UI thread)."""
        t = self.pressed_at
        if t is None:
            return
        held = [(w * 1000, c * 1000, what, stats) for (s, w, c, what, stats) in list(self.turns) if s + w >= t]
        collected = [(c * 1000, g) for (s, w, c, g) in list(self.collections) if s + w >= t]
        self.keys.append((wait * 1000, cpu * 1000, held, collected))

    def dump(self, path: str) -> None:
        import wabiz_tui

        # ``{pid}`` in the path: one file per child (a run of both trees and several rounds)
        path = path.replace("{pid}", str(os.getpid()))
        out = [f"== tree {wabiz_tui.__file__.rsplit('/', 2)[0]}"]
        by_cpu = sorted(self.keys, key=lambda k: -k[1])[:8]
        # the slowest on the wall clock too (a key may wait behind something that is not the UI thread's CPU: the
        # thread blocked in a system call or on the GIL inside a callback, or no callback running at all)
        by_wall = [k for k in sorted(self.keys, key=lambda k: -k[0])[:5] if k not in by_cpu]
        for order, keys in (("UI CPU", by_cpu), ("wall clock", by_wall)):
            for wait, cpu, held, collected in keys:
                inside = sum(w for w, _, _, _ in held)
                full = [c for c, g in collected if g == 2]
                young = [c for c, g in collected if g != 2]
                out.append(f"== key (slowest by {order}): wait {wait:.1f} ms, UI CPU {cpu:.1f} ms, wall inside the "
                           f"loop's callbacks {inside:.1f} ms; garbage collector inside: {len(full)} full "
                           f"collection(s) {sum(full):.1f} ms CPU, {len(young)} younger {sum(young):.1f} ms; callbacks between press "
                           f"and handling:")
                for w, c, what, _ in held:
                    if c > 0.5 or w > 2:
                        out.append(f"   cpu {c:6.1f}  wall {w:6.1f}  {what}")
                for w, c, what, stats in held:
                    if stats:
                        out.append(f"   -- profile of {what} (cpu {c:.1f} ms):\n{stats}")
        with open(path, "w") as fh:
            fh.write("\n".join(out) + "\n")


def from_env() -> TurnTrace | None:
    """A tracer installed on this thread when ``WABIZ_BENCH_TRACE`` is set (None otherwise)."""
    if not os.environ.get("WABIZ_BENCH_TRACE"):
        return None
    trace = TurnTrace(profile=os.environ.get("WABIZ_BENCH_TRACE_PROFILE") == "1")
    trace.install()
    return trace


def dump_env(trace: TurnTrace | None) -> None:
    """Write the tracer's report to ``WABIZ_BENCH_TRACE``'s file."""
    if trace is not None:
        trace.dump(os.environ["WABIZ_BENCH_TRACE"])
