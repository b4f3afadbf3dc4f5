"""``wabiz-tui render PROFILE --out DIR``: write prod-multiconnect-compose.yml and db.env (mode 600)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_profile, invalid, load
from .output import fail


def register(sub) -> None:
    """Declare ``render``."""
    render = sub.add_parser("render", help="write prod-multiconnect-compose.yml and db.env for a profile")
    add_profile(render)
    render.add_argument("--out", type=Path, required=True, help="directory to write the files into (created if needed)")
    render.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``render`` command: 0 written, 2 a bad profile or an unwritable ``--out``."""
    from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env

    profile, _ = load(args.profile)
    bad = invalid(profile)
    if bad:
        return bad
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / COMPOSE_FILE).write_text(render_compose(profile), encoding="utf-8")
        env = out / DB_ENV_FILE
        env.touch(mode=0o600)
        env.chmod(0o600)
        env.write_text(render_db_env(profile.db), encoding="utf-8")
    except OSError as exc:
        return fail(f"--out {out}: cannot write there ({exc.strerror or exc})")
    print(f"wrote {out / COMPOSE_FILE}")
    print(f"wrote {env} (mode 600)")
    return 0
