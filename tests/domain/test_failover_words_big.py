"""A failover on a 50-host cluster (session 7 trial, ``demo --hosts 50``): the timeline entry named all 42 standbys
("wa-core-2 or wa-core-3 or … or wa-core-43 should take shard 0"); beyond three they are counted, three named."""

from __future__ import annotations

from wabiz_tui.domain.transitions import Failover, FailoverStatus


def status(state: str, standbys: tuple[str, ...]) -> FailoverStatus:
    return FailoverStatus(state, Failover(("wa-core-1",), 0.0, standbys, "shard 0"), grace=6.0, elapsed=1.0)


def test_many_standbys_are_counted_not_listed():
    many = tuple(f"wa-core-{i}" for i in range(2, 44))
    for state in ("in_progress", "overdue"):
        words, nxt = status(state, many).words(), status(state, many).next_action()
        assert "one of the 42 standbys (wa-core-2, wa-core-3, wa-core-4, …)" in words, words
        assert "the standbys (wa-core-2, wa-core-3, wa-core-4, … 42 in all)" in nxt, nxt
        assert "wa-core-43" not in words + nxt and len(words) < 140 and len(nxt) < 160, (words, nxt)


def test_a_few_standbys_are_named():
    few = status("in_progress", ("wa-core-2", "wa-core-3"))
    assert "failing over: standby wa-core-2 or wa-core-3 should take shard 0" in few.words()
    assert few.next_action().endswith("read the logs of wa-core-2 and wa-core-3")
