"""Client of the Webapp API (httpx): login with the first-login password change, token reuse,
health, registration and verification.

Facts from ``reference/wa-onprem-api.md``: §3.1 login (``POST /v1/users/login`` with Basic auth,
``{"new_password": …}`` at first login, token in ``users[0].token``, 7-day expiry, ``Bearer`` on every
other call); §3.2 the error envelope ``{"errors":[{"code","title","details"}]}``; §3.3 health;
§3.4 registration (201 = already registered, 202 = code sent, ``account[0].vname``) and verify (201).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
# httpx is imported when a client is made, not with this module: every procedure imports this module, and httpx
# (its package imports its command-line part: click, rich, pygments) was a third of `wabiz-tui logs`' imports,
# 93-149 ms of 330-600 ms measured with -X importtime here, for a command that never calls the API.

#: Seconds for connect/read of one API call.
DEFAULT_TIMEOUT = 10.0
PASSWORD_CHANGE_REQUIRED = 1024


class ApiError(Exception):
    """An API call failed. ``status`` is the HTTP status (0 when no answer), ``code``/``title``/``details``
    come from the error envelope, ``kind`` is one of ``http``, ``unreachable``, ``tls``, ``dns``,
    ``timeout``, ``auth``, ``config``, ``not_tls`` (the port answers in plain text) (the profile's own TLS settings cannot be used). The message never carries a password or token."""

    def __init__(self, message: str, *, status: int = 0, code: int = 0, title: str = "", details: str = "",
                 kind: str = "http", next_action: str = ""):
        self.status, self.code, self.title, self.details, self.kind = status, code, title, details, kind
        self.next_action = next_action
        super().__init__(message)


@dataclass(frozen=True)
class CodeRequestResult:
    """``POST /v1/account``: ``already_registered`` on 201, else a code was sent (202) for ``vname``."""

    already_registered: bool
    vname: str = ""


def _ssl_context(ca_file: str, self_signed_ok: bool) -> ssl.SSLContext | bool:
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    if self_signed_ok:
        # Explicit operator opt-in for the Webapp's self-signed certificate: TLS still encrypts.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return True


def _describe_transport_error(url: str, exc: httpx.TransportError) -> ApiError:
    import httpx
    text = str(exc) or exc.__class__.__name__
    low = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(f"the Webapp at {url} did not answer in time", kind="timeout",
                        next_action="check that the waweb container runs and the port is reachable")
    if "wrong_version_number" in low or "wrong version number" in low:
        # OpenSSL's reading of a server that answered the ClientHello in plain text: observed here with Python's
        # http.server on the port ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"), with and
        # without certificate verification; lab-facts §9 saw the same from busybox httpd
        return ApiError(f"the port of {url} does not speak TLS (plain HTTP?): {text}", kind="not_tls",
                        next_action="point webapp.url at the Webapp's HTTPS port (waweb publishes 443 as EXTERNAL_WEBAPP_PORT, "
                                    "9090 by default) or at a load balancer that serves HTTPS")
    if "certificate" in low or "ssl" in low or "tls" in low:
        return ApiError(f"TLS failure talking to {url}: {text}", kind="tls",
                        next_action="give the Webapp's CA file, or accept its self-signed certificate explicitly; do not use http://")
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low or "name resolution" in low:
        return ApiError(f"cannot resolve the Webapp host of {url}", kind="dns",
                        next_action="check the host name in webapp.url (DNS or /etc/hosts)")
    return ApiError(f"the Webapp at {url} is unreachable: {text}", kind="unreachable",
                    next_action="check that the waweb container is running and the port is published")


class WebappClient:
    """Async client for one cluster's Webapp API.

    ``base_url`` is ``https://host:port``. Use :meth:`login` once (it handles the first-login password
    change), then the other calls reuse the token; a 401 triggers one new login before failing.
    Close with :meth:`aclose` or use ``async with``.
    """

    def __init__(self, base_url: str, *, username: str, password: str, initial_password: str = "secret",
                 ca_file: str = "", self_signed_ok: bool = False, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self._username, self._password, self._initial = username, password, initial_password
        self._token: str | None = None
        self._config_error: ApiError | None = None
        try:
            verify = _ssl_context(ca_file, self_signed_ok)
        except (OSError, ssl.SSLError) as exc:
            verify = True
            self._config_error = ApiError(f"webapp.ca_file: cannot use {ca_file!r} as a CA certificate "
                                          f"({getattr(exc, 'strerror', None) or exc.__class__.__name__})", kind="config",
                                          next_action="give the path of the PEM file of the CA that signed the Webapp's certificate")
        import httpx
        self._http = httpx.AsyncClient(base_url=self.base_url, verify=verify, timeout=timeout, transport=transport)

    async def __aenter__(self) -> "WebappClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def _send(self, method: str, path: str, *, json: Any = None, auth: Any = None, bearer: bool = True) -> httpx.Response:
        if self._config_error is not None:
            raise self._config_error
        headers = {"Authorization": f"Bearer {self._token}"} if bearer and self._token else {}
        import httpx
        try:
            return await self._http.request(method, path, json=json, auth=auth, headers=headers)
        except httpx.TransportError as exc:
            raise _describe_transport_error(self.base_url, exc) from None

    @staticmethod
    def _error(resp: httpx.Response, what: str) -> ApiError:
        code, title, details = 0, "", ""
        try:
            errs = resp.json().get("errors") or []
            if errs:
                code, title, details = int(errs[0].get("code", 0)), str(errs[0].get("title", "")), str(errs[0].get("details", ""))
        except (ValueError, AttributeError):
            pass
        kind = "auth" if resp.status_code == 401 else "http"
        desc = f"{title} (code {code})" + (f": {details}" if details else "") if code else resp.reason_phrase
        return ApiError(f"{what} failed: HTTP {resp.status_code} {desc}", status=resp.status_code, code=code,
                        title=title, details=details, kind=kind)

    async def login(self) -> None:
        """Get a token. At first login the default password is changed to the profile's admin password.

        Tries the configured password first; on 401 tries the initial (default) password with
        ``new_password``. Raises :class:`ApiError` (``kind="auth"``) when both are refused.
        """
        resp = await self._send("POST", "/v1/users/login", auth=(self._username, self._password), bearer=False)
        if resp.status_code == 401 and self._initial and self._initial != self._password:
            resp = await self._send("POST", "/v1/users/login", auth=(self._username, self._initial), bearer=False,
                                    json={"new_password": self._password})
        if resp.status_code != 200:
            err = self._error(resp, f"login as {self._username}")
            if resp.status_code == 401:
                err.kind = "auth"
                err.next_action = "check webapp.admin_user and webapp.admin_password in the profile (a credentials problem, not an outage)"
            raise err
        try:
            self._token = resp.json()["users"][0]["token"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ApiError("login answered 200 without a token", status=200) from None

    async def _call(self, method: str, path: str, what: str, json: Any = None) -> httpx.Response:
        if self._token is None:
            await self.login()
        resp = await self._send(method, path, json=json)
        if resp.status_code == 401:
            await self.login()
            resp = await self._send(method, path, json=json)
        return resp

    @staticmethod
    def _json_object(resp: httpx.Response, what: str) -> dict[str, Any]:
        """The body of ``resp`` as a JSON object; :class:`ApiError` (with ``what``) when it is not JSON or
        is JSON of another shape (a list, a string: a proxy's page, not the Webapp)."""
        try:
            body = resp.json()
        except ValueError:
            raise ApiError(f"{what} answered with something that is not JSON", status=resp.status_code) from None
        if not isinstance(body, dict):
            raise ApiError(f"{what} answered with JSON that is not an object ({type(body).__name__})",
                           status=resp.status_code)
        return body

    async def health(self) -> dict[str, Any]:
        """``GET /v1/health`` → the parsed JSON object. Raises :class:`ApiError` on non-200 and when the
        body is not a JSON object."""
        resp = await self._call("GET", "/v1/health", "health check")
        if resp.status_code != 200:
            raise self._error(resp, "health check")
        return self._json_object(resp, "health check")

    async def request_code(self, *, cc: str, phone_number: str, method: str, cert: str, pin: str = "") -> CodeRequestResult:
        """``POST /v1/account``. 201 → already registered; 202 → code sent. Raises :class:`ApiError`.

        Error 1005 with ``biz_link_on_prem_reg_blocked`` means Meta's sunset of the On-Premises API
        (2025-10-23) blocks registration; the error says so in words.
        """
        body = {"cc": cc, "phone_number": phone_number, "method": method, "cert": cert}
        if pin:
            body["pin"] = pin
        resp = await self._call("POST", "/v1/account", "registration", json=body)
        if resp.status_code == 201:
            return CodeRequestResult(True)
        if resp.status_code == 202:
            vname = ""
            try:
                vname = str(resp.json()["account"][0].get("vname", ""))
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                pass
            return CodeRequestResult(False, vname)
        err = self._error(resp, "registration (POST /v1/account)")
        if err.code == 1005 and "biz_link_on_prem_reg_blocked" in err.details:
            err.next_action = ("Meta sunset the On-Premises API on 2025-10-23 and blocks new registrations; "
                               "existing clusters keep running — migrate the number to the Cloud API")
        raise err

    async def get_shards(self) -> int:
        """``GET /v1/account/shards`` → the shard count (wa-onprem-api.md §3.5). Raises :class:`ApiError`."""
        resp = await self._call("GET", "/v1/account/shards", "shard count")
        if resp.status_code != 200:
            raise self._error(resp, "shard count (GET /v1/account/shards)")
        try:
            return int(resp.json()["account"]["shards"])
        except (ValueError, KeyError, TypeError):
            raise ApiError("GET /v1/account/shards answered without account.shards", status=resp.status_code) from None

    async def webhook_url(self) -> str:
        """``GET /v1/settings/application`` → ``settings.application.webhooks.url`` ("" when none is set;
        wa-onprem-api.md §3.9). Raises :class:`ApiError`."""
        resp = await self._call("GET", "/v1/settings/application", "application settings")
        if resp.status_code != 200:
            raise self._error(resp, "application settings (GET /v1/settings/application)")
        try:
            return str(resp.json()["settings"]["application"].get("webhooks", {}).get("url") or "")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ApiError("GET /v1/settings/application answered without settings.application",
                           status=resp.status_code) from None

    async def set_shards(self, *, cc: str, phone_number: str, shards: int, cert: str, pin: str = "") -> None:
        """``POST /v1/account/shards``; 201 expected (wa-onprem-api.md §3.5). Raises :class:`ApiError`;
        a 403 means the server is temporarily unavailable and may be retried (FB-mc)."""
        body: dict[str, Any] = {"cc": cc, "phone_number": phone_number, "shards": shards, "cert": cert}
        if pin:
            body["pin"] = pin
        resp = await self._call("POST", "/v1/account/shards", "set shards", json=body)
        if resp.status_code not in (200, 201):
            raise self._error(resp, "set shards (POST /v1/account/shards)")

    async def backup_settings(self, password: str) -> str:
        """``POST /v1/settings/backup`` → the encrypted backup data (wa-onprem-api.md §3.7). Raises :class:`ApiError`."""
        resp = await self._call("POST", "/v1/settings/backup", "settings backup", json={"password": password})
        if resp.status_code != 200:
            raise self._error(resp, "settings backup (POST /v1/settings/backup)")
        try:
            return str(resp.json()["settings"]["data"])
        except (ValueError, KeyError, TypeError):
            raise ApiError("the settings backup answer has no settings.data", status=resp.status_code) from None

    async def restore_settings(self, password: str, data: str) -> None:
        """``POST /v1/settings/restore`` with the password and data of a backup. Raises :class:`ApiError`."""
        resp = await self._call("POST", "/v1/settings/restore", "settings restore", json={"password": password, "data": data})
        if resp.status_code not in (200, 201):
            raise self._error(resp, "settings restore (POST /v1/settings/restore)")

    async def support(self) -> dict[str, Any]:
        """``GET /v1/support`` (wa-onprem-api.md §3.8) → the parsed JSON object. Raises :class:`ApiError`."""
        resp = await self._call("GET", "/v1/support", "support info")
        if resp.status_code != 200:
            raise self._error(resp, "support info (GET /v1/support)")
        return self._json_object(resp, "GET /v1/support")

    async def call_without_token(self, path: str = "/v1/health") -> ApiError | None:
        """``GET path`` with no ``Authorization`` header, as an orchestrator's healthcheck calls it (field case R16:
        the Webapp answers 401 then, which is a request for credentials, not an outage). Returns None on 200, else
        the answer as an :class:`ApiError` (envelope decoded, not raised). Raises :class:`ApiError` on transport
        failures."""
        resp = await self._send("GET", path, bearer=False)
        return None if resp.status_code == 200 else self._error(resp, f"GET {path} without a token")

    @property
    def token(self) -> str:
        """The current bearer token ("" before login), so callers can redact it from what they write."""
        return self._token or ""

    async def verify(self, code: str) -> None:
        """``POST /v1/account/verify`` with the 6-digit code; 201 expected. Raises :class:`ApiError`."""
        resp = await self._call("POST", "/v1/account/verify", "verification", json={"code": code})
        if resp.status_code not in (200, 201):
            err = self._error(resp, "code verification (POST /v1/account/verify)")
            err.next_action = "check the code you received and try again, or request a new code"
            raise err

