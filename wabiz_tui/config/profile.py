"""Cluster profiles as YAML files: load, save (atomic, mode 600), convert to and from the domain model.

A profile file looks like::

    name: demo
    wa_api_version: 2.41.2
    shards: 1
    hosts:
      - external_hostname: wa-web-1
        ssh: {host: 10.0.0.11, port: 22, user: wa, key_file: ~/.ssh/id_ed25519, docker_sudo: never}
        remote_dir: /home/wa/biz
        roles: [webapp]
    db: {engine: MYSQL, hostname: db.internal, port: 3306, username: wa, password: "…"}
    media: {kind: volume}            # or {kind: host_path, host_path: /mnt/wamedia}
    webapp: {url: "https://wa-web-1:9090", ca_file: "", self_signed_ok: true, admin_password: "…"}
    registration: {cc: "1", phone_number: "6315550000", method: sms, cert: "…", pin: ""}
    monitoring: {from_host: wa-mon-1, host_exporters: true, mysqld_exporter: wa-mon-1:9104,   # optional
                 grace: 30, poll_floor: 2,                                                 # seconds, optional
                 env_file: /opt/whatsapp-monitoring/.env}           # on from_host, optional (doctor reads it)

Errors are :class:`ProfileError` with a message naming the file and the field; nothing is written
unless the whole file is written (temp file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from ..domain.model import (
    ClusterProfile,
    CodeMethod,
    DbEngine,
    DbEnv,
    HostSpec,
    MediaKind,
    MediaVolume,
    Monitoring,
    Registration,
    Role,
    SECRET_FIELDS,
    SshTarget,
    WebappApi,
)
from ..domain.validation import show
from .atomic import write_atomic
from .runstate import apply_run_state, write_run_state
from .yamlload import MAX_BYTES, PlainText, YamlLimitError, load_yaml


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_D = TypeVar("_D", bound="DataclassInstance")


class ProfileError(ValueError):
    """A profile file could not be read or written; the message names the file, the field and the fix."""


def _enum(cls: type[Enum], value: Any, field: str) -> Any:
    try:
        return cls(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(m.value) for m in cls)
        raise ProfileError(f"{field}: {show(value)} is not one of {allowed}") from None


def _sub(data: dict[str, Any], key: str, path: str = "") -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ProfileError(f"{path or key}: must be a mapping of fields (key: value lines indented under it)")
    return value


#: the YAML 1.2 core schema's spellings of true and false
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _kind_of(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "a number" \
        if isinstance(value, (int, float)) and not isinstance(value, bool) else "true/false" if isinstance(value, bool) else "not text"


def _typed(value: Any, kind: str, field: str) -> Any:
    """Check a value against the model's type (``str``, ``int`` or ``bool``), naming the field.

    Text fields keep the exact text written (the loader gives plain scalars as text: ``0x1A2B3C4D`` stays
    ``"0x1A2B3C4D"``); a value that is not text (a list, a mapping, or a number or boolean handed over by
    Python code) is refused with "quote it", and never echoed (it may be a secret)."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, PlainText) and value in _BOOLS:
            return _BOOLS[value]
        raise ProfileError(f"{field}: {show(str(value)) if isinstance(value, str) else _kind_of(value)} is not true or false "
                           "(write true or false, without quotes)")
    if kind == "int":
        return _int(value, field)
    if kind == "float | None":
        return None if value is None or value == "" else _seconds(value, field)
    if kind == "str":
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ProfileError(f"{field}: {_kind_of(value)} was given where text is expected: write it as text, "
                               "in quotes ('...') so it is kept exactly as written")
        # plain text from here on: the loader's PlainText marker reached asyncpg, whose protocol takes only str
        # ("TypeError: Expected str, got PlainText", shown as AttributeError: the preflight's PostgreSQL login)
        return str(value)
    return value


def _build(cls: type[_D], data: dict[str, Any], field: str, **converted: Any) -> _D:
    fields = cls.__dataclass_fields__
    unknown = [k for k in data if k not in fields]
    if unknown:
        names = ", ".join(show(k) if not isinstance(k, str) or len(k) > 40 else k for k in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ProfileError(f"{field}: unknown field(s) {names}{more}; allowed: {', '.join(sorted(fields))}")
    values = {k: _typed(v, str(fields[k].type), f"{field}.{k}" if field != "profile" else k)
              for k, v in data.items() if k not in converted}
    try:
        return cls(**{**values, **converted})
    except TypeError as exc:
        raise ProfileError(f"{field}: {exc}") from None


def _int(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value, re.ASCII):
        return int(value)
    shown = show(str(value)) if isinstance(value, str) else _kind_of(value)
    raise ProfileError(f"{field}: {shown} is not a whole number (digits only, e.g. 22)")


def _seconds(value: Any, field: str) -> float:
    """A number of seconds as written (``30``, ``2.5``); anything else is refused naming the field."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,3})?", value, re.ASCII):
        return float(value)
    shown = show(str(value)) if isinstance(value, str) else _kind_of(value)
    raise ProfileError(f"{field}: {shown} is not a number of seconds (digits, e.g. 30 or 2.5)")


#: Secret fields (``domain.model.SECRET_FIELDS``) may be given as ``env:VARIABLE`` references instead of values.


def _resolve_secrets(data: dict[str, Any], environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Replace ``env:VAR`` secret values in ``data`` (in place) by the variable's value; return the references."""
    refs: list[tuple[str, str]] = []
    for section, key in SECRET_FIELDS:
        part = data.get(section)
        if not isinstance(part, dict):
            continue
        value = part.get(key)
        if isinstance(value, str) and value.startswith("env:"):
            var = value[4:]
            if not var or not all(c.isalnum() or c == "_" for c in var):
                raise ProfileError(f"{section}.{key}: an env: value must name a variable, like env:WA_DB_PASSWORD")
            if var not in environ:
                raise ProfileError(f"{section}.{key}: the environment variable {var} is not set (the profile refers to it)")
            part[key] = environ[var]
            refs.append((f"{section}.{key}", value))
    return tuple(refs)


def profile_from_dict(data: Any, environ: Mapping[str, str] | None = None) -> ClusterProfile:
    """Build a profile from parsed YAML. Secrets written as ``env:VAR`` are read from ``environ``
    (default ``os.environ``). Raises :class:`ProfileError` naming the bad field."""
    if isinstance(data, dict):
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
        refs = _resolve_secrets(data, os.environ if environ is None else environ)
        data["secret_refs"] = refs
    if not isinstance(data, dict):
        raise ProfileError("the profile must be a YAML mapping with name, wa_api_version and hosts")
    for required in ("name", "wa_api_version", "hosts"):
        if data.get(required) in (None, ""):
            raise ProfileError(f"{required}: missing")
    hosts_data = data.get("hosts") or []
    if not isinstance(hosts_data, list):
        raise ProfileError("hosts: must be a list")
    hosts = []
    for i, h in enumerate(hosts_data):
        if not isinstance(h, dict):
            raise ProfileError(f"hosts[{i}]: must be a mapping")
        ssh = _sub(h, "ssh", f"hosts[{i}].ssh")
        ssh_obj = _build(SshTarget, ssh, f"hosts[{i}].ssh")
        roles = h.get("roles") or []
        if not isinstance(roles, list):
            raise ProfileError(f"hosts[{i}].roles: must be a list of webapp, master, coreapp")
        hosts.append(_build(HostSpec, h, f"hosts[{i}]", ssh=ssh_obj,
                            roles=tuple(_enum(Role, r, f"hosts[{i}].roles") for r in roles)))
    db = _sub(data, "db")
    media = _sub(data, "media")
    reg = _sub(data, "registration")
    top = {k: v for k, v in data.items() if k not in ("hosts", "db", "media", "webapp", "registration", "secret_refs",
                                                     "monitoring")}
    mon = _sub(data, "monitoring")
    targets = mon.get("targets") or []
    if not isinstance(targets, list):
        raise ProfileError("monitoring.targets: must be a list of host:port")
    return _build(
        ClusterProfile, top, "profile",
        hosts=tuple(hosts),
        secret_refs=tuple(data.get("secret_refs", ())),
        db=_build(DbEnv, db, "db", engine=_enum(DbEngine, db.get("engine", "MYSQL"), "db.engine")),
        media=_build(MediaVolume, media, "media", kind=_enum(MediaKind, media.get("kind", "volume"), "media.kind")),
        webapp=_build(WebappApi, _sub(data, "webapp"), "webapp"),
        registration=_build(Registration, reg, "registration",
                            method=_enum(CodeMethod, reg.get("method", "sms"), "registration.method")),
        monitoring=_build(Monitoring, mon, "monitoring", targets=tuple(str(t) for t in targets)),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def profile_to_dict(profile: ClusterProfile) -> dict[str, Any]:
    """The profile as plain YAML-able data (enums as strings, tuples as lists); secrets that came
    from ``env:VAR`` references are written as those references, never as values. The run state
    (``installed``) is not part of it."""
    data: dict[str, Any] = _plain(asdict(profile))
    data.pop("installed", None)  # run state: it lives in the state directory (config/runstate.py)
    for key in ("grace", "poll_floor", "env_file"):  # optional settings: written only when set, so older files stay
        if data["monitoring"].get(key) in (None, ""):  # as they were
            data["monitoring"].pop(key, None)
    for path, ref in data.pop("secret_refs", []):
        section, key = path.split(".")
        data[section][key] = ref
    return data


def masked_profile_dict(profile: ClusterProfile) -> dict[str, Any]:
    """The profile as data (:func:`profile_to_dict`) with every secret replaced by ``********`` (empty ones stay
    empty; an ``env:`` reference names a variable, not a secret, and stays)."""
    from ..domain.render import MASK

    data = profile_to_dict(profile)
    for section, key in SECRET_FIELDS:
        value = data[section].get(key)
        if value and not str(value).startswith("env:"):
            data[section][key] = MASK
    return data


def read_profile_text(path: Path) -> str:
    """The text of a profile file, read only when it is within the loader's size bound (a 1 GB file is
    refused from its size, not read). Raises :class:`ProfileError` naming the file."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise ProfileError(f"{path}: larger than {MAX_BYTES // 1024} KB: a profile is a few KB (is it the right file?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text (byte {exc.start}): save the profile as UTF-8") from None


def load_profile(path: Path) -> ClusterProfile:
    """Read a profile file. Raises :class:`ProfileError` with the path and the bad field."""
    text = read_profile_text(path)
    try:
        data = load_yaml(text)
    except YamlLimitError as exc:
        raise ProfileError(f"{path}: {exc}") from None
    try:
        profile = profile_from_dict(data)
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from None
    _read_digests[_key(path)] = _digest(text)
    return _with_run_state(profile, data)


#: sha256 of each profile file as this process last read or wrote it (resolved path → hex)
_read_digests: dict[str, str] = {}


def _key(path: Path) -> str:
    return str(Path(path).expanduser().resolve())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _with_run_state(profile: ClusterProfile, data: object) -> ClusterProfile:
    """``installed`` from the state directory; an ``installed:`` key of an older version is migrated there."""
    return apply_run_state(profile, profile.installed if isinstance(data, dict) and "installed" in data else None)


class ProfileChanged(ProfileError):
    """The profile file changed since this process read it: it is not overwritten (the edits would be lost)."""


def save_profile(profile: ClusterProfile, path: Path) -> Path:
    """Write the profile atomically with mode 600 (it holds secrets). Returns ``path``.

    The text goes to a temporary file in the same directory, is flushed and fsynced, then replaces
    ``path`` in one step, so a crash never leaves a half-written profile.
    """
    text = yaml.safe_dump(profile_to_dict(profile), sort_keys=False, allow_unicode=True)
    written = write_atomic(Path(path), text, mode=0o600)
    _read_digests[_key(path)] = _digest(text)
    if profile.installed:
        write_run_state(profile, installed=True, installed_version=profile.wa_api_version)
    return written


def profile_path(profiles_dir: Path, name: str) -> Path:
    """Where the profile named ``name`` lives in ``profiles_dir``."""
    return Path(profiles_dir) / f"{name}.yaml"


def resolve_profile(arg: str, profiles_dir: Path) -> Path:
    """A CLI argument that is a file path, or the name of a saved profile. Raises :class:`ProfileError` (a
    directory is said to be one, not "no such file")."""
    p = Path(arg).expanduser()
    if p.is_file():
        return p
    named = profile_path(profiles_dir, arg)
    if named.is_file():
        return named
    if p.is_dir():
        raise ProfileError(f"{arg}: is a directory, not a profile file (give the profile's .yaml file in it, or the "
                           "name of a saved profile)")
    raise ProfileError(f"{arg}: no such profile file, and no saved profile of that name in {profiles_dir}")


def command_ref(name: str, path: Path | None, profiles_dir: Path) -> str:
    """How a printed ``wabiz-tui <command> PROFILE`` must name the profile ``name`` read from ``path`` so that the
    command works when pasted: ``name`` when :func:`resolve_profile` turns it into that same file (it is saved
    under that name), else the path itself (an unsaved profile opened by path: ``upgrade NAME`` would fail with
    "no saved profile of that name", trial 2 N5). ``path`` None: ``name``. Never raises."""
    if path is None:
        return name
    try:
        if resolve_profile(name, profiles_dir).resolve() == Path(path).expanduser().resolve():
            return name
    except (ProfileError, OSError):
        pass
    return str(path)


class _AnyEnv(Mapping[str, str]):
    """An environment in which every variable exists (unset ones are empty): reading other clusters'
    profiles must not fail on their ``env:VAR`` secrets, which a duplicate check never needs."""

    def __getitem__(self, key: str) -> str:
        return os.environ.get(key, "")

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def saved_profiles(profiles_dir: Path, *, exclude: Path | None = None) -> list[ClusterProfile]:
    """Every readable saved profile in ``profiles_dir`` (``*.yaml``), except the file ``exclude``.

    Unreadable files are skipped (``wabiz-tui profiles`` reports them); secrets given as ``env:VAR`` read
    as empty when the variable is unset. Used to find another cluster registering the same number (R23)."""
    directory = Path(profiles_dir)
    if not directory.is_dir():
        return []
    skip = Path(exclude).resolve() if exclude else None
    out = []
    for f in sorted(directory.glob("*.yaml")):
        if skip is not None and f.resolve() == skip:
            continue
        try:
            data = load_yaml(read_profile_text(f))
            out.append(_with_run_state(profile_from_dict(data, _AnyEnv()), data))
        except (OSError, UnicodeDecodeError, YamlLimitError, ProfileError):
            continue
    return out
