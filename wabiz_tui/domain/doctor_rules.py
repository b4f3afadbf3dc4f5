"""The rule table of ``doctor`` (:data:`RULES`): one row per cause, each a function over all the facts and the
source of the rule. How to add one: the docstring of :mod:`.doctor`.

Rows are grouped by layer, most fundamental first (the host, Docker, the network, the DB, names, registry, disk and
media, clocks, the containers and their logs, the API): the order breaks ties between equal confidences.
"""

from __future__ import annotations

from collections import defaultdict

from .doctor import (HIGH, LOW, MEDIUM, P_CLOCK, P_CONTAINER, P_DB_LOGIN, P_DISK, P_DNS, P_DNS_CONTAINER,
                     P_COMPOSE, P_DOCKER, P_ENV, P_LOGS, P_MEDIA, P_REGISTRY, P_SSH, P_TCP, Clear, Fact, Facts, Found, Rule)
from .doctor_rules_base import API_KEYS, Outcome, hosts_of as _hosts, names_of as _names
from .doctor_rules_path import NAME_FAILED, P_CONTAINER_TCP, node_errors, waiting_for_db
from .hostnames import host_ranges
from .preflight import CLOCK_FAIL_S, CLOCK_WARN_S, DISK_FAIL_KB

_OBS = "observed on the lab here (real OpenSSH, dockerd 20.10, docker-compose 1.29.2, MariaDB)"


# --- hosts and Docker ------------------------------------------------------------------------------------
def host_unreachable(facts: Facts) -> Outcome:
    """A host the SSH connection did not reach. The connection's own error class and advice
    (``remote.errors``: a missing key file, a refused key, an unknown host key) say whether the cause is here
    (the profile, the key, known_hosts) or on the host; hosts failing with the same words are one cause."""
    by_words: dict[str, list[Fact]] = {}
    for f in facts.bad(P_SSH):
        by_words.setdefault(f.line, []).append(f)
    for line, group in by_words.items():
        hosts = tuple(f.host for f in group)
        error, advice = group[0].data.get("error", ""), str(group[0].data.get("next_action", "") or "")
        if error == "HostUnreachable" or not advice:
            title = f"{', '.join(hosts)} cannot be reached over SSH"
            advice = (f"check that {', '.join(hosts)} {'is' if len(hosts) == 1 else 'are'} up and the sshd answers "
                      f"(ssh by hand), then run doctor again" + (f"; {advice}" if advice else ""))
        else:
            title = f"SSH to {', '.join(hosts)} refused here: {line}"
        yield Found(title, tuple(group), advice, HIGH, hosts)
    ok = facts.good(P_SSH)
    if ok and not facts.bad(P_SSH):
        yield Clear(f"SSH works to every host ({len(ok)})", tuple(ok))


def dockerd_down(facts: Facts) -> Outcome:
    """DOCKERD_DOWN: one HIGH cause per host whose Docker probe found the daemon down (``daemon="down"``); a Clear when
    every host probed answered. Facts -> Outcome. Source: field case R14 and the lab fault ``dockerd`` (observed on the
    lab)."""
    for f in facts.bad(P_DOCKER, daemon="down"):
        yield Found(f"the Docker daemon is not running on {f.host}", (f,),
                    f"start it on {f.host} (sudo systemctl start docker), then check its containers came back "
                    "(wabiz-tui health)", HIGH, (f.host,))
    ok = facts.good(P_DOCKER)
    if ok and not facts.bad(P_DOCKER, daemon="down"):
        yield Clear(f"Docker answers on every host probed ({len(ok)})", tuple(ok))


def docker_denied(facts: Facts) -> Outcome:
    """DOCKER_DENIED: one HIGH cause per host where the SSH user may not open the Docker socket (``daemon="denied"``:
    docker's "permission denied ... docker.sock"). Facts -> Outcome. Source: field case R14."""
    for f in facts.bad(P_DOCKER, daemon="denied"):
        yield Found(f"the SSH user may not use Docker on {f.host}", (f,),
                    "add the user to the docker group (then log in again), or set the host's ssh.docker_sudo",
                    HIGH, (f.host,))


# --- network ----------------------------------------------------------------------------------------------
def _db_tcp(facts: Facts) -> list[Fact]:
    """TCP facts to the DB, less those from hosts where its name does not resolve: NAME_UNRESOLVED says that (field
    case R02: "does not answer" would send the operator to the DB server)."""
    return [f for f in facts.where(P_TCP, what="db") if not facts.bad(P_DNS, host=f.host, name=f.get("target"))]


def db_down(facts: Facts) -> Outcome:
    """DB_DOWN: the DB's TCP port refused or timed out from EVERY host that tried it (hosts where the name did not
    resolve left out, see ``_db_tcp``): one cause, HIGH from two hosts or more, MEDIUM from one; a Clear when it
    answered from every host. Facts -> Outcome. Source: field cases R02/R05 family, lab fault ``db down``."""
    tried = _db_tcp(facts)
    bad = [f for f in tried if f.ok is False]
    if bad and len(bad) == len([f for f in tried if f.ok is not None]):
        target = f"{bad[0].get('target')}:{bad[0].get('port')}"
        yield Found(f"the database {target} does not answer from any host ({len(bad)} tried)", tuple(bad),
                    f"start the DB server or check it listens on {target} (bind-address, port), and firewalls in front of it",
                    HIGH if len(bad) > 1 else MEDIUM, ())
    elif tried and not bad and not _containers_not_through(facts, "db"):
        yield Clear(f"the DB port answers from every host's own network ({len(tried)}: the host path; the containers' "
                    f"path through FORWARD/DOCKER-USER {_inside_words(facts, 'db')})", tuple(tried))


def db_path_blocked(facts: Facts) -> Outcome:
    """DB_PATH_BLOCKED: the DB port answers from some hosts and not from others: one HIGH cause per host that fails,
    with a host that succeeds as the witness. Facts -> Outcome. Source: lab fault ``cut HOST db`` (observed on the lab).
    """
    tried = _db_tcp(facts)
    bad, good = [f for f in tried if f.ok is False], [f for f in tried if f.ok is True]
    if bad and good:
        for f in bad:
            yield Found(f"the network path from {f.host} to the database {f.get('target')}:{f.get('port')} is blocked "
                        f"(it answers from {good[0].host})", (f, good[0]),
                        f"check firewalls and routes between {f.host} and {f.get('target')} (iptables, security groups)",
                        HIGH, (f.host,))


def _containers_not_through(facts: Facts, what: str) -> bool:
    """Whether the evidence says a container does not get through to ``what`` ("db", or any cluster port) while no
    connection from inside proved otherwise: a connection from inside that failed or could not be made, a container
    still waiting for its DB, the Webapp's per-node "connection ... failed"."""
    inside = [f for f in facts.where(P_CONTAINER_TCP) if (f.get("what") == "db") == (what == "db")]
    if any(f.ok is not True for f in inside):
        return True
    if what == "db":
        return bool(waiting_for_db(facts)) and not inside
    return bool(node_errors(facts)) and not inside


def _inside_words(facts: Facts, what: str) -> str:
    inside = [f for f in facts.good(P_CONTAINER_TCP) if (f.get("what") == "db") == (what == "db")]
    return f"answers from inside {len(inside)} container(s)" if inside else "was not probed: nothing pointed there"


def _by_target(facts: Facts) -> dict[tuple[str, int], list[Fact]]:
    groups: dict[tuple[str, int], list[Fact]] = defaultdict(list)
    for f in facts.where(P_TCP):
        if f.get("what") in ("webapp", "master", "coreapp") and f.ok is not None:
            groups[(str(f.get("target")), int(f.get("port", 0)))].append(f)
    return groups


def host_path_blocked(facts: Facts) -> Outcome:
    """Two hosts whose probes between them all fail (each way that was probed) while a third host reaches the
    target's ports: the path between the two. One cause per pair, the evidence from both directions."""
    per_pair: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    reached: dict[str, list[Fact]] = defaultdict(list)
    for (target, _), group in _by_target(facts).items():
        for f in group:
            per_pair[(f.host, target)].append(f)
            if f.ok:
                reached[target].append(f)
    cut: dict[frozenset[str], list[tuple[Fact, Fact]]] = defaultdict(list)
    for (source, target), group in per_pair.items():
        witness = [w for w in reached[target] if w.host != source]
        if group and all(f.ok is False for f in group) and witness:
            cut[frozenset((source, target))].append((group[0], witness[0]))
    for pair, shown in cut.items():
        reverse = {(f.host, str(f.get("target"))) for f, _ in shown}
        if any(per_pair.get((b, a)) and (b, a) not in reverse for a, b in reverse):
            continue  # the other way works: not a path cut (a port-level filter, left to NOTHING_LISTENS)
        source, target = shown[0][0].host, str(shown[0][0].get("target"))
        evidence = tuple(f for f, _ in shown) + (shown[0][1],)
        yield Found(f"the network path between {source} and {target} is blocked ({target}'s ports answer from "
                    f"{shown[0][1].host}, not from {source})", evidence,
                    f"check firewalls and routes between {source} and {target} (iptables, security groups); the "
                    "nodes advertise their published ports to each other through the DB, so every node must reach "
                    "every other node's", HIGH, tuple(sorted(pair)))
    ok = [f for g in per_pair.values() for f in g if f.ok]
    if ok and not cut:
        yield Clear(f"no path between two hosts is cut: every pair probed connects ({len(ok)} probes from the hosts' own "
                    "network: the host path only)", tuple(ok[:6]))


def nothing_listens(facts: Facts) -> Outcome:
    """NOTHING_LISTENS: a cluster port (Webapp, Master, Coreapp; seed: 9090, 6250-6257) that fails from every one of two
    or more hosts: nothing listens on the target, one MEDIUM cause per ``(target, port)``, a refused probe preferred as
    the evidence over a timed-out one. Facts -> Outcome."""
    for (target, port), group in _by_target(facts).items():
        if len(group) > 1 and all(f.ok is False for f in group):
            refused = [f for f in group if not f.get("timeout")]
            yield Found(f"nothing answers on {target}:{port} ({group[0].get('what')}) from any host",
                        tuple(refused[:1] or group[:1]) + tuple(group[1:2]),
                        f"check the {group[0].get('what')} container on {target} (docker ps -a; its logs)",
                        MEDIUM, (target,))


# --- the database -----------------------------------------------------------------------------------------
def db_credentials(facts: Facts) -> Outcome:
    """The DB refuses db.env's credentials. From every host: the credentials (or the account) are wrong. From some
    hosts only: the refusal is compared with acceptances of the SAME credentials (doctor's DB probe numbers each set of
    db.env values: ``credentials``); a host whose db.env holds other values than the accepted ones is refused for its
    own db.env (named with the variables ENV_DIFFERS found, which this folds under), a host refused with the same
    values as an accepted login is the account's host restriction (DB_HOST_RESTRICTED). The login from this machine
    (host "") is the operator's vantage, never the host's evidence."""
    refused = [f for f in facts.bad(P_DB_LOGIN, refused=True) if f.host]
    good = facts.good(P_DB_LOGIN)
    if refused and not [g for g in good if g.host]:
        user = refused[0].get("user")
        # the login from this machine tells a wrong password from an account restricted to other hosts (FR31)
        untried = facts.where(P_DB_LOGIN, opt_in=True)
        yield Found(f"the database refuses db.env's credentials (WA_DB_USERNAME={user}) from every host that reached it",
                    tuple(refused),
                    "check WA_DB_USERNAME and WA_DB_PASSWORD (db.username/db.password in the profile) against the DB "
                    "server's account, then restart the containers"
                    + ("; if the password is right, the account may allow only other hosts: `wabiz-tui doctor PROFILE "
                       "--db-from-here` tries the same login from this machine and tells the two apart" if untried else ""),
                    HIGH, ())
    elif refused:
        accepted = [g for g in good if g.host]
        for f in refused:
            if any(g.get("credentials") == f.get("credentials") for g in good):
                continue  # the same values are accepted elsewhere: the account's hosts (DB_HOST_RESTRICTED)
            env = [e for e in facts.bad(P_ENV, host=f.host) if e.get("differs")]
            keys = [k for k in (env[0].get("differs") if env else ()) if k in ("WA_DB_USERNAME", "WA_DB_PASSWORD")]
            which = " and ".join(keys) or "WA_DB_USERNAME/WA_DB_PASSWORD"
            other = "a different " + which if keys else "other credentials"
            yield Found(f"the database refuses the DB login with {f.host}'s db.env: it holds {other} than the profile "
                        f"(the profile's are accepted from {accepted[0].host})", (f, *env[:1], accepted[0]),
                        f"put the profile's {which} back in {f.host}'s db.env (wabiz-tui install re-uploads what "
                        f"differs), or correct the profile if {f.host}'s value is the right one; then restart the "
                        f"containers on {f.host}. Not a host restriction: the DB account is not the question",
                        HIGH, (f.host,))
    elif good:
        yield Clear(f"db.env's credentials are accepted ({_names(_hosts(good))})", tuple(good))


def env_differs(facts: Facts) -> Outcome:
    """db.env on a host is not what the profile says (edited by hand, or the profile changed and step 3 was not run
    again): the containers there use the host's values."""
    by_keys: dict[tuple[str, ...], list[Fact]] = {}
    for f in facts.bad(P_ENV):
        if f.get("differs"):
            by_keys.setdefault(tuple(f.get("differs")), []).append(f)
    for keys, group in by_keys.items():  # one cause per difference, naming every host that has it
        hosts = tuple(f.host for f in group)
        compared = [f for f in facts.where(P_ENV) if "differs" in f.data]
        every = len(group) > 1 and len(group) == len(compared)
        yield Found(f"db.env on {_names(hosts)} differs from the profile in {', '.join(keys)}"
                    + (" (every host: the profile likely changed after step 3)" if every else ""), tuple(group),
                    "upload the profile's db.env again (wabiz-tui install re-checks step 3 and re-uploads what "
                    "differs), or correct the profile, then restart the containers", HIGH, hosts)


def env_findings(facts: Facts) -> Outcome:
    """A db.env value the client will misread (domain.envrules), on the host where it is."""
    for f in facts.where(P_ENV):
        if f.get("key") and f.get("severity") == "error":
            yield Found(f"db.env on {f.host}: {f.line}", (f,), str(f.get("fix") or "fix the line in db.env"), HIGH,
                        (f.host,), str(f.get("source") or ""))


def compose_refused(facts: Facts) -> Outcome:
    """COMPOSE_REFUSED: one HIGH cause per host where ``docker-compose config`` refused the cluster's files, its error
    line quoted. Facts -> Outcome. Source: field case R14 (required variables), docker-compose 1.29.2 observed here."""
    for f in facts.bad(P_COMPOSE):
        yield Found(f"docker-compose refuses the cluster's files on {f.host}: {f.line}", (f,),
                    f"run the same command on {f.host} and fix what it names (the compose file, db.env, or the "
                    "variables passed on the command line)", HIGH, (f.host,))


# --- names ------------------------------------------------------------------------------------------------
def name_unresolved(facts: Facts) -> Outcome:
    """NAME_UNRESOLVED: names (EXTERNAL_HOSTNAME, WA_DB_HOSTNAME) that do not resolve, grouped by name. Failing on every
    other host (two or more) is one HIGH cause for the DNS zone; otherwise one cause per host's resolver. A host
    resolving its own name proves nothing (its /etc/hosts: observed on the lab). A Clear when every lookup worked and no
    DB login failed on a name, the names said as a count and runs (``domain.hostnames.host_ranges``). Facts -> Outcome.
    Source: field case R02, lab fault ``dns NAME``."""
    groups: dict[str, list[Fact]] = defaultdict(list)
    for f in facts.where(P_DNS):
        if f.ok is not None:
            groups[str(f.get("name"))].append(f)
    for name, group in groups.items():
        bad = [f for f in group if f.ok is False]
        if not bad:
            continue
        # a host knows its own name from its /etc/hosts: that proves nothing about the DNS (observed on the lab)
        others = [f for f in group if f.host != name]
        if len(bad) == len(others) and len(others) > 1:
            but = " but itself" if len(others) < len(group) else ""
            yield Found(f"{name} does not resolve on any host{but} ({len(others)} asked)", tuple(f for f in bad if f.host != name),
                        f"add {name} to the DNS zone (or every host's /etc/hosts); EXTERNAL_HOSTNAME and WA_DB_HOSTNAME "
                        "must resolve everywhere", HIGH, _hosts(bad))
        else:
            for f in bad:
                yield Found(f"{f.host} cannot resolve {name}", (f,),
                            f"fix {f.host}'s resolver (/etc/resolv.conf) or add {name} to its /etc/hosts", HIGH, (f.host,))
    good = facts.good(P_DNS)
    # a count and runs (``52 hosts: wa-core-1…wa-core-43, …``): 52 names in one line were unreadable (issue 17)
    names = host_ranges(str(f.get("name")) for f in good)
    if good and not facts.bad(P_DNS) and not [f for f in facts.bad(P_DB_LOGIN) if NAME_FAILED.search(f.line)]:
        yield Clear(f"the names looked up resolve on every host ({len(good)} lookups of {names}; db.env's own "
                    "WA_DB_HOSTNAME is checked by each host's DB login)", tuple(good[:6]))


def container_name_unresolved(facts: Facts) -> Outcome:
    """CONTAINER_NAME_UNRESOLVED: a name a container cannot resolve while its host can (MEDIUM: the container's DNS,
    Docker's resolver 127.0.0.11); a crash-looping container's lookups are skipped. Facts -> Outcome. Source: field case
    R02."""
    for f in facts.bad(P_DNS_CONTAINER):
        if facts.bad(P_CONTAINER, host=f.host, container=f.get("container")):
            continue  # a lookup in a crash-looping container proves nothing about DNS: the crash loop is the cause
        on_host = facts.good(P_DNS, host=f.host, name=f.get("name"))
        if on_host:
            yield Found(f"the {f.get('service')} container on {f.host} cannot resolve {f.get('name')} although the host can",
                        (f, on_host[0]), "check the container's DNS (docker network, --dns, the embedded resolver "
                                         "127.0.0.11) and restart it", MEDIUM, (f.host,))
    good = facts.good(P_DNS_CONTAINER)
    if good and not facts.bad(P_DNS_CONTAINER):
        yield Clear(f"the containers resolve every name ({len(good)} lookups)", tuple(good[:6]))


# --- registry, disk, media, clocks -------------------------------------------------------------------------
_REGISTRY_WORDS = {401: ("demands credentials (HTTP 401)", "docker login docker.whatsapp.biz on the host, or let a proxy "
                                                            "in front of it pass the host through"),
                   403: ("forbids this host (HTTP 403)", "ask who runs the proxy/registry to allow the host, or load "
                                                          "the image with docker load"),
                   404: ("does not have the image (HTTP 404)", "check WA_API_VERSION names an existing version")}


def registry(facts: Facts) -> Outcome:
    """REGISTRY: hosts the image registry refuses, one HIGH cause per HTTP code (401 credentials, 403 forbidden, 404 no
    such image, other/0 unreachable) naming every host with that code; a Clear when it served every host. Facts ->
    Outcome. Source: lab faults ``registry down|deny|forbid`` (observed on the lab)."""
    bad = facts.bad(P_REGISTRY)
    by_code: dict[int, list[Fact]] = defaultdict(list)
    for f in bad:
        by_code[int(f.get("code", 0))].append(f)
    for code, group in by_code.items():
        what, action = _REGISTRY_WORDS.get(code, ("cannot be reached", "check the host's route, proxy and DNS to "
                                                                       "docker.whatsapp.biz:443, or load the image with docker load"))
        yield Found(f"the registry {what} from {_names(_hosts(group))}", tuple(group), action,
                    HIGH, _hosts(group))
    good = facts.good(P_REGISTRY)
    if good and not bad:
        yield Clear(f"the registry serves the image to every host ({len(good)})", tuple(good))


def disk_full(facts: Facts) -> Outcome:
    """A path out of space or inodes; the same path full on several hosts (a shared media volume) is one cause."""
    groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for f in facts.bad(P_DISK):
        what = "inodes" if int(f.get("iuse_pct", 0)) >= 100 else "space"
        groups[(str(f.get("path")), what)].append(f)
    for (path, what), group in groups.items():
        hosts = _hosts(group)
        yield Found(f"{path} is out of {what} on {_names(hosts)} ({group[0].line})", tuple(group),
                    f"free {what} under {path} (docker system prune for Docker's root; old media files or a bigger "
                    "volume for the media path)", HIGH, hosts)
    good = facts.good(P_DISK)
    if good and not facts.bad(P_DISK):
        yield Clear(f"disk space and inodes are fine ({len(good)} paths)", tuple(good[:6]))


def media_unwritable(facts: Facts) -> Outcome:
    """The media path missing, read-only, or not mode 755; the same finding on several hosts (the shared volume) is
    one cause naming them all."""
    groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for f in facts.bad(P_MEDIA):
        kind = "missing" if not f.get("exists", True) else "readonly" if f.get("readonly") else "mode"
        groups[(str(f.get("path")), kind)].append(f)
    for (path, kind), group in groups.items():
        hosts = _hosts(group)
        where = _names(hosts)
        if kind == "missing":
            yield Found(f"the media path {path} does not exist on {where}", tuple(group),
                        f"mount the shared media volume at {path}", HIGH, hosts)
        elif kind == "readonly":
            yield Found(f"the media path {path} is mounted read-only on {where}", tuple(group),
                        "remount the media volume read-write (check the NFS export and the mount options)", HIGH, hosts)
        else:
            yield Found(f"the media path {path} has mode {group[0].get('mode')}, not 755, on {where}", tuple(group),
                        f"chmod 755 {path} (the directory's own mode is what the containers need: no -R, which on "
                        "a large NFS volume walks every file)", LOW, hosts)
    good = facts.good(P_MEDIA)
    if good and not facts.bad(P_MEDIA):
        yield Clear(f"the media path exists, mode 755, mounted read-write on every host ({len(good)})", tuple(good))


def clock_skew(facts: Facts) -> Outcome:
    """CLOCK_SKEW: one cause per host whose clock is off by CLOCK_WARN_S seconds or more (``skew_s``, signed, seconds):
    HIGH from CLOCK_FAIL_S on, LOW below. Facts -> Outcome. Thresholds: domain.preflight."""
    for f in facts.where(P_CLOCK):
        skew = f.get("skew_s")
        if skew is None:
            continue
        if abs(float(skew)) >= CLOCK_WARN_S:
            yield Found(f"{f.host}'s clock is {float(skew):+.1f} s off", (f,), f"enable NTP on {f.host} (timedatectl set-ntp true)",
                        HIGH if abs(float(skew)) >= CLOCK_FAIL_S else LOW, (f.host,))


# --- containers and their logs -----------------------------------------------------------------------------
def _words(facts: Facts, f: Fact) -> list[Fact]:
    """The error words of ``f``'s service log, the newest first (``lines_back``: how far from the end)."""
    words = [w for w in facts.where(P_LOGS, host=f.host, service=f.get("service")) if w.get("severity") == "error"]
    return sorted(words, key=lambda w: int(w.get("lines_back", 0)))


def container_oom(facts: Facts) -> Outcome:
    """CONTAINER_OOM: one HIGH cause per container whose ``docker inspect`` says ``State.OOMKilled`` true. Facts ->
    Outcome."""
    for f in facts.where(P_CONTAINER, oom=True):
        yield Found(f"{f.get('service')} on {f.host} was killed for lack of memory (OOMKilled)", (f,),
                    f"give {f.host} more memory or lower the container's load; check dmesg for the OOM killer",
                    HIGH, (f.host,))


def container_down_with_words(facts: Facts) -> Outcome:
    """A container not running steadily whose log holds catalogued error words: the words name the cause."""
    for f in facts.bad(P_CONTAINER):
        if f.get("oom") or f.get("missing"):
            continue
        for w in _words(facts, f)[:1]:
            yield Found(f"{f.get('service')} on {f.host} is {f.line}: {w.get('title')}", (f, w),
                        str(w.get("next_action")), HIGH, (f.host,))


def container_down(facts: Facts) -> Outcome:
    """CONTAINER_DOWN: a planned container not running steadily (stopped, missing, restarting; domain.crashloop) whose
    log holds no catalogued words and that was not OOM-killed: one MEDIUM cause each, pointing at its log; a Clear when
    all run. Facts -> Outcome. Source: observed on the lab."""
    for f in facts.bad(P_CONTAINER):
        if f.get("oom") or _words(facts, f):
            continue
        yield Found(f"{f.get('service')} on {f.host} is {f.line}", (f,),
                    f"read its log: docker-compose logs --tail 100 {f.get('service')} on {f.host}",
                    MEDIUM, (f.host,))
    good = facts.good(P_CONTAINER)
    if good and not facts.bad(P_CONTAINER):
        yield Clear(f"every planned container runs steadily ({len(good)})", tuple(good))


def log_words(facts: Facts) -> Outcome:
    """Catalogued error words in the log of a container that runs (a running container's own complaint)."""
    for w in facts.where(P_LOGS):
        if w.get("severity") != "error" or facts.bad(P_CONTAINER, host=w.host, service=w.get("service")):
            continue
        yield Found(f"{w.get('service')} on {w.host} logs: {w.get('title')}", (w,), str(w.get("next_action")),
                    LOW, (w.host,))


def info_retries_said(facts: Facts) -> Outcome:
    """Field case R12: I-level "will retry" lines in a log with no catalogued words are information while the node
    starts (errors start with W or C), said so that nobody reads them as the fault; never ranked."""
    for f in facts.good(P_LOGS):
        if f.get("info_retries"):
            yield Clear(f"{f.get('service')} on {f.host} logs {f.get('info_retries')} information-level \"will retry\" "
                        f"line(s) while it starts: not an error (errors start with W or C): {f.get('info_line')}", (f,))


def probe_timeouts(facts: Facts) -> Outcome:
    """PROBE_TIMEOUT: per host, the probes that did not answer in time (``ok`` None, ``timeout`` set): one LOW cause
    naming the count and the first command, up to 3 as evidence. A probe that times out is a fact (design.md §10). Facts
    -> Outcome."""
    timed = [f for f in facts.all if f.ok is None and f.get("timeout")]
    for host in _hosts(timed):
        mine = [f for f in timed if f.host == host]
        yield Found(f"{len(mine)} probe(s) on {host} did not answer in time ({mine[0].command})", tuple(mine[:3]),
                    f"check {host}'s load and its Docker daemon (a wedged dockerd makes docker commands hang)",
                    LOW, (host,))


_DB_WORDS = frozenset({"DB_UNREACHABLE", "DB_AUTH_FAILED", "DB_HOST_UNRESOLVABLE", "DB_WAITING"})
_CONTAINER = frozenset({"CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "LOG_WORDS", "NOTHING_LISTENS"}) | API_KEYS

#: The rule table (see :mod:`.doctor` for how to add a row).
RULES: tuple[Rule, ...] = (
    Rule("HOST_UNREACHABLE", "SSH to every host", "design.md §10; " + _OBS, host_unreachable,
         frozenset({"NOTHING_LISTENS", "HOST_PATH_BLOCKED", "PROBE_TIMEOUT"}) | API_KEYS),
    Rule("DOCKERD_DOWN", "Docker daemon on every host", "field case R14; lab fault `dockerd` (" + _OBS + ")", dockerd_down,
         _CONTAINER | {"PROBE_TIMEOUT"}),
    Rule("DOCKER_DENIED", "Docker socket permission", "field case R14", docker_denied, _CONTAINER),
    Rule("DB_DOWN", "the DB answers", "field cases R02/R05 family; lab fault `db down` (" + _OBS + ")", db_down,
         _CONTAINER | _DB_WORDS | {"DB_CREDENTIALS"}),
    Rule("DB_PATH_BLOCKED", "the network path to the DB", "lab fault `cut HOST db` (" + _OBS + ")", db_path_blocked,
         _CONTAINER | _DB_WORDS),
    Rule("HOST_PATH_BLOCKED", "the network paths between hosts", "seed: Webapp -> Coreapp/Master ports, Master <-> "
         "Coreapp; lab fault `cut A B` (" + _OBS + ")", host_path_blocked, frozenset({"NOTHING_LISTENS"}) | API_KEYS),
    Rule("NOTHING_LISTENS", "cluster ports answer", "seed (published ports 9090, 6250-6253, 6254-6257)", nothing_listens,
         API_KEYS),
    Rule("ENV_DIFFERS", "db.env on the hosts matches the profile", "design.md §11 (a step is done when the hosts hold "
         "what the profile renders now)", env_differs, _CONTAINER | _DB_WORDS | {"DB_CREDENTIALS"}),
    Rule("ENV_VALUE", "db.env values the client reads as meant", "domain.envrules (each finding names its own source)",
         env_findings, _CONTAINER),
    Rule("COMPOSE_REFUSED", "docker-compose accepts the files", "field case R14 (required variables); "
         "docker-compose 1.29.2 `config` observed here", compose_refused, _CONTAINER),
    Rule("DB_CREDENTIALS", "db.env's DB credentials", "field case R05; lab fault `db password` (" + _OBS + ")",
         db_credentials, _CONTAINER | {"DB_AUTH_FAILED"}),
    Rule("NAME_UNRESOLVED", "name resolution on the hosts", "field case R02; lab fault `dns NAME` (" + _OBS + ")",
         name_unresolved, frozenset({"DB_HOST_UNRESOLVABLE", "CONTAINER_NAME_UNRESOLVED", "REGISTRY", "NOTHING_LISTENS"})),
    Rule("CONTAINER_NAME_UNRESOLVED", "name resolution inside containers", "field case R02", container_name_unresolved,
         frozenset({"DB_HOST_UNRESOLVABLE"})),
    Rule("REGISTRY", "the registry serves the image", "lab faults `registry down|deny|forbid` (" + _OBS + ")", registry),
    Rule("DISK_FULL", "disk space and inodes", "seed (sizing); lab fault `media full` (" + _OBS + ")", disk_full,
         _CONTAINER),
    Rule("MEDIA", "the media path", "seed step 4 (mode 755, shared); lab fault `media readonly` (" + _OBS + ")",
         media_unwritable, _CONTAINER),
    Rule("CLOCK_SKEW", "clocks agree", "preflight thresholds (domain.preflight CLOCK_WARN_S/CLOCK_FAIL_S)", clock_skew),
    Rule("CONTAINER_OOM", "containers killed for memory", "docker inspect State.OOMKilled", container_oom, _CONTAINER),
    Rule("CONTAINER_DOWN_WITH_WORDS", "containers and their log words", "the diagnosis catalogue (cases/field-cases.md)",
         container_down_with_words, frozenset({"NOTHING_LISTENS", "LOG_WORDS"}) | API_KEYS),
    Rule("CONTAINER_DOWN", "containers run steadily", "domain.crashloop (" + _OBS + ")", container_down,
         frozenset({"NOTHING_LISTENS"}) | API_KEYS),
    Rule("LOG_WORDS", "catalogued words in running containers' logs", "the diagnosis catalogue", log_words),
    Rule("INFO_RETRIES", "information-level retry lines are no fault",
         "field case R12: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/36", info_retries_said),
    Rule("PROBE_TIMEOUT", "probes answer in time", "design.md §10 (a probe that times out is a fact)", probe_timeouts),
)

from .doctor_rules_field import FIELD_RULES  # noqa: E402 - the field reports' rows (docs/field-reports.md)
from .doctor_rules_net import NET_RULES  # noqa: E402 - network, compose, container and DNS rows
from .doctor_rules_api import API_RULES  # noqa: E402 - the API layer's rows (TLS, login, health, support, shards)
from .doctor_rules_ssh import SSH_RULES  # noqa: E402 - SSH connections lost mid-probe (field case R32)
from .doctor_rules_db import DB_RULES  # noqa: E402 - the DB layer's rows (R06, R10, FR07, FR31, FR35, FR36)
from .doctor_rules_egress import EGRESS_RULES  # noqa: E402 - egress, webhook, media links, resources (FR11-13/18/26/28)
from .doctor_rules_path import PATH_RULES  # noqa: E402 - the containers' own path, one name two addresses, the DB name
from .doctor_rules_monitoring import MONITORING_RULES  # noqa: E402 - the monitoring .env's login (FR45)

#: a refused registration first among causes of equal confidence: it is settled with Meta, nothing on the hosts
#: explains it (FR23's sunset answer must not rank below an infrastructure finding)
_REGISTRATION = tuple(r for r in API_RULES if r.key == "REGISTRATION")
RULES = (_REGISTRATION + RULES + PATH_RULES + FIELD_RULES + NET_RULES + tuple(r for r in API_RULES if r not in _REGISTRATION)
         + SSH_RULES + DB_RULES + EGRESS_RULES + MONITORING_RULES)
