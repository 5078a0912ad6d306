"""The host's measure of a container's writable layer (no Docker): a tree the model builds to hide
bytes or files from it is measured whole, or counted as over the quota, never as zero."""

from __future__ import annotations

import os

import pytest

from synth.sandbox._docker import MAX_DEPTH, _tree_usage, _Unmeasurable


def _descend(top, names):
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("big", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as out:
            out.write(b"x" * (3 << 20))
    finally:
        os.close(fd)


def test_bytes_under_a_path_longer_than_path_max_are_counted(tmp_path) -> None:
    _descend(str(tmp_path), ["d" * 200] * 25)  # 5,000 characters of path: lstat by name fails past 4096
    used, entries = _tree_usage(str(tmp_path), 1 << 30)
    assert used >= 3 << 20 and entries == 26


def test_a_tree_deeper_than_the_walk_goes_is_over_the_quota(tmp_path) -> None:
    _descend(str(tmp_path), ["d"] * (MAX_DEPTH + 5))
    with pytest.raises(_Unmeasurable):
        _tree_usage(str(tmp_path), 1 << 30)


def test_files_are_counted_and_the_count_stops_past_its_budget(tmp_path) -> None:
    for n in range(300):
        (tmp_path / f"f{n}").touch()
    assert _tree_usage(str(tmp_path), 1000)[1] == 300
    assert _tree_usage(str(tmp_path), 100)[1] == 101  # stopped at the first entry past the budget
