"""``doctor`` rules for the path the containers take, apart from the hosts' own (issue 16, a new user's trial on the lab
of real parts): a block only the containers see, a name a host resolves differently from the others, a DB host name
that does not resolve. Appended to :data:`.doctor_rules.RULES` as :data:`PATH_RULES` (how a rule is written:
:mod:`.doctor`).

Why the containers' path is its own: a host's own connections (doctor's SSH ``direct-tcpip`` probes, ``getent``)
leave through the host's iptables ``OUTPUT`` chain, a container's through ``FORWARD`` (Docker's ``DOCKER-USER``
chain first) and Docker's NAT. A rule there (``iptables -I DOCKER-USER -d 10.213.0.104 -p tcp --dport 6250 -j
REJECT``, observed on the lab) stops the Webapp container reaching a Coreapp while every host probe answers. The
evidence that points there: the Webapp's per-node error (``error 1014 ... connection to wa-core-1:6250 failed:
Connection refused``) and a container's log stuck at ``Waiting for database HOST:PORT``; doctor then connects from
inside that container (:func:`inside_connect`) and these rules compare the two paths.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter, defaultdict
from typing import Iterable, NamedTuple

from .doctor import (HIGH, MEDIUM, P_API, P_CONTAINER, P_DB_LOGIN, P_DNS, P_DNS_CONTAINER, P_ENV, P_LOGS, P_TCP, Fact,
                     Facts, Found, Rule)
from .doctor_rules_base import API_KEYS, Outcome

#: a TCP connection from inside a running container (``docker exec``), made where the evidence points at the
#: containers' path. data: {"service", "container", "target", "port", "what": "db"|"webapp"|"master"|"coreapp"|
#: "egress", "timeout": bool, "tool": "bash"|"python3"|"nc", "lead": the fact's line that pointed here}
P_CONTAINER_TCP = "tcp.container"

#: The Webapp's per-node error details when it could not reach a node (the lab's stand-in Webapp, modelled on the
#: 1014 envelope "Connection timed out. Please check if wacore is running" of wa-onprem-api.md §3.2):
#: ``connection to wa-core-1:6250 failed: Connection refused`` / ``connection to wa-core-1:6250 timed out``.
_CONNECTION = re.compile(r"connection to (?P<target>[A-Za-z0-9_.\-]+):(?P<port>\d+)"
                         r"(?: (?P<timeout>timed out)| failed: (?P<why>[^.]+))")
#: A container's start-up wait for its DB (the compose files' ``wait_on_mysql.sh`` / ``wait_on_postgres.sh``; the
#: lab's stand-in prints ``Waiting for database wa-db.lab.internal:3306 ...`` then ``Still waiting for database
#: wa-db.lab.internal:3306 (10 attempts)``; the real script's words are not public).
DB_WAITING = re.compile(r"(?:Still w|W)aiting for database (?P<target>[A-Za-z0-9_.\-]+):(?P<port>\d+)")
#: What a resolver says when a name does not resolve: glibc ``Name or service not known`` (EAI_NONAME) and
#: ``Temporary failure in name resolution`` (EAI_AGAIN, observed on the lab for a mistyped WA_DB_HOSTNAME through
#: dnsmasq), PostgreSQL's ``could not translate host name``, MySQL's ``Unknown MySQL server host``.
NAME_FAILED = re.compile(r"Name or service not known|Temporary failure in name resolution|could not translate host "
                         r"name|Unknown MySQL server host|nodename nor servname|No address associated with hostname",
                         re.I)
#: ``docker exec`` into a container that is not running (Docker 20.10): ``Error response from daemon: Container ID is
#: restarting, wait until the container is running`` / ``... is not running``: nothing was probed. When the container
#: stops between the exec's create and its start, the daemon answers the start with 409 Conflict and the docker
#: client's hijack says ``unable to upgrade to tcp, received 409`` (moby's ``client/hijack.go``, which docker/cli vendors; observed in CI
#: on a crash-looping Coreapp, stop 23): nothing was probed either.
NOT_RUNNING = ("is restarting", "is not running", "is paused", "unable to upgrade to tcp, received 409")
_NO_TOOL = ("executable file not found", "not found", "No such file")


def connection_failure(text: str) -> tuple[str, int, str] | None:
    """``(target, port, how)`` from a "connection to HOST:PORT failed: WHY" / "... timed out" text (the Webapp's
    per-node error details), ``how`` in :func:`how_failed`'s words; None when the text names no connection."""
    m = _CONNECTION.search(text or "")
    if not m:
        return None
    return m["target"], int(m["port"]), how_failed(m["why"] or "", bool(m["timeout"]))


def db_waiting(line: str) -> tuple[str, int] | None:
    """``(host, port)`` of a "Waiting for database HOST:PORT" line, or None."""
    m = DB_WAITING.search(line or "")
    return (m["target"], int(m["port"])) if m else None


def db_wait_is_current(newest_line: str, *, crash_loop: bool, other_errors: bool) -> bool:
    """Whether a container's newest log line, a wait for its DB (:data:`DB_WAITING`), says the container is stuck
    waiting now. In a crash loop the first "Waiting for database" line is how every new start begins (the compose
    command runs ``wait_on_mysql.sh`` first), so when the log holds other error words (the previous run's fatal line)
    those explain the loop, not the wait: observed in CI on the lab, stop 24, a Coreapp exiting 1 at each start whose
    log, read just after Docker restarted it, ended on its new wait line. A "Still waiting" line is a wait of 10 s and
    more, current in any state. ``newest_line``: the log's newest non-blank line; bool."""
    if db_waiting(newest_line) is None:
        return False
    return not (crash_loop and other_errors and "Still waiting" not in newest_line)


def how_failed(text: str, timeout: bool = False) -> str:
    """A failed connection in words an operator acts on: ``timed out`` (packets dropped), ``rejected (no route to
    host)`` (an ICMP reject, iptables ``--reject-with icmp-host-prohibited``: ``No route to host``, observed on the
    lab), ``name does not resolve``, else ``refused`` (nothing listens, or a ``tcp-reset`` reject)."""
    if timeout or re.search(r"timed out|no answer", text, re.I):
        return "timed out"
    if re.search(r"No route to host|Host is unreachable|Network is unreachable|prohibited", text, re.I):
        return "rejected (no route to host)"
    if NAME_FAILED.search(text):
        return "name does not resolve"
    return "refused"


def inside_connect(target: str, port: int, timeout: float) -> list[tuple[str, str]]:
    """The commands, in order, that open one TCP connection from inside a container (each run with ``docker exec
    CID``): ``(tool, command)``. Images differ: bash's ``/dev/tcp`` (bash and coreutils' ``timeout``; the lab's
    stand-ins are Debian with both), python3's ``socket``, then ``nc -z`` (Meta's debug tool, WADebug, uses it; busybox
    ``nc`` has no ``-z``: lab-facts §9). A tool that is missing answers 126/127 and the next one is tried."""
    t, p, h = f"{timeout:g}", int(port), shlex.quote(target)
    dev = shlex.quote(f"</dev/tcp/{target}/{p}")
    py = shlex.quote("import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3]))")
    return [("bash", f"timeout {t} bash -c {dev}"), ("python3", f"python3 -c {py} {h} {p} {t}"),
            ("nc", f"nc -z -w {t} {h} {p}")]


class InsideAnswer(NamedTuple):
    """What one :func:`inside_connect` command answered: ``ok`` (None: nothing was probed), the line to show, whether
    it timed out, and ``why`` when nothing was probed."""

    ok: bool | None
    line: str
    timeout: bool = False
    why: str = ""


def read_inside(status: int | None, lines: Iterable[str]) -> InsideAnswer:
    """Judge one :func:`inside_connect` command's exit status and output (stdout and stderr). ``why`` "tool missing"
    means: try the next command. Observed on the lab (Docker 20.10, Debian stand-in images): refused ``bash: connect:
    Connection refused`` (exit 1), dropped: exit 124 with no output (``timeout``)."""
    text = [l.strip() for l in lines if l.strip()]
    joined = " ".join(text)
    if any(w in joined for w in NOT_RUNNING):
        return InsideAnswer(None, text[0], why="not checked (container restarting or stopped)")
    if status == 0:
        return InsideAnswer(True, "connected")
    if status == 124:
        return InsideAnswer(False, "no answer (timed out)", timeout=True)
    if status in (126, 127) or (status == 1 and any(w in joined for w in _NO_TOOL) and "/dev/tcp" not in joined
                                and not NAME_FAILED.search(joined)):
        return InsideAnswer(None, text[-1] if text else f"status {status}", why="tool missing")
    if "invalid option" in joined or "unrecognized option" in joined or "Usage:" in joined:
        return InsideAnswer(None, text[0], why="tool missing")  # busybox nc: no -z
    # the resolver's words first (bash: "bash: line 1: NAME: Name or service not known", then "/dev/tcp/...: Invalid
    # argument", observed on the lab), then bash's "bash: connect: Connection refused"; python3 ends its traceback
    # with the error
    first = (next((l for l in text if NAME_FAILED.search(l)), None) or next((l for l in text if l.startswith(
        "bash: connect:")), None) or (text[-1] if text else f"status {status}"))
    return InsideAnswer(False, first, timeout=bool(re.search(r"timed out", joined, re.I)))


# --- facts the rules read ---------------------------------------------------------------------------------------
def node_errors(facts: Facts) -> list[Fact]:
    """The Webapp's per-node errors that name a failed connection (``P_API`` ``kind`` ``node_error``)."""
    return [f for f in facts.where(P_API, kind="node_error") if f.get("target")]


def waiting_for_db(facts: Facts) -> list[Fact]:
    """Log facts of containers whose newest line is still the wait for the DB."""
    return [f for f in facts.where(P_LOGS, key="DB_WAITING") if f.ok is False]


#: The catalogue's (:mod:`.diagnosis`) words of a container that cannot reach its DB, in any image's log (the wait
#: above is the lab's stand-in's only).
DB_FAILED_WORDS = ("DB_UNREACHABLE", "DB_HOST_UNRESOLVABLE")


def db_failed_words(facts: Facts) -> list[tuple[Fact, Fact]]:
    """``(log fact, login fact)``: a container's catalogued "cannot reach the DB" words while its host's own DB login
    (with that host's db.env values, data "target"/"port") gets in."""
    out = []
    for w in facts.where(P_LOGS):
        login = next((l for l in facts.good(P_DB_LOGIN, host=w.host) if l.get("target") and l.get("port")), None)
        if w.get("key") in DB_FAILED_WORDS and w.ok is False and w.host and login is not None:
            out.append((w, login))
    return out


class Lead(NamedTuple):
    """A container path to probe: from ``service`` on ``host`` to ``target:port`` (``what``), because ``lead`` says it
    fails."""

    host: str
    service: str
    container: str
    target: str
    port: int
    what: str
    lead: Fact


def container_leads(facts: Facts) -> list[Lead]:
    """Where the evidence points at a container's own path: the Webapp's per-node connection errors (probed from every
    running Webapp container), a container waiting for its DB, and a container whose log says it cannot reach the DB
    while its host logs in (each probed from that container, to the DB its host logged in to). One lead per
    (host, service, target, port)."""
    running = [f for f in facts.where(P_CONTAINER) if f.get("running") and f.get("container")]
    out: dict[tuple[str, str, str, int], Lead] = {}
    for e in node_errors(facts):
        for c in running:
            if c.get("service") == "waweb":
                key = (c.host, "waweb", str(e.get("target")), int(e.get("port", 0)))
                out.setdefault(key, Lead(*key[:2], str(c.get("container")), *key[2:], str(e.get("what") or "node"), e))
    for w in waiting_for_db(facts):
        at = db_waiting(w.line)
        owner = next((c for c in running if c.host == w.host and c.get("service") == w.get("service")), None)
        if at and owner is not None:
            key = (w.host, str(w.get("service")), at[0], at[1])
            out.setdefault(key, Lead(*key[:2], str(owner.get("container")), *key[2:], "db", w))
    for w, login in db_failed_words(facts):
        owner = next((c for c in running if c.host == w.host and c.get("service") == w.get("service")), None)
        if owner is not None:
            key = (w.host, str(w.get("service")), str(login.get("target")), int(login.get("port")))
            out.setdefault(key, Lead(*key[:2], str(owner.get("container")), *key[2:], "db", w))
    return list(out.values())


def _host_path(facts: Facts, host: str, target: str, port: int) -> list[Fact]:
    """The host's own connections to ``target:port`` (doctor's TCP probes, the DB login's connection)."""
    return [f for f in facts.where(P_TCP, host=host) if f.get("target") == target and int(f.get("port", 0)) == port
            and f.ok is not None]


def _address(facts: Facts, host: str, name: str) -> str:
    f = next((f for f in facts.good(P_DNS, host=host, name=name)), None)
    return f.line.split()[0] if f is not None and f.line.split() else ""


def steadily_running(c: Fact) -> bool:
    """A container fact (:data:`P_CONTAINER`) that stayed running through doctor's whole sampling window (every
    sample ``running``, the words ``running...`` of the container probe, not ``restarting (exit code N, M
    restarts)``)."""
    return (bool(c.get("running")) and not c.get("missing") and c.line.startswith("running")
            and all(s == "running" for s in c.get("states") or ()))


def target_steady(facts: Facts, target: str) -> bool | None:
    """Whether the cluster host ``target``'s containers (dbupgrade, which exits by design, left out) all ran steadily;
    None when doctor has no container fact of it (not a cluster host, or not probed)."""
    mine = [c for c in facts.where(P_CONTAINER, host=target) if c.get("service") and c.get("service") != "dbupgrade"]
    return all(steadily_running(c) for c in mine) if mine else None


# --- the containers' path ----------------------------------------------------------------------------------------
def container_path_blocked(facts: Facts) -> Outcome:
    """A container cannot reach a port its host reaches: the host path is open, the containers' is blocked on that
    host (iptables FORWARD / DOCKER-USER, Docker's NAT), in the direction named. Proven by a connection from inside
    the container; where none could be made, the Webapp's own per-node error against an open host path says it with
    medium confidence. The host's probe and the container's run moments apart: a target container that restarts
    in between gives "the host can, the container cannot" too, so a cluster target must have run steadily through
    the sampling window (else CONTAINER_DOWN says it, not folded here); one whose containers were not checked gives
    medium confidence."""
    probed: set[tuple[str, str, int]] = set()
    for f in facts.where(P_CONTAINER_TCP):
        target, port = str(f.get("target")), int(f.get("port", 0))
        if f.ok is None:
            continue
        probed.add((f.host, target, port))
        host_path = _host_path(facts, f.host, target, port)
        open_ = [h for h in host_path if h.ok]
        if f.ok or not open_ or any(h.ok is False for h in host_path):
            continue  # the container gets through, or the host path fails too (the host-path rules say that)
        how = how_failed(f.line, bool(f.get("timeout")))
        if how == "name does not resolve":
            continue  # CONTAINER_NAME_UNRESOLVED / DB_NAME_UNRESOLVED say that
        steady = True if f.get("what") == "db" else target_steady(facts, target)
        if steady is False:
            continue
        what = "the database " if f.get("what") == "db" else ""
        address = _address(facts, f.host, target)
        # the fact that pointed here: the Webapp's words (this machine's API call) or this host's own log line
        lead = [x for x in facts.all if x.line == f.get("lead") and (x.probe == P_API or x.probe == P_LOGS
                                                                      and x.host == f.host)][:1]
        yield Found(f"the {f.get('service')} container on {f.host} cannot reach {what}{target}:{port} ({how}) while "
                    f"{f.host} itself can: the host path is open, the container path is blocked (DOCKER-USER/FORWARD "
                    f"on {f.host}, direction {f.host} -> {target}:{port})"
                    + ("" if steady else f"; {target}'s containers were not checked"), (f, open_[0], *lead),
                    f"on {f.host}, find the rule that stops containers' TCP to {target}"
                    + (f" ({address})" if address else "") + f" port {port}: sudo iptables -S DOCKER-USER; sudo "
                    "iptables -S FORWARD; sudo nft list ruleset (host-level rules, OUTPUT, do not show it: the host "
                    "itself gets through); remove it, then check again with wabiz-tui health", HIGH if steady else MEDIUM,
                    (f.host,) if f.get("what") == "db" else (f.host, target))
    for e in node_errors(facts):
        target, port = str(e.get("target")), int(e.get("port", 0))
        webapps = [c.host for c in facts.where(P_CONTAINER, service="waweb") if c.get("running")]
        for host in webapps if target_steady(facts, target) is not False else ():
            if (host, target, port) in probed:
                continue
            open_ = [h for h in _host_path(facts, host, target, port) if h.ok]
            if open_ and not [h for h in _host_path(facts, host, target, port) if h.ok is False]:
                yield Found(f"the Webapp cannot reach {target}:{port} ({e.get('how')}) while {host} itself can: the "
                            f"host path is open, the containers' path from {host} was not probed from inside (likely "
                            f"blocked by DOCKER-USER/FORWARD on {host})", (e, open_[0]),
                            f"on {host}: sudo iptables -S DOCKER-USER; sudo iptables -S FORWARD; look for a rule on "
                            f"TCP {port} to {target}; or run from inside the Webapp container: docker exec <waweb> "
                            f"timeout 3 bash -c '</dev/tcp/{target}/{port}'", MEDIUM, (host, target))


def hosts_file_addresses(lines: Iterable[str]) -> dict[str, str]:
    """``/etc/hosts`` read as name -> address; the first line naming a name wins, as glibc's ``files`` source reads
    it (hosts(5)); comments and blank lines skipped."""
    out: dict[str, str] = {}
    for line in lines:
        fields = line.split("#", 1)[0].split()
        for name in fields[1:]:
            out.setdefault(name, fields[0])
    return out


# --- one name, two addresses -------------------------------------------------------------------------------------
def _first_address(f: Fact) -> str:
    parts = f.line.split()
    return parts[0] if parts and is_address(parts[0]) else ""


def is_address(text: str) -> bool:
    """Whether ``text`` reads as an IPv4/IPv6 address (the first column of ``getent hosts``)."""
    return bool(re.fullmatch(r"[0-9a-fA-F:.]+", text)) and any(c in text for c in ".:")


def getent_addresses(lines: Iterable[str]) -> list[str]:
    """Every address ``getent hosts NAME`` printed, in its order: glibc's getent prints one line per address of the
    answer (``ADDRESS NAME ALIASES``; getent.c ``print_hosts``), so a round-robin, CDN or dual-stack name gives
    several."""
    out = [l.split()[0] for l in lines if l.split() and is_address(l.split()[0])]
    return list(dict.fromkeys(out))


def addresses(f: Fact) -> tuple[str, ...]:
    """The addresses of a :data:`P_DNS` / :data:`P_DNS_CONTAINER` fact: data "addresses" (all of them), else the
    first of its line."""
    got = f.get("addresses")
    if got:
        return tuple(str(a) for a in got)
    first = _first_address(f)
    return (first,) if first else ()


def name_mismatch(facts: Facts) -> Outcome:
    """A host resolves a cluster name to addresses none of the other hosts (nor its own containers) get: a stale
    ``/etc/hosts`` line or another DNS view; every connection from that host then goes elsewhere and reads as a
    firewall ("refused"). Every address of each answer is compared (a round-robin or CDN name answers in another
    order each time): only answers that share no address count. High confidence when that host's /etc/hosts pins
    the odd address, medium when its resolver gave it. A host's lookup of its own name is left out (it knows it from
    its /etc/hosts: Debian's 127.0.1.1), so is the registry's name (data "kind" "registry": a CDN)."""
    by_name: dict[str, list[tuple[Fact, frozenset[str]]]] = defaultdict(list)
    for f in facts.good(P_DNS) + facts.good(P_DNS_CONTAINER):
        got = frozenset(addresses(f))
        name = str(f.get("name"))
        if got and f.host != name and f.get("kind") != "registry":
            by_name[name].append((f, got))
    for name, seen in by_name.items():
        hosts_say = [(f, a) for f, a in seen if f.probe == P_DNS]
        counts = Counter(a for _, got in hosts_say for a in got)
        if not counts:
            continue
        common, n = counts.most_common(1)[0]
        if n <= len(hosts_say) - n:
            continue  # no majority: no way to tell which is stale
        for f, got in hosts_say:
            if common in got or got & frozenset().union(*(g for x, g in hosts_say if x is not f)):
                continue
            address = ", ".join(addresses(f))
            agree = [c for c, a in seen if c.probe == P_DNS_CONTAINER and c.host == f.host and common in a]
            source = f.get("hosts_file")
            pinned = bool(source) and source in got
            where = (f"its /etc/hosts says {source}" if pinned else
                     f"its resolver says {address}" + (" (no /etc/hosts line)" if source == "" else ""))
            witness = next(g for g, a in hosts_say if common in a)
            words = f"{n} other host(s)" + (f" and {f.host}'s own container" if agree else "")
            yield Found(f"{f.host} resolves {name} to {address}, not {common} as {words} do ({where}): its connections "
                        f"to {name} go to " + ("the wrong address" if pinned else "other addresses than the others'"),
                        (f, witness, *agree[:1]),
                        (f"correct or remove the {name} line in {f.host}'s /etc/hosts ({source} -> {common})"
                         if pinned else f"fix the DNS answer {f.host} gets for {name} (its /etc/resolv.conf "
                         f"servers), or pin {name} to {common} in its /etc/hosts")
                        + f"; then check again: getent hosts {name} on {f.host}", HIGH if pinned else MEDIUM,
                        (f.host, name))


# --- the DB host name ----------------------------------------------------------------------------------------
def db_name_unresolved(facts: Facts) -> Outcome:
    """The DB login from a host failed because db.env's WA_DB_HOSTNAME does not resolve there: the value (the login
    fact's data "target"), where it is set (the host's db.env, and whether it differs from the profile's), and the
    profile's value (the db.env fact's data "profile_hostname")."""
    for f in facts.bad(P_DB_LOGIN):
        if not f.host or not NAME_FAILED.search(f.line):
            continue
        value = str(f.get("target") or "")
        env = [e for e in facts.bad(P_ENV, host=f.host) if "WA_DB_HOSTNAME" in (e.get("differs") or ())]
        profile = next((str(e.get("profile_hostname")) for e in env if e.get("profile_hostname")), "")
        where = (f"{f.host}'s db.env sets WA_DB_HOSTNAME={value}" + (f", the profile says {profile}" if env and profile
                                                                    else ""))
        inside = [c for c in facts.where(P_CONTAINER_TCP, host=f.host) if c.get("target") == value]
        logs = [w for w in waiting_for_db(facts) if w.host == f.host]
        yield Found(f"the DB host name {value} does not resolve from {f.host} ({where})", (f, *env[:1], *logs[:1],
                                                                                          *inside[:1]),
                    (f"correct WA_DB_HOSTNAME in {f.host}'s db.env to {profile} (wabiz-tui install uploads the "
                     "profile's db.env again), then recreate the containers there (docker-compose up -d)" if env and profile
                     else f"make {value} resolve on {f.host} (DNS or /etc/hosts), or correct WA_DB_HOSTNAME in db.env and "
                          "the profile; then recreate the containers"), HIGH, (f.host,))


_CONTAINER_KEYS = frozenset({"CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "LOG_WORDS", "NOTHING_LISTENS"})
#: a blocked container path does not explain a container that is down or restarting (see container_path_blocked)
_PATH_CONTAINER_KEYS = frozenset({"LOG_WORDS", "NOTHING_LISTENS"})
_DB_WORDS = frozenset({"DB_UNREACHABLE", "DB_AUTH_FAILED", "DB_HOST_UNRESOLVABLE", "DB_WAITING"})

#: Rules of this module, appended to :data:`.doctor_rules.RULES` (placed before the port rules by it).
PATH_RULES: tuple[Rule, ...] = (
    Rule("NAME_MISMATCH", "one address per name on every host",
         "issue 16 trial: a stale /etc/hosts line (observed on the lab: wa-web-1 resolving wa-core-1 to 10.213.0.199)",
         name_mismatch, frozenset({"PORT_BLOCKED", "HOST_PATH_BLOCKED", "NOTHING_LISTENS"}), API_KEYS),
    Rule("DB_NAME_UNRESOLVED", "db.env's DB host name resolves on every host",
         "field case R02; issue 16 trial: WA_DB_HOSTNAME mistyped in one db.env (observed on the lab)", db_name_unresolved,
         frozenset({"ENV_DIFFERS", "DB_PATH_BLOCKED", "DB_CREDENTIALS", "CONTAINER_NAME_UNRESOLVED"}) | _DB_WORDS
         | _CONTAINER_KEYS | API_KEYS),
    Rule("CONTAINER_PATH_BLOCKED", "the containers' own path (FORWARD/DOCKER-USER) where the evidence points there",
         "issue 16 trial: iptables -I DOCKER-USER ... -j REJECT on the Webapp host (observed on the lab: the host path "
         "open, the Webapp's 1014 'connection ... failed')", container_path_blocked,
         frozenset({"PORT_BLOCKED", "DB_DOWN", "DB_PATH_BLOCKED"}) | _DB_WORDS | _PATH_CONTAINER_KEYS | API_KEYS),
)
