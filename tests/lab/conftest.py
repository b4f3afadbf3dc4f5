"""The lab tier: tests on real parts (namespaces, OpenSSH sshd, dockerd 20.10, docker-compose 1.29, registry,
MariaDB). One lab for the session, brought up on first use and taken down after the tier's last test. Without root
or Linux the tier skips with the reason; in CI (``CI=true``) that is a failure.

One installed cluster for the session too (:func:`shared_cluster`): a test that needs "the lab's profile installed,
registered and healthy" asks for ``shared_cluster`` (or ``installed`` from ``tests.lab.test_40_doctor``, the same),
injects its fault, and undoes it (``faults.clear`` in its fixture's teardown, or its own ``finally``). Every other
test of the tier runs on a lab where that cluster is not installed, as before: the tests that need it are run after
the others (:func:`pytest_collection_modifyitems`), so the tier installs it once and uninstalls it once, and if the
order is otherwise the cluster is uninstalled before such a test (:func:`pytest_runtest_setup`). At the end of each
module that used it, the cluster is checked to be as installed (no lab fault left, the same files in ``~/biz`` and
the same containers on every host, health ``ok``): a module that leaves it otherwise errors in its own teardown and
the next user gets a fresh install. The next user gets a fresh install too (with a warning naming the module) when
doctor names any cause on it: log lines a test made a container write stay until the container is recreated.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.summary_lines import summary_line
from tests.support import IN_CI

from wabiz_tui.lab.state import Paths

ROOT = Path(__file__).resolve().parents[2]
#: Stand-in versions the lab tier needs: the install's, and the 2.29.2 → 2.29.3 upgrade.
LAB_VERSIONS = ("2.41.2", "2.29.2", "2.29.3")


def need_lab() -> None:
    """Skip (locally) or fail (CI) unless the lab can run here: Linux, root, the Debian tools."""
    from wabiz_tui.lab import LabRefused
    from wabiz_tui.lab.control import check_can_run
    try:
        check_can_run()
    except LabRefused as exc:
        if IN_CI:
            pytest.fail(f"the lab tier must run in CI: {exc}")
        pytest.skip(f"lab tier skipped: {exc}")
    if platform.system() != "Linux":  # check_can_run covers it; kept explicit for readers
        pytest.skip("Linux only")


def cli(*args: str, timeout: float = 600, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m wabiz_tui.cli ARGS`` from the worktree as a user would; output captured as text."""
    proc = subprocess.run([sys.executable, "-m", "wabiz_tui.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"wabiz-tui {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class Lab:
    """The session's lab: ``paths``, ``profile`` (path of the saved profile), ``code``, ``ledger`` data."""

    def __init__(self, paths: Paths, profile: Path, data: dict):
        self.paths, self.profile, self.data = paths, profile, data

    @property
    def code(self) -> str:
        return self.data["code"]

    def host(self, name: str) -> dict:
        return next(h for h in self.data["hosts"] if h["name"] == name)

    def sh(self, host: str, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``command`` on lab host ``host`` as ``wa`` over OpenSSH (strict host-key checking against the lab's
        known_hosts): what an operator's own shell would see."""
        h = self.host(host)
        return subprocess.run(["ssh", "-i", str(self.paths.client_key), "-o", "BatchMode=yes",
                               "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={self.paths.known_hosts}",
                               f"wa@{h['ip']}", command], capture_output=True, text=True, timeout=timeout)


def recreate_container(lab, profile, host: str, service: str = "wacore") -> None:
    """``docker-compose up -d --force-recreate SERVICE`` on ``host`` with the variables the install passes (a changed
    db.env reaches a container only when it is created; the log lines of a crash, which doctor reads, go with the
    old container)."""
    version = yaml.safe_load(Path(profile).read_text())["wa_api_version"]
    out = lab.sh(host, f"cd biz && WA_API_VERSION={version} EXTERNAL_HOSTNAME={host} docker-compose -f "
                       f"prod-multiconnect-compose.yml up -d --no-deps --force-recreate {service} 2>&1")
    assert out.returncode == 0, out.stdout[-2000:]


#: The compose service of each role (the official compose file's service names).
SERVICE = {"webapp": "waweb", "master": "master", "coreapp": "wacore"}


def profile_hosts(profile) -> list[tuple[str, str]]:
    """``(host, its compose services)`` of every host of the profile file ``profile``, in the profile's order; a host
    with several roles gets its services space-separated (``master wacore``), as ``up -d`` takes them."""
    data = yaml.safe_load(Path(profile).read_text())
    return [(h["external_hostname"], " ".join(SERVICE[r] for r in h["roles"])) for h in data["hosts"]]


def recreate_every_container(lab, profile, limit: float = 180) -> None:
    """After a fault every node met (the DB stopped, its password changed): every host's container recreated, all at
    once (each node's log keeps the DB's refusal, which doctor would name in the next module), then ``health`` waited
    for until ``ok``, polled every 2 s (the next test needs the cluster back). Raises AssertionError with the last
    level when it is not ``ok`` within ``limit`` seconds. ``health`` runs in the shared cluster's own home when
    ``profile`` is its profile (another module's uninstall of a profile of that name, recorded in the default home,
    makes ``health`` there answer "not installed": seen on the lab after test_51)."""
    hosts = profile_hosts(profile)
    with ThreadPoolExecutor(len(hosts)) as pool:
        list(pool.map(lambda hs: recreate_container(lab, profile, *hs), hosts))
    shared = SharedCluster.current
    env = shared.env if shared is not None and shared.profile == Path(profile) else {}
    deadline = time.monotonic() + limit
    while (level := _health_level(Path(profile), env)) != "ok":
        assert time.monotonic() < deadline, f"health is {level!r} {limit:g} s after every container was recreated"
        time.sleep(2)


#: What to undo once the tier's last test is done (the lab's down): the tests after it need no lab, and a lab left up
#: until the session ends keeps its daemons in memory while they run.
_AT_END_OF_TIER: list = []


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """One lab (6 hosts, MariaDB announcing MySQL 8.0.36 so the product's MySQL checks pass, stand-ins for
    :data:`LAB_VERSIONS`, fast node speed) for the whole session; taken down at the end."""
    need_lab()
    from wabiz_tui.lab import control
    from wabiz_tui.cli.lab import save_lab_profile
    paths = Paths()
    if control.is_up(paths):
        if os.environ.get("WABIZ_LAB_REUSE") == "1":  # developer loop: a lab from `lab up --db-version-spoof`
            from wabiz_tui.lab.state import Ledger
            ledger = Ledger.load(paths)
            yield Lab(paths, save_lab_profile(paths, ledger, tmp_path_factory.mktemp("lab") / "lab.yaml"), ledger.data)
            return
        pytest.fail("a lab is already up on this machine: `wabiz-tui lab down` before running the lab tier "
                    "(or WABIZ_LAB_REUSE=1 to run on it)")
    ledger = control.up(paths, hosts=6, db="mysql", versions=LAB_VERSIONS, db_version_spoof=True, speed=0.1,
                        log=lambda *_: None)
    _AT_END_OF_TIER.append(lambda: control.down(paths, log=lambda *_: None))  # a second down is a no-op
    try:
        profile = save_lab_profile(paths, ledger, tmp_path_factory.mktemp("lab") / "lab.yaml")
        yield Lab(paths, profile, ledger.data)
    finally:
        control.down(paths, log=lambda *_: None)


# --- the session's shared installed cluster -------------------------------------------------------------------

SHARED = "shared_cluster"


def _uses_shared(item) -> bool:
    return SHARED in getattr(item, "fixturenames", ())


class SharedCluster:
    """The lab's profile installed once for the session: :meth:`ensure_installed` / :meth:`ensure_uninstalled` move
    between the two states only when needed; :meth:`check_as_installed` compares the hosts with the install's
    fingerprint. ``state``: ``"absent"``, ``"installed"`` or ``"unknown"`` (an install or a check failed)."""

    current: "SharedCluster | None" = None  # the session's, for the hooks below (they get no fixtures)

    def __init__(self, lab: Lab, profile: Path):
        self.lab, self.profile, self.state = lab, profile, "absent"
        self.env = {"WABIZ_TUI_HOME": str(profile.parent / "wabiz-home")}  # its runs' logs, outside any test's
        self.fingerprint: dict[str, str] = {}
        self.installs = 0
        self.install_log: list[tuple[str, float]] = []  # (the module that asked, seconds uninstall + install took)
        self.used_in: set[str] = set()  # modules that asked for it

    def _uninstall(self) -> None:
        from wabiz_tui.lab import services
        cli("uninstall", str(self.profile), "--yes", "--confirm-name", "lab", env=self.env)
        services.reset_cluster_databases(self.lab.paths, "mysql")

    def ensure_installed(self, for_module: str = "") -> Path:
        """Install (after an uninstall and a DB reset, as a fresh cluster) unless installed, recorded in
        ``install_log`` for ``for_module`` (the module asking); returns the profile."""
        if self.state == "installed":
            return self.profile
        self.state = "unknown"
        start = time.perf_counter()
        self._uninstall()
        out = cli("install", str(self.profile), "--yes", "--code", self.lab.code, env=self.env)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        self.installs += 1
        self.install_log.append((for_module, time.perf_counter() - start))
        self.fingerprint = self._fingerprint()
        self.state = "installed"
        return self.profile

    def ensure_uninstalled(self) -> None:
        if self.state != "absent":
            self._uninstall()
            self.state = "absent"

    def _fingerprint(self) -> dict[str, str]:
        """Per host: the checksums of the product's files in ``~/biz`` and the containers (name, image, state)."""
        cmd = ("cd ~/biz 2>/dev/null && find . -type f | sort | xargs -r sha256sum; "
               "docker ps -a --format '{{.Names}} {{.Image}} {{.State}}' | sort")
        return {h["name"]: self.lab.sh(h["name"], cmd).stdout for h in self.lab.data["hosts"]}

    def check_as_installed(self, module: str) -> None:
        """Raise AssertionError naming ``module`` unless the cluster is as installed: no lab fault recorded, the
        install's fingerprint on every host, ``health`` ok (waited for up to 120 s: a Coreapp restarted by the
        last test may still be starting). On failure the next user gets a fresh install."""
        from wabiz_tui.lab import control
        if self.state != "installed":
            return
        problems = []
        left = control.status(self.lab.paths)["faults"]
        if left:
            problems.append(f"lab faults not cleared: {left}")
        deadline = time.monotonic() + 120
        while True:
            now = self._fingerprint()
            changed = {h: (self.fingerprint[h], now[h]) for h in now if now[h] != self.fingerprint.get(h)}
            level = _health_level(self.profile, self.env)
            if (not changed and level == "ok") or time.monotonic() > deadline:
                break
            time.sleep(2)
        if changed:
            problems.append("hosts differ from the install (before, after): " + repr(changed))
        if level != "ok":
            problems.append(f"health is {level!r}, not 'ok'")
        if problems:
            self.state = "unknown"
            raise AssertionError(f"{module} left the shared cluster changed: " + "; ".join(problems))
        # What a test leaves in the containers' logs (a crash's fatal line, a Webapp's race words) stays until they
        # are recreated, and doctor reads it in the next module (seen on the lab: test_45's FR25 crash named as
        # LOG_WORDS by test_46's healthy-DB test). A fresh install has no cause: the next user gets one unless so.
        causes = _doctor_causes(self.profile, self.env)
        if causes:
            self.state = "unknown"
            import warnings
            warnings.warn(f"{module} left causes doctor names on the shared cluster (a fresh install for the next "
                          f"module; recreate the containers your test crashed to avoid it): {causes}")


def _doctor_causes(profile: Path, env: dict) -> list[str]:
    """``doctor --json``'s causes as ``KEY: title`` (an unreadable answer is one such line)."""
    import json
    out = cli("doctor", str(profile), "--json", timeout=300, env=env)
    try:
        return [f"{c['key']}: {c['title']}" for c in json.loads(out.stdout)["causes"]]
    except (ValueError, KeyError, TypeError):
        return [f"doctor's answer unreadable: {out.stdout[-300:]} {out.stderr[-300:]}"]


def _health_level(profile: Path, env: dict) -> str:
    import json
    out = cli("health", str(profile), "--json", timeout=60, env=env)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])["verdict"]["level"]
    except (ValueError, IndexError, KeyError):
        return f"unreadable: {out.stdout[-300:]} {out.stderr[-300:]}"


@pytest.fixture(scope="session")
def _shared_cluster_manager(lab, tmp_path_factory):
    from tests.lab.test_10_cluster import profile_copy
    manager = SharedCluster(lab, profile_copy(lab, tmp_path_factory.mktemp("shared-cluster")))
    SharedCluster.current = manager
    try:
        yield manager
    finally:
        SharedCluster.current = None
        if manager.install_log:  # each install after the first: a module left the cluster changed or causes for doctor
            installs = ", ".join(f"for {module} ({seconds:.0f} s)" for module, seconds in manager.install_log)
            summary_line("lab tier", f"the shared cluster was installed {len(manager.install_log)} time(s): {installs}")
        manager.ensure_uninstalled()


@pytest.fixture
def shared_cluster(_shared_cluster_manager, request) -> Path:
    """The lab's profile installed, registered and healthy, shared by the session (see the module's docstring);
    returns the profile's path. The test must undo what it breaks."""
    _shared_cluster_manager.used_in.add(request.module.__name__)
    return _shared_cluster_manager.ensure_installed(request.module.__name__)


@pytest.fixture(scope="module", autouse=True)
def _shared_cluster_left_as_installed(request):
    """At the end of a module that used the shared cluster: check it is as installed (error in that module)."""
    yield
    manager = SharedCluster.current
    if manager is not None and request.module.__name__ in manager.used_in:
        manager.check_as_installed(request.module.__name__)


def pytest_collection_modifyitems(config, items):
    """Run the lab tests that use the shared cluster after the lab tests that do not (each group keeps its order), so
    the cluster is installed once; tests elsewhere keep their places."""
    spots = [i for i, item in enumerate(items) if _in_tier(item)]
    mine = [items[i] for i in spots]
    ordered = [t for t in mine if not _uses_shared(t)] + [t for t in mine if _uses_shared(t)]
    for i, item in zip(spots, ordered):
        items[i] = item


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test that does not use the shared cluster gets a lab without it (whatever the order)."""
    manager = SharedCluster.current
    if manager is not None and not _uses_shared(item):
        manager.ensure_uninstalled()


def _in_tier(item) -> bool:
    return Path(__file__).parent in Path(str(item.path)).parents


def _last_of_tier(item, nextitem) -> bool:
    """Whether ``item`` is the last lab-tier test of the session (the command line may interleave directories)."""
    if nextitem is not None and _in_tier(nextitem):
        return False
    items = item.session.items
    return not any(_in_tier(i) for i in items[items.index(item) + 1:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Leaving the lab tier (after the module's own teardown and check): uninstall the shared cluster and take the lab
    down, so neither loads the tests that follow."""
    try:
        return (yield)
    finally:
        if _last_of_tier(item, nextitem):
            if SharedCluster.current is not None:
                SharedCluster.current.ensure_uninstalled()
            while _AT_END_OF_TIER:
                _AT_END_OF_TIER.pop()()
