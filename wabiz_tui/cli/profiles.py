"""``wabiz-tui profiles`` (the list) and ``wabiz-tui profile show|import|export``: plain-terminal views of
profiles. Nothing here contacts a host or the API.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..domain.model import ClusterProfile
from .common import add_profile, invalid, load
from .output import fail


def register(sub) -> None:
    """Declare ``profiles`` and ``profile``."""
    sub.add_parser("profiles", help="list the saved profiles").set_defaults(run=run)
    show = sub.add_parser("profile", help="show (secrets masked), import or export a profile",
                          description="show NAME: print it with secrets masked; import FILE: validate and save it among the "
                                      "profiles; export NAME --out FILE: write it to a YAML file (mode 600).")
    show.add_argument("action", choices=["show", "import", "export"], help="what to do")
    add_profile(show)
    show.add_argument("--out", type=Path, help="export: the file to write")
    show.add_argument("--replace", action="store_true", help="import: overwrite a saved profile of the same name")
    show.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``profiles`` and ``profile`` commands."""
    from ..config.profile import ProfileError

    if args.command == "profiles":
        return list_profiles()
    if args.action == "import":
        try:
            return import_profile(Path(args.profile), replace=args.replace)
        except ProfileError as exc:
            return fail(str(exc))
    profile, _ = load(args.profile)
    if args.action == "export":
        if not args.out:
            return fail("profile export needs --out FILE")
        return export_profile(profile, args.out)
    return show_profile(profile)


def saved_names() -> list[str]:
    """The names of the saved profiles (file stems), sorted; empty when there are none."""
    from ..config.paths import app_paths, saved_profile_names

    return saved_profile_names(app_paths().profiles)



def masked(profile: ClusterProfile) -> dict:
    """The profile as data with every secret replaced by ``********`` (``config.profile.masked_profile_dict``)."""
    from ..config.profile import masked_profile_dict

    return masked_profile_dict(profile)


def show_profile(profile: ClusterProfile) -> int:
    """Print the profile as YAML with secrets masked."""
    import yaml

    sys.stdout.write(yaml.safe_dump(masked(profile), sort_keys=False, allow_unicode=True))
    return 0


def list_profiles() -> int:
    """One line per saved profile: name, version, hosts, installed or not."""
    from ..config.paths import app_paths
    from ..config.profile import ProfileError, load_profile

    directory = app_paths().profiles
    files = [directory / f"{name}.yaml" for name in saved_names()]
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


def import_profile(source: Path, *, replace: bool = False) -> int:
    """Validate the profile in ``source`` and save it among the profiles under its own name."""
    from ..config.paths import app_paths
    from ..config.profile import load_profile, profile_path, save_profile

    profile = load_profile(source)
    bad = invalid(profile)
    if bad:
        return bad
    target = profile_path(app_paths().ensure().profiles, profile.name)
    if target.exists() and not replace:
        return fail(f"a profile named {profile.name!r} exists ({target}); add --replace to overwrite it")
    save_profile(profile, target)
    print(f"imported {profile.name!r} to {target} (mode 600)")
    return 0


def export_profile(profile: ClusterProfile, target: Path) -> int:
    """Write ``profile`` to ``target`` (mode 600; ``env:`` references stay references)."""
    from ..config.profile import save_profile

    try:
        save_profile(profile, target)
    except OSError as exc:
        return fail(f"--out {target}: cannot write there ({exc.strerror or exc})")
    print(f"exported {profile.name!r} to {target} (mode 600: it holds secrets)")
    return 0
