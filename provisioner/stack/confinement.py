"""Which files a stack may read: those inside its folder, or inside the git work tree that
holds it (a stack may share files with its neighbours in the repository). Links are
resolved first, so a committed symlink cannot reach `~/.databrickscfg` or `/proc`."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

RULE = ("a stack reads only files inside its folder or the git work tree that holds it "
        "(links resolved)")
_WILDCARDS = frozenset("*?[")


def allowed_root(folder: Path) -> Path:
    """The git work tree above `folder` (the nearest folder holding `.git`), else `folder`."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, links resolved, is `root` or below it."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def glob(folder: Path, pattern: str, root: Path) -> tuple[list[Path], str | None]:
    """Files matching `pattern` below `folder`, sorted, or a reason the pattern is refused.

    The part before the first wildcard must stay inside `root`, and no `..` may follow a
    wildcard, so matching never walks outside; `**` does not descend into linked folders
    (pathlib's rule); a match that is a link to a file outside `root` is refused. Names
    starting with '.' are not matched by wildcards (as with the shell and `glob.glob`)."""
    parts = PurePosixPath(pattern).parts
    if not pattern or PurePosixPath(pattern).is_absolute() or "\\" in pattern:
        return [], "must be a relative path"
    fixed = next((i for i, part in enumerate(parts) if _WILDCARDS & set(part)), len(parts))
    if ".." in parts[fixed:]:
        return [], "may not use '..' after a wildcard"
    if not inside(folder.joinpath(*parts[:fixed]) if fixed else folder, root):
        return [], "reaches outside the stack's folder"
    matches = []
    for path in sorted(folder.glob(pattern)):
        wild = path.relative_to(folder).parts[fixed:] if fixed < len(parts) else ()
        if any(part.startswith(".") for part in wild):
            continue
        if not inside(path, root):
            return [], (f"matches '{path.relative_to(folder)}', a link to a file outside the "
                        "stack's folder")
        matches.append(path)
    return matches, None
