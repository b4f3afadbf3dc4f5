"""``doctor``'s probe of the monitoring stack's Webapp credentials (FR45; rules and sources:
:mod:`wabiz_tui.domain.doctor_rules_monitoring`).

When the profile says where the monitoring ``.env`` is (``monitoring.env_file`` on ``monitoring.from_host``), doctor
reads it over SSH (``cat``, read-only), takes ``WA_WEB_ENDPOINT``, ``WA_WEB_USERNAME`` and ``WA_WEB_PASSWORD``, and logs
in FROM that host as Meta's Prometheus image does (``POST https://WA_WEB_ENDPOINT/v1/users/login`` with Basic auth,
the certificate not verified, as the image's login does: the question here is the credentials and the way from that
host, not TLS trust, which ``API_TLS`` judges from this machine). The password never reaches a command line: curl
reads its whole configuration (URL and ``user``) from stdin (``curl -K -``), and the password is masked in every
fact like the profile's secrets. The login is the one Prometheus makes itself; nothing else is sent.
"""

from __future__ import annotations

import shlex

from ...domain.doctor_rules_monitoring import KEYS, P_MON_ENV, P_MON_LOGIN, login_url, read_env_values
from ...domain.model import HostSpec
from ...remote.run import run_with_input
from .probes import CURL_NO_ANSWER, TCP_TIMEOUT, DoctorProbes

#: Seconds curl may take for the login (connect and answer).
LOGIN_TIMEOUT = 2 * TCP_TIMEOUT


def _quoted(value: str) -> str:
    """A value for a curl config file: double-quoted, with ``\\`` and ``"`` escaped (curl(1) "-K, --config")."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def curl_config(url: str, username: str, password: str, timeout: float) -> str:
    """curl's configuration for the login (read from stdin with ``-K -``): only the HTTP code is written out."""
    return "\n".join([f"url = {_quoted(url)}", 'request = "POST"', f"user = {_quoted(username + ':' + password)}",
                      "insecure", "silent", "show-error", f"max-time = {timeout:g}", 'output = "/dev/null"',
                      'write-out = "%{http_code}\\n"', ""])


class MonitoringProbes(DoctorProbes):
    """The monitoring ``.env`` read on ``monitoring.from_host`` and its login tried from there."""

    async def _monitoring_login(self) -> None:
        mon = self.profile.monitoring
        source = next((h for h in self.profile.hosts if mon.from_host and h.external_hostname == mon.from_host), None)
        if not mon.env_file or source is None:
            return  # not asked (or a from_host the validation already named)
        await self._timed(P_MON_ENV, source.external_hostname, f"cat -- {shlex.quote(mon.env_file)}",
                          self._read_and_login(source, mon.env_file))

    async def _read_and_login(self, host: HostSpec, path: str) -> None:
        name = host.external_hostname
        command = f"cat -- {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        values = read_env_values("\n".join(lines))
        password = values.get("WA_WEB_PASSWORD", "")
        if password:  # masked from here on, in every fact and in the run's log, before any fact is made
            self.extra_secrets.append(password)
        if status != 0:  # only cat's own words: a line of the file could hold a secret under another name
            text = next((l.strip() for l in lines if l.startswith("cat:")), f"cat exited with status {status}")
            self._fact(P_MON_ENV, name, command, text, None, path=path, why="the monitoring .env could not be read")
            return
        endpoint, username = values.get("WA_WEB_ENDPOINT", ""), values.get("WA_WEB_USERNAME", "")
        missing = [k for k in KEYS if not values.get(k)]
        self._fact(P_MON_ENV, name, command,
                   f"{path}: " + (f"no {', '.join(missing)}" if missing else
                                  f"WA_WEB_ENDPOINT={endpoint} WA_WEB_USERNAME={username} WA_WEB_PASSWORD set"),
                   not missing, path=path, missing=missing, endpoint=endpoint, username=username)
        if missing:
            return
        login = f"curl -K - from {name} (POST {login_url(endpoint)} as {username}; the configuration, password included, on stdin)"
        facts = {"path": path, "endpoint": endpoint, "username": username}
        if "://" in endpoint:
            self._fact(P_MON_LOGIN, name, login, f"WA_WEB_ENDPOINT={endpoint} has a scheme: the login would go to "
                                                  f"{login_url(endpoint)}", False, kind="scheme", status=0, **facts)
            return
        status, out, err = await run_with_input(
            await self._pool.get(host), name, "curl -K -",
            curl_config(login_url(endpoint), username, password, LOGIN_TIMEOUT), LOGIN_TIMEOUT + 5)
        out, err = out.strip(), err.strip()
        exit_status = status if status is not None else -1
        if exit_status == 127:
            self._fact(P_MON_LOGIN, name, login, err or "curl is not installed", None, why="curl missing",
                       curl_exit=exit_status, **facts)
            return
        code = int(out.splitlines()[-1]) if out and out.splitlines()[-1].isdigit() else 0
        if exit_status != 0 or code == 0:
            words = next((l for l in err.splitlines() if l.startswith("curl: (")), "") or CURL_NO_ANSWER.get(
                exit_status, f"curl exit status {exit_status}")
            self._fact(P_MON_LOGIN, name, login, words, False, kind="unreachable", status=0, curl_exit=exit_status,
                       **facts)
            return
        self._fact(P_MON_LOGIN, name, login, f"HTTP {code}" + (" (logged in)" if code == 200 else ""), code == 200,
                   kind="answer", status=code, curl_exit=0, **facts)
