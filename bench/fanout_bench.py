"""Fan-out: starting the cluster (HA steps 2-5: upload the compose file and ``db.env``, check the media
volume, ``up -d`` each host's service) on N simulated hosts, wabiz-tui against the seed's sequential
shell loop (``scp`` the two files, then ``ssh host '... docker-compose ... up -d <service>'``, one host
after the other) run with the OpenSSH client against the same kind of hosts.

Why it is fair:

* the simulator runs in its own process (``bench.sim_server``); every host is given the same
  artificial per-command latency (``set_host_latency``), which stands for a real host's
  ``docker-compose up -d``; each side gets a freshly started cluster with the remote directory
  already made (step 1 is out of both measurements) so neither finds containers already up;
* both sides send the same files and the very same ``up -d`` command lines (built by
  ``domain.commands.ComposeInvocation``); OpenSSH uses strict host-key checking with the simulator's
  known_hosts, no user config, key auth only;
* wabiz-tui is timed inside its client process from the workflow's creation (SSH connections
  included) to the end of step 5; its interpreter start and imports are printed apart, since an
  operator pays them once when opening the app, not per install;
* the physical limit is the slowest host alone: the same steps run by wabiz-tui on one host of each
  role set, each on its own fresh cluster host; "vs slowest" compares the N-host run with it.

Target: speed-up >= 0.8 x N (within 25 % of the slowest single host). The layout with N hosts is
1 Webapp, 2 Masters, N-3 Coreapps (N=2: Webapp+Master on one host, Coreapp on the other, so that
host runs two ``up -d`` and is the slowest).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Sim, need, openssh_options, run_accounted, start_sim

#: Per-command latency given to every simulated host (seconds).
DEFAULT_LATENCY = 0.5
DEFAULT_SIZES = (2, 7, 20)


# ---------------------------------------------------------------------------------------------- client
async def client(profile_path: Path, only: str | None, log_dir: Path) -> int:
    """Run steps 2-5 (all hosts, or only ``only``); print ``elapsed <seconds>``."""
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE
    from wabiz_tui.remote.ssh import SshSettings
    from wabiz_tui.workflows.events import discard
    from wabiz_tui.workflows.ha_install import HaInstall
    from wabiz_tui.workflows.settings import RunSettings

    profile = load_profile(profile_path)
    t0 = time.perf_counter()
    settings = RunSettings(ssh=SshSettings(known_hosts=[Path(profile.known_hosts)], read_user_config=False),
                           log_dir=log_dir)
    wf = HaInstall(profile, emit=discard, settings=settings)
    try:
        if only is None:
            ok = all([await wf.run_step(n) for n in (2, 3, 4, 5)])
        else:  # the same per-host actions, on one host only (the physical floor of the fan-out)
            hosts = tuple(h for h in profile.hosts if h.external_hostname == only)
            ok = (await wf._on_hosts(2, hosts, wf._upload_compose, f"uploading {COMPOSE_FILE}", needs_compose=False)
                  and await wf._on_hosts(3, hosts, wf._upload_db_env, f"uploading {DB_ENV_FILE}", needs_compose=False)
                  and await wf.step_media()
                  and await wf._on_hosts(5, hosts, wf._up, "starting the containers"))
    finally:
        await wf.close()
    elapsed = time.perf_counter() - t0
    print(f"elapsed {elapsed:.6f}", flush=True)
    return 0 if ok else 1


def run_ours(sim: Sim, only: str | None = None) -> dict:
    """Seconds inside the client for steps 2-5 (``inner``), of the whole client process (``total``), and
    the CPU seconds the client process and the simulator used meanwhile (``cpu``, ``sim_cpu``)."""
    with tempfile.TemporaryDirectory() as logs:
        cmd = [sys.executable, "-m", "bench.fanout_bench", "--client", sim.profile, "--log-dir", logs]
        if only:
            cmd += ["--only", only]
        out_path = Path(logs) / "client.out"
        sim_before = sim.cpu_seconds()
        with open(out_path, "w") as out:
            total, _, cpu = run_accounted(cmd, stdout=out, stderr=subprocess.STDOUT,
                                          env=os.environ | {"WABIZ_TUI_HOME": logs})
        sim_cpu = sim.cpu_seconds() - sim_before
        text = out_path.read_text()
    inner = float(next(l for l in text.splitlines() if l.startswith("elapsed ")).split()[1])
    return {"inner": inner, "total": total, "cpu": cpu, "sim_cpu": sim_cpu}


# ---------------------------------------------------------------------------------------------- seed
def seed_script(sim: Sim, workdir: Path, *, parallel: bool = False) -> Path:
    """The seed's sequential loop, unrolled per host: scp both files, then ssh ``up -d`` per role.

    ``parallel``: the same per-host chain, every host's chain backgrounded at once, then ``wait`` for each
    (the script fails when any host's chain failed): what an operator's shell does in parallel with OpenSSH."""
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.domain.commands import ComposeInvocation
    from wabiz_tui.domain.model import ROLE_ORDER
    from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env

    profile = load_profile(Path(sim.profile))
    (workdir / COMPOSE_FILE).write_text(render_compose(profile))
    (workdir / DB_ENV_FILE).write_text(render_db_env(profile.db))
    (workdir / DB_ENV_FILE).chmod(0o600)
    ssh, scp = need("ssh"), need("scp")
    opts = " ".join(map(shlex.quote, openssh_options(sim)))
    lines = ["#!/bin/bash", "set -e", f"cd {shlex.quote(str(workdir))}"]
    for host in profile.hosts:
        port, target = host.ssh.port, f"{host.ssh.user}@{host.ssh.host}"
        chain = [f"{scp} -q -O -P {port} {opts} {COMPOSE_FILE} {DB_ENV_FILE} {target}:{shlex.quote(host.remote_dir + '/')}"]
        inv = ComposeInvocation(host, profile.wa_api_version)
        chain += [f"{ssh} -q -n -p {port} {opts} {target} {shlex.quote(inv.up(role))}" for role in ROLE_ORDER if host.has(role)]
        lines += [f"( {' && '.join(chain)} ) & pids+=($!)"] if parallel else chain
    if parallel:
        lines.append('for p in "${pids[@]}"; do wait "$p"; done')
    path = workdir / "seed-start.sh"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_seed(sim: Sim, *, parallel: bool = False) -> dict:
    """Seconds of the seed loop (``parallel``: every host's chain at once), the CPU seconds of its OpenSSH
    processes and of the simulator meanwhile."""
    with tempfile.TemporaryDirectory() as tmp:
        script = seed_script(sim, Path(tmp), parallel=parallel)
        sim_before = sim.cpu_seconds()
        with open(Path(tmp) / "seed.err", "w") as err:
            try:
                wall, _, cpu = run_accounted(["bash", str(script)], stdout=subprocess.DEVNULL, stderr=err,
                                             stdin=subprocess.DEVNULL)
            except RuntimeError:
                raise RuntimeError(f"seed loop failed: {(Path(tmp) / 'seed.err').read_text()[-2000:]}") from None
        return {"wall": wall, "cpu": cpu, "sim_cpu": sim.cpu_seconds() - sim_before}


# ---------------------------------------------------------------------------------------------- report
def role_representatives(sim: Sim) -> list[str]:
    """One host per distinct role set (their slowest is the physical floor)."""
    from wabiz_tui.config.profile import load_profile

    seen: dict[tuple, str] = {}
    for h in load_profile(Path(sim.profile)).hosts:
        seen.setdefault(tuple(sorted(r.value for r in h.roles)), h.external_hostname)
    return list(seen.values())


def measure(n: int, latency: float) -> dict:
    args = ("--hosts", str(n), "--no-install", "--latency", str(latency))
    with start_sim(*args) as sim:
        ours = run_ours(sim)
    with start_sim(*args) as sim:
        seed = run_seed(sim)
    with start_sim(*args) as sim:
        singles = {h: run_ours(sim, only=h)["inner"] for h in role_representatives(sim)}
    slow_host = max(singles, key=singles.get)
    return {"n": n, "ours": ours, "seed": seed, "single": singles[slow_host], "single_host": slow_host}


def main(sizes: tuple[int, ...] = DEFAULT_SIZES, latency: float = DEFAULT_LATENCY) -> list[str]:
    lines = [f"fan-out (HA steps 2-5, every host +{latency:g} s per command; simulator in its own process):"]
    for n in sizes:
        r = measure(n, latency)
        ours, seed = r["ours"], r["seed"]
        speedup = seed["wall"] / ours["inner"]
        target = 0.8 * n
        vs_single = ours["inner"] / r["single"]
        ok = "met" if speedup >= target or vs_single <= 1.25 else "MISSED"
        lines.append(
            f"  {n:>2} hosts: wabiz-tui {ours['inner']:.2f} s (process incl. start-up {ours['total']:.2f} s) vs seed loop "
            f"(OpenSSH scp+ssh, sequential) {seed['wall']:.2f} s -> speed-up {speedup:.1f}x (target >= {target:.1f}x; "
            f"bound by seed / slowest host = {seed['wall'] / r['single']:.1f}x); slowest host alone ({r['single_host']}) "
            f"{r['single']:.2f} s -> wabiz-tui at {vs_single:.2f}x of it (target <= 1.25x) [{ok}]")
        lines.append(
            f"      CPU seconds: wabiz-tui client {ours['cpu']:.2f} + simulator {ours['sim_cpu']:.2f} "
            f"= {ours['cpu'] + ours['sim_cpu']:.2f} in {ours['total']:.2f} s on {os.cpu_count()} cores; "
            f"seed: OpenSSH {seed['cpu']:.2f} + simulator {seed['sim_cpu']:.2f}")
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", type=Path, help="(internal) run the wabiz-tui side on this profile")
    ap.add_argument("--only")
    ap.add_argument("--log-dir", type=Path)
    ap.add_argument("--latency", type=float, default=DEFAULT_LATENCY)
    ap.add_argument("sizes", nargs="*", type=int)
    a = ap.parse_args()
    if a.client:
        sys.exit(asyncio.run(client(a.client, a.only, a.log_dir or Path(tempfile.mkdtemp()))))
    for line in main(tuple(a.sizes) or DEFAULT_SIZES, a.latency):
        print(line, flush=True)
