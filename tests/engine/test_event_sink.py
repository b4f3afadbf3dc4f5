"""The event sink masks every string of every event, whatever its type (no list of event types to keep),
and writes host lines to the run log masked."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.engine.test_secrets_files import planted
from wabiz_tui.domain.health import Level
from wabiz_tui.workflows.base import Procedure
from wabiz_tui.workflows.events import HostOutput
from wabiz_tui.workflows.settings import RunSettings
from wabiz_tui.workflows.sink import EventSink, scrub

SECRET = "Sink-Secret-7391"


@dataclass(frozen=True)
class Inner:
    words: tuple[str, ...]
    level: Level = Level.OK


@dataclass(frozen=True)
class NewEvent:
    """An event type the sink has never heard of, a secret deep inside it."""

    title: str
    inner: Inner
    by_host: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    count: int = 0


def event_with_secret() -> NewEvent:
    return NewEvent("plain", Inner(("ok", f"password={SECRET}")), {f"key-{SECRET}": [f"v {SECRET}"]},
                    [(1, f"x{SECRET}y")], 3)


def test_a_new_event_type_is_masked_in_every_nested_string():
    got: list = []
    EventSink(got.append, lambda: (SECRET,))(event_with_secret())
    (event,) = got
    assert SECRET not in repr(event)
    assert event.inner.words == ("ok", "password=********") and event.inner.level is Level.OK
    assert event.by_host == {"key-********": ["v ********"]} and event.lines == [(1, "x********y")]
    assert event.title == "plain" and event.count == 3


def test_an_event_without_secret_is_passed_as_it_is():
    event = event_with_secret()
    assert scrub(event, lambda s: s) is event  # nothing copied on the hot path


def test_the_procedure_masks_a_new_event_type_with_the_profile_secrets(tmp_path):
    profile = planted()
    got: list = []
    wf = Procedure(profile, emit=got.append, settings=RunSettings(log_dir=tmp_path))
    secret = profile.db.password
    wf.emit(NewEvent(f"db {secret}", Inner((secret,))))
    wf.emit(HostOutput("wa-core-1", f"DB_PASSWORD={secret}"))
    wf._sink.close()
    assert got and all(secret not in repr(e) for e in got)
    logged = "".join(p.read_text() for p in tmp_path.rglob("*.log"))
    assert "DB_PASSWORD=********" in logged and secret not in logged
