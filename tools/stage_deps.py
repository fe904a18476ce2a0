"""Each stage's code dependencies in dvc.yaml, written from the code: the spyglass modules its script can execute
(its imports, theirs, and so on, read statically from the source), so editing a module reruns exactly the stages
that run it.

    python tools/stage_deps.py           # rewrite dvc.yaml's `- src/spyglass/...` lists (make deps)
    python tools/stage_deps.py --check   # exit 1, naming the stages, when dvc.yaml is not what the code gives
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEPENDENCY_LINE = re.compile(r"^(\s+)- src/spyglass/\S+\s*$")

MODULE_STRING = re.compile(r"^spyglass(\.\w+)*$")


def module_file(src: Path, name: str) -> Path | None:
    """src/spyglass/a/b.py or src/spyglass/a/b/__init__.py for "spyglass.a.b"; None if neither exists."""
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolve(src: Path, name: str) -> Path | None:
    """A module path, or a module path plus one attribute ("spyglass.models.base.xgboost_regressor")."""
    return module_file(src, name) or module_file(src, name.rpartition(".")[0]) if "." in name else None


def _referenced_modules(path: Path) -> set[str]:
    """Every spyglass module `path` imports (at top level or inside functions) or names in a string (registries
    and config factories import by name)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}  # submodules imported by name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_STRING.match(node.value):
            names.add(node.value)
    return {name for name in names if name == "spyglass" or name.startswith("spyglass.")}


def import_closure(script: Path, src: Path) -> set[Path]:
    """Files under `src` (the directory holding the spyglass package) that running `script` can execute,
    including every package __init__ on the way to each module."""
    seen: set[Path] = set()
    pending = [script]
    while pending:
        for name in _referenced_modules(pending.pop()):
            parts = name.split(".")
            files = {_resolve(src, name)} | {module_file(src, ".".join(parts[:i])) for i in range(1, len(parts))}
            for file in files - {None} - seen:
                seen.add(file)
                pending.append(file)
    return seen


def stage_code(name: str, repo_root: Path = REPO) -> list[str]:
    """The library files stage `name` can execute, relative to the repository, sorted."""
    closure = import_closure(repo_root / "stages" / f"{name}.py", repo_root / "src")
    return sorted(str(path.relative_to(repo_root)) for path in closure)


def with_stage_deps(text: str, repo_root: Path = REPO) -> str:
    """dvc.yaml's text with each stage's block of `- src/spyglass/...` lines replaced by what its script runs (the
    block's place and indentation kept; everything else untouched)."""
    stages = list(yaml.safe_load(text)["stages"])
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"^  (\w+):\s*$", line) and line.strip()[:-1] in stages]
    for start, end in reversed(list(zip(starts, [*starts[1:], len(lines)], strict=True))):
        block = [i for i in range(start, end) if DEPENDENCY_LINE.match(lines[i])]
        if not block:
            raise ValueError(f"dvc.yaml: stage at line {start + 1} lists no src/spyglass dependency to rewrite")
        if block != list(range(block[0], block[-1] + 1)):
            raise ValueError(f"dvc.yaml: the src/spyglass lines of the stage at line {start + 1} are not one block")
        indent = DEPENDENCY_LINE.match(lines[block[0]]).group(1)
        name = lines[start].strip()[:-1]
        lines[block[0] : block[-1] + 1] = [f"{indent}- {path}\n" for path in stage_code(name, repo_root)]
    return "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether dvc.yaml is current")
    args = parser.parse_args()
    path = REPO / "dvc.yaml"
    current = path.read_text()
    wanted = with_stage_deps(current)
    if args.check:
        if wanted != current:
            print("dvc.yaml's code dependencies are not what the stages run: run `make deps`", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        path.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
