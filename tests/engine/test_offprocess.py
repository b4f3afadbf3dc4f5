"""``workflows.offprocess``: a coroutine run in a child process, its events, questions, errors and cancellation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest

from wabiz_tui.workflows import offprocess
from wabiz_tui.workflows.offprocess import ChildFailed, run_in_child

T = "tests.engine.offprocess_targets"


async def test_events_arrive_in_order_and_the_work_runs_in_another_process():
    seen: list = []
    pid = await run_in_child(f"{T}:numbered", 500, emit=seen.append)
    assert seen == [("line", i) for i in range(500)]
    assert pid != os.getpid()


async def test_questions_are_answered_here_plain_or_awaited_and_an_exception_goes_back():
    asked: list = []

    async def ask(*question):
        asked.append(question)
        if question == ("refuse",):
            raise ValueError("the operator pressed Escape")
        await asyncio.sleep(0.01)
        return "secret-answer"

    assert await run_in_child(f"{T}:asking", emit=lambda e: None, ask=ask) == (
        "secret-answer", "refused: the operator pressed Escape")
    assert asked == [("key-1", 2), ("refuse",)]
    assert await run_in_child(f"{T}:asking", emit=lambda e: None, ask=lambda *q: "plain") == ("plain", "not refused")
    assert await run_in_child(f"{T}:asking", emit=lambda e: None) == ("no ask",)


async def test_the_works_exception_is_raised_here_after_its_events():
    seen: list = []
    with pytest.raises(KeyError, match="no such host"):
        await run_in_child(f"{T}:failing", "key", emit=seen.append)
    assert seen == ["before"]
    with pytest.raises(RuntimeError, match="Unpicklable: held a lambda"):
        await run_in_child(f"{T}:failing", "lambda", emit=seen.append)
    with pytest.raises(AttributeError, match="no_such_function"):
        await run_in_child(f"{T}:no_such_function", emit=seen.append)


async def test_cancelling_waits_until_the_work_has_closed_up(tmp_path):
    marker = tmp_path / "marker"
    started = asyncio.Event()
    task = asyncio.create_task(run_in_child(f"{T}:held", str(marker), emit=lambda e: started.set()))
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    cancelled_at = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert marker.read_text() == "closed"  # its finally ran (0.2 s) before the cancellation went on
    # the child ended when asked, not killed after the grace (closing its stdin alone also cancels the work)
    assert time.monotonic() - cancelled_at < offprocess.CANCEL_GRACE / 2


async def test_a_child_that_ignores_the_cancel_is_killed_after_the_grace(monkeypatch):
    monkeypatch.setattr(offprocess, "CANCEL_GRACE", 2.0)
    pids: list[int] = []
    started = asyncio.Event()
    task = asyncio.create_task(run_in_child(f"{T}:stubborn", emit=lambda pid: (pids.append(pid), started.set())))
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    cancelled_at = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 2.0 <= time.monotonic() - cancelled_at < 3.5  # one grace, not two
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # killed and reaped


async def test_a_child_exits_as_soon_as_it_has_answered(monkeypatch):
    monkeypatch.setattr(offprocess, "EXIT_WAIT", 5.0)
    answered: list[float] = []
    result = await run_in_child(f"{T}:lingering", emit=lambda e: answered.append(time.monotonic()))
    assert result == "answered"
    # a child held by its executor's thread would be killed after EXIT_WAIT (5 s)
    assert time.monotonic() - answered[0] < 4.0


async def test_a_withdrawn_question_is_answered_with_an_error():
    async def ask(*question):
        raise asyncio.CancelledError  # the dialog was closed by the app, not answered

    assert await run_in_child(f"{T}:asks_once", emit=lambda e: None, ask=ask) == (
        "RuntimeError: the question was withdrawn before it was answered")


async def test_a_child_that_cannot_start_is_said_in_words(monkeypatch):
    monkeypatch.setattr(offprocess.sys, "executable", "/nonexistent/python3")
    with pytest.raises(ChildFailed, match=r"the probe process could not start \(/nonexistent/python3: No such file"):
        await run_in_child(f"{T}:numbered", 1, emit=lambda e: None, name="probe")


async def test_a_child_that_dies_is_named_with_its_status_and_last_words():
    with pytest.raises(ChildFailed, match="the probe process ended with status 3 .*last words of the child"):
        await run_in_child(f"{T}:dying", emit=lambda e: None, name="probe")


async def test_what_the_work_prints_on_stdout_does_not_break_the_pipe():
    seen: list = []
    assert await run_in_child(f"{T}:noisy", emit=seen.append) == "fine"
    assert seen == ["after noise"]


def test_a_child_whose_caller_has_gone_cancels_its_work_and_exits(tmp_path):
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-P", "-c", offprocess._BOOT, offprocess._package_root()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(offprocess._frame(("job", f"{T}:held", (str(marker),), False)))
    child.stdin.flush()
    child.stdout.read(4)  # the first frame ("started") has begun: the work runs
    child.stdin.close()  # the caller has gone (killed): its end of the pipe closes
    assert child.wait(timeout=30) == 0
    assert marker.read_text() == "closed"


async def test_the_child_yields_the_cpu_to_the_interactive_caller():
    assert await run_in_child(f"{T}:niceness", emit=lambda e: None) == min(19, os.nice(0) + offprocess.CHILD_NICENESS)
