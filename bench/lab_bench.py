"""Benchmarks on real parts (issue 12 item 6): a lab of N hosts (OpenSSH sshd, dockerd 20.10, docker-compose 1.29.2
each, ``wabiz-tui lab``), root on Linux only. Printed side by side in one run, for each lab size asked (6, 20):

* HA steps 2-5 (upload compose file and ``db.env``, media check, ``up -d``) on every lab host (the seed's 5 plus
  the spare hosts as more Coreapps): wabiz-tui vs three OpenSSH baselines on the same hosts, the same files and
  command lines (:func:`bench.fanout_bench.seed_script`): the seed's sequential ``scp`` + ``ssh … up -d`` loop,
  the same chain run for every host at once (``( scp && ssh … up -d ) &`` then ``wait``), and the slowest host
  alone (wabiz-tui on one host of each role set);
* where the time goes: CPU seconds of the client, of the lab's host processes (sshd and its sessions, dockerd,
  containerd, shims, docker-compose: every process in the hosts' mount namespaces, reaped children included)
  and of the containers (cpuacct of the hosts' cgroup parents), and the whole machine's busy CPU seconds; the
  lower bound of a run on this machine is its CPU seconds divided by the cores;
* log collection: ``wabiz-tui logs`` vs parallel OpenSSH ``ssh host 'docker-compose logs' > file``;
* the lab's memory per host and the machine's available memory.

Why it is fair: the same hosts for every side; before each fan-out run every host's containers are removed and
the images stay (no side pulls), so each ``up -d`` creates and starts its container; the sides alternate within a
round, so a load from elsewhere on the machine hits them alike; the client is timed inside its process as in
``fanout_bench`` (start-up printed apart). Run: ``python -m bench.lab_bench [--hosts 6,20] [--rounds N]``
(brings a lab of each size up and down; a lab already up of the same size is used and left up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .common import need, openssh_options
from .fanout_bench import role_representatives, run_ours, run_seed

DEFAULT_HOSTS = (6,)


@dataclass
class LabTarget:
    """What the fan-out helpers need of a cluster: a profile, the client key, the known_hosts. The hosts are
    real, so there is no simulator CPU to account: ``cpu_seconds`` is 0 (the lab's is counted apart)."""

    profile: str
    key: str
    known_hosts: str
    hosts: list[dict]

    def cpu_seconds(self) -> float:
        return 0.0

    def ssh(self, ip: str, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([need("ssh"), "-n", *openssh_options(self), f"wa@{ip}", command],
                              capture_output=True, text=True, timeout=120)


def all_hosts_profile(paths, ledger, workdir: Path) -> Path:
    """The lab's profile with every spare host added as one more Coreapp (all the lab's hosts)."""
    from wabiz_tui.cli.lab import save_lab_profile
    path = save_lab_profile(paths, ledger, workdir / "lab.yaml")
    data = yaml.safe_load(path.read_text())
    core = next(h for h in data["hosts"] if h["external_hostname"].startswith("wa-core"))
    for spare in (h for h in ledger.data["hosts"] if h.get("spare")):
        data["hosts"].append({**core, "external_hostname": spare["name"], "ssh": {**core["ssh"], "host": spare["ip"]}})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path


def reset(target: LabTarget) -> None:
    """Every host: no container, the remote directory made (step 1 is outside every measurement)."""
    procs = [subprocess.Popen([need("ssh"), "-n", *openssh_options(target), f"wa@{h['ip']}",
                               "docker rm -f $(docker ps -aq) >/dev/null 2>&1; mkdir -p /home/wa/biz; true"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for h in target.hosts]
    for p in procs:
        p.wait()
    time.sleep(0.5)  # let the daemons settle: the removal's work must not be charged to the next run


# ---------------------------------------------------------------------------------------------- CPU accounting
def _ticks(path: str, fields: slice) -> int:
    try:
        with open(path) as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in parts[fields])
    except (OSError, IndexError, ValueError):
        return 0


def lab_cpu(ledger) -> tuple[float, float]:
    """CPU seconds so far of the lab hosts' processes (utime+stime+cutime+cstime of every process in a host's
    mount namespace: children reaped by sshd or a shim are in their parent's c-times) and of their containers
    (``cpuacct.usage`` of each host's cgroup parent). Differences of two calls are what a run cost the lab."""
    from wabiz_tui.lab.proc import mnt_ns
    hz = os.sysconf("SC_CLK_TCK")
    spaces = {h["mntns"] for h in ledger.data["hosts"] if h.get("mntns")}
    ticks = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and mnt_ns(int(entry)) in spaces:
            ticks += _ticks(f"/proc/{entry}/stat", slice(11, 15))  # fields 14-17: utime stime cutime cstime
    containers = 0
    for h in ledger.data["hosts"]:
        try:
            containers += int(Path(f"/sys/fs/cgroup/cpuacct/wlab-h{h['index']}/cpuacct.usage").read_text())
        except (OSError, ValueError):
            pass
    return ticks / hz, containers / 1e9


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (``/proc/stat``: all but idle and iowait)."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def accounted(ledger, run) -> dict:
    """``run()``'s result with the lab's and the machine's CPU seconds meanwhile (``lab_cpu``, ``box_cpu``)."""
    host0, cont0 = lab_cpu(ledger)
    box0 = machine_busy()
    r = run()
    host1, cont1 = lab_cpu(ledger)
    return {**r, "lab_host_cpu": host1 - host0, "lab_cont_cpu": cont1 - cont0, "box_cpu": machine_busy() - box0}


# ---------------------------------------------------------------------------------------------- logs
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


# ---------------------------------------------------------------------------------------------- one lab
def mem_available_mib() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_lab(paths, ledger, rounds: int, *, sequential: bool = True) -> list[str]:
    """The side-by-side lines for the lab that is up (see the module docstring)."""
    from wabiz_tui.lab import control
    lines = []
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        target = LabTarget(str(all_hosts_profile(paths, ledger, work)), str(paths.client_key),
                           str(paths.known_hosts), ledger.data["hosts"])
        n = len(target.hosts)
        reset(target)
        for h in target.hosts:  # images present on every host, for every side
            kind = "web" if h["name"].startswith("wa-web") else "coreapp"
            target.ssh(h["ip"], f"docker pull -q docker.whatsapp.biz/{kind}:v{ledger.data['versions'][0]}")
        reps = role_representatives(target)
        ours, par, seq, singles = [], [], [], {name: [] for name in reps}
        for _ in range(rounds):  # the sides alternate: a load from elsewhere hits each alike
            reset(target)
            ours.append(accounted(ledger, lambda: run_ours(target)))
            reset(target)
            par.append(accounted(ledger, lambda: run_seed(target, parallel=True)))
            if sequential:
                reset(target)
                seq.append(accounted(ledger, lambda: run_seed(target)))
            for name in reps:
                reset(target)
                singles[name].append(accounted(ledger, lambda: run_ours(target, only=name)))
        med = statistics.median
        t_ours, t_par = med(r["inner"] for r in ours), med(r["wall"] for r in par)
        single = {name: med(r["inner"] for r in rs) for name, rs in singles.items()}
        slow = max(single, key=single.get)
        lines.append(f"lab fan-out, HA steps 2-5 on {n} lab hosts (real sshd, dockerd 20.10, compose 1.29.2), "
                     f"median of {rounds} round(s), sides alternating; load average {os.getloadavg()[0]:.1f} on {cores} cores:")
        lines.append(f"  wabiz-tui {t_ours:.2f} s (process incl. start-up {med(r['total'] for r in ours):.2f} s)")
        lines.append(f"  parallel OpenSSH loop (every host's scp + ssh up -d at once, then wait) {t_par:.2f} s "
                     f"-> wabiz-tui at {t_ours / t_par:.2f}x of it")
        if sequential:
            t_seq = med(r["wall"] for r in seq)
            lines.append(f"  seed loop (OpenSSH scp + ssh up -d, sequential) {t_seq:.2f} s -> speed-up {t_seq / t_ours:.1f}x")
        lines.append(f"  slowest host alone ({slow}) {single[slow]:.2f} s -> wabiz-tui at {t_ours / single[slow]:.2f}x "
                     f"(target <= 1.25x), the parallel OpenSSH loop at {t_par / single[slow]:.2f}x")

        def cpu_line(label: str, rs: list[dict], wall: float, client: float) -> str:
            lab = med(r["lab_host_cpu"] + r["lab_cont_cpu"] for r in rs)
            box = med(r["box_cpu"] for r in rs)
            return (f"  CPU s, {label}: client {client:.2f} + lab hosts {med(r['lab_host_cpu'] for r in rs):.2f} "
                    f"+ containers {med(r['lab_cont_cpu'] for r in rs):.2f}; whole machine {box:.2f} "
                    f"(= {box / wall:.1f} of {cores} cores busy) -> floor on this machine {(lab + client) / cores:.2f} s")

        lines.append(cpu_line("wabiz-tui", ours, med(r["total"] for r in ours), med(r["cpu"] for r in ours)))
        lines.append(cpu_line("parallel OpenSSH", par, t_par, med(r["cpu"] for r in par)))
        lines.append(cpu_line(f"one host ({slow})", singles[slow], med(r["total"] for r in singles[slow]),
                              med(r["cpu"] for r in singles[slow])))
        reset(target)
        run_ours(target)  # the whole cluster up again (not measured): logs and memory of a running cluster
        time.sleep(3)
        t_ours_l, t_ssh_l = [], []
        for i in range(rounds):
            (work / f"ours{i}").mkdir()
            (work / f"ssh{i}").mkdir()
            t_ours_l.append(collect_logs_ours(target, work / f"ours{i}"))
            t_ssh_l.append(collect_logs_openssh(target, work / f"ssh{i}"))
        size = sum(f.stat().st_size for f in (work / "ssh0").iterdir())
        a, b = med(t_ours_l), med(t_ssh_l)
        lines.append(f"lab logs ({n} hosts, {size / 1024:.0f} KiB in all, median of {rounds}): wabiz-tui {a:.2f} s "
                     f"(process incl. start-up) vs parallel OpenSSH ssh 'docker-compose logs' > file {b:.2f} s "
                     f"-> ratio {b / a:.2f} (target >= 0.9)")
        st = control.status(paths)
        pss = [h["pss_kib"] / 1024 for h in st["hosts"]]
        cont = [h["containers_memory"] / 2**20 for h in st["hosts"]]
        lines.append(f"lab memory per host, cluster running: host processes (PSS of sshd, dockerd, containerd, shims) "
                     f"{min(pss):.0f}-{max(pss):.0f} MiB, containers (cgroup) {min(cont):.0f}-{max(cont):.0f} MiB; "
                     f"{n} hosts {sum(pss) + sum(cont):.0f} MiB in all; machine MemAvailable now {mem_available_mib():.0f} MiB")
        reset(target)
    return lines


def lab_sizes(text: str) -> tuple[int, ...]:
    """``6,20`` → (6, 20); argparse turns the ValueError into a usage error naming the option."""
    sizes = tuple(int(x) for x in text.split(","))
    if not all(1 <= n <= 38 for n in sizes):
        raise ValueError(text)
    return sizes


def can_run() -> str:
    """Empty when the lab bench can run here, else the reason it cannot (one sentence)."""
    from wabiz_tui.lab import control
    from wabiz_tui.lab.errors import LabRefused
    try:
        control.check_can_run()
    except LabRefused as exc:
        return str(exc)
    return ""


def main(sizes: tuple[int, ...] = DEFAULT_HOSTS, rounds: int = 1) -> list[str]:
    """Bring up a lab of each size in ``sizes`` (or use the one up, if of that size), measure, bring it down."""
    from wabiz_tui.lab import control
    from wabiz_tui.lab.state import Ledger, Paths

    why = can_run()
    if why:
        return [f"lab bench: skipped: {why}"]
    paths = Paths()
    lines = []
    for n in sizes:
        ledger = Ledger.load(paths) if control.is_up(paths) else None
        brought_up = ledger is None
        if ledger is not None and len(ledger.data["hosts"]) != n:
            lines.append(f"lab bench, {n} hosts: skipped: a lab of {len(ledger.data['hosts'])} hosts is up "
                         f"(`wabiz-tui lab down` first)")
            continue
        if brought_up:
            before = mem_available_mib()
            t = time.perf_counter()
            ledger = control.up(paths, hosts=n, db="mysql", versions=("2.41.2",), db_version_spoof=True, speed=0.1,
                                log=lambda *_: None)
            lines.append(f"lab of {n} hosts up in {time.perf_counter() - t:.1f} s; it took "
                         f"{before - mem_available_mib():.0f} MiB of the machine's available memory (cluster not started)")
        try:
            # the sequential seed loop at 20 hosts adds ~1 min and says nothing new (it is N slowest hosts in a row)
            lines += measure_lab(paths, ledger, rounds, sequential=n <= 6)
        finally:
            if brought_up:
                control.down(paths, log=lambda *_: None)
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=lab_sizes, default=DEFAULT_HOSTS, help="lab sizes (1-38 each), e.g. 6,20 (default 6)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of alternating sides; medians are printed")
    a = ap.parse_args()
    for line in main(a.hosts, a.rounds):
        print(line, flush=True)
