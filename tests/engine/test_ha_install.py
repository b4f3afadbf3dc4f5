"""The 9-step HA workflow against the simulator over real SSH on loopback (no mocks of our layers)."""

from __future__ import annotations

import dataclasses
import os
import stat

from tests.support import settings_for
from wabiz_tui.domain.health import Level
from wabiz_tui.remote.ssh import trust_host_key
from wabiz_tui.workflows.events import HealthUpdated, HostKeyQuestion, HostCommand, HostFinished, HostOutput, Message, StepFinished, StepStarted
from wabiz_tui.workflows.ha_install import HaInstall


class Recorder(list):
    def __call__(self, event):
        self.append(event)

    def of(self, kind):
        return [e for e in self if isinstance(e, kind)]

    def text(self) -> str:
        return "\n".join(repr(e) for e in self)


async def test_nine_steps_end_healthy_with_one_connected_one_standby(demo, tmp_path):
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, profile_path=demo.profile_path))
    try:
        async def code(_req):
            return demo.cluster.sms_outbox[-1][1]
        assert await wf.run_all(code), events.text()
    finally:
        await wf.close()

    finished = {e.number: e for e in events.of(StepFinished)}
    assert sorted(finished) == list(range(1, 10)) and all(e.ok for e in finished.values())
    hosts = {h.external_hostname for h in demo.profile.hosts}
    per_step: dict[int, set[str]] = {}
    current = 0
    for e in events:
        if isinstance(e, StepStarted):
            current = e.number
        elif isinstance(e, HostFinished):
            assert e.ok, e
            per_step.setdefault(current, set()).add(e.host)
    for step in (1, 2, 3, 5, 6):  # every host reported ok for each remote step
        assert per_step[step] == hosts, (step, per_step)
    # output was streamed per host, e.g. compose's own lines from step 5
    assert any(e.host == "wa-core-1" and "Creating biz_wacore_1" in e.line for e in events.of(HostOutput))
    commands = [e.command for e in events.of(HostCommand)]
    # the simulated hosts have compose v1 only by default (the seed's, Debian's): it is detected and used
    assert any("EXTERNAL_HOSTNAME=wa-core-2 WA_API_VERSION=2.41.2 docker-compose -f /home/wa/biz/prod-multiconnect-compose.yml"
               in c and c.endswith("up -d wacore") for c in commands)
    # db.env landed with mode 600 on every host
    for h in hosts:
        env = demo.cluster.host_root(h) / "home/wa/biz/db.env"
        assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
        assert "WA_DB_PASSWORD=" + demo.profile.db.password in env.read_text()
    # the last verdict: HA healthy, 1 connected coreapp and 1 standby
    verdict = events.of(HealthUpdated)[-1].verdict
    assert verdict.level is Level.OK and verdict.headline.startswith("HA healthy: 1/1 shard connected, 1 standby coreapp")
    assert sorted(n.actual_status for n in verdict.nodes if n.expected_role == "coreapp") == ["connected", "disconnected"]
    # step 7 saw the before-registration state
    assert "before registration" in finished[7].summary
    # trial s9: "… no node is a failure Next: register the number": a done health step's summary ends its sentence
    assert finished[7].summary.endswith("no node is a failure.") and finished[7].next_action.startswith("register")
    assert finished[9].summary.endswith(".")
    # no secret in any event nor in the run's log files
    secrets = [demo.profile.db.password, demo.profile.webapp.admin_password, demo.profile.registration.cert]
    dump = events.text() + "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert not [s for s in secrets if s in dump]
    # the profile is saved as installed
    from wabiz_tui.config.profile import load_profile
    assert load_profile(demo.profile_path).installed


async def test_start_before_upload_fails_on_every_host_with_exit_status(demo, tmp_path):
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path))
    try:
        assert await wf.run_step(1)
        assert not await wf.run_step(5)  # no compose file uploaded yet
    finally:
        await wf.close()
    failed = [e for e in events.of(HostFinished) if not e.ok]
    assert {e.host for e in failed} == {h.external_hostname for h in demo.profile.hosts}
    assert all("exited with status 1" in e.error for e in failed)
    last = events.of(StepFinished)[-1]
    assert not last.ok and "failed on 5 of 5 host(s)" in last.summary and last.next_action


async def test_invalid_db_password_is_refused_before_any_remote_command(demo, tmp_path):
    events = Recorder()
    bad = dataclasses.replace(demo.profile, db=dataclasses.replace(demo.profile.db, password="Pa55word!x"))
    wf = HaInstall(bad, emit=events, settings=settings_for(demo, tmp_path))
    try:
        assert not await wf.run_step(3)
    finally:
        await wf.close()
    assert not events.of(HostCommand)
    msgs = " ".join(e.text for e in events.of(Message))
    assert "db.password" in msgs and "'!'" in msgs and "Pa55word!x" not in events.text()


async def test_unknown_host_key_is_refused_with_its_fingerprint(demo, tmp_path):
    events = Recorder()
    other = tmp_path / "empty_known_hosts"
    other.write_text("")
    settings = settings_for(demo, tmp_path)
    settings.ssh = dataclasses.replace(settings.ssh, known_hosts=[other])
    wf = HaInstall(demo.profile, emit=events, settings=settings)
    try:
        assert not await wf.run_step(1)
    finally:
        await wf.close()
    errors = [e.error for e in events.of(HostFinished)]
    assert len(errors) == 5 and all("unknown host key ssh-ed25519 SHA256:" in e for e in errors)
    # each simulated host has its own key, so the fingerprints differ
    assert len({e.split("SHA256:")[1].split()[0] for e in errors}) == 5
    # a face can ask the operator; accepting adds the key to the app's known_hosts and the step then passes
    questions = events.of(HostKeyQuestion)
    assert {q.host for q in questions} == {h.external_hostname for h in demo.profile.hosts}
    for q in questions:
        assert q.fingerprint.startswith("SHA256:") and q.key_type == "ssh-ed25519"
        trust_host_key(other, q.address, q.port, q.public_key)
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings)
    try:
        assert await wf.run_step(1)
    finally:
        await wf.close()


async def test_changed_host_key_is_refused_with_how_to_clear_it(demo, tmp_path):
    events = Recorder()
    lines = demo.cluster.known_hosts_path.read_text().splitlines()
    # give wa-web-1's entry the key of another host: it now looks changed
    port = demo.cluster.ssh_port("wa-web-1")
    entry = next(l for l in lines if l.startswith(f"[127.0.0.1]:{port} "))
    other_key = next(l for l in lines if l != entry).split(" ", 1)[1]
    forged = tmp_path / "forged_known_hosts"
    forged.write_text(f"[127.0.0.1]:{port} {other_key}\n")
    settings = settings_for(demo, tmp_path)
    settings.ssh = dataclasses.replace(settings.ssh, known_hosts=[forged])
    profile = dataclasses.replace(demo.profile, hosts=(demo.profile.host("wa-web-1"),) + demo.profile.hosts[1:])
    wf = HaInstall(profile, emit=events, settings=settings)
    try:
        await wf.run_step(1)
    finally:
        await wf.close()
    err = next(e.error for e in events.of(HostFinished) if e.host == "wa-web-1")
    assert "CHANGED" in err
    assert err.count("SHA256:") == 2  # the recorded and the presented fingerprints
    assert not [q for q in events.of(HostKeyQuestion) if q.host == "wa-web-1"]  # a changed key is never offered for trust
    assert "ssh-keygen -R" in " ".join(e.line for e in events.of(HostOutput) if e.host == "wa-web-1")


async def test_each_host_uses_the_compose_flavour_it_has(demo, tmp_path):
    demo.cluster.set_compose_flavours("wa-core-2", v2=True, v1=True)  # a newer host: the v2 plugin (the others: v1 only)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for n in (1, 2, 3, 4, 5, 6):
            assert await wf.run_step(n), events.text()
    finally:
        await wf.close()
    ups = {e.host: e.command for e in events.of(HostCommand) if e.command.endswith(" up -d wacore")}
    assert " docker-compose -f " in ups["wa-core-1"] and " docker compose -f " in ups["wa-core-2"]


async def test_a_host_without_compose_is_named_with_the_fix(demo, tmp_path):
    demo.cluster.set_compose_flavours("wa-master-2", v2=False, v1=False)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for n in (1, 2, 3, 4):
            assert await wf.run_step(n)
        assert not await wf.run_step(5)
    finally:
        await wf.close()
    from wabiz_tui.workflows.events import Finding
    f = next(e for e in events if isinstance(e, Finding) and e.host == "wa-master-2")
    assert f.key == "COMPOSE_NOT_FOUND" and "install" in f.remedy


async def test_image_pulls_show_layer_progress_per_host(demo, tmp_path):
    """Issue 13 item 1: compose pulls on a PTY in step 5; each host reports its layers as progress."""
    from wabiz_tui.workflows.events import Progress

    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for n in (1, 2, 3, 4, 5):
            assert await wf.run_step(n), events.text()
    finally:
        await wf.close()
    layers = [e for e in events.of(Progress) if e.unit == "layers"]
    assert {e.host for e in layers} == {h.external_hostname for h in demo.profile.hosts}
    for host in {e.host for e in layers}:
        last = [e for e in layers if e.host == host][-1]
        assert last.done == last.total == 4
