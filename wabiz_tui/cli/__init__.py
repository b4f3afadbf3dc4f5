"""The headless faces: one module per command, ``main`` dispatches (``wabiz-tui`` and ``python -m wabiz_tui.cli``)."""

from .main import main

__all__ = ["main"]
