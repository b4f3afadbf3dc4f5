"""The description of one procedure step, importable without the engine (faces import it at start-up)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepInfo:
    """A step of a procedure: its number in the seed, a stable key, a title and what it does."""

    number: int
    key: str
    title: str
    description: str
