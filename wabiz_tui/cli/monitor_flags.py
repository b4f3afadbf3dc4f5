"""``--grace`` and ``--poll-floor``: the health monitor's timing flags, declared once for ``health``,
``monitor`` and ``exporter`` (a flag wins over the profile's ``monitoring.grace``/``monitoring.poll_floor``)."""

from __future__ import annotations

import argparse

from ..domain.validation import FieldError, check_monitor_timing


def add_timing_flags(parser: argparse.ArgumentParser) -> None:
    """Declare ``--grace SECONDS`` and ``--poll-floor SECONDS`` on ``parser`` (both default None: the profile's,
    else the tool's default)."""
    parser.add_argument("--grace", type=float, default=None, metavar="SECONDS",
                        help="seconds a start or failover may leave nodes transitional or a shard unserved before it "
                             "is failing (default: the profile's monitoring.grace, else 60)")
    parser.add_argument("--poll-floor", type=float, default=None, metavar="SECONDS", dest="poll_floor",
                        help="fewest seconds between two health polls of a cluster (default: the profile's "
                             "monitoring.poll_floor, else 0.1)")


def timing_errors(args: argparse.Namespace) -> list[FieldError]:
    """What is wrong with the flags' values (empty when nothing is), each naming its flag."""
    return check_monitor_timing(args.grace, args.poll_floor, names=("--grace", "--poll-floor"))
