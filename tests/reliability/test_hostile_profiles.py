"""Hostile profiles are bounded (issue 14.5) and text is kept as written (issue 14.6).

Every case (hand-written: alias bombs, 50,000-deep nesting, tags, control characters, huge values,
wrong types and shell metacharacters in every field; plus hypothesis-generated documents) goes through
``wabiz-tui plan`` in a runner process capped at 1.5 GB of address space, and must end, in under 2 s and
200 MB (tracemalloc peak), either accepted (exit 0) or refused as bad input (exit 2) with a one-line
error, no traceback and no crash report. The figures are printed."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wabiz_tui.config.profile import ProfileError, load_profile
from wabiz_tui.config.yamlload import MAX_ECHO

from .figures import report
from .corpus import base, dump, hand_written, leaves, with_value

ROOT = Path(__file__).resolve().parents[2]
MAX_SECONDS, MAX_MB = 2.0, 200.0


def run_corpus(cases: list[tuple[str, str | bytes]], directory: Path) -> list[dict]:
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (name, text) in enumerate(cases):
        f = directory / f"{i:04d}.yaml"
        f.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        files.append(str(f))
    res = subprocess.run([sys.executable, "-m", "tests.reliability.runner", *files], capture_output=True, text=True,
                         cwd=ROOT, timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})
    rows = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
    assert len(rows) == len(cases), res.stderr[-3000:]
    for (name, _), row in zip(cases, rows):
        row["name"] = name
    return rows


def check(rows: list[dict], title: str) -> None:
    bad = [r for r in rows if r["exit"] not in (0, 2) or r["traceback"] or r["seconds"] >= MAX_SECONDS
           or r["peak_mb"] >= MAX_MB or (r["exit"] == 2 and r["first_line"] == "")]
    outcome = collections.Counter("accepted" if r["exit"] == 0 else "refused" for r in rows)
    slowest = max(rows, key=lambda r: r["seconds"])
    biggest = max(rows, key=lambda r: r["peak_mb"])
    report(f"{title}: {len(rows)} profiles tried: {dict(outcome)}; slowest {slowest['seconds']:.2f} s ({slowest['name']}), "
           f"largest peak {biggest['peak_mb']:.1f} MB ({biggest['name']}); failures {len(bad)}")
    ends = collections.Counter(r["first_line"].split(": ", 2)[-1][:48] if r["exit"] else "accepted" for r in rows)
    report(f"{title}: how they ended (top 8): " + "; ".join(f"{n} x {e!r}" for e, n in ends.most_common(8)))
    for r in rows:
        if r["name"].startswith(("bomb", "deep", "huge", "tag", "ctrl", "exact", "alias", "many")):
            print(f"  {r['name']:34} exit {r['exit']}  {r['seconds']:.2f} s  {r['peak_mb']:6.1f} MB  {r['first_line'][:110]}")
    assert not bad, bad[:5]


def test_hand_written_corpus(tmp_path):
    cases = hand_written()
    assert len(cases) >= 300
    rows = run_corpus(cases, tmp_path / "corpus")
    check(rows, "hand-written hostile corpus")
    by_name = {r["name"]: r for r in rows}
    assert by_name["valid"]["exit"] == 0
    for name in ("bomb-9x9", "deep-flow-list-50000", "deep-block-seq-inline-50000", "huge-name-1000000", "tag-!!binary"):
        assert by_name[name]["exit"] == 2, by_name[name]
    # a 1 MB value is never echoed whole
    assert all(len(r["first_line"]) < 300 for r in rows)


# ---- generated ------------------------------------------------------------------------------------------
scalars = st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                    st.binary(max_size=10).map(lambda b: b.decode("latin-1")))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
FIELDS = list(leaves(base()))


@st.composite
def documents(draw) -> str:
    kind = draw(st.sampled_from(["field", "field", "field", "text", "mutated"]))
    if kind == "field":
        data = base()
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(FIELDS))
            node = data
            try:
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = draw(values)
            except (KeyError, IndexError, TypeError):
                pass
        return dump(data)
    if kind == "text":
        return draw(st.text(max_size=400))
    text = dump(base())
    i = draw(st.integers(0, len(text)))
    return text[:i] + draw(st.text(alphabet="[]{}&*!|>'\"%@`#,:?-\n\t \\", max_size=20)) + text[i:]


def test_generated_corpus(tmp_path):
    generated: list[tuple[str, str]] = []

    @settings(max_examples=300, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(documents())
    def collect(text):
        generated.append((f"generated-{len(generated)}", text))

    collect()
    assert len(generated) >= 250
    rows = run_corpus(generated, tmp_path / "generated")
    check(rows, "hypothesis-generated profiles")


def test_exact_text_is_kept(tmp_path):
    """Issue 14.6: ``password: 0x1A2B3C4D`` stays that text, ``01234567`` keeps its zero, ``12345678.50`` its 0."""
    data = base()
    text = dump(data).replace("password: Str0ng-pass", "password: 0x1A2B3C4D").replace(
        "phone_number: '6315550000'", "phone_number: 01234567")
    text = text.replace("admin_password: Adm1n-pass#", "admin_password: 12345678.50")
    f = tmp_path / "p.yaml"
    f.write_text(text)
    p = load_profile(f)
    assert p.db.password == "0x1A2B3C4D" and p.registration.phone_number == "01234567"
    assert p.webapp.admin_password == "12345678.50"


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path):
    for value in (["S3cret-in-a-list"], {"S3cret": "in-a-map"}):
        f = tmp_path / "p.yaml"
        f.write_text(dump(with_value(("db", "password"), value)))
        try:
            load_profile(f)
        except ProfileError as exc:
            assert "S3cret" not in str(exc) and "db.password" in str(exc) and "quotes" in str(exc)
        else:
            raise AssertionError("a list was taken as a password")


def test_values_echoed_in_errors_are_cut(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(dump(with_value(("hosts", 0, "ssh", "port"), "9" * 100_000)))
    try:
        load_profile(f)
    except ProfileError as exc:
        assert len(str(exc)) < len(str(f)) + 200 and "100000 characters" in str(exc) and MAX_ECHO < 100
    else:
        raise AssertionError("a 100,000-digit port was accepted")
