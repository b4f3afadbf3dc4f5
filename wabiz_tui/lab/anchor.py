"""The init of one lab host, run as a script (stdlib only) inside the host's fresh mount + UTS namespaces:
``nsenter --net=/run/netns/wlab-hN unshare --mount --uts --propagation private python3 anchor.py CONFIG``.

It sets itself as child subreaper, makes the host's own view of the machine (sysfs of its netns with the real
cgroup tree kept, private /run, /var/lib/docker, /etc/docker, /etc/passwd… by bind mounts), starts sshd and
dockerd as its children, writes ``ready.json`` with their PIDs, and then reaps every child so an exited daemon
never stays a zombie (lab-facts §10). Signals: TERM = stop dockerd (it stops its containers), then sshd, then
anything left in this mount namespace, and exit; USR1 = start dockerd if it is not running; USR2 = the same
for sshd. The mount namespace lives as long as this process (it holds it: lab-facts §3).
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT}


def sh(*args):
    """Run ``args`` (a command and its arguments); raises ``subprocess.CalledProcessError`` on a non-zero exit."""
    subprocess.run(args, check=True)


def make_view(cfg):
    """Set the hostname and build the host's view of the machine from ``cfg``: a sysfs of this netns with the real
    cgroup tree moved back under it (lab-facts §3), then ``cfg['mounts']`` in order, each ``[kind, src, dst]``:
    ``tmpfs`` (src: mount options), ``mkdir`` (mode 755) or a bind mount."""
    socket.sethostname(cfg["hostname"])
    tmp = cfg["cgroup_tmp"]
    os.makedirs(tmp, exist_ok=True)
    # a sysfs that shows this netns's interfaces, with the machine's cgroup tree kept (lab-facts §3)
    sh("mount", "--rbind", "/sys/fs/cgroup", tmp)
    sh("mount", "-t", "sysfs", "sysfs", "/sys")
    sh("mount", "--move", tmp, "/sys/fs/cgroup")
    for kind, src, dst in cfg["mounts"]:
        if kind == "tmpfs":
            sh("mount", "-t", "tmpfs", "-o", src, "tmpfs", dst)
        elif kind == "mkdir":
            os.makedirs(dst, mode=0o755, exist_ok=True)
        else:
            sh("mount", "--bind", src, dst)


def unblocked():
    """``preexec_fn`` of a daemon: clear the signal mask this init blocks, and start a new session."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.setsid()


def start(argv, log):
    """Start daemon ``argv`` with stdin from /dev/null and stdout/stderr appended to file ``log``; returns the
    ``Popen``."""
    with open(log, "ab") as out:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, preexec_fn=unblocked)


def write_ready(cfg, procs):
    """Write ``cfg['ready']`` atomically (temp file + rename) as ``{name: pid or null}`` for ``procs``."""
    tmp = cfg["ready"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({name: (p.pid if p else None) for name, p in procs.items()}, f)
    os.replace(tmp, cfg["ready"])


def reap(procs):
    """Reap every exited child without blocking; a reaped daemon's entry in ``procs`` becomes None."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for name, p in procs.items():
            if p is not None and p.pid == pid:
                p.returncode = 0
                procs[name] = None


def wait_for(procs, name, timeout):
    """Wait up to ``timeout`` seconds for daemon ``name`` to exit (its entry in ``procs`` becoming None), reaping
    children meanwhile."""
    deadline = time.monotonic() + timeout
    while procs.get(name) is not None and time.monotonic() < deadline:
        signal.sigtimedwait(WATCHED, 0.1)
        reap(procs)


def kill_rest():
    """SIGKILL every other process in this mount namespace (up to 3 rounds, 0.2 s apart), reaping them."""
    me = os.getpid()
    ns = os.readlink("/proc/self/ns/mnt")
    for _ in range(3):
        left = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != me:
                try:
                    if os.readlink(f"/proc/{entry}/ns/mnt") == ns:
                        left.append(int(entry))
                except OSError:
                    pass
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
        reap({})


def main(path):
    """Run the init from the JSON config at ``path``: become child subreaper, make the view, start sshd and dockerd,
    then serve signals until TERM/INT (see the module docstring); stops dockerd (25 s grace), sshd (3 s), then kills
    what is left."""
    with open(path) as f:
        cfg = json.load(f)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    make_view(cfg)
    procs = {"sshd": start(cfg["sshd"], cfg["sshd_log"]), "dockerd": start(cfg["dockerd"], cfg["dockerd_log"])}
    write_ready(cfg, procs)
    while True:
        info = signal.sigtimedwait(WATCHED, 5.0)
        reap(procs)
        if info is None or info.si_signo == signal.SIGCHLD:
            if info is not None:
                write_ready(cfg, procs)
            continue
        if info.si_signo in (signal.SIGTERM, signal.SIGINT):
            break
        name = "dockerd" if info.si_signo == signal.SIGUSR1 else "sshd"
        if procs.get(name) is None:
            procs[name] = start(cfg[name], cfg[name + "_log"])
        write_ready(cfg, procs)
    for name, grace in (("dockerd", 25), ("sshd", 3)):
        p = procs.get(name)
        if p is not None:
            try:
                os.kill(p.pid, signal.SIGCONT)
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            wait_for(procs, name, grace)
    kill_rest()


if __name__ == "__main__":
    main(sys.argv[1])
