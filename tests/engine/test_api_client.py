"""The httpx client against the simulator's HTTPS Webapp (verified with its CA, never verify=False)."""

from __future__ import annotations

import httpx
import pytest

from tests.support import settings_for
from wabiz_tui.api.client import ApiError, WebappClient
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall


def client(demo, password: str | None = None, **kw) -> WebappClient:
    w = demo.profile.webapp
    return WebappClient(w.url, username="admin", password=password or w.admin_password, ca_file=w.ca_file, **kw)


async def start_cluster(demo, tmp_path, through: int = 5) -> None:
    wf = HaInstall(demo.profile, emit=discard, settings=settings_for(demo, tmp_path))
    try:
        for n in range(1, through + 1):
            assert await wf.run_step(n)
    finally:
        await wf.close()


async def test_unreachable_before_the_webapp_starts(demo):
    async with client(demo) as api:
        with pytest.raises(ApiError) as exc:
            await api.health()
    assert exc.value.kind == "unreachable" and exc.value.next_action
    assert demo.profile.webapp.admin_password not in str(exc.value)


async def test_first_login_changes_the_default_password_then_reuses_the_token(demo, tmp_path):
    await start_cluster(demo, tmp_path)
    async with client(demo) as api:
        await api.login()  # default admin/secret + new_password
        body = await api.health()
        assert "health" in body
    # the new password now works directly; the default one no longer does
    async with client(demo) as api:
        await api.login()
    async with client(demo, password="secret", initial_password="") as api:
        with pytest.raises(ApiError) as exc:
            await api.login()
    assert exc.value.kind == "auth" and exc.value.status == 401
    assert "credentials" in exc.value.next_action


async def test_wrong_password_is_a_credentials_problem_not_an_outage(demo, tmp_path):
    await start_cluster(demo, tmp_path)
    async with client(demo) as api:
        await api.login()
    async with client(demo, password="Wrong-pass-1") as api:
        with pytest.raises(ApiError) as exc:
            await api.health()
    assert exc.value.kind == "auth" and "Wrong-pass-1" not in str(exc.value)


async def test_tls_without_trust_is_told_apart(demo, tmp_path):
    await start_cluster(demo, tmp_path)
    w = demo.profile.webapp
    async with WebappClient(w.url, username="admin", password=w.admin_password) as api:  # no CA given
        with pytest.raises(ApiError) as exc:
            await api.health()
    assert exc.value.kind == "tls" and "CA file" in exc.value.next_action


@pytest.mark.parametrize("self_signed_ok", [True, False])
async def test_plain_http_on_the_webapp_port_is_not_a_certificate_problem(demo, tmp_path, self_signed_ok):
    """Issue 13 item 5: WRONG_VERSION_NUMBER means the port does not speak TLS, whatever the trust settings."""
    from wabiz_tui.domain.diagnosis import diagnose_transport

    await start_cluster(demo, tmp_path)
    await demo.cluster.set_webapp_plain_http(True)
    w = demo.profile.webapp
    ca = "" if self_signed_ok else w.ca_file
    async with WebappClient(w.url, username="admin", password=w.admin_password, ca_file=ca, self_signed_ok=self_signed_ok) as api:
        with pytest.raises(ApiError) as exc:
            await api.health()
    assert exc.value.kind == "not_tls" and "does not speak TLS (plain HTTP?)" in str(exc.value)
    assert "certificate" not in str(exc.value).lower()
    assert diagnose_transport(exc.value.kind, str(exc.value)).key == "WEBAPP_NOT_TLS"


async def test_sunset_registration_error_is_explained(demo, tmp_path):
    await start_cluster(demo, tmp_path, through=7)  # the primary master is ready
    demo.cluster.set_registration_sunset(True)
    r = demo.profile.registration
    async with client(demo) as api:
        with pytest.raises(ApiError) as exc:
            await api.request_code(cc=r.cc, phone_number=r.phone_number, method="sms", cert=r.cert)
    assert exc.value.code == 1005 and "sunset" in exc.value.next_action and "Cloud API" in exc.value.next_action


def _answering(health_body: object) -> WebappClient:
    """A client whose Webapp (an httpx mock) gives a token and answers ``GET /v1/health`` with ``health_body``."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/users/login":
            return httpx.Response(200, json={"users": [{"token": "t0k"}]})
        return httpx.Response(200, json=health_body)
    return WebappClient("https://wa-web-1:9090", username="admin", password="Adm1n-pass",
                        transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("body", [[], "ok", 3])
async def test_a_health_answer_that_is_json_but_not_an_object_is_an_api_error(body):
    # found by mypy: health() promised a dict and returned whatever JSON came (a proxy's JSON list, a string)
    async with _answering(body) as api:
        with pytest.raises(ApiError, match="not an object") as exc:
            await api.health()
    assert exc.value.status == 200


async def test_the_registered_recheck_reads_a_non_object_health_answer_as_not_registered(demo, tmp_path):
    # before: body.get(...) on a list raised AttributeError out of the step-8 re-check
    wf = HaInstall(demo.profile, emit=discard, settings=settings_for(demo, tmp_path))
    try:
        await wf.health.client.aclose()  # the health watch's own client (and its key), then the mock in its place
        wf.health._client = _answering([])
        assert await wf._registered_now() is False
    finally:
        await wf.close()
def test_procedures_import_without_httpx():
    """httpx is loaded when a Webapp client is made, not with the procedures: `wabiz-tui logs`, uninstall and
    the install steps on hosts never call the API, and httpx's import (it loads its own command-line part:
    click, rich, pygments) was a third of `logs`' start-up (BENCHMARKS.md, lab logs)."""
    import subprocess
    import sys
    code = ("import sys, wabiz_tui.workflows.logs, wabiz_tui.workflows.ha_install, wabiz_tui.workflows.uninstall; "
            "assert 'httpx' not in sys.modules, 'httpx imported'; "
            "from wabiz_tui.api.client import WebappClient; WebappClient('https://x:9090', username='a', password='b'); "
            "assert 'httpx' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
