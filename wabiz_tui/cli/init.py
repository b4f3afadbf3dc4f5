"""``wabiz-tui init``: create a cluster profile with plain terminal prompts (questionary), before any
full-screen app. Every answer is checked by the same validation as the TUI forms and re-asked with
the reason; Ctrl-C at any point leaves nothing written.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable

from ..domain.model import (ClusterProfile, CodeMethod, DbEngine, DbEnv, HostSpec, MediaKind, MediaVolume, Registration,
                           Role, SshTarget, WebappApi)
from ..domain.validation import (FieldError, check_abs_path, check_admin_password, check_db_password, check_hostname,
                                check_port, check_registration, check_version, check_webapp,
                                validate_profile)


class _Questionary:
    """questionary, imported on first use: ``wabiz-tui --help`` imports this module to declare ``init``, and
    questionary brings prompt_toolkit with it."""

    def __getattr__(self, name: str):
        import questionary as module

        return getattr(module, name)


questionary = _Questionary()


def register(sub) -> None:
    """Declare ``init``."""
    sub.add_parser("init", help="create a profile with plain terminal prompts (validated, re-asked on bad values)"
                   ).set_defaults(run=run)


def run(args) -> int:
    """The ``init`` command: needs a terminal (else says how to create a profile without one)."""
    import sys

    from .output import fail

    if not sys.stdin.isatty():
        return fail("init asks questions on a terminal; to create a profile without one, write the YAML and use: "
                    "wabiz-tui profile import FILE")
    return run_init()


def _validator(check: Callable[[str], list[FieldError]]) -> Callable[[str], bool | str]:
    def validate(value: str) -> bool | str:
        errors = check(value)
        return True if not errors else errors[0].message
    return validate


def _text(message: str, check: Callable[[str], list[FieldError]] | None = None, default: str = "") -> str:
    kw = {"validate": _validator(check)} if check else {}
    return questionary.text(message, default=default, **kw).unsafe_ask().strip()


def _secret(message: str, check: Callable[[str], list[FieldError]]) -> str:
    return questionary.password(message, validate=_validator(check)).unsafe_ask()


def _port(field: str) -> Callable[[str], list[FieldError]]:
    return lambda v: check_port(int(v), field) if v.strip().isdigit() else [FieldError(field, "enter a number from 1 to 65535")]


def _name(v: str) -> list[FieldError]:
    probe = ClusterProfile(v, "2.41.2", ())
    return [e for e in validate_profile(probe) if e.field == "name"]


def _reg_field(field: str) -> Callable[[str], list[FieldError]]:
    """Validate one registration field with the shared rules (the others filled with valid values)."""
    def check(value: str) -> list[FieldError]:
        values = {"cc": "1", "phone_number": "6315550000", "cert": "QUJD", "pin": ""} | {field: value}
        probe = ClusterProfile("probe", "2.41.2", (), registration=Registration(**values))
        return [e for e in check_registration(probe) if e.field == f"registration.{field}"]
    return check


def _url(value: str) -> list[FieldError]:
    probe = ClusterProfile("probe", "2.41.2", (), webapp=WebappApi(value, self_signed_ok=True, admin_password="Probe-pass-1"))
    return [e for e in check_webapp(probe) if e.field == "webapp.url"]


def _ask_host(index: int) -> HostSpec:
    p = f"hosts[{index}]"
    name = _text(f"Host {index + 1}: EXTERNAL_HOSTNAME (the name other hosts reach it by)",
                 lambda v: check_hostname(v, f"{p}.external_hostname"))
    ssh_host = _text("  SSH address", lambda v: check_hostname(v, f"{p}.ssh.host"), default=name)
    port = int(_text("  SSH port", _port(f"{p}.ssh.port"), default="22"))
    user = _text("  SSH user", lambda v: [] if v else [FieldError(f"{p}.ssh.user", "enter the SSH user")], default="wa")
    key = _text("  private key file (empty: use the SSH agent and default keys)", default="")
    remote_dir = _text("  remote directory for the configuration files",
                       lambda v: check_abs_path(v, f"{p}.remote_dir", "remote directory"), default=f"/home/{user}/biz")
    roles = questionary.checkbox("  roles", choices=[r.value for r in Role],
                                 validate=lambda xs: True if xs else "choose at least one role").unsafe_ask()
    return HostSpec(name, SshTarget(ssh_host, port, user, key, use_agent=not key), tuple(Role(r) for r in roles), remote_dir)


def _ask_cluster(profile: ClusterProfile) -> ClusterProfile:
    return replace(profile, name=_text("Cluster name", _name), wa_api_version=_text("WA_API_VERSION", check_version, default="2.41.2"))


def _ask_hosts(profile: ClusterProfile) -> ClusterProfile:
    hosts: list[HostSpec] = []
    while True:
        hosts.append(_ask_host(len(hosts)))
        if not questionary.confirm("Add another host?", default=len(hosts) < 5).unsafe_ask():
            break
    return replace(profile, hosts=tuple(hosts))


def _ask_database(profile: ClusterProfile) -> ClusterProfile:
    engine = DbEngine(questionary.select("Database engine (WA_DB_ENGINE)", choices=["MYSQL", "PGSQL"]).unsafe_ask())
    db_host = _text("WA_DB_HOSTNAME (a standalone DB server, not a compute host)", lambda v: check_hostname(v, "db.hostname"))
    db_port = int(_text("WA_DB_PORT", _port("db.port"), default="3306" if engine is DbEngine.MYSQL else "5432"))
    db_user = _text("WA_DB_USERNAME", lambda v: [] if v else [FieldError("db.username", "enter the DB user")])
    db_password = _secret("WA_DB_PASSWORD", check_db_password)
    return replace(profile, db=DbEnv(engine, db_host, db_port, db_user, db_password))


def _ask_media(profile: ClusterProfile) -> ClusterProfile:
    media_kind = questionary.select("Media volume", choices=["named volume whatsappMedia", "host path (e.g. an NFS mount)"]).unsafe_ask()
    media = MediaVolume()
    if media_kind.startswith("host"):
        media = MediaVolume(MediaKind.HOST_PATH, _text("  media path on every host", lambda v: check_abs_path(v, "media.host_path", "media path")))
    return replace(profile, media=media)


def _ask_webapp(profile: ClusterProfile) -> ClusterProfile:
    hosts = profile.hosts
    first_web = next((h.external_hostname for h in hosts if h.has(Role.WEBAPP)), hosts[0].external_hostname if hosts else "webapp-host")
    url = _text("Webapp API URL (a load balancer when there are several Webapps)", _url, default=f"https://{first_web}:9090")
    trust = questionary.select("Webapp TLS trust", choices=["CA file", "accept its self-signed certificate"]).unsafe_ask()
    ca = _text("  CA file (PEM)", lambda v: [] if v else [FieldError("webapp.ca_file", "give the CA file path")]) if trust == "CA file" else ""
    admin = _secret("Admin password to set at first login (8-64, digit, upper, lower, special)", check_admin_password)
    return replace(profile, webapp=WebappApi(url, ca_file=ca, self_signed_ok=not ca, admin_password=admin))


def _ask_registration(profile: ClusterProfile) -> ClusterProfile:
    cc = _text("Registration: country calling code (digits, no +)", _reg_field("cc"))
    phone = _text("Registration: phone number without the country code", _reg_field("phone_number"))
    method = questionary.select("Code by", choices=["sms", "voice"]).unsafe_ask()
    cert = _text("Certificate from WhatsApp Manager (base64)", _reg_field("cert"))
    pin = questionary.password("Two-step verification PIN (empty if not enabled)", validate=_validator(_reg_field("pin"))).unsafe_ask()
    return replace(profile, registration=Registration(cc, phone, CodeMethod(method), cert, pin))


#: The sections of ``init`` in the order they are asked; a field path's first word picks its section.
SECTIONS: dict[str, Callable[[ClusterProfile], ClusterProfile]] = {
    "cluster": _ask_cluster, "hosts": _ask_hosts, "database": _ask_database,
    "media": _ask_media, "webapp": _ask_webapp, "registration": _ask_registration,
}
_SECTION_OF_FIELD = {"hosts": "hosts", "db": "database", "media": "media", "webapp": "webapp", "registration": "registration"}


def section_of(field: str) -> str:
    """The ``init`` section that asks ``field`` (a :class:`FieldError` path such as ``hosts[2].ssh.port``
    or ``db.hostname``); fields outside the named sections belong to ``cluster``."""
    return _SECTION_OF_FIELD.get(field.split(".")[0].split("[")[0], "cluster")


def ask_profile(profile: ClusterProfile | None = None, sections: Iterable[str] = SECTIONS) -> ClusterProfile:
    """Ask the ``sections`` (names of :data:`SECTIONS`) in order, keeping ``profile``'s other values.

    With no ``profile`` every section is asked. Field-level checks re-ask a refused value at its
    prompt; cross-field checks (the DB host is a compute host, two hosts share a name) are
    :func:`run_init`'s job, which re-asks only the sections at fault.
    """
    wanted = set(sections)
    current = profile or ClusterProfile("", "", ())
    for name, ask in SECTIONS.items():
        if name in wanted:
            current = ask(current)
    return current


def run_init() -> int:
    """The ``init`` command: ask, re-ask what is invalid, show a summary, save. 0 saved, 1 not saved, 130 Ctrl-C."""
    import yaml

    from ..config.paths import app_paths
    from ..config.profile import profile_path, save_profile
    from .profiles import masked

    try:
        profile = ask_profile()
        while True:
            errors = validate_profile(profile, registration=True)
            if not errors:
                break
            print("These values need fixing:")
            for e in errors:
                print(f"  {e}")
            redo = [name for name in SECTIONS if name in {section_of(e.field) for e in errors}]
            if not questionary.confirm(f"Ask the {', '.join(redo)} section{'s' if len(redo) > 1 else ''} again?",
                                       default=True).unsafe_ask():
                print("Not saved.")
                return 1
            profile = ask_profile(profile, redo)
        print(yaml.safe_dump(masked(profile), sort_keys=False))
        target = profile_path(app_paths().ensure().profiles, profile.name)
        if target.exists() and not questionary.confirm(f"{target} exists. Replace it?", default=False).unsafe_ask():
            print("Not saved.")
            return 1
        if not questionary.confirm(f"Save to {target}?", default=True).unsafe_ask():
            print("Not saved.")
            return 1
    except KeyboardInterrupt:
        print("\nCancelled: nothing was written.")
        return 130
    save_profile(profile, target)
    print(f"saved {target} (mode 600). Next: wabiz-tui plan {profile.name}, then wabiz-tui install {profile.name} --yes")
    return 0
