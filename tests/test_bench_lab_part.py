"""``python -m bench`` and the benchmarks on real parts: never run by default (they bring the lab up, which uses fixed
namespaces and addresses), skipped with the reason where the lab cannot run."""

from __future__ import annotations

import argparse


def test_bench_runs_the_lab_part_only_when_asked_and_says_why_not(monkeypatch, capsys):
    from bench import __main__ as bench_main
    from bench import lab_bench

    assert bench_main.lab_part(argparse.Namespace(lab=False, lab_hosts=(6,))) is None
    assert "lab (real parts): not run; add --lab" in capsys.readouterr().out
    monkeypatch.setattr(lab_bench, "can_run", lambda: "the lab needs root (…): run it with sudo")
    assert bench_main.lab_part(argparse.Namespace(lab=True, lab_hosts=(6,))) is None
    assert capsys.readouterr().out == "lab (real parts): skipped: the lab needs root (…): run it with sudo\n"
    monkeypatch.setattr(lab_bench, "can_run", lambda: "")
    seen = []
    monkeypatch.setattr(lab_bench, "main", lambda sizes: seen.append(sizes) or ["measured"])
    assert bench_main.lab_part(argparse.Namespace(lab=True, lab_hosts=(6, 20)))() == ["measured"]
    assert seen == [(6, 20)]


def test_lab_bench_main_says_why_it_cannot_run(monkeypatch):
    from bench import lab_bench
    monkeypatch.setattr(lab_bench, "can_run", lambda: "the lab needs Linux (…); this is Darwin")
    assert lab_bench.main((6,)) == ["lab bench: skipped: the lab needs Linux (…); this is Darwin"]


def test_lab_sizes_option():
    import pytest
    from bench.lab_bench import lab_sizes
    assert lab_sizes("6,20") == (6, 20)
    for bad in ("x", "0", "6,39"):
        with pytest.raises(ValueError):
            lab_sizes(bad)
