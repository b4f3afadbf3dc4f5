"""Item 5 of issue 13 on real parts: a plain-HTTP service (busybox httpd in a real container) published on
the Webapp port is reported as "does not speak TLS", not as an untrusted certificate."""

from __future__ import annotations

import time

import pytest

from tests.openssh.conftest import free_port
from tests.realdocker.conftest import VERSION
from wabiz_tui.api.client import ApiError, WebappClient
from wabiz_tui.domain.diagnosis import diagnose_transport


@pytest.mark.parametrize("self_signed_ok", [True, False])
async def test_plain_http_on_the_webapp_port_is_said_so(real_docker, self_signed_ok):
    port = free_port()
    real_docker.docker("network", "create", "wabiz-plain", check=False)  # no default bridge (--bridge=none)
    cid = real_docker.docker("run", "-d", "--network", "wabiz-plain", "-p", f"127.0.0.1:{port}:80", f"docker.whatsapp.biz/web:v{VERSION}",
                             "httpd", "-f", "-p", "80").stdout.strip()
    try:
        time.sleep(0.3)
        async with WebappClient(f"https://127.0.0.1:{port}", username="admin", password="Admin-pass-42",
                                self_signed_ok=self_signed_ok) as api:
            with pytest.raises(ApiError) as exc:
                await api.login()
    finally:
        real_docker.docker("rm", "-f", cid, check=False)
        real_docker.docker("network", "rm", "wabiz-plain", check=False)
    assert exc.value.kind == "not_tls" and "does not speak TLS (plain HTTP?)" in str(exc.value), exc.value
    assert "WRONG_VERSION_NUMBER" in str(exc.value)
    assert diagnose_transport(exc.value.kind, str(exc.value)).key == "WEBAPP_NOT_TLS"
