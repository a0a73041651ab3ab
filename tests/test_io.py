"""Outputs: atomic writes that leave nothing behind, errors that name the folder, an
early check of the output folder, and the run manifest."""
from __future__ import annotations

import errno
import json

import pytest
from click.testing import CliRunner

from planner import io
from planner.cli import main


def test_an_interrupt_inside_the_block_leaves_no_temporary_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with io.atomic_open(tmp_path / "summary.json") as fh:
            fh.write("{")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_right_after_the_temporary_file_is_made_leaves_none(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(io.os, "chmod", interrupted)  # the first step after mkstemp
    with pytest.raises(KeyboardInterrupt):
        io.write_text(tmp_path / "summary.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(io.tempfile, "mkstemp", refused)
    with pytest.raises(OSError) as err:
        io.write_text(tmp_path / "out" / "summary.json", "{}")
    assert err.value.filename == str(tmp_path / "out")
    assert ".tmp" not in str(err.value)
    with pytest.raises(OSError) as err:
        io.check_writable(tmp_path / "other")
    assert err.value.filename == str(tmp_path / "other")


def test_a_folder_inside_a_file_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError) as err:
        io.check_writable(tmp_path / "file" / "out")
    assert err.value.filename == str(tmp_path / "file" / "out")


def test_a_folder_name_too_long_is_found_before_the_simulation(tmp_path):
    # ten million paths: were the run simulated (or even sized) first, it would fail
    # with the memory message instead of the folder's
    long_name = tmp_path / ("x" * 300)
    result = CliRunner().invoke(main, ["run", "--paths", "10000000", "--out", str(long_name)])
    assert result.exit_code == 1
    assert "longer than the" in result.output and "x" * 300 in result.output
    assert "Traceback" not in result.output and "paths x" not in result.output


def test_the_manifest_records_the_seed_the_scenario_and_a_hash_per_file(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    out = tmp_path / "out"
    io.write_text(out / "a.csv", "1,2\n")
    io.write_bytes(out / "b.png", b"\x89PNG")
    path = io.write_manifest(out, 7, str(scenario), [out / "a.csv", out / "b.png"])
    manifest = json.loads(path.read_text())
    assert manifest["seed"] == 7 and manifest["scenario"]["source"] == str(scenario)
    assert len(manifest["scenario"]["sha256"]) == 64
    assert set(manifest["files"]) == {"a.csv", "b.png"}
    assert manifest["files"]["a.csv"]["bytes"] == 4
    assert io.read_manifest(out)["changed"] == []
    (out / "a.csv").write_text("changed\n")
    assert io.read_manifest(out)["changed"] == ["a.csv"]


def test_writes_are_atomic_without_fsync_and_durable_when_asked(tmp_path, monkeypatch):
    import os

    from planner.io import write_bytes, write_text

    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    write_text(tmp_path / "a.txt", "one")
    assert synced == [] and (tmp_path / "a.txt").read_text() == "one"
    write_bytes(tmp_path / "b.bin", b"two", durable=True)
    assert len(synced) == 2 and (tmp_path / "b.bin").read_bytes() == b"two"  # the file, then the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]
