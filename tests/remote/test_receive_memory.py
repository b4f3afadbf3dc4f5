"""The receive path lets go of one window of output before it waits for the next (issue 8's memory bound).

During a read asyncssh holds the next window twice (its buffered pieces and their join) while the resumed channel
may fill a third; a window still held by the reader made it four, which the real-sshd test
(tests/openssh: ``..._held_back_by_the_channel_window``) hit under load (8.0 MB against 4 windows, CI of stop 24).
"""

from __future__ import annotations

import tracemalloc

from wabiz_tui.remote.run import WINDOW, _pump


class Windows:
    """A stream giving ``count`` reads of one full window of lines each, and noting the memory traced at each read."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.held_at_read: list[int] = []

    async def read(self, n: int) -> bytes:
        self.held_at_read.append(tracemalloc.get_traced_memory()[0])
        if not self.left:
            return b""
        self.left -= 1
        line = b"0123456789012345678901234567890123456789\n"
        return line * (n // len(line))


async def test_the_previous_window_is_released_before_the_next_read():
    stream = Windows(3)
    lines = 0

    def count(batch: list[str]) -> None:
        nonlocal lines
        lines += len(batch)

    tracemalloc.start()
    try:
        await _pump(stream, count)
    finally:
        tracemalloc.stop()
    assert lines == 3 * (WINDOW // 41)
    first = stream.held_at_read[0]
    assert all(held - first < WINDOW // 4 for held in stream.held_at_read[1:]), \
        [f"{(held - first) / 2**20:.2f} MB" for held in stream.held_at_read]
