"""Log collection: wabiz-tui's ``logs`` against ``ssh host 'docker-compose logs' > file`` run in
parallel with OpenSSH on the same simulated hosts; and the client's peak RSS at two log sizes, to
show it does not grow with the size of the logs (issue: "memory stays flat").

Targets: throughput ratio ≥ 0.8; peak RSS under 150 MB and flat across sizes.

Size: the issue asks for 200 MB of logs per host; the default sizes (20 and 80 MB per container; each
demo host runs one container, so that is per host) keep the whole suite under 10 minutes on a 2-core
machine. Pass the sizes in MB to run the full one:
``python -m bench.logs_bench 20 200`` (or ``WABIZ_BENCH_LOG_MB=20,200 python -m bench``). The sizes used
are printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import MB, process_cpu, run_accounted


def start_server(log_bytes: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.sim_server", "--log-bytes", str(log_bytes)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    info: dict = {"hosts": []}
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process ended early")
        key, _, value = line.strip().partition(": ")
        if key == "host":
            name, port = value.split()
            info["hosts"].append((name, int(port)))
        elif key in ("profile", "key", "known_hosts"):
            info[key] = value
        elif key == "error":
            raise RuntimeError(value)
        if "profile" in info and "key" in info and "known_hosts" in info and len(info["hosts"]) == 5:
            return proc, info


def openssh_parallel(info: dict, out: Path) -> float:
    """The seed's way, in parallel: one OpenSSH ``ssh`` per host redirecting ``docker-compose logs`` to a file."""
    ssh = shutil.which("ssh")
    if not ssh:
        raise RuntimeError("OpenSSH client not installed (apt-get install openssh-client)")
    cmd = ("EXTERNAL_HOSTNAME={h} WA_API_VERSION=2.41.2 docker-compose -f /home/wa/biz/prod-multiconnect-compose.yml "
           "--project-directory /home/wa/biz logs --no-color")
    start = time.perf_counter()
    procs = []
    for name, port in info["hosts"]:
        fh = open(out / f"{name}.txt", "wb")
        procs.append((subprocess.Popen([ssh, "-q", "-p", str(port), "-i", info["key"], "-o", f"UserKnownHostsFile={info['known_hosts']}",
                                        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                                        "-F", "/dev/null", "wa@127.0.0.1", cmd.format(h=name)], stdout=fh), fh))
    for p, fh in procs:
        p.wait()
        fh.close()
    return time.perf_counter() - start


def total_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(log_bytes: int) -> dict:
    server, info = start_server(log_bytes)
    try:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            env = os.environ | {"WABIZ_TUI_HOME": a}
            sim0 = process_cpu(server.pid)
            ours, rss, cpu = run_accounted([sys.executable, "-m", "wabiz_tui", "logs", info["profile"], "--out", a],
                                           env=env, stdout=subprocess.DEVNULL)
            sim1 = process_cpu(server.pid)
            ours_bytes = total_bytes(Path(a))
            theirs = openssh_parallel(info, Path(b))
            sim2 = process_cpu(server.pid)
            theirs_bytes = total_bytes(Path(b))
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    return {"ours_s": ours, "ours_mb": ours_bytes / MB, "rss_mb": rss / MB, "ssh_s": theirs, "ssh_mb": theirs_bytes / MB,
            "cpu": cpu, "sim_cpu": sim1 - sim0, "ssh_sim_cpu": sim2 - sim1}


DEFAULT_SIZES_MB = (20, 80)


def sizes_from_env() -> tuple[int, ...]:
    """``WABIZ_BENCH_LOG_MB=20,200`` overrides the default sizes."""
    raw = os.environ.get("WABIZ_BENCH_LOG_MB", "")
    return tuple(int(x) for x in raw.split(",") if x.strip()) or DEFAULT_SIZES_MB


def main(sizes_mb: tuple[int, ...] = DEFAULT_SIZES_MB) -> list[str]:
    """Run at each size (MB of logs per container); return the report lines."""
    lines = [f"logs: sizes used {', '.join(f'{s} MB' for s in sizes_mb)} per container (issue: 200 MB per host; "
             f"pass sizes to run it, default keeps the suite under 10 min)"]
    results = []
    for size in sizes_mb:
        r = measure(size * MB)
        results.append(r)
        ratio = (r["ours_mb"] / r["ours_s"]) / (r["ssh_mb"] / r["ssh_s"])
        lines.append(f"logs {size} MB/container x 5 hosts: wabiz-tui {r['ours_mb'] / r['ours_s']:.0f} MB/s vs OpenSSH ssh>file "
                     f"{r['ssh_mb'] / r['ssh_s']:.0f} MB/s -> ratio {ratio:.2f} (target >= 0.8); peak RSS {r['rss_mb']:.0f} MB (target < 150)")
        lines.append(f"      CPU seconds: wabiz-tui client {r['cpu']:.2f} + simulator {r['sim_cpu']:.2f} in {r['ours_s']:.2f} s; "
                     f"OpenSSH side: simulator {r['ssh_sim_cpu']:.2f} in {r['ssh_s']:.2f} s (the simulator, one Python process, "
                     f"produces and encrypts every host's logs)")
    growth = results[-1]["rss_mb"] / results[0]["rss_mb"]
    lines.append(f"logs memory: peak RSS x{growth:.2f} for x{sizes_mb[-1] / sizes_mb[0]:.0f} the log size (flat means about x1.0)")
    return lines


if __name__ == "__main__":
    sizes = tuple(int(a) for a in sys.argv[1:]) or sizes_from_env()
    for line in main(sizes):
        print(line, flush=True)
