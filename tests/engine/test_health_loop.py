"""The one poll loop (``HealthMonitor.results``) that `health --watch`, the monitor screen and the procedures'
health steps share: pause, wake, unexpected errors, findings and age carried by each result."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from tests.domain.test_validation import good_profile
from wabiz_tui.api.client import ApiError
from wabiz_tui.workflows.monitor import HealthMonitor


class FakeClient:
    """Answers from a list: a dict is a health body, an exception is raised."""

    token = ""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    async def health(self):
        self.calls += 1
        answer = self.answers[min(self.calls, len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def get_shards(self):
        return 1

    async def aclose(self):
        pass


def monitor(answers, interval: float = 0.01) -> tuple[HealthMonitor, FakeClient]:
    client = FakeClient(answers)
    return HealthMonitor(good_profile(), interval=interval, client=client), client


async def test_each_result_carries_its_findings_latency_and_age():
    m, _ = monitor([ApiError("refused", kind="unreachable")])
    async with aclosing(m.results()) as polls:
        result = await anext(polls)
    assert result.verdict is None and result.current_findings and result.new_findings == result.current_findings
    assert result.latency >= 0 and 0 <= result.age() < 5


async def test_unexpected_errors_go_to_on_error_and_polling_goes_on():
    seen: list[Exception] = []
    m, client = monitor([RuntimeError("boom"), ApiError("refused", kind="unreachable")])
    async with aclosing(m.results(on_error=seen.append)) as polls:
        result = await anext(polls)
    assert [str(e) for e in seen] == ["boom"] and result.error is not None and client.calls == 2


async def test_without_on_error_an_unexpected_error_is_raised():
    m, _ = monitor([RuntimeError("boom")])
    with pytest.raises(RuntimeError):
        async with aclosing(m.results()) as polls:
            await anext(polls)


async def test_paused_polls_nothing_and_a_wake_ends_the_sleep_at_once():
    paused = True
    wake = asyncio.Event()
    m, client = monitor([ApiError("refused", kind="unreachable")], interval=60.0)
    async with aclosing(m.results(wake=wake, paused=lambda: paused)) as polls:
        waiting = asyncio.ensure_future(anext(polls))
        await asyncio.sleep(0.05)
        assert client.calls == 0 and not waiting.done()
        paused = False
        wake.set()  # without it the next poll would come after 60 s
        await asyncio.wait_for(waiting, 5)
    assert client.calls == 1
