"""The confinement of a stack's file reads (stack/confinement.py): what a pattern may match,
checked on real folders with real links."""

from __future__ import annotations

import os

import pytest

from provisioner.stack.confinement import allowed_root, glob, inside


@pytest.fixture
def repo(tmp_path):
    """A git work tree holding a stack folder with two prompts, a dot file and a neighbour."""
    (tmp_path / ".git").mkdir()
    stack = tmp_path / "stacks" / "rag"
    (stack / "prompts").mkdir(parents=True)
    (stack / "prompts" / "a.txt").write_text("a")
    (stack / "prompts" / "b.txt").write_text("b")
    (stack / "prompts" / ".hidden.txt").write_text("h")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "common.txt").write_text("c")
    return tmp_path


def test_the_root_is_the_git_work_tree_above_the_stack(repo):
    assert allowed_root(repo / "stacks" / "rag") == repo.resolve()


def test_without_a_work_tree_the_root_is_the_stack_folder(tmp_path):
    assert allowed_root(tmp_path) == tmp_path.resolve()


def test_wildcards_match_inside_and_skip_dot_files(repo):
    stack = repo / "stacks" / "rag"
    matches, refusal = glob(stack, "prompts/*.txt", repo.resolve())
    assert refusal is None
    assert [p.name for p in matches] == ["a.txt", "b.txt"]


def test_a_neighbour_in_the_same_work_tree_may_be_read(repo):
    matches, refusal = glob(repo / "stacks" / "rag", "../../shared/common.txt", repo.resolve())
    assert refusal is None and [p.name for p in matches] == ["common.txt"]


@pytest.mark.parametrize(("pattern", "reason"), [
    ("/etc/passwd", "must be a relative path"),
    ("", "must be a relative path"),
    ("prompts\\a.txt", "must be a relative path"),
    ("*/../../../../etc/passwd", "may not use '..' after a wildcard"),
    ("../../../*", "reaches outside the stack's folder"),
])
def test_patterns_that_could_leave_the_root_are_refused(repo, pattern, reason):
    assert glob(repo / "stacks" / "rag", pattern, repo.resolve()) == ([], reason)


def test_a_committed_link_to_a_file_outside_is_refused(repo, tmp_path_factory):
    secret = tmp_path_factory.mktemp("home") / ".databrickscfg"
    secret.write_text("token = dapi…")
    os.symlink(secret, repo / "stacks" / "rag" / "prompts" / "c.txt")
    matches, refusal = glob(repo / "stacks" / "rag", "prompts/*.txt", repo.resolve())
    assert matches == [] and "a link to a file outside" in refusal
    assert not inside(repo / "stacks" / "rag" / "prompts" / "c.txt", repo.resolve())


def test_a_link_loop_is_outside(repo):
    loop = repo / "loop"
    os.symlink(loop, loop)
    assert not inside(loop, repo.resolve())
