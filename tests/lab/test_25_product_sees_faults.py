"""The product's preflight meets real faults of the lab and names each one on the right host, with the evidence
the real program gave (registry unreachable, DB login refused, DB cut from one host, a name gone from DNS)."""

from __future__ import annotations

import pytest

from tests.lab.conftest import cli
from wabiz_tui.lab import faults


@pytest.fixture
def cleared(lab):
    yield lab
    faults.clear(lab.paths)


def test_preflight_names_four_simultaneous_real_faults(cleared):
    lab = cleared
    lab.sh("wa-master-2", "docker rmi -f docker.whatsapp.biz/coreapp:v2.41.2")  # a host that must pull, whatever ran before
    faults.registry(lab.paths, "down")
    faults.db(lab.paths, "password")
    faults.cut(lab.paths, "wa-core-2", "db")
    faults.remove_dns_name(lab.paths, "wa-master-2")
    out = cli("preflight", str(lab.profile))
    assert out.returncode == 1
    text = out.stdout
    assert "[REGISTRY_UNREACHABLE]" in text and "dial tcp 10.213.0.5:443: connect: connection refused" in text
    assert "[DB_AUTH_FAILED]" in text
    db_lines = [l for l in text.splitlines() if "database" in l and "does not answer" in l]
    assert db_lines and all("wa-core-2" in l for l in db_lines)  # only the host that was cut
    unresolved = {l.split()[3] for l in text.splitlines()
                  if l.strip().startswith("preflight step") and "does not resolve wa-master-2" in l}
    assert unresolved == {"wa-web-1", "wa-master-1", "wa-core-1", "wa-core-2"}  # wa-master-2 knows itself


@pytest.mark.parametrize("mode, evidence", [
    ("deny", 'evidence: Error response from daemon: Head "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": '
             "no basic auth credentials"),
    ("forbid", "evidence: Error response from daemon: error parsing HTTP 403 response body: invalid character '<' "
               'looking for beginning of value: "<html>'),
])
def test_preflight_names_a_registry_that_refuses_pulls(cleared, mode, evidence):
    """With the registry demanding a login no one has (``deny``, HTTP 401) or a front answering HTTP 403 in its place
    (``forbid``), a host that lacks the image gets an IMAGE_PULL_DENIED finding quoting dockerd's own words and the
    next action; a host holding the image stays ok (not pulled)."""
    lab = cleared
    image = "docker.whatsapp.biz/coreapp:v2.41.2"
    lab.sh("wa-core-2", f"docker rmi -f {image}")
    faults.registry(lab.paths, mode)
    out = cli("preflight", str(lab.profile))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    (finding,) = [i for i, l in enumerate(lines) if "[IMAGE_PULL_DENIED] wa-core-2:" in l]
    assert "the registry refused the image" in lines[finding]
    assert "docker login" in lines[finding] and "WA_API_VERSION" in lines[finding]
    assert lines[finding + 1].strip().startswith(evidence)
    if lab.sh("wa-core-1", f"docker image inspect {image}").returncode == 0:
        assert "[IMAGE_PULL_DENIED] wa-core-1:" not in out.stdout
