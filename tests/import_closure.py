"""The spyglass modules a script can execute: its imports, theirs, and so on (static, from the source)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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
