"""A bounded retry of the install's ``up -d`` when its image pull was refused or cut in a way that may pass on another
attempt (field report FR02: the registry's 403 "Forbidden!" that came "from time to time" during scripted
provisioning, WhatsApp-Business-API-Setup-Scripts#11; the reporter had to start the whole server creation over).

docker-compose 1.29.2 does not retry a pull, and dockerd 20.10 does not retry a refused manifest or image
configuration (see :data:`RETRYABLE` for what was observed on the lab); ``up -d`` is safe to run again (it starts
what is not running), so the step runs it again after a pause, at most :data:`PULL_ATTEMPTS` times, and says how many
attempts were refused.
"""

from __future__ import annotations

import re
from typing import Iterable

#: Attempts of ``up -d`` per service when its pull is refused, and the pauses (seconds) before the 2nd and 3rd.
PULL_ATTEMPTS = 3
PAUSES = (5.0, 10.0)

#: A pull refused or cut by the registry or the way to it, in dockerd's words as docker-compose 1.29 prints them
#: (``ERROR: for wacore  error parsing HTTP 403 response body: invalid character 'F' looking for beginning of value:
#: "Forbidden!"``, observed on the lab's intermittent front), or a rate limit / server error / dropped transfer.
#: Not retried: a tag that does not exist (manifest unknown), a login (401 unauthorized), an untrusted certificate,
#: a missing platform (another attempt cannot change them), nor a registry that does not answer at all (a timeout
#: would only make the step wait three times as long before it says so).
RETRYABLE = re.compile(
    r"error parsing HTTP (403|408|429|5\d\d) response body|received unexpected HTTP status: (403|408|429|5\d\d)"
    r"|toomanyrequests", re.IGNORECASE)
#: A transfer cut on the way: retried only on a line that says it was the pull (:data:`PULL_CONTEXT`), since the same
#: words end runc's "OCI runtime create failed: ... read init-p: connection reset by peer: unknown" and the docker
#: client's "error during connect: ...: unexpected EOF" (dockerd itself went away), which another pull cannot fix.
CUT = re.compile(r"connection reset by peer|unexpected EOF", re.IGNORECASE)
#: Words of a pull (dockerd's "error pulling image configuration", a manifest or blob request, a registry's ``/v2/``).
PULL_CONTEXT = re.compile(r"pull|manifest|blob|/v2/", re.IGNORECASE)
#: Lines that are about starting a container or reaching dockerd, never the registry.
NOT_A_PULL = re.compile(r"OCI runtime|Cannot start service|error during connect", re.IGNORECASE)


def pull_refusal(lines: Iterable[str]) -> str | None:
    """The first line of a failed ``up -d``'s output saying the image pull was refused or cut in a way another
    attempt may get past (:data:`RETRYABLE`, or :data:`CUT` with :data:`PULL_CONTEXT`; never a :data:`NOT_A_PULL`
    line), stripped; None when the failure is of another kind."""
    for line in lines:
        if NOT_A_PULL.search(line):
            continue
        if RETRYABLE.search(line) or (CUT.search(line) and PULL_CONTEXT.search(line)):
            return line.strip()
    return None


def refused_code(line: str) -> str:
    """``HTTP 403`` (the status a refusal line names), or "" when it names none."""
    m = re.search(r"HTTP (\d{3})|HTTP status: (\d{3})", line)
    return f"HTTP {m.group(1) or m.group(2)}" if m else ""
