"""The Prometheus exporter: each cluster's health verdict as metrics, polled on its own schedule
(``wabiz-tui exporter``), with alert rules shipped beside it (``rules.yml``).

A face, like the CLI: it reads health only through :mod:`.source` (the monitor's poll), the run state and
the cluster lock (``config``), and never changes a cluster.
"""

#: where ``/metrics`` is served unless ``--listen`` says otherwise: this machine only
DEFAULT_LISTEN = "127.0.0.1:9850"
