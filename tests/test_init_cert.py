"""`wabiz-tui init` asks the registration certificate hidden (pasted or as a file) and never prints it: it says
which file was read and how long the certificate is (before: the pasted certificate was echoed whole)."""

from __future__ import annotations

import base64

from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import load_profile
from wabiz_tui.tui import init_prompts as init_wizard

from .test_init_wizard import Script, answers

CERT = base64.b64encode(bytes(range(256)) * 2).decode()


class KindScript(Script):
    """The scripted prompts, noting which kind of prompt asked each message."""

    def __init__(self, seq):
        super().__init__(seq)
        self.kinds: dict[str, str] = {}

    def prompt(self, kind):
        make = super().prompt(kind)

        def noted(message, *args, **kw):
            self.kinds[message] = kind
            return make(message, *args, **kw)
        return noted


def run(monkeypatch, capsys, cert_answers):
    seq = answers()
    i = seq.index("QUJD")
    seq[i:i + 1] = cert_answers
    script = KindScript(seq)
    script.install(monkeypatch)
    assert init_wizard.run_init() == 0
    asked = [m for m in script.kinds if m.startswith("Certificate")]
    return script, asked, capsys.readouterr().out


def test_a_certificate_file_is_read_and_named_never_printed(monkeypatch, capsys, tmp_path):
    cert_file = tmp_path / "wa-cert.txt"
    cert_file.write_text(CERT + "\n")
    script, asked, out = run(monkeypatch, capsys, [str(tmp_path / "missing.txt"), str(cert_file)])
    assert asked and script.kinds[asked[0]] == "password"
    assert any("missing.txt does not exist" in why for _m, why in script.refusals), script.refusals
    assert load_profile(app_paths().profiles / "prod.yaml").registration.cert == CERT
    assert f"certificate read from {cert_file}: {len(CERT)} base64 characters" in out, out
    assert CERT not in out and CERT[:40] not in out


def test_a_pasted_certificate_is_not_echoed(monkeypatch, capsys):
    script, asked, out = run(monkeypatch, capsys, [CERT])
    assert script.kinds[asked[0]] == "password"
    assert f"certificate pasted: {len(CERT)} base64 characters" in out and CERT[:40] not in out, out


#: A pasted certificate of 400 base64 characters without "/": one file-name component longer than Linux's 255, on
#: which ``Path.is_file`` raised ``OSError(36, 'File name too long')`` and ``init`` ended in a traceback.
LONG_BLOB = "QUJD" * 100


def test_a_long_pasted_certificate_without_a_slash_is_taken_not_looked_up(monkeypatch, capsys):
    assert init_wizard._check_cert(LONG_BLOB) == []
    script, asked, out = run(monkeypatch, capsys, [LONG_BLOB])
    assert f"certificate pasted: {len(LONG_BLOB)} base64 characters" in out and LONG_BLOB[:40] not in out, out
    assert load_profile(app_paths().profiles / "prod.yaml").registration.cert == LONG_BLOB


def test_a_path_too_long_to_look_up_is_refused_naming_the_field():
    errors = init_wizard._check_cert("~/" + "x" * 300 + ".pem")
    assert [e.field for e in errors] == ["registration.cert"], errors
    assert "File name too long" in errors[0].message and "paste the certificate" in errors[0].message
