"""The diagnosis catalogue: known faults recognised from output lines, API errors, transport
failures and health verdicts, each with a stable key, a title, an explanation in words and a next
action.

Over 400 lines because most of it is the catalogue itself (data: one entry per known fault with its
source, some 240 lines); the reasoning over it is the rest.

Sources: ``cases/field-cases.md`` (R01-R28; the key names follow its suggestions),
``reference/wa-onprem-api.md`` §3.2 (error codes) and §3.3 (health). Coreapp/master log lines have
the form ``<L> <date> <time> UTC <tid> <file>:<line>] <message>``; only W/E/C lines escalate and the
first C line is the root cause (field case R12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .health import ClusterVerdict, Level
from .model import ClusterProfile


@dataclass(frozen=True)
class Diagnosis:
    """A recognised fault. ``severity`` is info, warning or error; ``evidence`` the line or answer that showed it."""

    key: str
    severity: str
    title: str
    explanation: str
    next_action: str
    evidence: str = ""
    host: str = ""


@dataclass(frozen=True)
class Entry:
    """A catalogue entry; ``pattern`` (a regex on one output line) is empty for entries matched otherwise."""

    key: str
    severity: str
    title: str
    explanation: str
    next_action: str
    pattern: str = ""


CATALOGUE: dict[str, Entry] = {e.key: e for e in (
    # --- output lines: compose, docker, container logs -------------------------------------------
    Entry("COMPOSE_LEGACY_LINKS", "error", "legacy links: make the Webapp exit on newer Docker",
          "The compose file uses links:, and current Docker turns them into variables named after a port range "
          "(WACORE_PORT_6250-6253_TCP), which the Webapp's setup script rejects (field case R01).",
          "remove links: from the compose file (wabiz-tui never generates them) and start the Webapp again",
          r"invalid variable name|WACORE_PORT_\d+-\d+_TCP"),
    Entry("DB_HOST_UNRESOLVABLE", "error", "the DB host name does not resolve from the container",
          "The Coreapp cannot resolve WA_DB_HOSTNAME; on Docker's default bridge network service names such as 'db' "
          "do not resolve (field case R02).",
          "set WA_DB_HOSTNAME to a name or IP the containers can resolve (check with getent hosts from the host)",
          r"Unknown MySQL server host|could not translate host name|Name or service not known.*(db|mysql|postgres)"),
    # PostgreSQL: the Coreapp (Qt's QPSQL) logs libpq's own message in QSqlError("", "QPSQL: Unable to connect",
    # "...") (FR09's log shape, wanode/qtpsql.py); libpq 14+ says `connection to server at "HOST" [(ADDR)], port N
    # failed: WHY` (libpq 15.18 here: "Connection refused", "timeout expired", "No route to host"; a refusal by the
    # server itself, "FATAL: ...", or another protocol, "received invalid response to SSL negotiation", is no
    # unreachable DB); libpq 13 and older said "could not connect to server: WHY".
    Entry("DB_UNREACHABLE", "error", "the database does not answer",
          "The containers cannot open a connection to WA_DB_HOSTNAME:WA_DB_PORT.",
          "check the DB server is running, the port, and firewalls between the hosts and the DB",
          r"Unable to connect to database|Can't connect to MySQL server|Connection refused.*(3306|5432)|could not connect to server|"
          r"connection to server at \\?\"[^\"\\]+\\?\"(?: \([0-9a-fA-F.:]+\))?, port \d+ failed: "
          r"(?:Connection refused|timeout expired|No route to host|Network is unreachable|Connection timed out)"),
    Entry("DB_WAITING", "warning", "the container waits for its database",
          "The compose files start each service with wait_on_mysql.sh / wait_on_postgres.sh, which loops until "
          "WA_DB_HOSTNAME:WA_DB_PORT answers; a container whose newest log line is still this wait has not reached "
          "its DB (the name does not resolve, or the path from the container is blocked). Words of the lab's "
          "stand-in script (the image's own are not public).",
          "check the DB answers from inside the container (docker exec CONTAINER timeout 3 bash -c "
          "'</dev/tcp/DBHOST/PORT') and from the host; wabiz-tui doctor compares both",
          r"(?:Still w|W)aiting for database [A-Za-z0-9_.\-]+:\d+"),
    Entry("DB_AUTH_FAILED", "error", "the database refused the credentials",
          "WA_DB_USERNAME/WA_DB_PASSWORD are not accepted (field case R05).",
          "check WA_DB_USERNAME and WA_DB_PASSWORD in db.env against the DB server's account",
          r"Access denied for user|password authentication failed"),
    Entry("DB_PRIVILEGES_MISSING", "error", "the DB user may not create databases or tables",
          "The client creates its own databases; the user needs SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP "
          "(field case R10).",
          "GRANT those privileges, or use WA_DB_NAME_PREFIX to scope the grants by name",
          r"command denied to user|permission denied to create database|CREATE command denied"),
    Entry("DB_SCHEMA_INIT_STUCK", "warning", "the cluster manager keeps retrying its initialisation",
          "The master retries 'initialize cluster manager' over and over: the schema could not be created (field case R07).",
          "read the master's log for the first W/C line; drop half-created databases (configStore, clusterStore) and retry"),
    Entry("COMPOSE_REQUIRED_VAR_MISSING", "error", "compose refused to run: a required variable is not set",
          "WA_API_VERSION or EXTERNAL_HOSTNAME was not given; non-interactive SSH sessions do not read login files "
          "(field case R14).",
          "pass the variables on the command line (wabiz-tui always does; check a hand-written command)",
          r"Missing mandatory value for|variable is not set(?!\. Defaulting to a blank string)|required variable .* is missing"),
    Entry("DOCKER_SOCKET_DENIED", "error", "no permission on the Docker socket",
          "The SSH user may not talk to the Docker daemon (field case R14).",
          "add the user to the docker group (then log in again), or allow passwordless sudo for docker",
          r"permission denied while trying to connect to the Docker daemon socket"),
    Entry("DOCKER_DAEMON_DOWN", "error", "the Docker daemon is not running",
          "Docker commands cannot reach dockerd (field case R14).",
          "start it: sudo systemctl start docker",
          r"Cannot connect to the Docker daemon|Couldn't connect to Docker daemon|Is the docker daemon running"),
    Entry("COMPOSE_NOT_FOUND", "error", "docker-compose is not installed on the host",
          "Neither docker-compose (v1) nor the docker compose plugin (v2) was found.",
          "install docker-compose, or the Docker Compose plugin",
          r"(docker-compose|docker): (command )?not found"),
    # The registry's refusals as dockerd 20.10 words them (observed here against docker-registry 2.8 requiring a
    # login: ``Error response from daemon: Head "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": no basic
    # auth credentials``; the others from Docker's distribution errors, a 403 from a proxy giving
    # ``error parsing HTTP 403 response body: unexpected end of JSON input: ""``).
    Entry("IMAGE_PULL_DENIED", "error", "the registry refused the image",
          "docker.whatsapp.biz was reached and refused the pull (it quoted its reason): the version does not exist, the "
          "registry or a proxy in front of it demands credentials, or it forbids this host (HTTP 401/403).",
          "check WA_API_VERSION exists; from the host: curl -sI https://docker.whatsapp.biz/v2/ shows who answers "
          "(a proxy answering 401/403 must let the host through; a mirror that needs a login: docker login "
          "docker.whatsapp.biz); or load the image on the host with docker load",
          r"pull access denied|manifest unknown|denied: requested access|unauthorized|no basic auth credentials|"
          r"error parsing HTTP 40[13] response body|\bdenied: "),
    Entry("PORT_IN_USE", "error", "a published port is already taken on the host",
          "Another process or container uses one of 9090 (Webapp), 6250-6253 (Coreapp) or 6254-6257 (Master).",
          "stop what holds the port, or change EXTERNAL_*_PORT",
          r"port is already allocated|address already in use"),
    Entry("HTTP_ON_HTTPS_PORT", "warning", "plain HTTP sent to the Webapp's HTTPS port",
          "The Webapp only speaks HTTPS; something calls it with http:// (field case R15).",
          "use https:// with the Webapp's CA (or the explicit self-signed opt-in)",
          r"ssl3_get_record:http request|http request.*SSL"),
    Entry("UPGRADE_DBUPGRADE_CMD", "error", "the dbupgrade container cannot start its command",
          "The image was run with a relative command; newer images need the absolute path (field case R25).",
          "use command: [\"/opt/whatsapp/bin/wait_on_mysql.sh\", \"/opt/whatsapp/bin/launch_within_docker.sh\"]",
          r"cannot run executable found relative to current directory"),
    Entry("DBUPGRADE_FAILED", "error", "the database schema upgrade failed",
          "The dbupgrade service stopped without finishing the schema upgrade; the application was not touched.",
          "read the dbupgrade log, fix the DB problem it names, and run the upgrade again",
          r"schema upgrade failed"),
    Entry("COREAPP_FATAL", "error", "a Coreapp/Master logged a fatal error",
          "A C-level line is the root cause of the container stopping (field case R12).",
          "fix what the quoted line says; the lines before it are context"),
    Entry("COREAPP_WARNING", "warning", "a Coreapp/Master logged warnings",
          "W/E-level lines in the node's log (I and D lines are information only, field case R12).",
          "read the quoted line; if the node is not healthy, it is the first place to look"),
    # --- API errors (wa-onprem-api.md §3.2) ---------------------------------------------------------
    Entry("REGISTRATION_SUNSET", "error", "registration is blocked: the On-Premises API was sunset",
          "Meta sunset the On-Premises API on 2025-10-23; POST /v1/account answers 1005 biz_link_on_prem_reg_blocked.",
          "existing clusters keep working; new numbers must use the Cloud API (migrate the number)"),
    Entry("ACCESS_DENIED_1005", "error", "access denied (1005)",
          "Not an admin, the media directory not writable, a certificate problem, or an expired client version.",
          "log in as an admin; check the media volume's permissions; check the version's expiry"),
    Entry("NOT_FOUND_1006", "warning", "resource not found (1006)", "The API does not know this resource.",
          "check the request; for a certificate, upload it first"),
    Entry("SERVICE_NOT_READY_1011", "info", "service not ready (1011)",
          "A Coreapp/Master is still starting ('Wacore is not instantiated'); normal for a short while after a start.",
          "wait; if it lasts past the grace period read that node's coreapp log"),
    Entry("COREAPP_DOWN_1014", "error", "internal error 1014: is wacore running?",
          "The Webapp cannot reach a Coreapp, usually after restarts (field case R21).",
          "check the Coreapp containers (docker-compose ps, logs wacore) and their restarts"),
    Entry("CALLBACK_BACKLOG_1016", "error", "system overloaded (1016)",
          "Callbacks pile up because the webhook does not answer 200 in time (field case R21).",
          "fix the webhook endpoint (status 200, fast); scaling Coreapps will not help"),
    Entry("NOT_PRIMARY_MASTER_1017", "info", "not the primary master (1017)",
          "A master-only request reached a secondary master, e.g. during a master takeover.", "retry in a few seconds"),
    Entry("NOT_PRIMARY_COREAPP_1018", "info", "not the primary Coreapp (1018)",
          "The request reached a Coreapp that does not own the shard, e.g. during a failover.", "retry in a few seconds"),
    Entry("ADMIN_PASSWORD_CHANGE_REQUIRED", "warning", "the admin password must be changed (1024)",
          "The first login with the default password must set a new one (field case R28).",
          "log in once with new_password (wabiz-tui does it from webapp.admin_password)"),
    Entry("HEALTH_AUTH_FAILED", "error", "the API refused the credentials (401)",
          "A credentials or token problem, not an outage (field case R16).",
          "check webapp.admin_user and webapp.admin_password in the profile"),
    # --- transport -----------------------------------------------------------------------------------
    Entry("WEBAPP_UNREACHABLE", "error", "the Webapp does not answer",
          "No connection to the Webapp's HTTPS port: the waweb container is down, or the port/firewall is wrong.",
          "check the waweb container (docker-compose ps / logs waweb) and the port in webapp.url"),
    Entry("WEBAPP_TLS_UNTRUSTED", "error", "the Webapp's certificate is not trusted",
          "TLS verification failed (a self-signed certificate without its CA, or the wrong name).",
          "give webapp.ca_file, or accept the self-signed certificate explicitly; never use http://"),
    Entry("WEBAPP_DNS", "error", "the Webapp's host name does not resolve", "DNS has no answer for the host in webapp.url.",
          "fix the name in webapp.url or add it to DNS / /etc/hosts"),
    # --- health situations (design.md §4) --------------------------------------------------------------
    Entry("CLUSTER_UNREGISTERED", "info", "the number is not registered yet",
          "The primary master says unregistered: expected before step 8.", "register (POST /v1/account), then verify the code"),
    Entry("SHARDS_UNDER_CONNECTED", "error", "a shard has no connected Coreapp",
          "Fewer Coreapps are connected than there are shards: messages for those shards fail.",
          "start the missing Coreapps, or wait for a standby to take over"),
    Entry("SPLIT_BRAIN", "error", "more Coreapps connected than shards",
          "Two owners for a shard (field case R18).", "stop the extra Coreapp and check the masters' DB connectivity"),
    Entry("NO_SPARE_COREAPP", "warning", "no standby Coreapp",
          "Every Coreapp serves a shard: one failure leaves a shard unserved (shards + X rule).",
          "start one more Coreapp on a new host"),
    Entry("PRIMARY_MASTER_COUNT", "error", "not exactly one primary master",
          "Registration, configuration and failover need exactly one primary master.",
          "check the master containers and their DB connectivity"),
    Entry("NODE_MISSING", "error", "a planned node is missing from health",
          "Its container is down or its host unreachable.", "docker-compose ps on that host; start the container"),
    Entry("NODE_NOT_IN_PLAN", "warning", "a node that is not in the plan",
          "A container runs on a host or with a role the profile does not list.", "add it to the profile or stop it"),
)}

# --- certificates, duplicate registration, monitoring stack, common Docker/DB/TLS faults ------------------
# (field cases R23, R27 and kinds an on-call engineer meets that field-cases.md does not list)
_MORE_ENTRIES = (
    Entry("CERT_ERROR_43X", "error", "certificate error {code}: download a new certificate and re-register",
          "Meta's error table (developers.facebook.com/docs/whatsapp/api/errors): 430 certificate unsigned, 432 certificate ID "
          "mismatch, 433 certificate signature invalid. It follows a re-install with different keys, or a certificate that "
          "belongs to another number or install (field case R23).",
          "download a new certificate for this number from WhatsApp Manager, put it in registration.cert and register again "
          "(step 8)"),
    Entry("DUPLICATE_REGISTRATION_RISK", "error", "this number is also in another saved cluster profile",
          "Only one instance may be registered per phone number: registering a second cluster with the same cc/phone_number "
          "disconnects the first, and several clusters running one number can get the account temporarily banned "
          "(On-Premises FAQ, HA guide; field case R23).",
          "register only if the other cluster is retired (uninstall it first); otherwise use another number"),
    Entry("COMPOSE_ENV_FILE_NOT_LOADED", "warning", "compose ran without a value for {var}: its .env was not read",
          "compose substitutes an empty string for ${{{var}}}. Compose reads .env from the project directory (the directory "
          "of the first -f file, or --project-directory), not from the directory the file sits in when it is run from "
          "elsewhere (field case R27).",
          "run compose with --project-directory DIR (the directory holding .env) or --env-file FILE, or pass {var}=… on the "
          "command line (wabiz-tui passes its own variables that way)",
          r"The \\?\"?(?P<var>[A-Za-z_][A-Za-z0-9_]*)\\?\"? variable is not set\. Defaulting to a blank string"),
    Entry("SCRAPE_PORT_BLOCKED", "warning", "a monitoring scrape timed out (context deadline exceeded)",
          "Prometheus could not read an exporter (node-exporter 9100, mysqld-exporter 9104, cAdvisor 8080) in time, or "
          "mysqld-exporter could not reach the DB: packets are dropped on the way, typically by a firewall (field case R27).",
          "from the monitoring host run nc -vz -w 3 HOST PORT; open 9100/8080 on every host and 9104 on the exporter's host; "
          "run monitoring on its own machine",
          r"^(?!.*/v2/).*context deadline exceeded"),
    Entry("DISK_FULL", "error", "no space left on the device",
          "A write failed because the filesystem is full: docker pulls and container logs live under /var/lib/docker, "
          "media under the media volume.",
          "free space (docker system prune, old images, rotated logs) or grow the disk, then retry the step",
          r"no space left on device"),
    Entry("OCI_RUNTIME_FAILED", "error", "the container runtime could not start the container",
          "Docker's runtime (runc) refused to create the container: a bad mount source, a missing executable, a cgroup or "
          "seccomp problem on the host, or a daemon that needs a restart.",
          "read the rest of the quoted line (it names the cause); check mounts in the compose file, then "
          "sudo systemctl restart docker and retry",
          r"OCI runtime (create|exec|start) failed|failed to create shim task"),
    Entry("REGISTRY_UNREACHABLE", "error", "the host cannot reach the image registry",
          "docker could not connect to docker.whatsapp.biz: no DNS answer, a firewall or a proxy in the way (this is not a "
          "refusal: the registry was never reached).",
          "from the host: curl -sI https://docker.whatsapp.biz/v2/; fix DNS, the outbound firewall (443) or the daemon's "
          "proxy settings",
          r"Get \"?https://[^\s\"]+/v2/\"?: .*(no such host|i/o timeout|connection refused|TLS handshake timeout|"
          r"Client\.Timeout|context deadline exceeded|network is unreachable)"),
    Entry("COMPOSE_FILE_INVALID", "error", "compose cannot read the compose file",
          "The file is not valid YAML or uses keys this compose version does not know (a hand edit, tabs, a bad indent).",
          "upload the generated file again (step 2), or check it with docker-compose config",
          r"The Compose file .* is invalid because|yaml\.(scanner|parser)\.\w+Error|Additional property \S+ is not allowed"),
    Entry("DOCKER_NETWORK_POOL_EXHAUSTED", "error", "Docker has no free address pool for the project network",
          "Every default address pool is in use by other networks (old projects, VPN routes), so compose cannot create "
          "the project's network.",
          "remove unused networks (docker network prune) or add default-address-pools in /etc/docker/daemon.json",
          r"could not find an available, non-overlapping IPv4 address pool"),
    Entry("DB_TOO_MANY_CONNECTIONS", "error", "the database refuses new connections: too many connections",
          "The DB server reached max_connections; every Coreapp, Master and Webapp keeps a pool of connections.",
          "raise max_connections on the DB server (the official Postgres example uses 500), or find what holds the "
          "connections (SHOW PROCESSLIST / pg_stat_activity)",
          r"Too many connections|too many clients already|remaining connection slots are reserved"),
    Entry("DB_CONNECTION_LOST", "warning", "the database closed an open connection",
          "Connections were cut while in use: the server's wait_timeout, a load balancer or firewall idle timeout shorter "
          "than the client's, or the DB restarting.",
          "set WA_DB_CONNECTION_IDLE_TIMEOUT (ms, MySQL) below the server's wait_timeout and any idle timeout on the path; "
          "check the DB server's uptime",
          r"Lost connection to MySQL server|MySQL server has gone away|server closed the connection unexpectedly"),
    Entry("DB_ERROR_1023", "error", "database error (1023)",
          "The Webapp or a Coreapp got an error from the database (wa-onprem-api.md §3.2).",
          "read the Coreapp/Master logs for the DB error; check the DB server's health, disk and connection limits"),
    Entry("WEBAPP_TLS_EXPIRED", "error", "the Webapp's certificate has expired (or is not valid yet)",
          "TLS verification failed on the certificate's dates: it expired, or this machine's clock is off.",
          "install a renewed certificate on the Webapp (Meta's /v1/certificates edge) or on the load balancer in front "
          "of it, and check this machine's clock (NTP)"),
    Entry("WEBAPP_NOT_TLS", "error", "the Webapp port does not speak TLS (plain HTTP?)",
          "Something answered the TLS handshake in plain text (OpenSSL: WRONG_VERSION_NUMBER): an HTTP service, "
          "a proxy without TLS, or another port than the Webapp's. Not a certificate problem.",
          "point webapp.url at the Webapp's HTTPS port (EXTERNAL_WEBAPP_PORT, 9090 by default) or at an HTTPS load balancer"),
    Entry("WEBAPP_TLS_NAME_MISMATCH", "error", "the Webapp's certificate is for another name",
          "The certificate does not list the host name or IP used in webapp.url.",
          "use in webapp.url the name the certificate was issued for, or issue a certificate with that name"),
)
CATALOGUE.update({e.key: e for e in _MORE_ENTRIES})

# --- database facts read by logging in (preflight, field cases R06 and R10; domain.dbsupport) -----------
CATALOGUE.update({e.key: e for e in (
    Entry("DB_VERSION_UNSUPPORTED", "error", "the database server version is not supported by this client version",
          "The server answered a version outside the matrix for WA_API_VERSION: older clients support MySQL 5.7 or "
          "PostgreSQL 9.5/9.6/10, newer ones MySQL 5.7/8.0 or PostgreSQL 11/12/13 (Meta's production-setup pages, "
          "field case R06).",
          "use a supported server version (see the reason), or a client version that supports this server"),
    Entry("DB_AUTH_PLUGIN_UNSUPPORTED", "error", "the MySQL user's auth plugin is not mysql_native_password",
          "MySQL 8 creates users with caching_sha2_password by default; the client logs in with mysql_native_password "
          "(the official compose files start MySQL 8 with --default-authentication-plugin=mysql_native_password, "
          "field case R06).",
          "ALTER USER 'user'@'host' IDENTIFIED WITH mysql_native_password BY '<password>'; or start the server with "
          "--default-authentication-plugin=mysql_native_password and create the user again",
          # MySQL client errors 2059 and 1251; a server greeting merely naming the plugin is no fault
          r"Authentication plugin '?caching_sha2_password'? (cannot be loaded|is not supported)|"
          r"Client does not support authentication protocol requested by server"),
)})

# --- the Webapp's own certificate (docs/field-reports.md FR17: an invalid bundle uploaded to /v1/certificates/external
# keeps the web server from starting). OpenSSL's words: Python 3.11 / OpenSSL 3.0 here, for a key that does not match
# the certificate "[X509: KEY_VALUES_MISMATCH] key values mismatch" and for a truncated PEM "[SSL] PEM lib";
# `openssl x509` says "Could not read certificate"; OpenSSL 1.x servers log "X509_check_private_key:key values mismatch".
CATALOGUE.update({e.key: e for e in (
    Entry("WEBAPP_CERT_INVALID", "error", "the Webapp's own certificate or key cannot be loaded",
          "The web server refuses its certificate bundle at start (a key that does not match the certificate, a truncated "
          "or reordered PEM file), so the Webapp does not come back after a restart (FR17).",
          "upload a valid bundle again (private key, certificate, then the intermediate CA certificates, in that order) or "
          "remove the uploaded one so the default self-signed certificate is used; check it first: the public keys of "
          "openssl x509 -noout -pubkey and openssl pkey -pubout must be equal",
          r"key values mismatch|\[SSL\] PEM lib|Could not read certificate|PEM_read_bio_X509|"
          r"SSL_CTX_use_(PrivateKey|certificate)\w*(_file)?\(.*\) failed"),
)})

# --- the Webapp's settings file unreadable (docs/field-reports.md FR21, WhatsApp-Business-API-Setup-Scripts#26): the
# Webapp log says "Exception: Fail to read /var/lib/whatsapp/database.yml" and PHP "file_get_contents(...database.yml):
# failed to open stream: Permission denied"; the API then answers 500 / 1014, which here is not "Coreapp down" (R21).
CATALOGUE.update({e.key: e for e in (
    Entry("WEBAPP_SETTINGS_UNREADABLE", "error", "the Webapp cannot read its own settings file (database.yml)",
          "The web server user cannot read /var/lib/whatsapp/database.yml, written at the Webapp's start: logins answer "
          "HTTP 500 or error 1014 although the Coreapps may be fine (FR21; a volume or security context that changes "
          "the file's owner or mode).",
          "inside waweb, compare `stat -c '%U %G %a' /var/lib/whatsapp/database.yml` with the user the web server runs "
          "as; remove whatever changes the owner or mode of /var/lib/whatsapp (a volume mount, a securityContext, an "
          "fsGroup) and restart the Webapp",
          r"Fail to read /var/lib/whatsapp/database\.yml|database\.yml\): failed to open stream: Permission denied"),
)})

# --- libpq refusing the Coreapp's PostgreSQL connect options (docs/field-reports.md FR09, Setup-Scripts issue 81: the
# Coreapp logs `QSqlError("", "QPSQL: Unable to connect", "invalid connection option \"SSL_CA\"\n")`; libpq 15 here
# prints the same words for psql, `psql: error: invalid connection option "SSL_CA"`).
CATALOGUE.update({e.key: e for e in (
    Entry("DB_PG_OPTION_INVALID", "error", "libpq refuses the connection option {option}",
          "The Coreapp hands PostgreSQL's client library (libpq) a connection option it does not know, so it never "
          "connects. WA_DB_SSL_CA/CERT/KEY are MySQL settings: with WA_DB_ENGINE=PGSQL the Coreapp passes them on as "
          "SSL_CA/SSL_CERT/SSL_KEY, which libpq has no option for (FR09); a misspelt libpq option in "
          "WA_DB_CONNECTION_OPTION fails the same way.",
          "remove WA_DB_SSL_CA, WA_DB_SSL_CERT and WA_DB_SSL_KEY from db.env and give libpq's own options in "
          "WA_DB_CONNECTION_OPTION, separated by ';' (sslmode=verify-full;sslrootcert=<CA path inside the container>; "
          "sslcert=/sslkey= for a client certificate), then start the Coreapps again",
          r'invalid connection option \\?"(?P<option>[^"\\]+)\\?"'),
)})

_LOG_LINE = re.compile(r"^(?:\S+\s+\|\s+)?([DIWEC]) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? UTC \S+ (\S+:\d+)\] (.*)$")
_TEXT_ENTRIES = [(re.compile(e.pattern, re.IGNORECASE), e) for e in CATALOGUE.values() if e.pattern]


def _make(key: str, evidence: str = "", host: str = "", fields: dict[str, str] | None = None) -> Diagnosis:
    e = CATALOGUE[key]
    if fields:  # an entry whose pattern names groups says what it found (e.g. the variable), see _MORE_ENTRIES
        return Diagnosis(e.key, e.severity, e.title.format(**fields), e.explanation.format(**fields),
                         e.next_action.format(**fields), evidence.strip()[:300], host)
    return Diagnosis(e.key, e.severity, e.title, e.explanation, e.next_action, evidence.strip()[:300], host)


def log_level(line: str) -> str | None:
    """The level letter (D, I, W, E, C) of a Coreapp/Master log line, or None for other lines."""
    m = _LOG_LINE.match(line.strip())
    return m.group(1) if m else None


def diagnose_lines(lines: Iterable[str], host: str = "") -> list[Diagnosis]:
    """Recognise catalogued faults in output lines (compose, docker, container logs); each key once,
    with its first evidence line. Coreapp log lines: the first C line gives COREAPP_FATAL, W/E lines
    COREAPP_WARNING; D and I lines never escalate (field case R12)."""
    found: dict[str, Diagnosis] = {}
    for line in lines:
        level = log_level(line)
        if level == "C" and "COREAPP_FATAL" not in found:
            found["COREAPP_FATAL"] = _make("COREAPP_FATAL", line, host)
        elif level in ("W", "E") and "COREAPP_WARNING" not in found:
            found["COREAPP_WARNING"] = _make("COREAPP_WARNING", line, host)
        if level in ("D", "I"):
            continue  # information only; a retry loop becomes a finding by its count (diagnose_retry_loop)
        for regex, entry in _TEXT_ENTRIES:
            m = regex.search(line) if entry.key not in found else None
            if m:
                found[entry.key] = _make(entry.key, line, host, m.groupdict())
    return list(found.values())


def diagnose_retry_loop(lines: Iterable[str], host: str = "", *, min_repeats: int = 10) -> Diagnosis | None:
    """DB_SCHEMA_INIT_STUCK when 'will retry' initialisation lines repeat at least ``min_repeats`` times."""
    retries = [line for line in lines if "Failed to initialize cluster manager, will retry" in line]
    return _make("DB_SCHEMA_INIT_STUCK", retries[-1], host) if len(retries) >= min_repeats else None


def info_retries(lines: Iterable[str]) -> list[str]:
    """The D/I-level lines of a Coreapp/Master log that say "will retry" (``I ... Failed to initialize cluster
    manager, will retry after 8000 ms``): information while a node starts, not an error (field case R12: the
    maintainer, Setup-Scripts #36: error lines start with W)."""
    return [line for line in lines if log_level(line) in ("D", "I") and "will retry" in line]


_API_KEYS = {1006: "NOT_FOUND_1006", 1011: "SERVICE_NOT_READY_1011", 1014: "COREAPP_DOWN_1014",
             1016: "CALLBACK_BACKLOG_1016", 1017: "NOT_PRIMARY_MASTER_1017", 1018: "NOT_PRIMARY_COREAPP_1018",
             1024: "ADMIN_PASSWORD_CHANGE_REQUIRED"}


def diagnose_api_error(status: int, code: int = 0, details: str = "", title: str = "") -> Diagnosis | None:
    """An API error (HTTP status, envelope code/details) as a catalogue entry, or None when unknown."""
    evidence = f"HTTP {status}" + (f" code {code} {title}: {details}" if code else "")
    if code == 1005 and "biz_link_on_prem_reg_blocked" in details:
        return _make("REGISTRATION_SUNSET", evidence)
    if code == 1005:
        return _make("ACCESS_DENIED_1005", evidence)
    if code in _API_KEYS:
        return _make(_API_KEYS[code], evidence)
    if code in CERT_ERROR_CODES:
        return _make("CERT_ERROR_43X", evidence, fields={"code": str(code)})
    if code == 1023:
        return _make("DB_ERROR_1023", evidence)
    if status == 401:
        return _make("HEALTH_AUTH_FAILED", evidence)
    return None


def diagnose_transport(kind: str, message: str) -> Diagnosis | None:
    """A transport failure of the API client (``kind`` unreachable, timeout, tls, not_tls, dns, auth)."""
    key = {"unreachable": "WEBAPP_UNREACHABLE", "timeout": "WEBAPP_UNREACHABLE", "tls": "WEBAPP_TLS_UNTRUSTED",
           "not_tls": "WEBAPP_NOT_TLS", "dns": "WEBAPP_DNS", "auth": "HEALTH_AUTH_FAILED"}.get(kind)
    if kind == "tls":
        key = _tls_key(message) or key
    return _make(key, message) if key else None


def diagnose_verdict(verdict: ClusterVerdict) -> list[Diagnosis]:
    """Health situations of a verdict as catalogue entries (each once)."""
    out: list[Diagnosis] = []
    keys: set[str] = set()

    def add(key: str, evidence: str, host: str = "") -> None:
        """Append catalogue entry ``key`` (with its evidence line and host) unless it is already there."""
        if key not in keys:
            keys.add(key)
            out.append(_make(key, evidence, host))

    # the cluster's own word, not the plan's: a kept DB can hold a registered number the run state forgot
    if not verdict.registered and any(r.host == verdict.primary_master and r.actual_role == "primary_master"
                                      and r.actual_status == "unregistered" for r in verdict.nodes):
        add("CLUSTER_UNREGISTERED", f"primary master {verdict.primary_master} is unregistered")
    for p in verdict.problems:
        if p.startswith("no standby"):
            add("NO_SPARE_COREAPP", p)
        elif "unserved" in p:
            add("SHARDS_UNDER_CONNECTED", p)
        elif "split brain" in p:
            add("SPLIT_BRAIN", p)
        elif "primary master" in p:
            add("PRIMARY_MASTER_COUNT", p)
        elif "not in the plan" in p:
            add("NODE_NOT_IN_PLAN", p)
    for n in verdict.nodes:
        if n.actual_status == "missing":
            add("NODE_MISSING", f"{n.expected_role} on {n.host}: missing", n.host)
        elif n.actual_status.startswith("error 1011") and n.level is not Level.OK:
            add("SERVICE_NOT_READY_1011", f"{n.host}:{n.container_id} {n.actual_status}", n.host)
    return out


# --- certificate errors, message statuses, TLS refinements, duplicate registration (R23 and kinds beyond the file) ---
#: Meta's error table: 430 certificate unsigned, 432 certificate ID mismatch, 433 certificate signature invalid
#: (developers.facebook.com/docs/whatsapp/api/errors; field case R23).
CERT_ERROR_CODES = frozenset({430, 432, 433})

_TLS_EXPIRED = re.compile(r"certificate has expired|certificate is not yet valid", re.IGNORECASE)
_TLS_NAME = re.compile(r"hostname mismatch|ip address mismatch|doesn't match|does not match", re.IGNORECASE)


def _tls_key(message: str) -> str | None:
    """A more precise TLS key than WEBAPP_TLS_UNTRUSTED when OpenSSL's reason says why (Python's ssl wording)."""
    if _TLS_EXPIRED.search(message):
        return "WEBAPP_TLS_EXPIRED"
    if _TLS_NAME.search(message):
        return "WEBAPP_TLS_NAME_MISMATCH"
    return None


def diagnose_statuses(body: object) -> list[Diagnosis]:
    """Catalogued errors in message statuses: a webhook body ``{"statuses": [...]}``, a list of status items,
    or one item ``{"id", "status": "failed", "errors": [{"code", "title", "details"?, "href"?}]}``
    (wa-onprem-api.md §3.2). Each key once, the evidence naming the message id and the error."""
    if isinstance(body, dict) and "statuses" in body:
        body = body.get("statuses")
    items = body if isinstance(body, list) else [body]
    found: dict[str, Diagnosis] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        for err in item.get("errors") or ():
            if not isinstance(err, dict):
                continue
            try:
                code = int(err.get("code", 0))
            except (TypeError, ValueError):
                continue
            d = diagnose_api_error(0, code, str(err.get("details", "")), str(err.get("title", "")))
            if d is not None and d.key not in found:
                evidence = f"message {item.get('id', '?')} {item.get('status', '')}: code {code} {err.get('title', '')}".strip()
                found[d.key] = Diagnosis(d.key, d.severity, d.title, d.explanation, d.next_action, evidence[:300])
    return list(found.values())


def _digits(text: str) -> str:
    return "".join(c for c in str(text) if c.isdigit())


def same_number(a: ClusterProfile, b: ClusterProfile) -> bool:
    """Whether two profiles register the same ``cc`` + ``phone_number`` (digits compared; empty never matches)."""
    ra, rb = a.registration, b.registration
    return bool(_digits(ra.phone_number)) and (_digits(ra.cc), _digits(ra.phone_number)) == (_digits(rb.cc), _digits(rb.phone_number))


def diagnose_duplicate_number(profile: ClusterProfile, others: Iterable[ClusterProfile]) -> Diagnosis | None:
    """DUPLICATE_REGISTRATION_RISK when another saved profile (another ``name``) has the same cc/phone_number.

    ``others`` is every saved profile (the caller reads them; this one, by name, is skipped). The evidence
    names each other cluster, whether it is marked installed, and its DB server and ``WA_DB_NAME_PREFIX``
    (field case R23: one instance per number)."""
    clashes = [o for o in others if o.name != profile.name and same_number(profile, o)]
    if not clashes:
        return None
    r = profile.registration
    parts = []
    for o in clashes:
        db = f"DB {o.db.hostname}" + (f" prefix {o.db.name_prefix}" if o.db.name_prefix else "")
        same_db = o.db.hostname == profile.db.hostname and o.db.name_prefix == profile.db.name_prefix
        parts.append(f"{o.name} ({'installed' if o.installed else 'not marked installed'}, {db}"
                     f"{', the same DB and prefix as this cluster' if same_db else ''})")
    return _make("DUPLICATE_REGISTRATION_RISK", f"+{_digits(r.cc)} {r.phone_number} is also in: {'; '.join(parts)}")


def diagnosis_for(key: str, evidence: str = "", host: str = "", **fields: str) -> Diagnosis:
    """The catalogue entry ``key`` as a :class:`Diagnosis` for a fault a check observed directly (e.g. a probe
    that timed out); ``fields`` fill the entry's placeholders. Raises KeyError for an unknown key."""
    return _make(key, evidence, host, fields or None)
