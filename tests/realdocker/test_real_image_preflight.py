"""Item 8 of issue 13 on real parts: with the registry unreachable (``docker.whatsapp.biz`` does not resolve
here), a host holding the image passes the image check without a pull; a missing image fails with the
daemon's own words."""

from __future__ import annotations

import dataclasses

from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.preflight import FAILURE, OK
from wabiz_tui.workflows.preflight import Preflight


async def image_checks(host) -> list:
    wf = Preflight(host.profile, emit=Recorder(), settings=host.settings)
    try:
        await wf.run()
    finally:
        await wf.close()
    return [c for c in wf.results if c.name == "image"]


async def test_a_loaded_image_is_ok_without_the_registry(docker_host):
    checks = await image_checks(docker_host)
    assert checks and all(c.level == OK and "already on the host (not pulled)" in c.reason for c in checks), checks


async def test_a_missing_image_fails_with_the_registry_words(docker_host):
    docker_host.profile = dataclasses.replace(docker_host.profile, wa_api_version="2.45.2")  # no such image here
    checks = await image_checks(docker_host)
    assert checks and all(c.level == FAILURE for c in checks)
    assert 'cannot be pulled: Error response from daemon: Get "https://docker.whatsapp.biz/v2/"' in checks[0].reason
    assert "no such host" in checks[0].reason
