"""FR02: which failed ``up -d`` outputs the install step tries again (``domain.pull_retry``)."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.pull_retry import pull_refusal, refused_code

FORBIDDEN = ("ERROR: for wacore  error parsing HTTP 403 response body: invalid character 'F' looking for beginning of "
             'value: "Forbidden!"')


@pytest.mark.parametrize("line, code", [
    (FORBIDDEN, "HTTP 403"),
    ("error pulling image configuration: received unexpected HTTP status: 503 Service Unavailable", "HTTP 503"),
    ("toomanyrequests: You have reached your pull rate limit.", ""),
])
def test_a_refusal_that_may_pass_is_retried(line, code):
    assert pull_refusal(["Pulling wacore (docker.whatsapp.biz/coreapp:v2.41.2)...", line]) == line.strip()
    assert refused_code(line) == code


@pytest.mark.parametrize("line", [
    "ERROR: manifest for docker.whatsapp.biz/coreapp:vv2.41.2 not found: manifest unknown: manifest unknown",
    'Head "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": no basic auth credentials',
    "x509: certificate signed by unknown authority",
    "no matching manifest for linux/arm64 in the manifest list entries",
    'Get "https://docker.whatsapp.biz/v2/": dial tcp 10.213.0.5:443: i/o timeout',
    "ERROR: for wacore  Cannot start service wacore: driver failed programming external connectivity",
])
def test_other_failures_are_not_retried(line):
    assert pull_refusal([line]) is None
