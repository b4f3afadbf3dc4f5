"""Entry point of the stand-in node (``python3 -m wanode``, exec'd by ``launch_within_docker.sh``).

The role comes from the environment the official compose files give (wa-onprem-api.md §1.3, §1.6):
``web`` image → Webapp (``WEBAPP_HOSTNAME``, ``WEBAPP_EXTERNAL_PORTS``); ``coreapp`` image with
``WA_DB_UPGRADE=1`` → dbupgrade job, with ``WA_MASTER_NODE=1`` → Master, else Coreapp
(``COREAPP_HOSTNAME``, ``COREAPP_EXTERNAL_PORTS``). The DB settings come from ``db.env``.
Node id: ``<*_HOSTNAME>:<container hostname>`` (Docker sets ``HOSTNAME`` to the short container id).

Lab-only knobs (defaults are the real image's): ``WABIZ_LAB_LISTEN_PORT`` (Webapp: 443;
Master/Coreapp: first of the four ports, 6250), ``WABIZ_LAB_MEDIA_DIR`` (``/usr/local/wamedia``),
``WABIZ_LAB_SPEED`` (overrides the settings row's ``speed``; a positive float, 1.0 = real pace).
Lab faults read from the environment: the ``wabiz_lab.settings`` row (``speed``,
``verify_code``, ``dbupgrade_fault``), a file ``LAB_DBUPGRADE_FAIL`` in the media volume (its text
is the reason the dbupgrade fails), a file ``LAB_CRASH-<EXTERNAL hostname>`` in the media volume
(the node logs it and exits 1, so ``restart: unless-stopped`` loops for real).

Exit status: 0 after a successful dbupgrade or SIGTERM; 1 on a DB failure, an injected fault or bad
settings.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import qtpsql, rules
from .log import Log
from .store import DbError, Store, media_dir

HERE = Path(__file__).resolve().parent


def image_facts() -> tuple[str, str]:
    """``(kind, version)`` baked into the image (files ``KIND`` and ``VERSION`` beside this module)."""
    return (HERE / "KIND").read_text().strip(), (HERE / "VERSION").read_text().strip()


def _first_port(value: str, default: int) -> int:
    try:
        return int(value.split(",")[0].strip())
    except ValueError:
        return default


def _speed(value: str | None) -> float | None:
    try:
        speed = float(value) if value else None
    except ValueError:
        return None
    return speed if speed and speed > 0 else None


def main() -> int:
    """Run the node for this container's role; returns the exit status."""
    env = dict(os.environ)
    image_kind, version = image_facts()
    kind = rules.classify(f"docker.whatsapp.biz/{image_kind}:v{version}", env)
    log = Log(web=kind == rules.WEBAPP)
    container = env.get("HOSTNAME") or socket.gethostname()
    if kind == rules.WEBAPP:
        ext_host = env.get("WEBAPP_HOSTNAME") or container
        port = _first_port(env.get("WEBAPP_EXTERNAL_PORTS", ""), 443)
    else:
        ext_host = env.get("COREAPP_HOSTNAME") or container
        port = _first_port(env.get("COREAPP_EXTERNAL_PORTS", ""), 6250)
    node_id = f"{ext_host}:{container}"
    stop = threading.Event()

    def on_term(signum, frame) -> None:
        """SIGTERM/SIGINT handler: log the shutdown line and set the stop event."""
        log("Received SIGTERM, shutting down", level="W", where="main.cpp:120")
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    what = {rules.WEBAPP: "Webapp", rules.MASTER: "Master", rules.COREAPP: "Coreapp",
            rules.DBUPGRADE: "DB upgrade"}.get(kind, kind)
    log(f"Starting {what} node {node_id} version {version}")
    crash = Path(media_dir(env)) / f"LAB_CRASH-{ext_host}"
    if kind != rules.DBUPGRADE and crash.exists():
        reason = crash.read_text(errors="replace").strip() or "crash marker present"
        log(f"Fatal: {reason} ({crash})", level="C", where="main.cpp:91")
        return 1
    store: Store | None = None
    try:
        store = Store.from_env(env, qt=kind != rules.WEBAPP)
        if store.qt_options is not None:  # a Qt client on PostgreSQL says what it hands libpq (FR09's log)
            log(f"Database engine is set to  {qtpsql.qstring(store.engine)}", where="dbsettings.cpp:79")
            log(f'"create_configStore_{threading.get_native_id()}" connectOption: {qtpsql.qstring(store.qt_options)}',
                where="datastore.cpp:779")
        server_version = store.connect()
    except DbError as exc:
        if exc.raw and store is not None and store.qt_options is not None:
            log(f'Failed to create database "configStore" {qtpsql.qsqlerror(exc.raw)}', level="E",
                where="datastore.cpp:132")
            log('Failed to create database "configStore"', level="E", where="datastore.cpp:168")
        else:
            log(f"Unable to connect to database: {exc}", level="E", where="db_conn.cpp:188")
        log("Exiting: database connection failed", level="E", where="main.cpp:97")
        return 1
    log(f"Connected to {store.engine} server {store.host}:{store.port} ({server_version})", where="db_conn.cpp:212")
    lab = store.lab_settings()
    speed = _speed(env.get("WABIZ_LAB_SPEED")) or lab.get("speed") or 1.0
    if kind == rules.DBUPGRADE:
        return dbupgrade(store, version, env, lab, log, stop, speed)
    if kind == rules.WEBAPP:
        return webapp(store, node_id, version, port, ext_host, env, log, stop, speed)
    if kind in (rules.MASTER, rules.COREAPP):
        return cluster_node(store, kind, node_id, ext_host, port, version, env, log, stop, speed)
    log(f"Unknown role for image {image_kind}", level="C")
    return 1


def dbupgrade(store: Store, version: str, env: dict, lab: dict, log: Log, stop: threading.Event, speed: float) -> int:
    """Migrate ``clusterStore.schema_info`` to ``version``; exit 0, or 1 with the reason on an injected fault.

    ``EXIT_ON_SUCCESS=FALSE`` keeps the container running after success (the seed's procedure).
    """
    before = store.schema_version() or "none"
    log(f"Database schema upgrade started: {before} -> {version}", where="dbupgrade.cpp:40")
    stop.wait(rules.DBUPGRADE_DELAY * speed)
    marker = Path(media_dir(env)) / "LAB_DBUPGRADE_FAIL"
    fault = lab.get("dbupgrade_fault")
    if fault is None and marker.exists():
        fault = marker.read_text(errors="replace").strip() or f"fault marker {marker}"
    if fault:
        log(f"Database schema upgrade failed: {fault}", level="E", where="dbupgrade.cpp:91")
        return 1
    try:
        store.set_schema_version(version, time.time())
    except DbError as exc:
        log(f"Database schema upgrade failed: {exc}", level="E", where="dbupgrade.cpp:91")
        return 1
    log(f"Database schema upgrade finished successfully: schema version {version}", where="dbupgrade.cpp:77")
    if str(env.get("EXIT_ON_SUCCESS", "TRUE")).upper() == "FALSE":
        stop.wait()
    return 0


def ensure_media_dirs(root: Path, version: str) -> list[str]:
    """Create :data:`rules.MEDIA_DIRS` under the media volume ``root`` where missing, owned by
    :func:`rules.media_owner` of ``version`` (existing folders keep their owner, so a 2.29.3 Webapp does not
    undo what the seed's chown is for). Returns the names created. Raises ``OSError`` when the volume is not
    writable."""
    made = []
    uid, gid = rules.media_owner(version)
    for name in rules.MEDIA_DIRS:
        path = root / name
        if not path.is_dir():
            path.mkdir(mode=0o755, parents=True)
            os.chown(path, uid, gid)
            made.append(name)
    return made


def webapp(store: Store, node_id: str, version: str, port: int, ext_host: str, env: dict, log: Log,
           stop: threading.Event, speed: float) -> int:
    """Create the media folders, register, make the certificate, serve HTTPS until SIGTERM, heartbeating in
    the DB."""
    from .store import NodeRow
    from .web import WebApp, serve

    try:
        made = ensure_media_dirs(Path(media_dir(env)), version)
    except OSError as exc:
        log(f"Media directory not writable: {media_dir(env)}: {exc.strerror or exc}", level="E", where="media.cpp:52")
        return 1
    if made:
        log(f"Created media folders {', '.join(made)} in {media_dir(env)}")

    now = time.time()
    store.register(NodeRow(node_id, rules.WEBAPP, ext_host, port, version, now, now, now))
    app = WebApp(store=store, node_id=node_id, version=version, log=log, env=env, speed=speed)
    app.ensure_admin()
    listen = int(env.get("WABIZ_LAB_LISTEN_PORT") or 443)
    try:
        server = serve(app, listen, ext_host)
    except OSError as exc:
        log(f"Cannot listen on port {listen}: {exc.strerror or exc}", level="E")
        return 1
    except subprocess.CalledProcessError as exc:
        log(f"Cannot make the TLS certificate: openssl exited {exc.returncode}: "
            f"{(exc.stderr or b'').decode(errors='replace').strip()}", level="E")
        return 1
    log(f"Webapp {node_id} version {version} listening on :{listen}")
    while not stop.wait(app.ttl / 3):
        try:
            store.heartbeat(node_id, time.time())
        except DbError as exc:
            log(f"Database error: {exc}", level="E")
    server.shutdown()
    return 0


def cluster_node(store: Store, kind: str, node_id: str, ext_host: str, port: int, version: str, env: dict,
                 log: Log, stop: threading.Event, speed: float) -> int:
    """Master/Coreapp: listen on the four ports, register, then tick leases until SIGTERM."""
    from .node import ClusterNode, StatusServer

    node = ClusterNode(kind=kind, node_id=node_id, hostname=ext_host, port=port, version=version, store=store,
                       speed=speed, log=log, db_engine=store.engine)
    base = int(env.get("WABIZ_LAB_LISTEN_PORT") or 6250)
    servers = []
    for p in range(base, base + 4):
        try:
            srv = StatusServer(p, node.snapshot)
        except OSError as exc:
            log(f"Cannot listen on port {p}: {exc.strerror or exc}", level="C", where="net.cpp:44")
            return 1
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    node.register()
    node.run(stop)
    for srv in servers:
        srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
