"""The demo: the simulated cluster, the profile that points at it, and the logic of its fault keys."""

from .session import DEMO_ADMIN_PASSWORD, DEMO_DB_PASSWORD, DemoSession, match_db_to_client, run_demo, start_demo

__all__ = ["DEMO_ADMIN_PASSWORD", "DEMO_DB_PASSWORD", "DemoSession", "match_db_to_client", "run_demo", "start_demo"]
