"""Deterministic YAML rendering with comments attached to key paths (pyyaml cannot emit comments)."""

from __future__ import annotations

from typing import Any, Mapping

import yaml

KeyPath = tuple[str, ...]


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def _is_flow(value: Any) -> bool:
    """Short lists of scalars and empty containers stay on one line."""
    if isinstance(value, (dict, list)) and not value:
        return True
    return isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value)


def render(data: Mapping[str, Any], comments: Mapping[KeyPath, str] | None = None, header: str = "") -> str:
    """Block-style YAML in insertion order; `comments[path]` goes on the line(s) above that key."""
    comments = comments or {}
    lines: list[str] = [f"# {line}".rstrip() for line in header.splitlines()]

    def emit(value: Any, path: KeyPath, indent: int) -> None:
        pad = "  " * indent
        if isinstance(value, dict):
            for key, item in value.items():
                child = path + (str(key),)
                for comment in comments.get(child, "").splitlines():
                    lines.append(f"{pad}# {comment}".rstrip())
                name = _scalar(str(key))
                if _is_flow(item) or not isinstance(item, (dict, list)):
                    lines.append(f"{pad}{name}: {_scalar(item)}")
                else:
                    lines.append(f"{pad}{name}:")
                    emit(item, child, indent + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and item:
                    saved = len(lines)
                    emit(item, path + (str(index),), indent + 1)
                    sub = lines[saved:]
                    del lines[saved:]
                    leading = 0
                    while sub[leading].lstrip().startswith("#"):
                        leading += 1
                    lines.extend(f"{pad}{line.lstrip()}" for line in sub[:leading])
                    lines.append(f"{pad}- {sub[leading].lstrip()}")
                    lines.extend(sub[leading + 1:])
                else:
                    lines.append(f"{pad}- {_scalar(item)}")
        else:
            lines.append(f"{pad}{_scalar(value)}")

    emit(dict(data), (), 0)
    return "\n".join(lines) + "\n"
