"""Plain-terminal views of profiles: the list, one profile with secrets masked, and dry-run plans.

Nothing here contacts a host or the API.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ..config.paths import app_paths
from ..config.profile import SECRET_FIELDS, ProfileError, load_profile, profile_path, profile_to_dict, save_profile
from ..domain.model import ROLE_ORDER, ClusterProfile
from ..domain.render import MASK



def masked(profile: ClusterProfile) -> dict:
    """The profile as data with every secret replaced by ``********`` (empty ones stay empty)."""
    data = profile_to_dict(profile)
    for section, key in SECRET_FIELDS:
        value = data[section].get(key)
        if value and not str(value).startswith("env:"):  # a reference names a variable, not a secret
            data[section][key] = MASK
    return data


def show_profile(profile: ClusterProfile) -> int:
    """Print the profile as YAML with secrets masked."""
    sys.stdout.write(yaml.safe_dump(masked(profile), sort_keys=False, allow_unicode=True))
    return 0


def list_profiles() -> int:
    """One line per saved profile: name, version, hosts, installed or not."""
    directory = app_paths().profiles
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        print(f"no saved profiles in {directory} (try: wabiz-tui demo)")
        return 0
    print(f"{'NAME':20} {'VERSION':9} {'HOSTS':5} {'SHARDS':6} STATE")
    for f in files:
        try:
            p = load_profile(f)
        except ProfileError as exc:
            print(f"{f.stem:20} unreadable: {exc}")
            continue
        print(f"{p.name:20} {p.wa_api_version:9} {len(p.hosts):<5} {p.shards:<6} {'installed' if p.installed else 'not installed'}")
    return 0


def print_plan(profile: ClusterProfile, procedure: str, to: str | None) -> int:
    """Print, per step and host, the files that would be uploaded and the commands that would run."""
    from ..workflows.events import discard
    from ..workflows.ha_install import HaInstall
    from ..workflows.uninstall import Uninstall
    from ..workflows.upgrade import Upgrade, media_chown_command, needs_media_chown

    print("# compose runs as `docker compose` (v2 plugin) where a host has it, else `docker-compose` (v1): "
          "detected on each host at run time")
    if procedure == "install":
        for title, text in HaInstall(profile, emit=discard).review():
            print(f"== {title}")
            print(text.rstrip())
        print("== steps 7-9 (Webapp API)")
        print(f"GET {profile.webapp.url}/v1/health; POST /v1/account; POST /v1/account/verify; GET /v1/health")
        return 0
    if procedure == "uninstall":
        for plan in Uninstall(profile, emit=discard).plan():
            print(f"== {plan.host}")
            print("\n".join(plan.commands))
        return 0
    if procedure == "logs":
        wf = HaInstall(profile, emit=discard)
        for h in profile.hosts:
            print(f"== {h.external_hostname} -> <out>/{profile.name}-<time>/{h.external_hostname}/debug_output.txt")
            print(wf.invocation(h).logs())
        return 0
    if not to:
        print("wabiz-tui: plan --procedure upgrade needs --to VERSION", file=sys.stderr)
        return 2
    up = Upgrade(profile, emit=discard, target=to)
    problems = up.problems()
    if problems:
        print(f"wabiz-tui: {problems[0]}", file=sys.stderr)
        return 2
    print(f"== step 1: POST {profile.webapp.url}/v1/settings/backup (data saved with mode 600)")
    for role in ROLE_ORDER:
        for h in profile.hosts_with(role):
            print(f"== {role.label} {h.external_hostname}")
            print(up.target_invocation(h).up(role))
    if needs_media_chown(profile.wa_api_version, to):
        for h in profile.hosts_with(ROLE_ORDER[0]):
            print(f"== media ownership {h.external_hostname}")
            print(media_chown_command(up.target_invocation(h)))
    return 0


def import_profile(source: Path, *, replace: bool = False) -> int:
    """Validate the profile in ``source`` and save it among the profiles under its own name."""
    from ..domain.validation import validate_profile

    profile = load_profile(source)
    errors = validate_profile(profile)
    if errors:
        print("wabiz-tui: the profile has invalid values:\n  " + "\n  ".join(map(str, errors)), file=sys.stderr)
        return 2
    target = profile_path(app_paths().ensure().profiles, profile.name)
    if target.exists() and not replace:
        print(f"wabiz-tui: a profile named {profile.name!r} exists ({target}); add --replace to overwrite it", file=sys.stderr)
        return 2
    save_profile(profile, target)
    print(f"imported {profile.name!r} to {target} (mode 600)")
    return 0


def export_profile(profile: ClusterProfile, target: Path) -> int:
    """Write ``profile`` to ``target`` (mode 600; ``env:`` references stay references)."""
    try:
        save_profile(profile, target)
    except OSError as exc:
        print(f"wabiz-tui: --out {target}: cannot write there ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"exported {profile.name!r} to {target} (mode 600: it holds secrets)")
    return 0
