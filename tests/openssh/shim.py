#!/usr/bin/env python3
"""`docker` / `docker-compose` on an OpenSSH test host: forwards the call to the simulated host over
OpenSSH's own `ssh` client, with the compose variables and the working directory, translating the
host's real paths (under the simulated host's root) to the simulator's view. Configured by
`sim.json` beside it: {"port", "key", "known_hosts", "user", "root"}."""

import json
import os
import shlex
import sys

here = os.path.dirname(os.path.realpath(__file__))
cfg = json.load(open(os.path.join(here, "sim.json")))
root = cfg["root"].rstrip("/")


def virtual(arg):
    if arg == root:
        return "/"
    if arg.startswith(root + "/"):
        return arg[len(root):]
    return arg


name = os.path.basename(sys.argv[0])
args = " ".join(shlex.quote(virtual(a)) for a in sys.argv[1:])
env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in sorted(os.environ)
               if k in ("WA_API_VERSION", "EXIT_ON_SUCCESS") or k.startswith(("EXTERNAL_", "COMPOSE_")))
remote = f"cd {shlex.quote(virtual(os.getcwd()))} 2>/dev/null; {env} {name} {args}"
os.execvp("ssh", ["ssh", "-q", "-p", str(cfg["port"]), "-i", cfg["key"], "-o", "UserKnownHostsFile=" + cfg["known_hosts"],
                  "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null",
                  f"{cfg['user']}@127.0.0.1", remote])
