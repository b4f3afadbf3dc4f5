"""The Webapp: HTTPS on 443 with the real API paths (wa-onprem-api.md §3), state in the database.

Over 400 lines because it is the stand-in Webapp's whole API surface (one handler per real path, as in
wa-onprem-api.md §3), read side by side against that page.

* TLS: a self-signed certificate made at start with the ``openssl`` binary, ``CN=WEBAPP_HOSTNAME``
  (no SAN, like the prototype's, lab-facts §9).
* Users, tokens (stored as SHA-256 hashes) and application settings live in ``configStore``; the
  account, shard count and nodes in ``clusterStore`` (``store.py``).
* ``GET /v1/health`` asks EACH live Master/Coreapp at the hostname and first external port it
  registered (``node.query_status``), so a name that does not resolve or a blocked port shows as an
  error entry for that node (code 1014 "Internal error", the words of wa-onprem-api.md §3.2 [360]
  plus the resolver's or socket's own reason).
* ``POST /v1/account`` takes the code from the lab's settings row (``wabiz_lab.settings``) when it
  has one, else a random one, and writes it to this Webapp's log as the "SMS".
* Validation, password policy, shard counts and node entries come from ``rules.py`` (shared with the
  simulator). Unknown paths: 404 code 1006; wrong method: 405 code 1025, as the simulator answers.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import datetime as _dt
import hashlib
import http.server
import json
import os
import secrets
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable

from . import rules
from .log import Log
from .node import query_status
from .store import Account, DbError, Store

ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/v1/users/login"): "login", ("POST", "/v1/users/logout"): "logout",
    ("POST", "/v1/users"): "create_user", ("GET", "/v1/health"): "health",
    ("POST", "/v1/account"): "account", ("POST", "/v1/account/verify"): "verify",
    ("GET", "/v1/account/shards"): "get_shards", ("POST", "/v1/account/shards"): "set_shards",
    ("GET", "/v1/support"): "support", ("GET", "/v1/settings/application"): "get_settings",
    ("PATCH", "/v1/settings/application"): "patch_settings", ("DELETE", "/v1/settings/application"): "reset_settings",
    ("POST", "/v1/settings/backup"): "backup", ("POST", "/v1/settings/restore"): "restore",
    ("GET", "/metrics"): "metrics",
}
APIKEY_PATHS = ("/v1/health", "/metrics", "/v1/stats/app", "/v1/stats/db")


class Reply(Exception):
    """Raised by a handler to answer at once: ``status`` and a JSON ``body`` (None: no body)."""

    def __init__(self, status: int, body: Any = None, *, text: str | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.text = status, body, text


def make_certificate(common_name: str, directory: str) -> tuple[str, str]:
    """Self-signed RSA 2048 certificate for ``common_name`` via the ``openssl`` binary → (cert, key) paths.

    Same command as the lab CA of lab-facts §5 (``openssl req -x509 -newkey rsa:2048 -nodes``).
    """
    cert, key = os.path.join(directory, "web.crt"), os.path.join(directory, "web.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                    "-subj", f"/CN={common_name}", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pw_hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 20_000).hex()


def _openssl_crypt(data: bytes, password: str, decrypt: bool) -> bytes:
    """AES-256-CBC with a PBKDF2 key from ``password`` through the ``openssl enc`` binary; the password
    travels in the child's environment only. Raises ``ValueError`` when decryption fails."""
    env = dict(os.environ, WANODE_BACKUP_PASSWORD=password)
    args = ["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-salt", "-pass", "env:WANODE_BACKUP_PASSWORD"]
    proc = subprocess.run(args + (["-d"] if decrypt else []), input=data, env=env, capture_output=True)
    if proc.returncode != 0:
        raise ValueError("openssl enc failed")
    return proc.stdout


class WebApp:
    """The Webapp's API over a :class:`Store`. ``handle(method, path, query, headers, body)`` →
    ``(status, json body or None, text or None)``."""

    def __init__(self, *, store: Store, node_id: str, version: str, log: Log, env: dict[str, str], speed: float) -> None:
        self.store, self.node_id, self.version, self.log, self.env = store, node_id, version, log, env
        self.ttl = rules.FAILOVER_DELAY * speed
        self.started = time.monotonic()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ envelope
    def meta(self) -> dict[str, str]:
        """The ``meta`` object of every answer: ``{'api_status': 'stable', 'version': 'v<version>'}``."""
        return {"api_status": "stable", "version": f"v{self.version}"}

    def ok(self, body: dict | None = None, status: int = 200) -> Reply:
        """A :class:`Reply` with ``body`` (a dict, copied) plus ``meta`` and HTTP ``status`` (200 by default)."""
        payload = dict(body or {})
        payload["meta"] = self.meta()
        return Reply(status, payload)

    def error(self, status: int, code: int, title: str, details: str) -> Reply:
        """A :class:`Reply` with the API's error envelope ``{'errors': [{'code', 'title', 'details'}], 'meta'}`` and
        HTTP ``status``."""
        return Reply(status, {"errors": [{"code": code, "title": title, "details": details}], "meta": self.meta()})

    def unauthorized(self) -> Reply:
        """401 code 1005 "Access denied" / "Invalid credentials"."""
        return self.error(401, 1005, "Access denied", "Invalid credentials")

    # ------------------------------------------------------------------ dispatch
    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        """Route one request; every outcome is a :class:`Reply` (DB failures → 500 code 1023)."""
        name = ROUTES.get((method, path))
        if name is None:
            if any(p == path for _, p in ROUTES):
                return self.error(405, 1025, "Invalid Request", f"Method {method} not allowed")
            return self.error(404, 1006, "Resource not found", f"Unknown path: {path}")
        try:
            fn: Callable[..., Reply] = getattr(self, name)
            return fn(path=path, query=query, headers=headers, body=body)
        except Reply as r:
            return r
        except DbError as exc:
            self.log(f"Database error: {exc}", level="E")
            return self.error(500, 1023, "Database error occurred", str(exc))
        except Exception as exc:  # a bug must answer in the envelope, not drop the connection
            self.log(f"Internal error on {method} {path}: {exc.__class__.__name__}: {exc}", level="E")
            return self.error(500, 1014, "Internal error", "Unexpected error; see the Webapp log")

    def _json(self, body: bytes, required: bool = True) -> dict:
        text = body.decode("utf-8", "replace")
        if not text.strip():
            if required:
                raise self.error(400, 1025, "Invalid Request", "Request body is empty")
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            raise self.error(400, 1025, "Invalid Request", "Malformed JSON body") from None
        if not isinstance(data, dict):
            raise self.error(400, 1025, "Invalid Request", "JSON body must be an object")
        return data

    def _user(self, path: str, headers: dict[str, str]) -> str:
        scheme, _, cred = headers.get("authorization", "").partition(" ")
        cred = cred.strip()
        if scheme.lower() == "bearer" and cred:
            user = self.store.token_user(_hash(cred), time.time())
            if user:
                return user
        elif scheme.lower() == "apikey" and path in APIKEY_PATHS:
            key = self.env.get("WA_API_KEY", "")
            if key and cred and secrets.compare_digest(key, cred):
                return "apikey"
        raise self.unauthorized()

    def _admin(self, path: str, headers: dict[str, str]) -> str:
        user = self._user(path, headers)
        rec = self.store.user(user)
        if rec is None or rec[2] != "ROLE_ADMIN":
            raise self.error(403, 1005, "Access denied", "This endpoint requires Admin role")
        return user

    # ------------------------------------------------------------------ users
    def ensure_admin(self) -> None:
        """Create the default ``admin``/``secret`` account (must change at first login) when missing."""
        salt = secrets.token_hex(16)
        self.store.add_user(rules.DEFAULT_ADMIN[0], salt, _pw_hash(rules.DEFAULT_ADMIN[1], salt), "ROLE_ADMIN",
                            True, replace=False)

    def login(self, *, headers, body, **_) -> Reply:
        """``POST /v1/users/login`` with Basic auth: 200 ``{'users': [{'token', 'expires_after'}]}``; 401 code 1005 for
        bad credentials, 401 code 1024 while the password must change and no ``new_password`` is given, 400 code 1009
        for a refused new password."""
        creds = rules.basic_credentials(headers.get("authorization", ""))
        if creds is None:
            return self.unauthorized()
        user, pw = creds
        data = self._json(body, required=False)
        rec = self.store.user(user)
        if rec is None or not secrets.compare_digest(rec[1], _pw_hash(pw, rec[0])):
            return self.unauthorized()
        new_pw = data.get("new_password")
        if new_pw is not None:
            problem = rules.password_problem(new_pw)
            if problem:
                return self.error(400, 1009, "Parameter value is not valid", f"new_password: {problem}")
            salt = secrets.token_hex(16)
            self.store.add_user(user, salt, _pw_hash(new_pw, salt), rec[2], False, replace=True)
            self.log(f"Password of user {user} changed")
        elif rec[3]:
            return self.error(401, 1024, "Password change required", "Password must be changed")
        token = secrets.token_urlsafe(32)
        expires = int(time.time()) + rules.TOKEN_LIFETIME_S
        self.store.add_token(_hash(token), user, float(expires))
        stamp = _dt.datetime.fromtimestamp(expires, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00:00")
        return self.ok({"users": [{"token": token, "expires_after": stamp}]})

    def logout(self, *, path, headers, **_) -> Reply:
        """``POST /v1/users/logout``: forget the request's Bearer token; 200 (401 without a valid token)."""
        self._user(path, headers)
        self.store.drop_token(_hash(headers.get("authorization", "").partition(" ")[2].strip()))
        return self.ok()

    def create_user(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/users`` (admin): create a ``ROLE_USER``; 201 ``{'users': [{'username'}]}``, 400 with the rule's
        code for a bad body, 409 code 1004 if the name exists."""
        self._admin(path, headers)
        data = self._json(body)
        problem = rules.new_user_problem(data)
        if problem:
            return self.error(400, problem[0], rules.TITLES[problem[0]], problem[1])
        name = str(data["username"])
        salt = secrets.token_hex(16)
        if not self.store.add_user(name, salt, _pw_hash(data["password"], salt), "ROLE_USER", False, replace=False):
            return self.error(409, 1004, "Resource already exists", f"User {name} already exists")
        return self.ok({"users": [{"username": name}]}, status=201)

    # ------------------------------------------------------------------ cluster view
    def _live_nodes(self, now: float):
        return [n for n in self.store.nodes(alive_since=now - self.ttl) if n.kind in (rules.MASTER, rules.COREAPP)]

    def _ask(self, n) -> dict:
        """Status of node row ``n`` at its registered hostname:port, or an error entry in the cluster's words."""
        try:
            return query_status(n.hostname, n.port)
        except socket.gaierror as exc:
            reason = f"cannot resolve {n.hostname}: {exc.strerror or exc}"
        except TimeoutError:
            reason = f"connection to {n.hostname}:{n.port} timed out"
        except OSError as exc:
            reason = f"connection to {n.hostname}:{n.port} failed: {exc.strerror or exc}"
        except ValueError:
            reason = f"{n.hostname}:{n.port} answered something that is not a node status"
        details = f"{reason}. Please check if wacore is running"
        return {"health": {"errors": [{"code": 1014, "title": "Internal error", "details": details}]},
                "support": None}

    def _survey(self) -> dict[str, dict]:
        """node id → status answer of every live Master/Coreapp, asked in parallel."""
        nodes = self._live_nodes(time.time())
        answers = list(self._pool.map(self._ask, nodes))
        return {n.node_id: a for n, a in zip(nodes, answers)}

    def health(self, *, path, headers, **_) -> Reply:
        """``GET /v1/health``: 200 ``{'health': {node_id: entry}}`` asking every live Master/Coreapp now; a node that
        cannot be reached is an error entry (code 1014)."""
        self._user(path, headers)
        return self.ok({"health": {nid: a["health"] for nid, a in self._survey().items()}})

    def support(self, *, path, headers, **_) -> Reply:
        """``GET /v1/support``: 200 ``{'support': {node_id: info}}`` from every live Master/Coreapp (their errors for
        one that cannot be reached), each with ``debug_info``."""
        self._user(path, headers)
        acct = self.store.account()
        debug = f"{acct.cc}{acct.phone}" if acct.registered else "unregistered"
        info = {}
        for nid, a in self._survey().items():
            entry = dict(a.get("support") or {"errors": a["health"].get("errors", [])})
            entry["debug_info"] = debug
            info[nid] = entry
        return self.ok({"support": info})

    def metrics(self, *, path, query, headers, **_) -> Reply:
        """``GET /metrics``: this Webapp's ``web_uptime`` gauge (seconds since start) as JSON, or as Prometheus text
        with ``?format=prometheus``."""
        self._user(path, headers)
        cid = self.node_id.rsplit(":", 1)[-1]
        value = int(time.monotonic() - self.started)
        if query.get("format") == "prometheus":
            text = ("# HELP web_uptime Number of seconds since web server has started\n# TYPE web_uptime gauge\n"
                    f'web_uptime{{node="{cid}"}} {value}\n')
            raise Reply(200, text=text)
        return Reply(200, {"metrics": {"web_uptime": {"type": "gauge", "help": "Number of seconds since web server "
                                                      "has started", "data": [{"labels": {"node": cid}, "value": value}]}}})

    def _primary_ready(self) -> bool:
        now = time.time()
        lease = self.store.leases().get("primary_master")
        if not lease or not lease.holder or lease.expires_at < now:
            return False
        return any(n.node_id == lease.holder and n.ready_at <= now for n in self._live_nodes(now))

    def _need_primary(self) -> None:
        if not self._primary_ready():
            raise self.error(503, 1011, "Service not ready", "No primary master is ready; retry later")

    # ------------------------------------------------------------------ registration
    def account(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/account`` (admin): 201 when this number is already registered, else 202 ``{'account':
        [{'vname'}]}`` with the code written to the log as the SMS; 400 for a bad body, 503 code 1011 while no primary
        master is ready."""
        self._admin(path, headers)
        data = self._json(body)
        problem = rules.account_request_problem(data)
        if problem:
            code, details = problem
            return self.error(400, code, rules.TITLES[code], details)
        cc, phone = str(data["cc"]).lstrip("+"), str(data["phone_number"])
        self._need_primary()
        with self._lock:
            acct = self.store.account()
            if acct.registered and (acct.cc, acct.phone) == (cc, phone):
                return self.ok(status=201)
            code = self.store.lab_settings().get("verify_code") or f"{secrets.randbelow(1_000_000):06d}"
            self.store.save_account(Account(acct.cc, acct.phone, acct.registered, acct.shards, cc, phone, _hash(code)))
        self.log(f"SMS to +{cc}{phone}: your WhatsApp Business verification code is {code}")
        return self.ok({"account": [{"vname": rules.decode_vname(str(data["cert"]))}]}, status=202)

    def verify(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/account/verify`` (admin) with ``code``: 201 and the pending number registered (shard leases
        cleared if the number changed); 400 code 1008 without a code, 503 code 1011 while no primary master is ready,
        403 code 1005 for a wrong code."""
        self._admin(path, headers)
        data = self._json(body)
        if data.get("code") in (None, ""):
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: code")
        self._need_primary()
        with self._lock:
            acct = self.store.account()
            if not acct.pending_code or not secrets.compare_digest(acct.pending_code, _hash(str(data["code"]).strip())):
                return self.error(403, 1005, "Access denied", "Error checking code")
            if acct.registered and (acct.cc, acct.phone) != (acct.pending_cc, acct.pending_phone):
                self.store.clear_shard_leases()
            self.store.save_account(Account(acct.pending_cc, acct.pending_phone, True, acct.shards))
        self.log(f"Account +{acct.pending_cc}{acct.pending_phone} verified")
        return Reply(201)

    def get_shards(self, *, path, headers, **_) -> Reply:
        """``GET /v1/account/shards``: 200 ``{'account': {'shards': n}}``."""
        self._user(path, headers)
        return self.ok({"account": {"shards": self.store.account().shards}})

    def set_shards(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/account/shards`` (admin) with ``shards``: 201 and the count saved; 400 code 1008 without it, 400
        code 1009 for a value not in 1, 2, 4, ..., 32 or above the live Coreapps."""
        self._admin(path, headers)
        data = self._json(body)
        if data.get("shards") is None:
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: shards")
        running = sum(1 for n in self._live_nodes(time.time()) if n.kind == rules.COREAPP)
        problem = rules.shards_problem(data["shards"], running)
        if problem:
            return self.error(400, 1009, "Parameter value is not valid", problem)
        with self._lock:
            acct = self.store.account()
            self.store.save_account(Account(acct.cc, acct.phone, acct.registered, int(data["shards"]),
                                            acct.pending_cc, acct.pending_phone, acct.pending_code))
        self.log(f"Shard count set to {data['shards']}")
        return Reply(201)

    # ------------------------------------------------------------------ settings
    def _settings(self) -> dict:
        text = self.store.app_settings()
        return json.loads(text) if text else json.loads(json.dumps(rules.DEFAULT_APP_SETTINGS))

    def get_settings(self, *, path, headers, **_) -> Reply:
        """``GET /v1/settings/application`` (admin): 200 ``{'settings': {'application': ...}}``."""
        self._admin(path, headers)
        return self.ok({"settings": {"application": self._settings()}})

    def patch_settings(self, *, path, headers, body, **_) -> Reply:
        """``PATCH /v1/settings/application`` (admin): merge the body into the saved settings; 200."""
        self._admin(path, headers)
        data = self._json(body)

        settings = self._settings()
        rules.merge_settings(settings, data)
        self.store.save_app_settings(json.dumps(settings))
        return self.ok()

    def reset_settings(self, *, path, headers, **_) -> Reply:
        """``DELETE /v1/settings/application`` (admin): save the default settings; 200."""
        self._admin(path, headers)
        self.store.save_app_settings(json.dumps(rules.DEFAULT_APP_SETTINGS))
        return self.ok()

    def backup(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/settings/backup`` (admin) with ``password``: 200 ``{'settings': {'data': base64}}`` (settings,
        shards and number, encrypted with ``openssl enc``); 400 code 1008 without a password, 400 code 1014 before
        registration."""
        self._admin(path, headers)
        data = self._json(body)
        if not data.get("password"):
            return self.error(400, 1008, "Required parameter is missing", "Missing mandatory parameter: password")
        acct = self.store.account()
        if not acct.registered:
            return self.error(400, 1014, "Internal error", "Backup requires a registered, running client")
        plain = json.dumps({"settings": self._settings(), "shards": acct.shards, "cc": acct.cc,
                            "phone_number": acct.phone}).encode()
        blob = _openssl_crypt(plain, str(data["password"]), decrypt=False)
        return self.ok({"settings": {"data": base64.b64encode(blob).decode()}})

    def restore(self, *, path, headers, body, **_) -> Reply:
        """``POST /v1/settings/restore`` (admin) with ``password`` and ``data``: restores the settings; 400 code 1008 if
        either is missing, 400 code 1009 for data that is not base64, a password that does not decrypt it, or a backup
        of another shard count."""
        self._admin(path, headers)
        data = self._json(body)
        for f in ("password", "data"):
            if not data.get(f):
                return self.error(400, 1008, "Required parameter is missing", f"Missing mandatory parameter: {f}")
        try:
            blob = base64.b64decode(str(data["data"]), validate=True)
        except (binascii.Error, ValueError):
            return self.error(400, 1009, "Parameter value is not valid", "data: not a backup")
        try:
            restored = json.loads(_openssl_crypt(blob, str(data["password"]), decrypt=True))
        except ValueError:
            return self.error(400, 1009, "Parameter value is not valid", "password: does not decrypt the backup")
        acct = self.store.account()
        if restored.get("shards") not in (None, acct.shards):
            return self.error(400, 1009, "Parameter value is not valid",
                              f"data: backup of a {restored['shards']}-shard setup, this one has {acct.shards}")
        self.store.save_app_settings(json.dumps(restored.get("settings") or rules.DEFAULT_APP_SETTINGS))
        self.log("Settings restored from backup")
        return self.ok()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WhatsApp-Webapp"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # access log off, like the simulator's
        return

    def _serve(self) -> None:
        app: WebApp = self.server.app  # type: ignore[attr-defined]
        path, _, qs = self.path.partition("?")
        query = dict(p.partition("=")[::2] for p in qs.split("&") if p)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = app.handle(self.command, path, query, headers, body)
        if reply.text is not None:
            payload, ctype = reply.text.encode(), "text/plain; charset=utf-8"
        elif reply.body is not None:
            payload, ctype = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        else:
            payload, ctype = b"", ""
        self.send_response(reply.status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve


class HttpsServer(http.server.ThreadingHTTPServer):
    """Threaded HTTPS server; the TLS handshake runs in the request's thread, not the accept loop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, app: WebApp, context: ssl.SSLContext) -> None:
        self.app, self.context = app, context
        super().__init__(("0.0.0.0", port), _Handler)

    def finish_request(self, request, client_address) -> None:
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


def serve(app: WebApp, port: int, common_name: str) -> HttpsServer:
    """Make the certificate, bind ``port`` and serve in a daemon thread; returns the server."""
    directory = tempfile.mkdtemp(prefix="waweb-")
    cert, key = make_certificate(common_name, directory)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = HttpsServer(port, app, ctx)
    threading.Thread(target=server.serve_forever, name="https", daemon=True).start()
    return server
