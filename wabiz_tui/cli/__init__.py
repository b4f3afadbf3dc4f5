"""The headless faces: one module per command; ``cli.main.main`` dispatches (``wabiz-tui``, ``python -m wabiz_tui.cli``)."""
