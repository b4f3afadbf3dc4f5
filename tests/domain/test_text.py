"""Remote output hygiene: invalid UTF-8, sequences split across chunks, ANSI and progress bars."""

from __future__ import annotations

from wabiz_tui.domain.text import LineSplitter, Redactor, strip_ansi


def test_invalid_bytes_are_replaced_not_fatal():
    s = LineSplitter()
    assert s.feed(b"ok \xff\xfe end\n") == ["ok \ufffd\ufffd end"]


def test_utf8_split_across_chunks_is_joined():
    s = LineSplitter()
    data = "città — 完成\n".encode()
    out = []
    for i in range(len(data)):
        out += s.feed(data[i:i + 1])
    assert out == ["città — 完成"]


def test_ansi_colour_and_cursor_sequences_are_stripped():
    line = "\x1b[32mCreating\x1b[0m biz_wacore_1 ... \x1b[1A\x1b[2Kdone\x1b]0;title\x07"
    assert strip_ansi(line) == "Creating biz_wacore_1 ... done"


def test_carriage_return_keeps_the_last_state_of_a_progress_line():
    s = LineSplitter()
    assert s.feed(b"Pulling 10%\rPulling 50%\rPulling 100%\r\n") == ["Pulling 100%"]
    assert s.feed(b"no newline at the end") == []
    assert s.close() == ["no newline at the end"]


def test_redactor_masks_every_occurrence_and_ignores_tiny_values():
    r = Redactor(["Str0ng-pass", "", "ab"])
    assert r("pw=Str0ng-pass again Str0ng-pass ab") == "pw=******** again ******** ab"


def test_a_chunk_is_cleaned_as_a_block_exactly_as_line_by_line():
    data = (b"\x1b[32mok\x1b[0m one\n\x1b]0;unterminated title\nnext line\n"
            b"bar 10%\rbar 100%\n\x1b[1mbold\x1b[0m tail")
    whole = LineSplitter()
    assert whole.feed_block(data) == "ok one\n0;unterminated title\nnext line\nbar 100%"
    assert whole.close() == ["bold tail"]
    per_line = [LineSplitter()._clean(line) for line in data.decode().split("\n")]
    assert whole.feed_block(b"") is None
    one = LineSplitter()
    assert one.feed(data) + one.close() == per_line  # an unterminated OSC never swallows the next lines


# ---- docker-compose 1.29 on a PTY (issue 13, item 1): golden bytes captured here from real compose -----------
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from wabiz_tui.domain.text import PullProgress, layer_status  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "compose"


def _render(data: bytes, step: int) -> list[str]:
    s = LineSplitter()
    out: list[str] = []
    for i in range(0, len(data), step):
        out += s.feed(data[i:i + step])
    return [line.rstrip() for line in out + s.close()]


@pytest.mark.parametrize("step", [1, 7, 4096])
def test_compose_pty_stream_keeps_the_final_words_in_any_chunking(step):
    lines = _render((GOLDEN / "up_two.pty").read_bytes(), step)
    assert lines == ["Creating biz_master_1 ...", "Creating biz_wacore_1 ...",
                     "Creating biz_wacore_1 ... done", "Creating biz_master_1 ... done"]
    lines = _render((GOLDEN / "up_waweb.pty").read_bytes(), step)
    assert lines[-1] == "Creating biz_waweb_1 ... done" and "" not in lines


def test_pull_progress_on_a_pty_is_one_row_per_layer_status_and_counts_layers():
    lines = _render((GOLDEN / "up_pull.pty").read_bytes(), 64)
    assert "Status: Downloaded newer image for 127.0.0.1:5123/coreapp:v2.41.2" in lines
    assert lines[-2:] == ["Creating reg_waweb_1  ... done", "Creating reg_wacore_1 ... done"]
    assert lines.count("3247415d2787: Pull complete") == 1
    assert sum(1 for line in lines if line.startswith("3247415d2787: Extracting")) == 1  # byte counts folded
    progress = PullProgress()
    assert progress.feed(lines)
    assert (progress.done, progress.total) == (6, 6)
    assert layer_status("0ab21d7538b6: Downloading [=>      ]  32.77kB/1.064MB") == ("0ab21d7538b6", "Downloading")
    assert layer_status("Digest: sha256:5871397ba810f90d") is None


def test_compose_warning_on_a_pty_keeps_its_words():
    lines = _render((GOLDEN / "dbupgrade_up.pty").read_bytes(), 5)
    assert lines[0].startswith("WARNING: Found orphan containers (biz_wacore_1) for this project.")
    assert lines[-1] == "Creating biz_dbupgrade_1 ... done"


def test_a_cursor_moved_far_right_pads_a_row_no_further_than_a_terminal_would():
    """Review of the merge: ``ESC[99999999C`` (24 bytes of a container's log on a PTY) padded a row with 100
    million spaces (300 MB); a terminal stops at its width."""
    from wabiz_tui.domain.text import MAX_CURSOR_COLUMN, LineSplitter

    for move in (b"\x1b[99999999C", b"\x1b[99999999G"):
        splitter = LineSplitter()
        lines = splitter.feed(b"a\x1b[1A" + move + b"x\n") + splitter.close()
        assert lines and max(len(line) for line in lines) <= MAX_CURSOR_COLUMN + 1, [len(line) for line in lines]
        assert any(line.endswith("x") for line in lines)


def test_a_cursor_moved_far_down_makes_no_more_rows_than_a_terminal_has():
    """Review of the merge: ``ESC[9999999B`` made ten million rows (10 s, 258 MB)."""
    import time

    from wabiz_tui.domain.text import LineSplitter

    splitter = LineSplitter()
    start = time.monotonic()
    lines = splitter.feed(b"a\x1b[1A\x1b[99999999Bx\n") + splitter.close()
    assert time.monotonic() - start < 1.0 and any(line.endswith("x") for line in lines), lines


def test_sentence_ends_with_one_full_stop():
    from wabiz_tui.domain.text import sentence

    assert sentence("no node is a failure") == "no node is a failure."
    assert sentence("done. ") == "done."
    assert sentence("really?") == "really?" and sentence("waiting…") == "waiting…" and sentence("") == ""
