"""What the compose subcommands share: option splitting, progress lines, the ``ps`` table's texts
(also used by ``docker ps``) and the ``--since`` value (also ``docker logs --since``)."""

from __future__ import annotations

import re

from ..daemon import Container
from ..shell import Proc
from .project import ComposeError


def _port_text(spec: str) -> str:
    parts = spec.split(":")
    proto = "tcp"
    if "/" in parts[-1]:
        parts[-1], proto = parts[-1].split("/", 1)
    if len(parts) == 1:
        return f"{parts[0]}/{proto}"
    host_port, cont = parts[-2], parts[-1]
    ip = parts[0] if len(parts) == 3 else "0.0.0.0"
    return f"{ip}:{host_port}->{cont}/{proto}"


def ports_text(c: Container) -> str:
    """The Ports column of ``docker-compose ps`` and ``docker ps`` for ``c``: each ``ports:`` spec as
    ``ip:host->container/proto`` (``"9090:443"`` → ``0.0.0.0:9090->443/tcp``, a bare ``"443"`` → ``443/tcp``), joined
    with ``", "``; ``""`` when the container is not running."""
    return ", ".join(_port_text(s) for s in c.ports) if c.running else ""


def state_text(c: Container) -> str:
    """``ps`` State column of compose 1.29.2: ``Up``, ``Restarting`` (restart back-off), ``Exit N``."""
    if c.state == "restarting":
        return "Restarting"
    return "Up" if c.running else f"Exit {c.exit_code if c.exit_code is not None else 0}"


def truncate(s: str, width: int = 30) -> str:
    """``s`` for the ``ps`` Command column: kept whole up to ``width`` characters, else cut to its first ``width - 4``
    and ``" ..."`` (docker-compose 1.x ``ps``, compose/cli/main.py: ``'%s ...' % command[:26]`` above 30)."""
    return s if len(s) <= width else s[: width - 4] + " ..."


def ps_table(rows: list[list[str]], headers: list[str]) -> str:
    """``rows`` (one string per header each) under ``headers`` as the ``ps`` table text: centred titles, a ``-`` rule as
    wide as the table, cells left-aligned, columns 3 spaces apart, trailing spaces cut, newline-terminated (the shape of
    compose 1.29.2's, compared in tests/realdocker/test_conformance.py)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "   ".join(h.center(w) for h, w in zip(headers, widths)).rstrip()
    total = sum(widths) + 3 * (len(widths) - 1)
    out = [line, "-" * total]
    for r in rows:
        out.append("   ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(out) + "\n"


def split_options(rest: list[str], with_value: tuple[str, ...] = ()) -> tuple[dict[str, str], list[str]]:
    """Split a subcommand's arguments into ``(options, positionals)``: ``--opt=value`` → ``{"--opt": "value"}``, an
    option in ``with_value`` takes the next argument (``""`` when none is left), another ``--flag`` maps to ``""`` and
    ``-abc`` to ``-a``, ``-b``, ``-c``; the rest (``-`` too) are positionals, in order. Unknown options are kept, never
    refused."""
    opts: dict[str, str] = {}
    pos: list[str] = []
    it = iter(rest)
    for a in it:
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1)
            opts[k] = v
        elif a in with_value:
            opts[a] = next(it, "")
        elif a.startswith("-") and len(a) > 1:
            if a.startswith("--"):
                opts[a] = ""
            else:
                for ch in a[1:]:
                    opts["-" + ch] = ""
        else:
            pos.append(a)
    return opts, pos


async def write_line(p: Proc, text: str, pause: float = 0.05, stream: str = "err") -> None:
    """Write ``text`` and a newline to stderr (``stream="err"``: compose's progress lines) or to stdout (any other
    ``stream``), then pause ``pause`` seconds of simulated time (scaled by the cluster's speed)."""
    await (p.err if stream == "err" else p.out)(text + "\n")
    await p.shell.host.pause(pause)


def since_time(value: str):
    """Docker's ``--since`` value as a UTC datetime: a duration (``10m``, ``1h30m``, ``45s``), an RFC 3339
    date or date-time, or a Unix timestamp. Raises :class:`ComposeError` for anything else."""
    import datetime as _dt

    now = _dt.datetime.now(_dt.timezone.utc)
    m = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)", value)
    if m:
        seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[u]
                      for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value))
        return now - _dt.timedelta(seconds=seconds)
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return _dt.datetime.fromtimestamp(float(value), _dt.timezone.utc)
    try:
        when = _dt.datetime.fromisoformat(value.rstrip("Z"))
        return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise ComposeError(f'invalid value "{value}" for flag --since') from None
