"""The stand-in WhatsApp node that runs inside the lab's ``web`` and ``coreapp`` images.

Runs on Debian bookworm's python3 with only the stdlib, ``python3-pymysql`` and ``python3-psycopg2``
plus the ``openssl`` binary; ``rules.py`` (the simulator's cluster rules) is copied in beside it by
``wabiz_tui.lab.node.image_tree``. Nothing here imports the wabiz-tui client.
"""
