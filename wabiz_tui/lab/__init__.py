"""The rehearsal lab of real parts (``wabiz-tui lab``): on one Linux machine, as root, N hosts each in its own
network namespace with its own OpenSSH sshd and dockerd (+ managed containerd), a TLS registry answering as
``docker.whatsapp.biz``, lab DNS (dnsmasq), a MariaDB or PostgreSQL server and a shared media path.

A world of its own like :mod:`wabiz_tui.sim`: it imports nothing of the client (only ``sim`` and ``lab.node``).
Facts it relies on were observed on this machine (``reference/lab-facts.md``).
"""

from .errors import LabError, LabRefused

__all__ = ["LabError", "LabRefused"]
