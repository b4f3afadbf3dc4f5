"""doctor's business URLs and proxy settings (workflows/doctor/egress.py): what in them is a secret, how they are
shown, and the --url check of the command (review of the egress probes)."""

from __future__ import annotations

import pytest


from tests.engine.test_ops_cli import cli
from wabiz_tui.workflows.doctor.egress import mask_proxy, split_url, url_secrets


@pytest.mark.parametrize("url, secrets, shown", [
    ("user:s3cret@proxy:3128", ["user:s3cret", "s3cret"], "***@proxy:3128"),
    ("http://user:p@ss@proxy.lab:3128", ["user:p@ss", "p@ss"], "http://***@proxy.lab:3128"),
    ("https://media.example/x.jpg?sig=abc123&exp=9", ["sig=abc123&exp=9"], "https://media.example/x.jpg?sig=abc123&exp=9"),
    ("http://proxy.lab:3128", [], "http://proxy.lab:3128"),
])
def test_url_secrets_and_the_shown_form(url, secrets, shown):
    assert url_secrets(url) == secrets
    assert mask_proxy(url) == shown


@pytest.mark.parametrize("url, parts", [
    ("user:s3cret@proxy:3128", ("", "user:s3cret", "proxy:3128", "")),
    ("http://user:p@ss@proxy.lab:3128/a/b?q=1", ("http://", "user:p@ss", "proxy.lab:3128", "/a/b?q=1")),
    ("https://@host/x", ("https://", "", "host", "/x")),
    ("https://media.example/x@y", ("https://", None, "media.example", "/x@y")),
])
def test_one_split_of_the_url_authority_serves_both(url, parts):
    """The secrets and the shown form come from one reading of the authority (the userinfo ends at its last @)."""
    assert split_url(url) == parts


async def test_doctor_refuses_a_url_that_is_not_http(demo):
    code, out, err = await cli("doctor", str(demo.profile_path), "--url=-K/etc/passwd")
    assert code == 2 and "--url" in err and "not an http(s) URL" in err, (out, err)
    assert "Traceback" not in err


async def test_doctor_never_changes_the_initial_admin_password(installed, tmp_path):
    """Review: the health client changes the initial admin password at a first login; doctor's must not (it changes
    nothing). The Webapp is put back to its first-login state; after doctor it still is."""
    from tests.sim.test_doctor_cases import cause, run_doctor
    users = installed.cluster._api.state.users
    admin = users[installed.profile.webapp.admin_user]
    admin.password, admin.must_change = installed.profile.webapp.initial_password, True
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    assert admin.password == installed.profile.webapp.initial_password and admin.must_change
    assert cause(report, "API_CREDENTIALS")


async def test_a_url_with_credentials_and_a_token_is_masked_in_the_report(installed):
    """Trial: `--url 'https://u:PASS@x/y?token=T'` printed PASS and T three times."""
    code, out, err = await cli("doctor", str(installed.profile_path), "--host", "wa-core-1", "--verbose",
                               "--url", "https://media-user:Url-Pass-9931@media.invalid/y.jpg?token=Tok-77812")
    assert code in (0, 6), out + err
    assert "media.invalid" in out
    assert "Url-Pass-9931" not in out + err and "Tok-77812" not in out + err
