"""`wabiz-tui init` driven with scripted answers. questionary needs a real terminal, so its prompt
functions are replaced by a scripted stand-in that applies the same `validate` callables the real
prompt would, re-asking on a refused value exactly as questionary does."""

from __future__ import annotations

import questionary

from wabiz_tui.tui import init_prompts as init_wizard
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import load_profile


class Script:
    def __init__(self, answers):
        self.answers = list(answers)
        self.refusals: list[tuple[str, str]] = []
        self.asked: list[str] = []
        self.kwargs: list[tuple[str, dict]] = []

    def prompt(self, kind):
        script = self

        def make(message, *args, validate=None, **kw):
            class Q:
                def unsafe_ask(self):
                    while True:
                        script.asked.append(message)
                        answer = script.answers.pop(0)
                        if answer is KeyboardInterrupt:
                            raise KeyboardInterrupt
                        if kind == "text":
                            script.kwargs.append((message, kw))
                            # questionary's default is editable text: what is typed is appended to it
                            answer = kw.get("default", "") + answer
                        ok = validate(answer) if validate else True
                        if ok is True:
                            return answer
                        script.refusals.append((message, ok))
            return Q()
        return make

    def install(self, monkeypatch):
        for kind in ("text", "password", "select", "checkbox", "confirm"):
            monkeypatch.setattr(questionary, kind, self.prompt(kind))


def answers(db_password="Str0ng-pass", name="prod"):
    host = lambda n, role: [f"wa-{n}", "", "22", "wa", "", "/home/wa/biz", [role]]  # noqa: E731
    seq = [name, "2.41.2"]
    hosts = [("web-1", "webapp"), ("master-1", "master"), ("master-2", "master"), ("core-1", "coreapp"), ("core-2", "coreapp")]
    for i, (n, role) in enumerate(hosts):
        h = host(n, role)
        h[1] = f"127.0.0.{11 + i}"
        seq += h + [i < len(hosts) - 1]
    seq += ["MYSQL", "db.internal", "3306", "waent", db_password, "named volume whatsappMedia",
            "https://wa-web-1:9090", "accept its self-signed certificate", "Adm1n-pass#",
            "1", "6315550000", "sms", "QUJD", "", True]
    return seq


def test_init_writes_a_valid_profile_and_reasks_bad_values(monkeypatch, capsys):
    seq = answers(db_password="Pa55word!x")
    i = seq.index("Pa55word!x")
    seq.insert(i + 1, "Str0ng-pass")  # the re-asked value
    j = seq.index("2.41.2")
    seq[j] = "v2.41.2"
    seq.insert(j + 1, "2.41.2")
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    refused = dict(script.refusals)
    assert any("'!'" in why for why in refused.values())
    # a text answer's refusal is printed above the question asked again (the terminal wraps it: trial s8 M9)
    assert "drop the leading 'v'" in capsys.readouterr().out
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert profile.db.password == "Str0ng-pass" and len(profile.hosts) == 5 and profile.webapp.self_signed_ok
    assert oct((app_paths().profiles / "prod.yaml").stat().st_mode & 0o777) == "0o600"
    assert not script.answers


def test_ctrl_c_keeps_the_answers_so_far_as_the_draft_and_writes_no_profile(monkeypatch, capsys):
    """Before (trial s8 M9): ``Cancelled: nothing was written.`` after ~10 answers."""
    seq = answers()
    seq = seq[: seq.index("waent") + 1] + [KeyboardInterrupt]
    Script(seq).install(monkeypatch)
    assert init_wizard.run_init() == 130
    out = capsys.readouterr().out
    assert f"the answers so far are kept in {init_wizard.draft_path()}" in out, out
    draft = init_wizard.load_draft()
    assert draft is not None and draft.name == "prod" and len(draft.hosts) == 5
    profiles = app_paths().profiles
    assert not (profiles.exists() and any(profiles.iterdir()))


def test_ctrl_c_after_a_host_keeps_it_and_the_draft_reopens_without_false_errors(monkeypatch, capsys):
    """Trial s8 N2: Ctrl-C at ``Add another host?`` after host 1 kept ``hosts: []``; reopening the draft listed 12
    ``These values need fixing:`` (every section not answered yet) before asking them."""
    seq = answers()
    first_host_end = seq.index(["webapp"]) + 1
    Script(seq[:first_host_end] + [KeyboardInterrupt]).install(monkeypatch)
    assert init_wizard.run_init() == 130
    assert "the answers so far are kept" in capsys.readouterr().out
    draft = init_wizard.load_draft()
    assert draft is not None and [h.external_hostname for h in draft.hosts] == ["wa-web-1"]
    assert draft.hosts[0].ssh.host == "127.0.0.11"
    assert init_wizard.draft_left() == ["hosts", "database", "media", "webapp", "registration"]
    # reopened: the hosts are asked again with host 1's answers as the defaults (Enter keeps each), then the rest
    host_1_again = ["", "", "", "", "", "", ["webapp"]]
    script = Script([True] + host_1_again + seq[first_host_end:])
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    out = capsys.readouterr().out
    assert "need fixing" not in out, out
    assert "1 host(s); not answered yet: hosts, database, media, webapp, registration" in script.asked[0]
    assert not any(m.startswith("Cluster name") for m in script.asked)
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert len(profile.hosts) == 5 and profile.hosts[0].ssh.host == "127.0.0.11" and profile.db.hostname == "db.internal"
    assert not init_wizard.draft_path().exists() and not script.answers


def test_a_ctrl_c_at_the_first_question_writes_nothing(monkeypatch, capsys):
    Script([KeyboardInterrupt]).install(monkeypatch)
    assert init_wizard.run_init() == 130
    assert "nothing was written" in capsys.readouterr().out and not init_wizard.draft_path().exists()


def test_defaults_are_shown_not_pretyped_enter_takes_them_typing_replaces_them(monkeypatch):
    """Trial s8 M9: typing 2.41.2 at ``? WA_API_VERSION`` (default 2.41.2 pre-typed) gave ``2.41.22.41.2``."""
    seq = answers()
    seq[seq.index("3306")] = ""  # Enter: the default port
    seq[1] = "2.43.1"
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert profile.wa_api_version == "2.43.1" and profile.db.port == 3306
    shown = dict(script.kwargs)["WA_API_VERSION"]
    assert not shown.get("default") and "2.41.2" in shown.get("instruction", "")


def test_a_cross_field_error_reasks_only_its_section(monkeypatch, capsys):
    """The DB host named after a compute host passes the field check but not the profile check:
    only the database questions come back, the hosts and registration answers are kept."""
    seq = answers()
    i = seq.index("db.internal")
    seq[i] = "wa-core-1"
    redo = ["MYSQL", "db.internal", "3306", "waent", "Str0ng-pass"]
    seq = seq[:-1] + [True] + redo + [True]  # confirm "ask again", the DB section, then "Save"
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    out = capsys.readouterr().out
    assert "db.hostname" in out and "standalone DB server" in out
    again = script.asked[script.asked.index(next(m for m in script.asked if m.startswith("Ask the"))):]
    assert again[0] == "Ask the database section again?"
    assert not any(m.startswith(("Host ", "Cluster name", "Registration")) for m in again)
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert profile.db.hostname == "db.internal" and len(profile.hosts) == 5 and profile.registration.cc == "1"
    assert not script.answers


def test_section_of_maps_field_paths():
    assert init_wizard.section_of("hosts[3].ssh.port") == "hosts"
    assert init_wizard.section_of("hosts") == "hosts"
    assert init_wizard.section_of("db.hostname") == "database"
    assert init_wizard.section_of("registration.pin") == "registration"
    assert init_wizard.section_of("wa_api_version") == "cluster"


def _without_role(seq, role):
    """``answers()`` with the hosts of ``role`` left out (the "Add another host?" answers fixed up)."""
    out, i = seq[:2], 2
    hosts = []
    while isinstance(seq[i], str) and seq[i].startswith("wa-"):
        hosts.append(seq[i:i + 8])
        i += 8
    kept = [h for h in hosts if h[6] != [role]]
    for n, h in enumerate(kept):
        out += h[:7] + [n < len(kept) - 1]
    return out + seq[i:]


def test_missing_roles_are_said_as_soon_as_the_hosts_are_entered(monkeypatch, capsys):
    """Before: a cluster without a Coreapp was reported after the database, media, Webapp and registration
    questions (~20 of them). Now at the end of the hosts, with an offer to add one there."""
    seq = _without_role(answers(), "coreapp")
    at = seq.index("MYSQL")
    seq[at:at] = [True, "wa-core-1", "127.0.0.14", "22", "wa", "", "/home/wa/biz", ["coreapp"], False]
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    out = capsys.readouterr().out
    assert "hosts: no host runs a Coreapp" in out
    offer = script.asked.index("Add a host for it now?")
    assert offer < script.asked.index("Database engine (WA_DB_ENGINE)")
    assert script.asked[offer + 1].startswith("Host 4: EXTERNAL_HOSTNAME")
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert [h.external_hostname for h in profile.hosts][-1] == "wa-core-1"
    assert not script.answers


def private_key(path):
    """An unencrypted ed25519 private key at ``path`` and its ``.pub`` beside it (as ssh-keygen leaves them)."""
    import asyncssh

    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    key.write_public_key(f"{path}.pub")
    return path


def test_a_key_file_that_does_not_exist_is_refused_with_the_field_and_the_fix(monkeypatch, tmp_path, capsys):
    key = private_key(tmp_path / "id_ed25519")
    seq = answers()
    seq[2 + 4] = str(tmp_path / "no-such-key")
    seq.insert(2 + 5, str(key))
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    why = capsys.readouterr().out.split("✗ ", 1)[1]
    assert why.startswith("hosts[0].ssh.key_file: ") and "does not exist on this machine" in why
    assert "leave it empty to use the SSH agent" in why
    assert load_profile(app_paths().profiles / "prod.yaml").hosts[0].ssh.key_file == str(key)


def test_a_public_key_or_another_file_given_as_the_private_key_is_refused_with_the_fix(monkeypatch, tmp_path, capsys):
    """s9: ``~/.ssh/id_ed25519.pub`` was taken as the private key; the first connection failed much later."""
    key = private_key(tmp_path / "id_ed25519")
    other = tmp_path / "notes.txt"
    other.write_text("not a key\n")
    seq = answers()
    seq[2 + 4] = f"{key}.pub"
    seq.insert(2 + 5, str(other))
    seq.insert(2 + 6, str(key))
    script = Script(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    refused = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ✗ ")]
    assert refused == [f"  ✗ hosts[0].ssh.key_file: {key}.pub is a public key; give the private key, e.g. {key}",
                       f"  ✗ hosts[0].ssh.key_file: {other} is not an SSH private key (ssh-keygen -y -f {other} checks a "
                       "key); give the private key, e.g. ~/.ssh/id_ed25519"], refused
    assert load_profile(app_paths().profiles / "prod.yaml").hosts[0].ssh.key_file == str(key)


def test_no_to_ask_again_keeps_the_answers_for_the_next_init(monkeypatch, capsys):
    """Before: "No" to "Ask the database section again?" threw every answer away."""
    seq = answers()
    seq[seq.index("db.internal")] = "wa-core-1"  # a compute host: refused by the profile check
    seq = seq[:-1] + [False]  # "Ask the database section again?" -> No
    Script(seq).install(monkeypatch)
    assert init_wizard.run_init() == 1
    draft = init_wizard.draft_path()
    assert str(draft) in capsys.readouterr().out
    assert oct(draft.stat().st_mode & 0o777) == "0o600"
    assert not (app_paths().profiles / "prod.yaml").exists()
    # the next init continues from the draft: only the database questions, then save
    redo = ["MYSQL", "db.internal", "3306", "waent", "Str0ng-pass"]
    script = Script([True, True, *redo, True])
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    assert script.asked[0].startswith("Continue from the answers kept in")
    assert not any(m.startswith(("Host ", "Cluster name", "Registration")) for m in script.asked)
    profile = load_profile(app_paths().profiles / "prod.yaml")
    assert profile.db.hostname == "db.internal" and len(profile.hosts) == 5 and profile.registration.cert == "QUJD"
    assert profile.db.password == "Str0ng-pass" and not draft.exists()
    assert not script.answers


def test_no_to_save_keeps_the_answers_and_says_how_to_resume(monkeypatch, capsys):
    """Before (trial): "Save to …? No" printed "Not saved." and threw every answer away."""
    seq = answers()[:-1] + [False]  # every answer valid, then "Save to …?" -> No
    Script(seq).install(monkeypatch)
    assert init_wizard.run_init() == 1
    out = capsys.readouterr().out
    draft = init_wizard.draft_path()
    assert f"Your answers are kept in {draft} (mode 600; it holds the passwords you typed" in out and "run wabiz-tui init again" in out
    assert f"(rm {draft})" in out
    assert oct(draft.stat().st_mode & 0o777) == "0o600" and not (app_paths().profiles / "prod.yaml").exists()
    assert "Str0ng-pass" not in out  # the summary is masked
    # resumed: a valid draft goes straight to the summary and the save question
    script = Script([True, True])
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    assert script.asked[0].startswith("Continue from the answers kept in") and script.asked[1].startswith("Save to ")
    assert load_profile(app_paths().profiles / "prod.yaml").db.password == "Str0ng-pass" and not draft.exists()


def test_no_to_replace_keeps_the_answers_too(monkeypatch, capsys):
    Script(answers()).install(monkeypatch)
    assert init_wizard.run_init() == 0
    Script(answers()[:-1] + [False]).install(monkeypatch)  # "… exists. Replace it?" -> No
    assert init_wizard.run_init() == 1
    assert "choose another cluster name" in capsys.readouterr().out and init_wizard.draft_path().is_file()
