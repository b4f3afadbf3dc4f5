"""The lab's facts in the shape of a cluster profile file (plain data; the ``lab`` face turns it into a profile
with the client's own loader and saves it, mode 600).

The product runs in the root namespace, which has no lab DNS: SSH targets and the Webapp URL use the hosts'
addresses, while ``external_hostname`` (``EXTERNAL_HOSTNAME``) keeps the names the hosts and containers resolve
through the lab DNS. Host keys are trusted through the known_hosts file the lab writes from the real keys.
"""

from __future__ import annotations

import base64

from .services import DB_PASSWORD, DB_USER
from .state import Ledger, Paths
from .topology import DB_NAME, MEDIA_PATH

LAB_ADMIN_PASSWORD = "Lab-Admin-2026#"
LAB_BUSINESS = "Lab Pizza Srl"
REMOTE_DIR = "/home/wa/biz"
WEBAPP_PORT = 9090


def profile_data(paths: Paths, ledger: Ledger, name: str = "lab") -> dict:
    """The profile (as YAML-able data) for the lab in ``ledger``: its non-spare hosts, the DB server, the shared
    media path, the first Webapp's address, the lab's first version."""
    data = ledger.data
    hosts = [host_entry(paths, h) for h in data["hosts"] if not h.get("spare")]
    webapp = next(h for h in data["hosts"] if "webapp" in h["roles"])
    pg = data["db"]["engine"] == "postgres"
    return {
        "name": name,
        "wa_api_version": data["versions"][0],
        "hosts": hosts,
        "db": {"engine": "PGSQL" if pg else "MYSQL", "hostname": DB_NAME, "port": 5432 if pg else 3306,
               "username": DB_USER, "password": DB_PASSWORD},
        "media": {"kind": "host_path", "host_path": MEDIA_PATH},
        "webapp": {"url": f"https://{webapp['ip']}:{WEBAPP_PORT}", "self_signed_ok": True,
                   "admin_password": LAB_ADMIN_PASSWORD},
        "registration": {"cc": "1", "phone_number": "6315550000", "method": "sms",
                         "cert": base64.b64encode(LAB_BUSINESS.encode()).decode()},
        "known_hosts": str(paths.known_hosts),
    }


def host_entry(paths: Paths, h: dict) -> dict:
    """One host's profile entry: SSH to its address as ``wa`` with the lab's client key."""
    return {"external_hostname": h["name"],
            "ssh": {"host": h["ip"], "port": 22, "user": "wa", "key_file": str(paths.client_key), "use_agent": False},
            "roles": list(h["roles"]), "remote_dir": REMOTE_DIR}


def spare_hosts(ledger: Ledger) -> list[dict]:
    """The spare hosts (left out of the profile; Multiconnect step 3 adds one)."""
    return [h for h in ledger.data["hosts"] if h.get("spare")]
