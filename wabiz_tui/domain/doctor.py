"""``doctor``'s reasoning: facts gathered on every layer in, ranked causes with their evidence out (design.md §10).

Pure: the collectors (``workflows.doctor``) run the probes and hand over :class:`Fact` s; :func:`reason` runs every
rule of :data:`~.doctor_rules.RULES` over all of them and returns a :class:`Report`: the causes found, ranked
(confidence high > medium > low, then the rule table's order, which puts the most fundamental causes first), and
the facts that ruled causes out (shown folded).

A fact is one probe's answer on one host: ``probe`` (one of the ``P_*`` keys below), ``host`` (where it ran; ""
for this machine), ``command`` (what ran, never a secret), ``line`` (the one output line that matters), ``ok``
(True, False, or None when the probe could not run or timed out: ``data["why"]`` says why) and ``data`` (parsed
values; the keys each probe fills are listed at its ``P_*`` constant).

How to add a rule (e.g. for a new field report)
-----------------------------------------------
1. In ``domain/doctor_rules.py`` write a function ``(facts: Facts) -> Iterable[Found | Clear]``: query the facts
   (``facts.bad(P_TCP, what="db")``, ``facts.ok(...)``, ``facts.where(...)``), yield a :class:`Found` (title naming
   the cause and the host, the evidence facts, the next action, a confidence) for each cause it proves, and a
   :class:`Clear` with the facts that rule the cause out when it does not hold.
2. Add one ``Rule(key, title, source, function, explains=...)`` row to ``RULES``, where the rows of the same
   layer are (order breaks ties between equal confidences: earlier rows are more fundamental). ``source`` is the
   field report, document or observation the rule comes from. ``explains`` lists the keys of causes that are only
   consequences of this one (e.g. the DB down explains the Coreapp's ``DB_UNREACHABLE`` log words): when both are
   found, the consequence is folded into this cause's evidence instead of being ranked on its own.
3. Test it in ``tests/domain/test_doctor.py`` with facts as a collector makes them, and where the fault can be made
   on real parts, in ``tests/lab/test_40_doctor.py``.
If a rule needs a fact no collector gathers yet, add the probe to the collectors in ``workflows/doctor/``
(``containers.py``, ``network.py``, ``storage.py``; the run in ``__init__.py``) and its ``P_*`` key here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

# --- probe keys and the data each one carries --------------------------------------------------------------
#: SSH login to the host worked. data: {}
P_SSH = "ssh"
#: ``docker info``/the host probe. data: {"daemon": "up"|"down"|"denied", "version" (when up)}
P_DOCKER = "docker"
#: ``docker-compose config`` as the host's compose reads the uploaded files. data: {"flavour", "services": [...]}
P_COMPOSE = "compose"
#: db.env as found on the host, judged by ``domain.envrules`` (one fact per finding: data {"key", "severity",
#: "field", "source"}), and compared with the profile (data {"differs": [names], "profile_hostname": the profile's
#: db.hostname}; db.env's values never kept)
P_ENV = "env"
#: one service's container sampled over a window. data: {"service", "states": [...], "exit_code", "restarts",
#: "oom", "health", "image", "running": bool, "missing": bool, "state_error" (dockerd's State.Error),
#: "published": ["host:container/proto", ...] (HostConfig.PortBindings)}
P_CONTAINER = "container"
#: catalogue words in a service's recent log. data: {"service", "key", "severity", "title", "next_action"}
P_LOGS = "logs"
#: a TCP connection from ``host`` (its own network, through the SSH connection). data: {"target", "port",
#: "what": "db"|"db.env-target" (a host whose db.env names another DB)|"webapp"|"master"|"coreapp"|"registry",
#: "timeout": bool}
P_TCP = "tcp"
#: the services of ``docker-compose config`` as the host's compose reads the files, one fact per service. data:
#: {"service", "ports": ["published:target", ...], "network_mode", "expected_ports", "expected_network_mode"}
P_COMPOSE_SHAPE = "compose.shape"
#: who listens on a host port a container could not bind (``ss -ltn``, ``docker ps --filter publish=``).
#: data: {"port", "holder"}
P_PORT_HOLDER = "port.holder"
#: nameservers of ``/etc/resolv.conf`` on the host or inside a container. data: {"where": "host"|"container",
#: "nameservers": [...]}
P_RESOLV = "resolv"
#: the platforms the registry's image index offers next to the host's. data: {"image", "arch", "platforms": [...]}
P_PLATFORM = "platform"
#: the registry asked :data:`REGISTRY_TRIES` times in a row from the host. data: {"image", "codes": [int, ...]}
#: (0: no HTTP answer)
P_REGISTRY_TRIES = "registry.tries"
#: ``getent hosts NAME`` on the host. data: {"name", "addresses": every address printed, "hosts_file": the address the
#: host's /etc/hosts gives NAME ("" none), "kind": "cluster"|"registry"}
P_DNS = "dns"
#: name resolution inside a running container. data: {"name", "service", "container", "addresses"}
P_DNS_CONTAINER = "dns.container"
#: DB login with db.env's values from the host's network (host "" with data position "here": from this machine).
#: data: {"user", "target", "port" (db.env's WA_DB_HOSTNAME/PORT as used), "refused": bool, "code": server error
#: number, "reached": bool, "version", "current_user", "tls"}
P_DB_LOGIN = "db.login"
#: what a login read about the server. data: {"engine", "version", "plugin" (None: not readable), "plugin_denied",
#: "api_version", "via"}
P_DB_SERVER = "db.server"
#: the account's privileges. data: {"engine", "user", "account", "grants": [SHOW GRANTS lines, hashes masked],
#: "missing": [privileges], "prefix"}
P_DB_GRANTS = "db.grants"
#: server settings the client depends on. data: {"engine", "read_only", "wait_timeout" (s), "idle_ms" (the client's
#: WA_DB_CONNECTION_IDLE_TIMEOUT), "secure_transport", "grants", "account"}
P_DB_VARS = "db.variables"
#: a plain login refused, then the same credentials over TLS. ok False: TLS accepted (the server requires TLS).
#: data: {"user", "code", "ssl": [WA_DB_SSL_* set in db.env], "engine", "secure_transport"}
P_DB_TLS = "db.tls"
#: the registry's answer for the image from the host. data: {"image", "code": int (0: no HTTP answer)}
P_REGISTRY = "registry"
#: free space and inodes. data: {"path", "avail_kb", "use_pct", "iuse_pct"}
P_DISK = "disk"
#: the media path. data: {"path", "owner", "mode", "writable": bool, "readonly": bool, "exists": bool}
P_MEDIA = "media"
#: the host's clock against this machine's. data: {"skew_s"}
P_CLOCK = "clock"
#: the Webapp API from this machine. data: {"kind": "login"|"health"|"tls"|..., "status", "code", "key", "title",
#: "next_action"}
P_API = "api"

HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCE_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}


@dataclass(frozen=True)
class Fact:
    """One probe's answer on one host (see the module docstring). Never holds a secret."""

    probe: str
    host: str
    command: str
    line: str
    ok: bool | None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """``ok``, ``bad`` or ``unknown`` (the probe could not run or timed out)."""
        return "unknown" if self.ok is None else "ok" if self.ok else "bad"

    def get(self, key: str, default: Any = None) -> Any:
        """``data[key]``, or ``default``."""
        return self.data.get(key, default)

    def to_json(self) -> dict[str, Any]:
        """The fact as JSON-ready data (``doctor --json``)."""
        return {"probe": self.probe, "host": self.host, "command": self.command, "line": self.line,
                "state": self.state, "data": dict(self.data)}


class Facts:
    """All the facts of one run, with the queries rules use. ``where(probe, host=..., ok=..., **data)`` keeps
    facts whose every given data key equals the value given."""

    def __init__(self, facts: Iterable[Fact]):
        self.all: tuple[Fact, ...] = tuple(facts)

    def where(self, probe: str, *, host: str | None = None, ok: bool | None | str = "any", **data: Any) -> list[Fact]:
        """Facts of ``probe`` (on ``host``; with ``ok`` True/False/None, or "any") matching ``data``."""
        return [f for f in self.all if f.probe == probe and (host is None or f.host == host)
                and (ok == "any" or f.ok is ok) and all(f.data.get(k) == v for k, v in data.items())]

    def bad(self, probe: str, **kw: Any) -> list[Fact]:
        """Facts of ``probe`` that found something wrong."""
        return self.where(probe, ok=False, **kw)

    def good(self, probe: str, **kw: Any) -> list[Fact]:
        """Facts of ``probe`` that found it fine."""
        return self.where(probe, ok=True, **kw)

    def hosts(self) -> list[str]:
        """Every host with a fact, in first-seen order (this machine, "", excluded)."""
        return list(dict.fromkeys(f.host for f in self.all if f.host))


@dataclass(frozen=True)
class Found:
    """What a rule proves: ``title`` names the cause and where, ``evidence`` the facts that prove it."""

    title: str
    evidence: tuple[Fact, ...]
    next_action: str
    confidence: str = HIGH
    hosts: tuple[str, ...] = ()
    #: the source of this finding when it is more precise than the rule's (e.g. an envrules rule's own source)
    source: str = ""


@dataclass(frozen=True)
class Clear:
    """Facts that rule a rule's cause out (``note``: in words, e.g. "the DB answers from every host")."""

    note: str
    evidence: tuple[Fact, ...]


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: ``key`` of the cause, ``title`` of what it checks, ``source`` of the rule (field
    report, document, observation), ``check`` the function, ``explains`` the keys of causes that are consequences;
    ``explains_on_host`` the keys folded only when that cause names a host this one names too (never a hostless,
    cluster-wide one)."""

    key: str
    title: str
    source: str
    check: Callable[[Facts], Iterable[Found | Clear]]
    explains: frozenset[str] = frozenset()
    explains_on_host: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Cause:
    """A ranked cause: ``key`` (the rule's), ``title``, ``confidence`` (high/medium/low), ``evidence`` facts, the
    ``next_action``, the rule's ``source``, the ``hosts`` involved, and ``also``: keys of consequences folded in."""

    key: str
    title: str
    confidence: str
    evidence: tuple[Fact, ...]
    next_action: str
    source: str
    hosts: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The cause as JSON-ready data."""
        return {"key": self.key, "title": self.title, "confidence": self.confidence, "next_action": self.next_action,
                "source": self.source, "hosts": list(self.hosts), "also": list(self.also),
                "evidence": [f.to_json() for f in self.evidence]}


@dataclass(frozen=True)
class RuledOut:
    """A rule whose cause the facts exclude: its ``key``, ``title``, ``note`` and the ``evidence`` facts."""

    key: str
    title: str
    note: str
    evidence: tuple[Fact, ...]

    def to_json(self) -> dict[str, Any]:
        """The ruled-out rule as JSON-ready data: key, title, note and its evidence facts (``doctor --json``)."""
        return {"key": self.key, "title": self.title, "note": self.note, "evidence": [f.to_json() for f in self.evidence]}


@dataclass(frozen=True)
class Report:
    """``causes`` ranked, ``ruled_out``, ``unknown``: facts whose probe could not run (said, never guessed)."""

    causes: tuple[Cause, ...]
    ruled_out: tuple[RuledOut, ...]
    unknown: tuple[Fact, ...]
    facts: tuple[Fact, ...]

    def to_json(self) -> dict[str, Any]:
        """``doctor --json``'s object: causes, ruled out, probes that could not run, and every fact gathered."""
        return {"causes": [c.to_json() for c in self.causes], "ruled_out": [r.to_json() for r in self.ruled_out],
                "unknown": [f.to_json() for f in self.unknown], "facts": [f.to_json() for f in self.facts]}


def _fold(causes: list[tuple[int, Cause]], rules: tuple[Rule, ...]) -> list[tuple[int, Cause]]:
    """Fold each cause that another found cause's rule ``explains`` (on a shared host, or cluster-wide) into that
    cause: its evidence appended once, its key listed in ``also``."""
    kept: list[tuple[int, Cause] | None] = list(causes)
    for i in range(len(kept)):
        current = kept[i]
        if current is None:
            continue
        explains, on_host = rules[current[0]].explains, rules[current[0]].explains_on_host
        for j in range(len(kept)):
            other = kept[j]
            if i == j or other is None or other[1].key not in explains | on_host:
                continue
            a, b = current[1], other[1]
            shared = bool(set(a.hosts) & set(b.hosts))
            if (a.hosts and b.hosts and not shared) or (other[1].key in on_host - explains and not shared):
                continue
            evidence = a.evidence + tuple(f for f in b.evidence if f not in a.evidence)
            also = a.also + tuple(k for k in (b.key, *b.also) if k not in a.also)
            current = (current[0], Cause(a.key, a.title, a.confidence, evidence, a.next_action, a.source, a.hosts, also))
            kept[i], kept[j] = current, None
    return [c for c in kept if c is not None]


def reason(facts: Iterable[Fact], rules: tuple[Rule, ...] | None = None) -> Report:
    """Run every rule (default :data:`~.doctor_rules.RULES`) over ``facts``; a :class:`Report` with the causes
    ranked by confidence then rule order, consequences folded into their cause, and the rules ruled out."""
    if rules is None:
        from .doctor_rules import RULES
        rules = RULES
    all_facts = Facts(facts)
    found: list[tuple[int, Cause]] = []
    cleared: list[RuledOut] = []
    for order, rule in enumerate(rules):
        for outcome in rule.check(all_facts):
            if isinstance(outcome, Found):
                found.append((order, Cause(rule.key, outcome.title, outcome.confidence, outcome.evidence,
                                           outcome.next_action, outcome.source or rule.source, outcome.hosts)))
            else:
                cleared.append(RuledOut(rule.key, rule.title, outcome.note, outcome.evidence))
    found = _fold(found, rules)
    found.sort(key=lambda oc: (CONFIDENCE_ORDER.get(oc[1].confidence, 3), oc[0]))
    found_keys = {c.key for _, c in found}
    ruled = tuple(r for r in cleared if r.key not in found_keys)
    unknown = tuple(f for f in all_facts.all if f.ok is None)
    return Report(tuple(c for _, c in found), ruled, unknown, all_facts.all)
