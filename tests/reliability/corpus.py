"""The hostile-profile corpus (issue 14.5): hand-written cases built from a valid profile, each a
``(name, text)`` pair. Generated cases come from ``hypothesis`` in the tests themselves."""

from __future__ import annotations

import yaml

from tests.domain.test_validation import good_profile
from wabiz_tui.config.profile import profile_to_dict

#: shell metacharacters and friends, put into every field
METACHARS = ("; rm -rf / #", "$(id)", "`whoami`", "a|b&c>d<e", "x' ; echo pwned '", "${HOME}", "a\nb: c", "--help",
             "../../etc/passwd", "*?[", "%s%n", "\\\\x00")


def base() -> dict:
    return profile_to_dict(good_profile())


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def leaves(data, path=()):
    """Every scalar field of ``data`` as a path tuple (``("hosts", 0, "ssh", "host")``)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:1] if path == ("hosts",) else data):
            yield from leaves(v, path + (i,))
    else:
        yield path


def with_value(path, value) -> dict:
    data = base()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def bomb(levels: int, width: int) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def hand_written() -> list[tuple[str, str]]:
    """About 150 cases: bombs, nesting, tags, control characters, huge values, wrong types and
    metacharacters in every field."""
    cases: list[tuple[str, str]] = []
    good = dump(base())
    cases += [("valid", good)]
    # alias bombs: the 2.3 KB one of the review and variants
    cases += [(f"bomb-{lv}x{w}", bomb(lv, w)) for lv, w in ((9, 9), (10, 10), (5, 50), (20, 3), (30, 2))]
    cases += [("bomb-in-profile", good + bomb(9, 9).replace("a0:", "x0:").replace("a", "z")),
              ("bomb-as-field", good.replace("name: prod", "name: *a8") + bomb(9, 9)),
              ("alias-many", "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n"),
              ("alias-undefined", "name: *nope\n"),
              ("alias-self-merge", "a: &a {<<: *a}\n")]
    # nesting
    for n in (33, 1000, 50_000):
        cases += [(f"deep-flow-list-{n}", "[" * n + "]" * n), (f"deep-flow-map-{n}", "{a: " * n + "b" + "}" * n),
                  (f"deep-block-list-{n}", "".join("  " * i + "-\n" for i in range(min(n, 2000))) + "  " * min(n, 2000) + "x\n"),
                  (f"deep-block-seq-inline-{n}", "- " * n + "x\n")]
    cases += [("deep-unclosed", "[" * 100_000)]
    # tags
    for tag in ("!!python/object/apply:os.system ['id']", "!!python/name:os.system", "!!binary aGVsbG8=", "!!int '5'",
                "!!float 1", "!!timestamp 2001-12-14", "!!set {a, b}", "!!omap [a: 1]", "!custom x", "!<tag:x,2000:y> z",
                "!!str text", "!!null ''", "!!bool yes"):
        cases += [(f"tag-{tag.split()[0]}", good.replace("name: prod", f"name: {tag}"))]
    # control characters and encodings
    for c in ("\x00", "\x07", "\x1b[31m", "\x7f", "\u202e", "\ufeff", "\x85", "\u2028"):
        cases += [(f"ctrl-raw-{ord(c[0]):x}", good.replace("name: prod", f"name: prod{c}x"))]
        cases += [(f"ctrl-escaped-{ord(c[0]):x}", good.replace("password: Str0ng-pass", f'password: "Str0ng{c!r:.0}\\x{ord(c[0]) % 256:02x}pass"'))]
    cases += [("not-utf8", b"name: caf\xe9\n"), ("empty", ""), ("only-comment", "# nothing\n"), ("scalar-doc", "hello\n"),
              ("list-doc", "- a\n- b\n"), ("two-docs", good + "---\n" + good), ("null-doc", "~\n"),
              ("tab-indent", good.replace("  - ", "\t- ", 1)), ("dup-keys", good + "name: other\n"),
              ("null-key", good + "~: x\n"), ("int-key", good + "1: x\n"), ("complex-key", good + "? [a, b]\n: c\n"),
              ("huge-key", good + "k" * 100_000 + ": v\n")]
    # huge values
    for size in (10_000, 250_000, 1_000_000):
        cases += [(f"huge-name-{size}", good.replace("name: prod", "name: " + "x" * size)),
                  (f"huge-password-{size}", good.replace("password: Str0ng-pass", "password: " + "P4ss-" * (size // 5)))]
    cases += [("huge-int", good.replace("shards: 1", "shards: " + "9" * 5000)),
              ("huge-port", good.replace("port: 3306", "port: " + "9" * 5000)),
              ("many-hosts", dump({**base(), "hosts": base()["hosts"] * 4000}))]
    # exact text (issue 14.6): must load as written
    for field, text in (("password", "0x1A2B3C4D"), ("password", "12345678.50"), ("phone_number", "01234567"),
                        ("password", "1e10xxxxxx"), ("password", "yes-or-no"), ("password", ".inf-and-more")):
        old = {"password": "password: Str0ng-pass", "phone_number": "phone_number: '6315550000'"}[field]
        cases += [(f"exact-{field}-{text}", good.replace(old, f"{field}: {text}"))]
    # wrong types and metacharacters in every field
    for path in leaves(base()):
        name = ".".join(map(str, path))
        for label, value in (("list", ["a", "b"]), ("map", {"a": 1}), ("number", 12345678), ("bool", True), ("null", None)):
            cases += [(f"type-{label}-{name}", dump(with_value(path, value)))]
        for i, meta in enumerate(METACHARS[:4] if len(cases) > 400 else METACHARS):
            cases += [(f"meta{i}-{name}", dump(with_value(path, meta)))]
    return cases
