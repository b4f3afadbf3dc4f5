"""The alert rules shipped with the exporter (``rules.yml`` beside this module)."""

from __future__ import annotations

from importlib.resources import files


def rules_text() -> str:
    """The Prometheus rule file (YAML), as shipped."""
    return files(__package__).joinpath("rules.yml").read_text(encoding="utf-8")
