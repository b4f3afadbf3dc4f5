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
    ('error pulling image configuration: Get "https://docker.whatsapp.biz/v2/coreapp/blobs/sha256:5d41": read tcp '
     "10.213.0.11:40312->10.213.0.5:443: read: connection reset by peer", ""),
    ('ERROR: for wacore  Get "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": unexpected EOF', ""),
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
    # runc, not the registry: the same words as a cut pull
    "ERROR: for wacore  Cannot start service wacore: OCI runtime create failed: container_linux.go:380: starting "
    "container process caused: process_linux.go:402: getting the final child's pid from pipe caused: read init-p: "
    "connection reset by peer: unknown",
    # the docker client lost dockerd itself
    'error during connect: Post "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/containers/create?name=biz_wacore_1": '
    "unexpected EOF",
    "unexpected EOF",
])
def test_other_failures_are_not_retried(line):
    assert pull_refusal([line]) is None
