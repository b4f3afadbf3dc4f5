"""What every module of doctor's rule table shares: the rule functions' return type and two helpers over facts.

Kept apart from :mod:`.doctor_rules` (which imports every other rules module to build :data:`~.doctor_rules.RULES`)
so that each rules module imports on its own, in any order.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .doctor import Clear, Fact, Found

#: What a rule function yields: the causes it proves and the facts that rule its cause out.
Outcome = Iterator[Found | Clear]

#: The keys of the Webapp API's own findings: it does not answer (``API``), health judged against the plan
#: (``API_HEALTH``), the shard map of ``GET /v1/support`` (``API_SHARD_MAP``). A cause on the hosts that stops the
#: Webapp or a Coreapp explains all three.
API_KEYS = frozenset({"API", "API_HEALTH", "API_SHARD_MAP"})


def hosts_of(facts: Iterable[Fact]) -> tuple[str, ...]:
    """The hosts of ``facts`` in first-seen order, this machine ("") left out."""
    return tuple(dict.fromkeys(f.host for f in facts if f.host))


def names_of(hosts: Iterable[str]) -> str:
    """``hosts`` as one comma-separated string (for titles)."""
    return ", ".join(hosts)
