"""The cluster's rules, shared by the two worlds: the simulator's brain (state in memory, time from
the event loop) and the lab's stand-in nodes (state in a real database, time from leases).

Pure functions of their arguments: stdlib only, no asyncio, no I/O, no import of anything else in
this project. The lab ships this very file into its images (``wabiz_tui/lab/node``), so it must
stay importable as a lone module.

Sources: design.md §4 and ``reference/wa-onprem-api.md`` §3.3 (health entries, 1011 "Service not
ready"), §3.5 (shard counts 1, 2, 4, 8, 16, 32; "shard number + X" Coreapps), §3.8 (support's
``shards`` and ``socket_conn``), §4 (Masters race for the master lease; a secondary takes over;
Coreapps start as secondary until promoted; HA: one Coreapp connected, every other node
disconnected; Multiconnect: S Coreapps and the primary Master connected).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

WEBAPP = "webapp"
MASTER = "master"
COREAPP = "coreapp"
DBUPGRADE = "dbupgrade"
OTHER = "other"

#: Seconds (times the world's speed factor) a Master/Coreapp answers 1011 after it starts.
START_DELAY = 3.0
#: Seconds (times speed) between the loss of a primary Master / shard owner and its replacement.
#: The simulator waits this long after a stop; the lab uses it as the lease lifetime.
FAILOVER_DELAY = 6.0
#: Seconds (times speed) a Coreapp that took a shard over stays ``connecting``.
CONNECTING_DELAY = 1.0
#: Seconds (times speed) a dbupgrade job takes.
DBUPGRADE_DELAY = 2.0

#: Folders the Webapp keeps in the media volume; the seed's 2.29.3 upgrade note runs
#: ``chown -R root <media>/incoming <media>/outgoing <media>/shared`` in the Webapp container.
MEDIA_DIRS = ("incoming", "outgoing", "shared")
#: Owner (uid, gid) the Webapp gives those folders when it creates them. Which user 2.29.1/2.29.2 left them to is
#: not documented (wa-onprem-api.md §6: UNCONFIRMED); the seed only says a chown to root is needed after upgrading
#: from them. The worlds model it as Debian's ``www-data`` (33) before 2.29.3 and root from 2.29.3 on.
MEDIA_OWNER_BEFORE_2_29_3 = (33, 33)


def media_owner(version: str) -> tuple[int, int]:
    """(uid, gid) a Webapp of ``version`` ("2.29.2") gives the media folders it creates; unparsable versions
    count as current (root)."""
    try:
        parts = tuple(int(x) for x in version.split(".")[:3])
    except ValueError:
        return (0, 0)
    return MEDIA_OWNER_BEFORE_2_29_3 if parts < (2, 29, 3) else (0, 0)


#: Shard counts ``POST /v1/account/shards`` accepts (wa-onprem-api.md §3.5).
VALID_SHARDS = (1, 2, 4, 8, 16, 32)

#: The per-node error of a node that has not finished starting (wa-onprem-api.md §3.3, [VONAGE]).
NOT_READY_ERROR = {"code": 1011, "title": "Service not ready",
                   "details": "Wacore is not instantiated. Please check wacore log for details."}

_EPS = 1e-9

#: Titles of the error codes the rules answer with (wa-onprem-api.md §3.2).
TITLES = {1005: "Access denied", 1008: "Required parameter is missing", 1009: "Parameter value is not valid",
          1011: "Service not ready", 1014: "Internal error", 1016: "System overloaded", 1025: "Invalid Request"}


def classify(image: str, env: Mapping[str, str], service: str = "") -> str:
    """What a service is, from its image and interpolated environment.

    ``*/web:*`` → Webapp; ``WA_DB_UPGRADE`` → dbupgrade job; ``WA_MASTER_NODE`` truthy → Master;
    other ``*/coreapp:*`` → Coreapp (facts from the official compose files, wa-onprem-api.md §1).
    """
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    if repo.endswith("/web") or "whatsapp.biz/web" in repo:
        return WEBAPP
    if "coreapp" in repo:
        if str(env.get("WA_DB_UPGRADE", "")).strip() not in ("", "0"):
            return DBUPGRADE
        if str(env.get("WA_MASTER_NODE", "")).strip() not in ("", "0"):
            return MASTER
        return COREAPP
    return OTHER


@dataclass(frozen=True)
class Candidate:
    """A node that may take a role: its id and when it became ready (any clock, same for all)."""

    node_id: str
    ready_at: float


def by_readiness(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in the order the cluster prefers them: the earliest ready first (ties keep the given order)."""
    return sorted(candidates, key=lambda c: c.ready_at)


def choose_primary(current: str | None, ready_masters: Sequence[Candidate], vacancy_due: bool) -> str | None:
    """Who is the primary Master.

    ``current``: the holder of the master lease, if it still holds it; ``ready_masters``: the Masters
    that finished starting; ``vacancy_due``: True when there was never a primary or the vacancy has
    lasted ``FAILOVER_DELAY``. Returns the current holder while it is ready, else (when due) the
    earliest-ready Master, else ``None`` (nobody yet).
    """
    ids = {c.node_id for c in ready_masters}
    if current is not None and current in ids:
        return current
    if not vacancy_due or not ready_masters:
        return None
    return by_readiness(ready_masters)[0].node_id


@dataclass(frozen=True)
class ShardAssignment:
    """Shard ``shard`` goes to ``node_id``; ``failover`` when it replaces a lost owner (→ connecting)."""

    shard: int
    node_id: str
    failover: bool


@dataclass(frozen=True)
class ShardPlan:
    """What to do now: ``assign``; ``wait_until``: the earliest time a waiting vacancy becomes due (or None)."""

    assign: tuple[ShardAssignment, ...]
    wait_until: float | None


def plan_shards(shards: int, owners: Mapping[int, str], ready_coreapps: Sequence[Candidate],
                vacant_since: Mapping[int, float], now: float, failover_delay: float) -> ShardPlan:
    """Assign the shards ``0..shards-1`` that have no owner to ready Coreapps that own none.

    ``owners``: shard → owning node, only owners that still hold their shard; ``vacant_since``:
    shard → when its previous owner was lost (absent: never owned, taken at once and
    ``connected``); a lost shard is taken over once ``failover_delay`` has passed (``connecting``).
    Spares are taken earliest-ready first; one shard per Coreapp (§3.8: one shard per Coreapp).
    """
    taken = {n for k, n in owners.items() if k < shards}
    spares = [c.node_id for c in by_readiness(ready_coreapps) if c.node_id not in taken]
    out: list[ShardAssignment] = []
    wait: float | None = None
    for k in range(shards):
        if k in owners:
            continue
        if not spares:
            break
        since = vacant_since.get(k)
        if since is None:
            out.append(ShardAssignment(k, spares.pop(0), False))
        elif now >= since + failover_delay - _EPS:
            out.append(ShardAssignment(k, spares.pop(0), True))
        else:
            due = since + failover_delay
            wait = due if wait is None else min(wait, due)
    return ShardPlan(tuple(out), wait)


def node_entry(kind: str, *, ready: bool, registered: bool, is_primary: bool, shards: int,
               owns_shard: bool, connecting: bool) -> dict:
    """One ``/v1/health`` node entry (wa-onprem-api.md §3.3) for a Master or Coreapp.

    Not ready → ``{"errors": [1011]}``; Masters: ``primary_master``/``secondary_master``,
    ``unregistered`` before registration, the primary ``connected`` in Multiconnect (shards > 1),
    else ``disconnected``; Coreapps: ``unregistered``, ``connecting``/``connected`` when owning a
    shard, else ``disconnected`` (standby).
    """
    if not ready:
        return {"errors": [dict(NOT_READY_ERROR)]}
    if kind == MASTER:
        role = "primary_master" if is_primary else "secondary_master"
        if not registered:
            status = "unregistered"
        elif is_primary and shards > 1:
            status = "connected"
        else:
            status = "disconnected"
        return {"gateway_status": status, "role": role}
    if not registered:
        return {"gateway_status": "unregistered", "role": COREAPP}
    if owns_shard:
        return {"gateway_status": "connecting" if connecting else "connected", "role": COREAPP}
    return {"gateway_status": "disconnected", "role": COREAPP}


def support_shards(owned: Sequence[int], *, kind: str, is_primary: bool, registered: bool, shards: int) -> list[list[int]]:
    """The ``shards`` field of ``/v1/support`` for one node (wa-onprem-api.md §3.8).

    HA: the active Coreapp owns the control shard -1 and shard 0 (``[[-1,-1],[0,0]]``); MC: each
    owner ``[[k,k]]`` and the primary Master the control shard ``[[-1,-1]]``; everyone else ``[]``.
    """
    if not owned:
        if kind == MASTER and is_primary and registered and shards > 1:
            return [[-1, -1]]
        return []
    out = [[k, k] for k in sorted(owned)]
    return [[-1, -1]] + out if shards == 1 else out


def socket_conn(gateway_status: str | None) -> str:
    """``socket_conn`` of ``/v1/support`` for a gateway status (§3.8: UP, SC, DN)."""
    return {"connected": "UP", "connecting": "SC"}.get(gateway_status or "", "DN")


def shards_problem(shards: object, running_coreapps: int) -> str | None:
    """Why ``POST /v1/account/shards`` must refuse ``shards`` (answered 400 code 1009), or ``None``.

    The value must be one of :data:`VALID_SHARDS`; there must be at least that many Coreapps
    running ("shard number + X" rule, wa-onprem-api.md §4).
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards not in VALID_SHARDS:
        return "shards: must be one of 1, 2, 4, 8, 16, 32"
    if running_coreapps < shards:
        return (f"shards: only {running_coreapps} Coreapp(s) running, {shards} needed "
                "(run shards + X Coreapps to tolerate X failures)")
    return None


# ---------------------------------------------------------------------- Webapp API rules

#: Bearer tokens live 7 days (wa-onprem-api.md §3.1).
TOKEN_LIFETIME_S = 7 * 24 * 3600
#: The default account; its first login must change the password (wa-onprem-api.md §3.1).
DEFAULT_ADMIN = ("admin", "secret")
_PASSWORD_SPECIALS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

#: ``GET /v1/settings/application`` defaults (wa-onprem-api.md §3.9).
DEFAULT_APP_SETTINGS: dict = {
    "callback_backoff_delay_ms": 3000, "callback_persist": True,
    "garbagecollector_enable": {"media": False, "messages": True}, "heartbeat_interval": 5,
    "max_callback_backoff_delay_ms": 900000,
    "media": {"auto_download": ["image", "video", "voice", "sticker", "audio", "document"]},
    "notify_user_change_number": True, "show_security_notifications": True, "unhealthy_interval": 30,
    "webhooks": {"max_concurrent_requests": 6, "message": {"sent": True, "delivered": True, "read": False}},
    "verbose_logging": False, "log_level": "info",
}


def password_problem(pw: object) -> str | None:
    """Why ``pw`` breaks the password policy (8-64 chars, digit, upper, lower, special), or None.

    Policy from Meta's login docs as summarised in wa-onprem-api.md §3.1.
    """
    if not isinstance(pw, str):
        return "password must be a string"
    if not 8 <= len(pw) <= 64:
        return "password must be 8 to 64 characters long"
    if not any(c.isdigit() for c in pw):
        return "password must contain at least one digit"
    if not any(c.isupper() for c in pw):
        return "password must contain at least one uppercase letter"
    if not any(c.islower() for c in pw):
        return "password must contain at least one lowercase letter"
    if not any(c in _PASSWORD_SPECIALS for c in pw):
        return "password must contain at least one special character"
    return None


def _b64(text: str) -> bytes | None:
    import base64
    import binascii
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_vname(cert: str) -> str:
    """Business display name carried by ``cert``: base64 of UTF-8 text in the demo, else a default."""
    import base64
    import binascii
    try:
        text = base64.b64decode(cert + "=" * (-len(cert) % 4), validate=False).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "WhatsApp Business"
    if text and all(ch.isprintable() for ch in text) and len(text) <= 128:
        return text
    return "WhatsApp Business"


def account_request_problem(body: Mapping) -> tuple[int, str] | None:
    """Why a ``POST /v1/account`` body is refused: ``(1008, details)`` for a missing field, ``(1009,
    details)`` for a bad value (both HTTP 400), or ``None``. Fields: wa-onprem-api.md §3.4."""
    for f in ("cc", "phone_number", "method", "cert"):
        if body.get(f) in (None, ""):
            return 1008, f"Missing mandatory parameter: {f}"
    cc, phone = str(body["cc"]).lstrip("+"), str(body["phone_number"])
    if not (cc.isdigit() and 1 <= len(cc) <= 3):
        return 1009, "cc: must be 1 to 3 digits"
    if not (phone.isdigit() and 4 <= len(phone) <= 15):
        return 1009, "phone_number: must be 4 to 15 digits"
    if body["method"] not in ("sms", "voice"):
        return 1009, "method: must be 'sms' or 'voice'"
    if _b64(str(body["cert"])) is None:
        return 1009, "cert: not valid base64"
    pin = body.get("pin")
    if pin not in (None, "") and not (str(pin).isdigit() and len(str(pin)) == 6):
        return 1009, "pin: must be 6 digits"
    return None


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic …`` header (login, wa-onprem-api.md §3.1), or None."""
    import base64
    import binascii
    scheme, _, cred = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, pw = base64.b64decode(cred.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user, pw


def new_user_problem(body: Mapping) -> tuple[int, str] | None:
    """Why a ``POST /v1/users`` body is refused: ``(1008|1009, details)`` (HTTP 400), or None.
    Username 4-32 characters ([WABC]), password policy of :func:`password_problem`."""
    for f in ("username", "password"):
        if not body.get(f):
            return 1008, f"Missing parameter: {f}"
    if not 4 <= len(str(body["username"])) <= 32:
        return 1009, "username must be 4 to 32 characters"
    problem = password_problem(body["password"])
    return (1009, f"password: {problem}") if problem else None


def merge_settings(dst: dict, src: Mapping) -> None:
    """``PATCH /v1/settings/application``: merge ``src`` into ``dst`` in place, nested objects key by key
    (a PATCH may carry any subset, wa-onprem-api.md §3.9)."""
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge_settings(dst[k], v)
        else:
            dst[k] = v
