"""Benchmarks on real parts (issue 12 item 6): the lab's 6 hosts (OpenSSH sshd, dockerd 20.10, docker-compose
1.29.2 each, ``wabiz-tui lab``), root on Linux only. Printed side by side in one run:

* HA steps 2-5 (upload compose file and ``db.env``, media check, ``up -d``) on the 6 hosts (the seed's 5 plus
  the spare as a third Coreapp): wabiz-tui vs the seed's sequential OpenSSH ``scp`` + ``ssh … up -d`` loop
  (:func:`bench.fanout_bench.seed_script`, the same files and command lines), and vs the slowest host alone;
* log collection: ``wabiz-tui logs`` vs parallel OpenSSH ``ssh host 'docker-compose logs' > file``;
* the lab's memory per host (PSS of the host's sshd, dockerd and containerd; cgroup memory of its containers).

Why it is fair: the same hosts for every side; before each fan-out run every host's containers are removed
and the images stay (no side pulls), so each ``up -d`` creates and starts its container; the client is timed
inside its process as in ``fanout_bench`` (start-up printed apart). Run: ``python -m bench.lab_bench`` (brings
a lab up and down if none is up; uses the one that is up otherwise, and leaves it up).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .common import need, openssh_options
from .fanout_bench import role_representatives, run_ours, run_seed

SPARE = "wa-core-3"


@dataclass
class LabTarget:
    """What the fan-out helpers need of a cluster: a profile, the client key, the known_hosts. The hosts are
    real, so there is no simulator CPU to account: ``cpu_seconds`` is 0."""

    profile: str
    key: str
    known_hosts: str
    hosts: list[dict]

    def cpu_seconds(self) -> float:
        return 0.0

    def ssh(self, ip: str, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([need("ssh"), "-n", *openssh_options(self), f"wa@{ip}", command],
                              capture_output=True, text=True, timeout=120)


def six_host_profile(paths, ledger, workdir: Path) -> Path:
    """The lab's profile with the spare host added as a third Coreapp (the 6 lab hosts)."""
    from wabiz_tui.cli.lab import save_lab_profile
    path = save_lab_profile(paths, ledger, workdir / "lab.yaml")
    data = yaml.safe_load(path.read_text())
    spare = next(h for h in ledger.data["hosts"] if h["name"] == SPARE)
    core = next(h for h in data["hosts"] if h["external_hostname"].startswith("wa-core"))
    data["hosts"].append({**core, "external_hostname": SPARE, "ssh": {**core["ssh"], "host": spare["ip"]}})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path


def reset(target: LabTarget) -> None:
    """Every host: no container, the remote directory made (step 1 is outside both measurements)."""
    for h in target.hosts:
        target.ssh(h["ip"], "docker rm -f $(docker ps -aq) >/dev/null 2>&1; mkdir -p /home/wa/biz; true")


def collect_logs_ours(target: LabTarget, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wabiz_tui.cli", "logs", target.profile, "--out", str(out)],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def collect_logs_openssh(target: LabTarget, out: Path) -> float:
    """Parallel ``ssh host 'docker-compose … logs --no-color' > file``, one per host, as an operator's shell would."""
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.domain.commands import ComposeInvocation
    profile = load_profile(Path(target.profile))
    start = time.perf_counter()
    procs = []
    for host in profile.hosts:
        inv = ComposeInvocation(host, profile.wa_api_version)
        command = inv.command("logs", "--no-color")
        with open(out / f"{host.external_hostname}.txt", "w") as fh:
            procs.append(subprocess.Popen([need("ssh"), "-n", *openssh_options(target),
                                           f"{host.ssh.user}@{host.ssh.host}", command], stdout=fh))
    for p in procs:
        p.wait()
    return time.perf_counter() - start


def main() -> list[str]:
    from wabiz_tui.lab import control
    from wabiz_tui.lab.state import Ledger, Paths

    paths = Paths()
    brought_up = not control.is_up(paths)
    if brought_up:
        control.up(paths, hosts=6, db="mysql", versions=("2.41.2",), db_version_spoof=True, speed=0.1,
                   log=lambda *_: None)
    lines = []
    try:
        ledger = Ledger.load(paths)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            target = LabTarget(str(six_host_profile(paths, ledger, work)), str(paths.client_key),
                               str(paths.known_hosts), ledger.data["hosts"])
            reset(target)
            for h in target.hosts:  # images present on every host, for every side
                kind = "web" if h["name"].startswith("wa-web") else "coreapp"
                target.ssh(h["ip"], f"docker pull -q docker.whatsapp.biz/{kind}:v2.41.2")
            reset(target)
            ours = run_ours(target)
            reset(target)
            seed = run_seed(target)
            singles = {}
            for name in role_representatives(target):
                reset(target)
                singles[name] = run_ours(target, only=name)["inner"]
            slow = max(singles, key=singles.get)
            n = len(target.hosts)
            lines.append(f"lab fan-out (HA steps 2-5 on {n} lab hosts: real sshd, dockerd 20.10, compose 1.29.2):")
            lines.append(f"  wabiz-tui {ours['inner']:.2f} s (process incl. start-up {ours['total']:.2f} s) vs seed loop "
                         f"(OpenSSH scp+ssh, sequential) {seed['wall']:.2f} s -> speed-up {seed['wall'] / ours['inner']:.1f}x; "
                         f"slowest host alone ({slow}) {singles[slow]:.2f} s -> wabiz-tui at "
                         f"{ours['inner'] / singles[slow]:.2f}x of it (target <= 1.25x)")
            reset(target)
            run_ours(target)  # the whole cluster up again (not measured): logs and memory of a running cluster
            time.sleep(3)
            (work / "ours").mkdir()
            (work / "ssh").mkdir()
            t_ours = collect_logs_ours(target, work / "ours")
            t_ssh = collect_logs_openssh(target, work / "ssh")
            size = sum(f.stat().st_size for f in (work / "ssh").iterdir())
            lines.append(f"lab logs ({n} hosts, {size / 1024:.0f} KiB in all): wabiz-tui {t_ours:.2f} s vs parallel "
                         f"OpenSSH ssh 'docker-compose logs' > file {t_ssh:.2f} s -> ratio {t_ssh / t_ours:.2f} "
                         f"(target >= 0.9)")
            st = control.status(paths)
            lines.append("lab memory per host, cluster running (PSS of the host's processes: sshd, dockerd, "
                         "containerd, shims; cgroup memory of its containers):")
            for h in st["hosts"]:
                lines.append(f"  {h['name']:<12} {h['pss_kib'] / 1024:6.1f} MiB host processes, "
                             f"{h['containers_memory'] / 2**20:6.1f} MiB containers")
            reset(target)
    finally:
        if brought_up:
            control.down(paths, log=lambda *_: None)
    return lines


if __name__ == "__main__":
    for line in main():
        print(line, flush=True)
