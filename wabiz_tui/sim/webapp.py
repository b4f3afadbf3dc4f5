"""The Webapp REST API of the simulated cluster (aiohttp over HTTPS).

Paths, status codes and the error envelope follow ``reference/wa-onprem-api.md`` §3 and §7:
login with Basic auth and a first-login password change (401 code 1024, as the LocalWAB emulator
does since the real code is unconfirmed), 7-day Bearer tokens, ``/v1/health`` per node,
registration (202 + code / 201 already registered), verify (201), shards, support, settings,
backup/restore, metrics. The listener only accepts connections while a ``waweb`` container runs
somewhere in the cluster (:class:`~.webapp_listener.WebappServer` opens/closes it on the same port).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .brain import COREAPP, MASTER, Brain
from . import backup, rules
from .rules import shards_problem, socket_conn

TOKEN_LIFETIME = _dt.timedelta(seconds=rules.TOKEN_LIFETIME_S)
DEFAULT_ADMIN = rules.DEFAULT_ADMIN

#: Certificate errors of Meta's error table (developers.facebook.com/docs/whatsapp/api/errors; field case R23).
CERT_ERROR_TITLES = {430: "Certificate unsigned", 432: "Certificate ID mismatch", 433: "Certificate signature invalid"}

DEFAULT_APP_SETTINGS: dict[str, Any] = rules.DEFAULT_APP_SETTINGS
password_problem = rules.password_problem
decode_vname = rules.decode_vname


@dataclass
class User:
    """One Webapp account: its password (plain text, the simulator's own store), its role (``ROLE_ADMIN`` or
    ``ROLE_USER``) and whether the next login must change the password (the default admin's first login)."""
    password: str
    role: str = "ROLE_ADMIN"
    must_change: bool = False


@dataclass
class WebappState:
    """Users, tokens and application settings held by the Webapp (cluster-wide)."""

    users: dict[str, User] = field(default_factory=lambda: {
        DEFAULT_ADMIN[0]: User(DEFAULT_ADMIN[1], must_change=True)})
    tokens: dict[str, tuple[str, _dt.datetime]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_APP_SETTINGS)))
    error_status: int | None = None
    error_code: int = 1014
    #: how many of the next POST /v1/account/shards answer 403 "temporarily unavailable" (FB-mc: retry)
    shards_busy: int = 0
    #: POST /v1/account answers this certificate error (430/432/433) while set (the status 400 is the simulator's choice)
    cert_error: int | None = None
    started: float = field(default_factory=time.monotonic)


def guarded(*, admin: bool = False, body: bool = False):
    """Wrap a handler: Bearer (or Apikey) auth, the admin role when ``admin``, a JSON object body when
    ``body``; the handler is called as ``fn(self, request, user=…, body=…)`` or the error is returned."""
    def wrap(fn):
        """Decorate one handler ``fn(self, request, user=..., body=...)`` into an aiohttp handler ``handler(self,
        request)`` (see :func:`guarded`)."""
        @functools.wraps(fn)
        async def handler(self, request: web.Request) -> web.Response:
            """Authenticate the request (admin role if asked), read the JSON object body if asked, then call the
            handler; an auth or body failure returns its error response instead."""
            user, resp = (self._admin if admin else self._user)(request)
            if resp is not None:
                return resp
            data: dict = {}
            if body:
                data, resp = await self._json(request)
                if resp is not None:
                    return resp
            return await fn(self, request, user=user, body=data)
        return handler
    return wrap


class WebappApi:
    """aiohttp application factory + handlers bound to a :class:`Brain`."""

    def __init__(self, brain: Brain, state: WebappState | None = None) -> None:
        self.brain = brain
        self.state = state or WebappState()

    # ---------------------------------------------------------------- helpers
    def meta(self) -> dict[str, str]:
        """The ``meta`` object every answer carries: ``{'api_status': 'stable', 'version': 'v<running Webapp
        version>'}`` (``v2.41.2`` when no Webapp runs)."""
        return {"api_status": "stable", "version": f"v{self.brain.webapp_version() or '2.41.2'}"}

    def ok(self, body: dict | None = None, status: int = 200) -> web.Response:
        """A JSON answer: ``body`` (a dict, copied) plus ``meta``, with HTTP ``status`` (200 by default)."""
        payload = dict(body or {})
        payload["meta"] = self.meta()
        return web.json_response(payload, status=status)

    def error(self, status: int, code: int, title: str, details: str) -> web.Response:
        """The API's error envelope ``{'errors': [{'code', 'title', 'details'}], 'meta'}`` with HTTP ``status``
        (envelope: ``reference/wa-onprem-api.md`` §7)."""
        return web.json_response({"errors": [{"code": code, "title": title, "details": details}],
                                  "meta": self.meta()}, status=status)

    def _unauthorized(self) -> web.Response:
        return self.error(401, 1005, "Access denied", "Invalid credentials")

    def _user(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        auth = request.headers.get("Authorization", "")
        scheme, _, cred = auth.partition(" ")
        if scheme.lower() == "bearer":
            entry = self.state.tokens.get(cred.strip())
            if entry and entry[1] > _dt.datetime.now(_dt.timezone.utc):
                return entry[0], None
        elif scheme.lower() == "apikey" and request.path in ("/v1/health", "/metrics", "/v1/stats/app",
                                                              "/v1/stats/db"):
            keys = {c.env.get("WA_API_KEY") for c in self.brain.containers.values() if c.running}
            if cred.strip() and cred.strip() in keys:
                return "apikey", None
        return None, self._unauthorized()

    def _admin(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        user, resp = self._user(request)
        if resp is not None:
            return None, resp
        rec = self.state.users.get(user or "")
        if rec is None or rec.role != "ROLE_ADMIN":
            return None, self.error(403, 1005, "Access denied", "This endpoint requires Admin role")
        return user, None

    async def _json(self, request: web.Request, required: bool = True) -> tuple[Any, web.Response | None]:
        text = await request.text() if request.can_read_body else ""
        if not text.strip():
            return ({} if not required else None), (None if not required else
                                                    self.error(400, 1025, "Invalid Request", "Request body is empty"))
        try:
            data = json.loads(text)
        except ValueError:
            return None, self.error(400, 1025, "Invalid Request", "Malformed JSON body")
        if not isinstance(data, dict):
            return None, self.error(400, 1025, "Invalid Request", "JSON body must be an object")
        return data, None

    # ---------------------------------------------------------------- app
    def make_app(self) -> web.Application:
        """Build the aiohttp application with all routes and the fault/availability middleware."""

        @web.middleware
        async def gate(request: web.Request, handler):
            """Middleware: answers 503 and closes the connection while no Webapp runs, the injected error
            (``state.error_status``/``error_code``) while one is set, and turns aiohttp's 404/405 into the API's
            envelope (codes 1006, 1025)."""
            if not self.brain.webapp_running():
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=503)
            if self.state.error_status is not None:
                code = self.state.error_code
                return self.error(self.state.error_status, code, rules.TITLES.get(code, "Internal error"),
                                  "Simulated Webapp failure (fault injected)")
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return self.error(404, 1006, "Resource not found", f"Unknown path: {request.path}")
            except web.HTTPMethodNotAllowed:
                return self.error(405, 1025, "Invalid Request", f"Method {request.method} not allowed")

        app = web.Application(middlewares=[gate])
        r = app.router
        r.add_post("/v1/users/login", self.login)
        r.add_post("/v1/users/logout", self.logout)
        r.add_post("/v1/users", self.create_user)
        r.add_get("/v1/health", self.health)
        r.add_post("/v1/account", self.account)
        r.add_post("/v1/account/verify", self.verify)
        r.add_get("/v1/account/shards", self.get_shards)
        r.add_post("/v1/account/shards", self.set_shards)
        r.add_get("/v1/support", self.support)
        r.add_get("/v1/settings/application", self.get_settings)
        r.add_patch("/v1/settings/application", self.patch_settings)
        r.add_delete("/v1/settings/application", self.reset_settings)
        r.add_post("/v1/settings/backup", self.backup)
        r.add_post("/v1/settings/restore", self.restore)
        r.add_get("/metrics", self.metrics)
        return app

    # ---------------------------------------------------------------- users
    async def login(self, request: web.Request) -> web.Response:
        """``POST /v1/users/login`` with Basic auth: 200 ``{'users': [{'token', 'expires_after'}]}`` (token valid
        ``TOKEN_LIFETIME``); 401 code 1005 for bad credentials, 401 code 1024 while the password must change and no
        ``new_password`` is given, 400 code 1009 for a refused new password."""
        creds = rules.basic_credentials(request.headers.get("Authorization", ""))
        if creds is None:
            return self._unauthorized()
        user, pw = creds
        body, resp = await self._json(request, required=False)
        if resp is not None:
            return resp
        rec = self.state.users.get(user)
        if rec is None or not secrets.compare_digest(rec.password, pw):
            return self._unauthorized()
        new_pw = body.get("new_password")
        if new_pw is not None:
            problem = password_problem(new_pw)
            if problem:
                return self.error(400, 1009, "Parameter value is not valid", f"new_password: {problem}")
            rec.password = new_pw
            rec.must_change = False
        elif rec.must_change:
            return self.error(401, 1024, "Password change required", "Password must be changed")
        token = secrets.token_urlsafe(32)
        expires = (_dt.datetime.now(_dt.timezone.utc) + TOKEN_LIFETIME).replace(microsecond=0)
        self.state.tokens[token] = (user, expires)
        return self.ok({"users": [{"token": token,
                                   "expires_after": expires.strftime("%Y-%m-%d %H:%M:%S+00:00")}]})

    @guarded(admin=False)
    async def logout(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/users/logout``: forget the request's Bearer token; 200 (401 without a valid token)."""
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        self.state.tokens.pop(token, None)
        return self.ok()

    @guarded(admin=True, body=True)
    async def create_user(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/users`` (admin): create a ``ROLE_USER`` from ``username``/``password``; 201 ``{'users':
        [{'username'}]}``, 400 with the rule's code for a bad body, 409 code 1004 if the name exists."""
        problem = rules.new_user_problem(body)
        if problem:
            code, details = problem
            return self.error(400, code, rules.TITLES[code], details)
        name = str(body["username"])
        if name in self.state.users:
            return self.error(409, 1004, "Resource already exists", f"User {name} already exists")
        self.state.users[name] = User(body["password"], role="ROLE_USER")
        return self.ok({"users": [{"username": name}]}, status=201)

    # ---------------------------------------------------------------- health / support
    @guarded(admin=False)
    async def health(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``GET /v1/health``: 200 ``{'health': {'<hostname>:<container-id>': entry}}`` for every running Master and
        Coreapp, as :meth:`Brain.health` computes it now."""
        return self.ok({"health": self.brain.health()})

    @guarded(admin=False)
    async def support(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``GET /v1/support``: 200 ``{'support': {node: info}}`` for every running Master and Coreapp (role, shards it
        owns, ``socket_conn``, DB engine, version), after a reconcile."""
        b = self.brain
        b.reconcile()
        info: dict[str, Any] = {}
        for c in b.containers.values():
            if not (c.running and c.kind in (MASTER, COREAPP)):
                continue
            h = b.node_health(c)
            status = h.get("gateway_status")
            info[f"{c.node_hostname}:{c.id}"] = {
                "context": "healthcheck", "db_engine": c.env.get("WA_DB_ENGINE", "MYSQL"),
                "debug_info": f"{b.account[0]}{b.account[1]}" if b.registered and b.account else "unregistered",
                "description": f"{c.version}", "multi_connect": True,
                "role": h.get("role", "coreapp" if c.kind == COREAPP else "secondary_master"),
                "shards": b.owned_shards(c),
                "socket_conn": socket_conn(status),
            }
        return self.ok({"support": info})

    @guarded(admin=False)
    async def metrics(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``GET /metrics``: the ``web_uptime`` gauge (seconds since this API started) per running Webapp, as JSON, or
        as Prometheus text with ``?format=prometheus``."""
        webs = [c for c in self.brain.containers.values() if c.running and c.kind == "webapp"]
        data = [{"labels": {"node": c.id}, "value": int(time.monotonic() - self.state.started)} for c in webs]
        body = {"metrics": {"web_uptime": {"type": "gauge", "help": "Number of seconds since web server has started",
                                           "data": data}}}
        if request.query.get("format") == "prometheus":
            lines = ["# HELP web_uptime Number of seconds since web server has started", "# TYPE web_uptime gauge"]
            lines += [f'web_uptime{{node="{d["labels"]["node"]}"}} {d["value"]}' for d in data]
            return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
        return web.json_response(body)

    # ---------------------------------------------------------------- registration
    @guarded(admin=True, body=True)
    async def account(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/account`` (admin): 202 ``{'account': [{'vname'}]}`` when a code was sent, 201 when this number is
        already registered; 400 for a bad body or an injected certificate error (430/432/433), 503 code 1011 while no
        primary master is ready, 403 code 1005 once sunset (Meta, 2025-10-23)."""
        problem = rules.account_request_problem(body)
        if problem:
            code, details = problem
            return self.error(400, code, rules.TITLES[code], details)
        cc, phone, cert = str(body["cc"]).lstrip("+"), str(body["phone_number"]), str(body["cert"])
        if not self.brain.primary_ready():
            return self.error(503, 1011, "Service not ready", "No primary master is ready; retry later")
        if self.brain.sunset:
            return self.error(403, 1005, "Access denied", "Unknown error: biz_link_on_prem_reg_blocked")
        if self.state.cert_error in CERT_ERROR_TITLES:
            return self.error(400, self.state.cert_error, CERT_ERROR_TITLES[self.state.cert_error],
                              "The certificate does not match this install: download a new one and register again")
        code = self.brain.request_code(cc, phone)
        if code is None:
            return self.ok(status=201)
        return self.ok({"account": [{"vname": decode_vname(cert)}]}, status=202)

    @guarded(admin=True, body=True)
    async def verify(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/account/verify`` (admin) with ``code``: 201 on the right code; 400 code 1008 without one, 503 code
        1011 while no primary master is ready, 403 code 1005 for a wrong code."""
        if body.get("code") in (None, ""):
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: code")
        if not self.brain.primary_ready():
            return self.error(503, 1011, "Service not ready", "No primary master is ready; retry later")
        if not self.brain.verify(str(body["code"])):
            return self.error(403, 1005, "Access denied", "Error checking code")
        return web.Response(status=201)

    @guarded(admin=False)
    async def get_shards(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``GET /v1/account/shards``: 200 ``{'account': {'shards': n}}``."""
        return self.ok({"account": {"shards": self.brain.shards}})

    @guarded(admin=True, body=True)
    async def set_shards(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/account/shards`` (admin) with ``shards``: 201 and the brain reassigns shards; 403 code 1005 while
        an injected ``shards_busy`` lasts (each call uses one), 400 code 1008 without ``shards``, 400 code 1009 for a
        value not in 1, 2, 4, ..., 32 or above the running Coreapps."""
        if self.state.shards_busy > 0:
            self.state.shards_busy -= 1
            return self.error(403, 1005, "Access denied", "Server temporarily unavailable, retry later")
        shards = body.get("shards")
        if shards is None:
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: shards")
        problem = shards_problem(shards, len(self.brain.running_coreapps()))
        if problem:
            return self.error(400, 1009, "Parameter value is not valid", problem)
        self.brain.set_shards(shards)
        return web.Response(status=201)

    # ---------------------------------------------------------------- settings
    @guarded(admin=True)
    async def get_settings(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``GET /v1/settings/application`` (admin): 200 ``{'settings': {'application': ...}}``."""
        return self.ok({"settings": {"application": self.state.settings}})

    @guarded(admin=True, body=True)
    async def patch_settings(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``PATCH /v1/settings/application`` (admin): merge the body into the settings; 200."""

        rules.merge_settings(self.state.settings, body)
        return self.ok()

    @guarded(admin=True)
    async def reset_settings(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``DELETE /v1/settings/application`` (admin): back to the default settings; 200."""
        self.state.settings = json.loads(json.dumps(DEFAULT_APP_SETTINGS))
        return self.ok()

    @guarded(admin=True, body=True)
    async def backup(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/settings/backup`` (admin) with ``password``: 200 ``{'settings': {'data': blob}}`` (settings and
        shards sealed with the password); 400 code 1008 without a password, 400 code 1014 before registration."""
        if not body.get("password"):
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: password")
        if not self.brain.registered:
            return self.error(400, 1014, "Internal error", "Backup requires a registered, running client")
        data = backup.seal(body["password"], {"settings": self.state.settings, "shards": self.brain.shards})
        return self.ok({"settings": {"data": data}})

    @guarded(admin=True, body=True)
    async def restore(self, request: web.Request, user: str, body: dict) -> web.Response:
        """``POST /v1/settings/restore`` (admin) with ``password`` and ``data``: restores the settings; 400 code 1008 if
        either is missing, 400 code 1009 if the blob does not unseal."""
        for f in ("password", "data"):
            if not body.get(f):
                return self.error(400, 1008, "Required parameter is missing", f"Missing mandatory parameter: {f}")
        try:
            blob = backup.unseal(body["password"], body["data"])
        except backup.BackupError as exc:
            return self.error(400, 1009, "Parameter value is not valid", str(exc))
        self.state.settings = blob.get("settings", self.state.settings)
        return self.ok()
