"""The hosts form of step 1: the jump host field (fast; stand-in engine)."""

from __future__ import annotations

from textual.widgets import Input

from wabiz_tui.tui.steps import StepState

from .test_wizard_navigation import SIZE, make_app, settle


async def test_jump_host_field_is_validated_and_kept(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.query("HostRow").first()
        jump = next(i for i in row.query(Input) if i.field == "hosts[0].ssh.jump")
        assert jump.placeholder.startswith("(jump hosts) e.g. ops@jump:22")  # on the roles line, under no title
        jump.value = "bad host!"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.state(1) is StepState.PENDING
        assert jump.has_class("-error")
        assert "hosts[0].ssh.jump" in str(row.query_one(".row-error").render())
        jump.value = "ops@bastion.example.net:2222,wa@inner"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        assert not jump.has_class("-error")
        assert app.profile.hosts[0].ssh.jump == "ops@bastion.example.net:2222,wa@inner"
