"""The Webapp stand-in creates the media folders the seed's 2.29.3 chown works on, with the owner of its version.
Run as the image runs it: the materialised image tree on its own python3."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from wabiz_tui.lab.node import image_tree, materialise
from wabiz_tui.sim import rules

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def ensure(tmp_path, media, version: str) -> list[str]:
    """``ensure_media_dirs(media, version)`` inside the image tree; returns the folders it created."""
    root = tmp_path / "image"
    if not root.exists():
        materialise(image_tree("web", version), root)
    out = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                          "from wanode.__main__ import ensure_media_dirs; "
                          "print(','.join(ensure_media_dirs(Path(sys.argv[1]), sys.argv[2])))", str(media), version],
                         env={**os.environ, "PYTHONPATH": str(root / "opt/whatsapp/lib")}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [d for d in out.stdout.strip().split(",") if d]


@needs_root
def test_before_2_29_3_the_folders_belong_to_www_data_and_existing_ones_keep_their_owner(tmp_path):
    media = tmp_path / "wamedia"
    (media / "shared").mkdir(parents=True)
    assert ensure(tmp_path, media, "2.29.2") == ["incoming", "outgoing"]
    assert {(media / d).stat().st_uid for d in ("incoming", "outgoing")} == {33}
    assert (media / "shared").stat().st_uid == os.geteuid()
    assert ensure(tmp_path, media, "2.29.3") == []  # a 2.29.3 Webapp leaves the old owner: the chown's job
    assert (media / "incoming").stat().st_uid == 33


@needs_root
def test_from_2_29_3_new_folders_belong_to_root(tmp_path):
    media = tmp_path / "wamedia"
    assert ensure(tmp_path, media, "2.41.2") == list(rules.MEDIA_DIRS)
    assert {(media / d).stat().st_uid for d in rules.MEDIA_DIRS} == {0}


def test_media_owner_by_version():
    assert rules.media_owner("2.29.1") == rules.media_owner("2.29.2") == (33, 33)
    assert rules.media_owner("2.29.3") == rules.media_owner("2.41.2") == rules.media_owner("x") == (0, 0)
