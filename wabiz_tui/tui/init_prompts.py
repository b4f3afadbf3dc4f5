"""The prompts of ``wabiz-tui init`` (the command itself: ``cli/init.py``): create a cluster profile with plain
terminal prompts (questionary), before any full-screen app. A face of its own, so it lives in the ``tui`` layer
(design.md §3: only faces import questionary). Every answer is checked by the same validation as the TUI forms
and re-asked with the field's name and the fix; the hosts' roles are checked as soon as the hosts are entered.
Ctrl-C writes no profile but keeps the answers so far (the hosts entered whole included) as a draft (state directory,
mode 600), as declining to fix the values, to replace an existing profile or to save does; the next ``init`` offers to
continue from it, asking first the sections not answered yet.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

from ..domain.model import (ClusterProfile, CodeMethod, DbEngine, DbEnv, HostSpec, MediaKind, MediaVolume, Registration,
                           Role, SshTarget, WebappApi)
from ..domain.validation import (FieldError, check_abs_path, check_admin_password, check_db_password, check_hostname,
                                check_port, check_registration, check_topology, check_version, check_webapp,
                                validate_profile)
from ..workflows.keyfiles import key_file_error


class _Questionary:
    """questionary, imported on first use: ``wabiz-tui --help`` imports this module to declare ``init``, and
    questionary brings prompt_toolkit with it."""

    def __getattr__(self, name: str):
        import questionary as module

        return getattr(module, name)


questionary = _Questionary()


def _validator(check: Callable[[str], list[FieldError]]) -> Callable[[str], bool | str]:
    """questionary's ``validate``: True, or the first problem as ``field: what is wrong and the fix``."""
    def validate(value: str) -> bool | str:
        """``True`` when ``check(value)`` finds nothing, else the first problem as text."""
        errors = check(value)
        return True if not errors else str(errors[0])
    return validate


def _text(message: str, check: Callable[[str], list[FieldError]] | None = None, default: str = "") -> str:
    """Ask ``message``; the answer stripped, or ``default`` for an empty one. The default is shown beside the
    question, never typed into the field: questionary's ``default`` is editable text that typing appends to
    (trial s8 M9: ``2.41.2`` typed gave ``2.41.22.41.2``). A refused value is printed above the question again,
    where the terminal wraps it (prompt_toolkit's validation toolbar is one line: cut at 80 columns)."""
    hint = {"instruction": f"(Enter: {default})"} if default else {}
    while True:
        value = questionary.text(message, **hint).unsafe_ask().strip() or default
        errors = check(value) if check else []
        if not errors:
            return value
        print(f"  ✗ {errors[0]}")


def _secret(message: str, check: Callable[[str], list[FieldError]]) -> str:
    return questionary.password(message, validate=_validator(check)).unsafe_ask()


def _port(field: str) -> Callable[[str], list[FieldError]]:
    # ASCII digits only: str.isdigit also takes "²", which int() refuses inside the prompt (a traceback, s8 trial)
    return lambda v: check_port(int(v), field) if re.fullmatch(r"[0-9]{1,9}", v.strip()) else [
        FieldError(field, "enter a number from 1 to 65535")]


def _name(v: str) -> list[FieldError]:
    probe = ClusterProfile(v, "2.41.2", ())
    return [e for e in validate_profile(probe) if e.field == "name"]


def _reg_field(field: str) -> Callable[[str], list[FieldError]]:
    """Validate one registration field with the shared rules (the others filled with valid values)."""
    def check(value: str) -> list[FieldError]:
        """The problems of ``value`` as registration field ``field``, from ``check_registration`` on a probe profile ([]
        when valid)."""
        values = {"cc": "1", "phone_number": "6315550000", "cert": "QUJD", "pin": ""} | {field: value}
        probe = ClusterProfile("probe", "2.41.2", (), registration=Registration(**values))
        return [e for e in check_registration(probe) if e.field == f"registration.{field}"]
    return check


def _url(value: str) -> list[FieldError]:
    probe = ClusterProfile("probe", "2.41.2", (), webapp=WebappApi(value, self_signed_ok=True, admin_password="Probe-pass-1"))
    return [e for e in check_webapp(probe) if e.field == "webapp.url"]


def _local_file(field: str, what: str, fix: str) -> Callable[[str], list[FieldError]]:
    """Refuse a path that is not a readable file on this machine (empty passes: the field is optional)."""
    def check(value: str) -> list[FieldError]:
        """[] for an empty value or a readable file (``~`` expanded), else one ``FieldError`` saying the path is missing
        or unreadable."""
        path = os.path.expanduser(value.strip())
        if not path or (os.path.isfile(path) and os.access(path, os.R_OK)):
            return []
        why = "is not a readable file" if os.path.exists(path) else "does not exist on this machine"
        return [FieldError(field, f"{value.strip()!r} {why}: give the path of {what}, {fix}")]
    return check


def _private_key(field: str) -> Callable[[str], list[FieldError]]:
    """A readable file (:func:`_local_file`) that is an SSH private key, not its ``.pub`` (empty passes: the agent)."""
    readable = _local_file(field, "the private key (e.g. ~/.ssh/id_ed25519)", "or leave it empty to use the SSH agent")

    def check(value: str) -> list[FieldError]:
        """The refusal of ``value``: unreadable or absent first, then not a private key; [] when it is one."""
        return readable(value) or [e for e in [key_file_error(field, value)] if e is not None]
    return check


def _external_name(field: str, taken: set[str]) -> Callable[[str], list[FieldError]]:
    def check(value: str) -> list[FieldError]:
        """A ``FieldError`` if ``value`` is already another host's name, else the hostname rules' problems ([] when
        valid)."""
        if value in taken:
            return [FieldError(field, f"{value!r} is already the name of another host: each host needs its own")]
        return check_hostname(value, field)
    return check


def _ask_host(index: int, taken: set[str] = frozenset(), before: HostSpec | None = None) -> HostSpec:
    """One host's questions; ``taken``: the names of the other hosts; ``before``: its earlier answers (the defaults)."""
    p = f"hosts[{index}]"
    b = before
    name = _text(f"Host {index + 1}: EXTERNAL_HOSTNAME (the name other hosts reach it by)",
                 _external_name(f"{p}.external_hostname", set(taken)), default=b.external_hostname if b else "")
    ssh_host = _text("  SSH address", lambda v: check_hostname(v, f"{p}.ssh.host"),
                     default=b.ssh.host if b and b.ssh.host != b.external_hostname else name)
    port = int(_text("  SSH port", _port(f"{p}.ssh.port"), default=str(b.ssh.port) if b else "22"))
    user = _text("  SSH user", lambda v: [] if v else [FieldError(f"{p}.ssh.user", "enter the SSH user")],
                 default=b.ssh.user if b else "wa")
    key = _text("  private key file (empty: use the SSH agent and default keys)", _private_key(f"{p}.ssh.key_file"),
                default=b.ssh.key_file if b else "")
    remote_dir = _text("  remote directory for the configuration files",
                       lambda v: check_abs_path(v, f"{p}.remote_dir", "remote directory"),
                       default=b.remote_dir if b else f"/home/{user}/biz")
    choices = [questionary.Choice(r.value, checked=bool(b and r in b.roles)) for r in Role]
    roles = questionary.checkbox("  roles", choices=choices,
                                 validate=lambda xs: True if xs else f"{p}.roles: choose at least one role").unsafe_ask()
    return HostSpec(name, SshTarget(ssh_host, port, user, key, use_agent=not key), tuple(Role(r) for r in roles), remote_dir)


def _ask_cluster(profile: ClusterProfile) -> ClusterProfile:
    return replace(profile, name=_text("Cluster name", _name), wa_api_version=_text("WA_API_VERSION", check_version, default="2.41.2"))


def _ask_hosts(profile: ClusterProfile) -> ClusterProfile:
    """The hosts, one by one (asked again: the earlier answers are the defaults). When the user has no more
    hosts to add, the roles are checked at once: a missing Webapp, Master or Coreapp is said there, with an
    offer to add a host for it, not after the database, media, Webapp and registration questions."""
    before = list(profile.hosts)
    hosts: list[HostSpec] = []
    try:
        while True:
            i = len(hosts)
            hosts.append(_ask_host(i, {h.external_hostname for h in hosts}, before[i] if i < len(before) else None))
            more = len(hosts) < len(before) or (not before and len(hosts) < 5)
            if questionary.confirm("Add another host?", default=more).unsafe_ask():
                continue
            missing = [e for e in check_topology(replace(profile, hosts=tuple(hosts))) if e.field == "hosts"]
            if not missing:
                break
            print("The cluster cannot start with these hosts:")
            for e in missing:
                print(f"  {e}")
            if not questionary.confirm("Add a host for it now?", default=True).unsafe_ask():
                break
    except KeyboardInterrupt as exc:
        # the hosts entered whole are kept (and the earlier answers for the rest): trial s8 N2 lost a finished host
        raise Interrupted(replace(profile, hosts=tuple(hosts) + tuple(before[len(hosts):]))) from exc
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
    ca_file = _local_file("webapp.ca_file", "the CA certificate (PEM) that signed the Webapp's certificate",
                          "or choose to accept its self-signed certificate")
    ca = _text("  CA file (PEM)", lambda v: ca_file(v) if v else [FieldError("webapp.ca_file", "give the CA file path")]
               ) if trust == "CA file" else ""
    admin = _secret("Admin password to set at first login (8-64, digit, upper, lower, special)", check_admin_password)
    return replace(profile, webapp=WebappApi(url, ca_file=ca, self_signed_ok=not ca, admin_password=admin))


#: Largest certificate file read (bytes): WhatsApp Manager's certificates are a few hundred base64 characters.
CERT_FILE_MAX = 64 * 1024


#: A pasted certificate: base64 only, long. Never looked up as a file: a run of 256+ characters without "/" is a file
#: name too long for Linux, and ``Path.is_file`` raises ``OSError(36, 'File name too long')`` on it.
_PASTED = re.compile(r"[A-Za-z0-9+/=\s]{200,}")


def _cert_file(value: str) -> Path | None:
    """The file ``value`` names when it is one (the answer may be the certificate itself or its file's path); a
    pasted certificate (:data:`_PASTED`) is never looked up. Raises :class:`OSError` when the path cannot be looked up
    (e.g. ``ENAMETOOLONG``)."""
    text = value.strip()
    if not text or _PASTED.fullmatch(text):
        return None
    path = Path(os.path.expanduser(text))
    return path if path.is_file() else None


def _looks_like_a_path(text: str) -> bool:
    # base64 may start with "/" too, but a certificate is hundreds of characters and has no "." or "~"
    return text.startswith(("/", "~", ".")) and len(text) < 100


def _cert_text(value: str) -> str:
    """The certificate an answer gives: the content of the file it names, else the answer itself."""
    path = _cert_file(value)
    if path is None:
        return value.strip()
    with path.open("rb") as f:
        return f.read(CERT_FILE_MAX + 1).decode("ascii", "replace").strip()


def _check_cert(value: str) -> list[FieldError]:
    try:
        path = _cert_file(value)
        if path is not None:
            if not os.access(path, os.R_OK):
                return [FieldError("registration.cert",
                                   f"{path} cannot be read: fix its permissions or paste the certificate")]
            if path.stat().st_size > CERT_FILE_MAX:
                return [FieldError("registration.cert", f"{path} is {path.stat().st_size} bytes, not a certificate "
                                   "from WhatsApp Manager (a few hundred base64 characters): give that file")]
    except OSError as exc:  # the answer is not shown: it may be the certificate itself
        return [FieldError("registration.cert", f"the answer cannot be looked up as a file ({exc.strerror or exc}): "
                                                "paste the certificate (base64 only) or give a shorter path to its file")]
    if path is None and _looks_like_a_path(value.strip()):
        return [FieldError("registration.cert", f"{value.strip()} does not exist: give the file of the certificate "
                                                "or paste the certificate itself")]
    return _reg_field("cert")(_cert_text(value))


def _ask_cert() -> str:
    """Ask the registration certificate hidden, pasted or as a file; say what was read without showing it.

    WhatsApp Manager's certificate is a base64 blob, not an X.509 certificate: it has no subject or expiry to show
    here; the Webapp answers ``POST /v1/account`` with the verified name it holds (vname, shown at step 8)
    (reference/wa-onprem-api.md, "202 Accepted ... display name decoded from cert")."""
    answer = questionary.password("Certificate from WhatsApp Manager: paste it (base64, hidden) or give its file's path",
                                  validate=_validator(_check_cert)).unsafe_ask()
    cert = _cert_text(answer)
    path = _cert_file(answer)
    where = f"read from {path}" if path else "pasted"
    print(f"  certificate {where}: {len(cert)} base64 characters (not shown; the Webapp gives its verified name at "
          "step 8)")
    return cert


def _ask_registration(profile: ClusterProfile) -> ClusterProfile:
    cc = _text("Registration: country calling code (digits, no +)", _reg_field("cc"))
    phone = _text("Registration: phone number without the country code", _reg_field("phone_number"))
    method = questionary.select("Code by", choices=["sms", "voice"]).unsafe_ask()
    cert = _ask_cert()
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
    wanted = [name for name in SECTIONS if name in set(sections)]
    current = profile or ClusterProfile("", "", ())
    for i, name in enumerate(wanted):
        try:
            current = SECTIONS[name](current)
        except Interrupted as exc:  # a section that keeps its part answered (the hosts entered whole)
            raise Interrupted(exc.answers, wanted[i:]) from exc
        except KeyboardInterrupt as exc:
            raise Interrupted(current, wanted[i:]) from exc
    return current


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`ask_profile`: ``answers`` holds the sections answered so far (the draft to keep) and
    ``left`` the names of the sections (:data:`SECTIONS`) not answered to the end, the interrupted one first."""

    def __init__(self, answers: ClusterProfile, left: Iterable[str] = ()) -> None:
        super().__init__()
        self.answers = answers
        self.left = tuple(left)


def draft_path() -> Path:
    """Where ``init`` keeps the answers of a run that ended with values still to fix (mode 600)."""
    from ..config.paths import app_paths

    return app_paths().state / "init-draft.yaml"


#: The draft's first line when some sections were not answered (a YAML comment: the profile reader ignores it).
_LEFT_MARK = "# wabiz-tui init: not answered yet: "


def save_draft(profile: ClusterProfile, left: Iterable[str] = ()) -> Path:
    """Keep ``profile`` (not valid yet) as the draft, with ``left`` (names of :data:`SECTIONS` not answered yet,
    e.g. after a Ctrl-C) in its first line for :func:`draft_left`; returns its path."""
    import yaml

    from ..config.atomic import write_atomic
    from ..config.paths import app_paths
    from ..config.profile import profile_to_dict

    app_paths().ensure()
    left = [name for name in SECTIONS if name in set(left)]
    head = f"{_LEFT_MARK}{', '.join(left)}\n" if left else ""
    return write_atomic(draft_path(), head + yaml.safe_dump(profile_to_dict(profile), sort_keys=False,
                                                            allow_unicode=True), mode=0o600)


def draft_left() -> list[str]:
    """The sections the draft's run did not answer (its first line, :func:`save_draft`), in :data:`SECTIONS`
    order; [] when every section was answered or there is no readable draft."""
    try:
        with draft_path().open(encoding="utf-8") as f:
            first = f.readline().rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return []
    if not first.startswith(_LEFT_MARK):
        return []
    named = {n.strip() for n in first[len(_LEFT_MARK):].split(",")}
    return [name for name in SECTIONS if name in named]


def load_draft() -> ClusterProfile | None:
    """The draft kept by an earlier ``init``, or None (none, or unreadable: then it is ignored)."""
    from ..config.profile import ProfileError, load_profile

    path = draft_path()
    if not path.is_file():
        return None
    try:
        return load_profile(path)
    except ProfileError as exc:
        print(f"The draft {path} cannot be read ({exc}): starting afresh.")
        return None


def _kept(profile: ClusterProfile, then: str) -> int:
    """Keep every answer as the draft and say where and how to continue; 1 (not saved)."""
    kept = save_draft(profile)
    print(f"Not saved as a profile. Your answers are kept in {kept} (mode 600; it holds the passwords you typed, as "
          f"a saved profile does): run wabiz-tui init again, answer yes to continue from them, {then}; or delete it "
          f"(rm {kept}) to keep nothing.")
    return 1


def run_init() -> int:
    """The ``init`` command: ask, re-ask what is invalid, show a summary, save. 0 saved, 1 not saved, 130 Ctrl-C.

    Declining to fix the values, to replace an existing profile or to save keeps every answer as the draft
    (:func:`draft_path`), and says where and how to continue; the next ``init`` offers to continue from it,
    asking only the sections at fault (a valid draft goes straight to the summary).
    """
    import yaml

    from ..config.paths import app_paths
    from ..config.profile import masked_profile_dict as masked, profile_path, save_profile

    try:
        draft, left = load_draft(), draft_left()
        unanswered = f"; not answered yet: {', '.join(left)}" if left else ""
        if draft is not None and questionary.confirm(
                f"Continue from the answers kept in {draft_path()} (cluster {draft.name!r}, {len(draft.hosts)} "
                f"host(s){unanswered})?", default=True).unsafe_ask():
            # the sections a Ctrl-C left are asked first: their empty values are not errors to fix (trial s8 N2)
            profile = ask_profile(draft, left) if left else draft
        else:
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
                return _kept(profile, "to fix the values")
            profile = ask_profile(profile, redo)
        print(yaml.safe_dump(masked(profile), sort_keys=False))
        target = profile_path(app_paths().ensure().profiles, profile.name)
        if target.exists() and not questionary.confirm(f"{target} exists. Replace it?", default=False).unsafe_ask():
            return _kept(profile, f"and choose another cluster name (or replace {target})")
        if not questionary.confirm(f"Save to {target}?", default=True).unsafe_ask():
            return _kept(profile, "to save them")
    except (KeyboardInterrupt, EOFError) as exc:  # Ctrl-D at a prompt is EOFError: a cancel too, not a crash report
        how = " (Ctrl-D)" if isinstance(exc, EOFError) else ""
        answers = getattr(exc, "answers", None)
        if answers is not None and (answers.name or answers.hosts):
            kept = save_draft(answers, getattr(exc, "left", ()))  # trial s8 M9: ten answers were lost to one Ctrl-C
            print(f"\nCancelled{how}: the answers so far are kept in {kept} (mode 600): run wabiz-tui init again and "
                  f"answer yes to continue from them, or delete it (rm {kept}). No profile was written.")
        else:
            print(f"\nCancelled{how}: nothing was written.")
        return 130
    save_profile(profile, target)
    draft_path().unlink(missing_ok=True)
    print(f"saved {target} (mode 600). Next: wabiz-tui plan {profile.name}, then wabiz-tui install {profile.name} --yes")
    return 0
