"""``wabiz-tui wizard PATH`` with edited form fields and nothing running (issue 17, s9 trial N8): Ctrl+Q left at
once and the edits were lost. It asks now: save and quit (the file gets them, its comments kept), quit without
saving (the file as it was), or cancel (the edits stay on screen). Without edits it leaves at once."""

from __future__ import annotations

import pytest

from wabiz_tui.config.profile import load_profile, save_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.unsaved import UnsavedQuestion, edited_steps

from .fake_engine import FakeHaInstall, sample_profile
from .test_snapshots import FakeMulticonnect


def profile_file(tmp_path):
    path = save_profile(sample_profile(), tmp_path / "prod.yaml")
    path.write_text("# the operator's note\n" + path.read_text())
    return path


def make_app(profile_path, **kwargs) -> WabizApp:
    """The wizard on the profile file at ``profile_path``, read as ``wabiz-tui wizard PATH`` reads it."""
    return WabizApp(load_profile(profile_path), profile_path=profile_path,
                    workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit),
                    mc_factory=lambda p, emit: FakeMulticonnect(p, emit=emit), **kwargs)


async def edit_version(app, pilot, version: str) -> None:
    await pilot.pause()
    await pilot.pause()
    field = app.screen.query_one("#f-version Input")
    field.focus()
    field.value = ""
    await pilot.press(*version)
    await pilot.pause()


async def save_and_quit(app, pilot) -> None:
    """Ctrl+Q, the question asked, "s"."""
    await pilot.press("ctrl+q")
    await pilot.pause()
    assert isinstance(app.screen, UnsavedQuestion)
    await pilot.press("s")
    await pilot.pause()


async def test_quit_without_edits_leaves_at_once(tmp_path):
    path = profile_file(tmp_path)
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        for number in range(1, 9):  # every form shown, none edited
            app.goto_step(number)
            await pilot.pause()
            await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, UnsavedQuestion)
    assert app.return_code == 0


async def test_edited_fields_ask_cancel_keeps_them_and_save_writes_them(tmp_path):
    path = profile_file(tmp_path)
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_version(app, pilot, "2.55.1")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedQuestion), "left without asking: the edit was lost"
        words = str(app.screen.query_one("#confirm-details").render())
        assert "step 1" in words and str(path) in words, words
        await pilot.press("escape")  # cancel: back to the form, the edit still there
        await pilot.pause()
        assert app.screen.name == "step1" and app.screen.query_one("#f-version Input").value == "2.55.1"
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
    assert app.return_code == 0
    assert load_profile(path).wa_api_version == "2.55.1"
    assert path.read_text().startswith("# the operator's note\n")


@pytest.mark.parametrize("shown", [1, 2], ids=["on-its-step", "from-another-step"])
async def test_quit_without_saving_leaves_the_file_and_a_bad_value_is_not_saved(tmp_path, shown):
    """The save refused (the form's check), the question closes and the step with the problem is shown."""
    path = profile_file(tmp_path)
    before = path.read_text()
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_version(app, pilot, "not-a-version")
        app.goto_step(shown)
        await pilot.pause()
        await pilot.pause()
        await save_and_quit(app, pilot)  # the form's check refuses it: nothing written, the app stays on the form
        assert app.is_running and app.screen.name == "step1", app.screen
        assert "Not saved" in str(app.screen.query_one("#status").render())
        assert path.read_text() == before
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
    assert app.return_code == 0 and path.read_text() == before


async def test_an_edit_to_another_host_of_a_big_cluster_asks_too(tmp_path):
    """Above ``hosts.TABLE_FROM`` hosts the form edits one host at a time: an edit to a host no longer in the
    editor is in its draft, and counts; choosing another host in the table (the editor's fields change) does not."""
    from wabiz_tui.domain.model import HostSpec, Role, SshTarget

    hosts = tuple(HostSpec(f"wa-core-{i}", SshTarget(host=f"10.0.0.{i}", port=22, user="wa"),
                           (Role.WEBAPP, Role.MASTER, Role.COREAPP) if i <= 3 else (Role.COREAPP,))
                  for i in range(1, 21))
    path = save_profile(sample_profile().with_changes(hosts=hosts), tmp_path / "big.yaml")
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#hosts-table")
        table.focus()
        await pilot.press("down", "down")  # browsing the hosts is no edit (the editor shows host 3)
        await pilot.pause()
        assert not edited_steps(app)
        await pilot.press("up", "up")
        await pilot.pause()
        user = next(i for i in app.screen.query("HostRow FieldInput") if i.field.endswith(".ssh.user"))
        user.value = "ops"  # on host 1
        table.focus()
        await pilot.press("down")  # the editor shows host 2 now
        await pilot.pause()
        await save_and_quit(app, pilot)
    assert load_profile(path).hosts[0].ssh.user == "ops"


async def test_save_and_quit_after_renaming_a_host_ends_cleanly(tmp_path):
    """s9 fresh-user trial: a host renamed on step 1, Ctrl+Q, Save and quit: the file was written but the exit
    was 1 with "MountError: Can't mount widget(s) before BodyScroll(id='body') is mounted" (the step screen,
    resumed as the dialog closed mid-exit, rebuilt its host panes on a body being taken down)."""
    path = profile_file(tmp_path)
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        old = app.profile.hosts[0].external_hostname
        name = next(i for i in app.screen.query("HostRow FieldInput") if i.field == "hosts[0].external_hostname")
        name.value = old + "-9"
        await pilot.pause()
        await save_and_quit(app, pilot)
        await pilot.pause()
    assert app.return_code == 0
    assert load_profile(path).hosts[0].external_hostname == old + "-9"



async def test_a_second_answer_while_the_app_leaves_writes_the_file_once(tmp_path, monkeypatch):
    """"s" then "d" (or "s" twice) before the exit ends: the second answer is ignored (it rewrote the file and
    collected screens being taken down)."""
    import wabiz_tui.tui.unsaved as unsaved

    written = []
    real = unsaved.save_edits
    monkeypatch.setattr(unsaved, "save_edits", lambda app: written.append(1) or real(app))
    path = profile_file(tmp_path)
    app = make_app(profile_path=path, log_dir=tmp_path / "logs")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await edit_version(app, pilot, "2.43.1")
        await pilot.press("ctrl+q")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, UnsavedQuestion)
        question.action_answer(unsaved.SAVE)
        question.action_answer(unsaved.SAVE)
        question.action_answer(unsaved.DISCARD)
        await pilot.pause()
    assert written == [1] and app.return_code == 0
    assert load_profile(path).wa_api_version == "2.43.1"
