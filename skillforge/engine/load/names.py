"""Names in the config: "did you mean" hints, and the `targets` key (DESIGN §4)."""

from __future__ import annotations

from skillforge.targets import DEFAULT, TARGETS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def hint(key: str, known: dict[str, Any]) -> str:
    from difflib import get_close_matches

    match = get_close_matches(key, list(known), n=1, cutoff=0.8)
    if match:
        return f" (did you mean '{match[0]}'?)"
    return f" (known keys: {', '.join(sorted(known))})"


def read_targets(
    value: Any, where: str, problems: list[str]
) -> tuple[tuple[str, ...], dict[str, str], dict[str, dict[str, str]]]:
    """Read `targets` (DESIGN §4): a list of names, or one table per target (out, models)."""
    if value is None:
        return DEFAULT, {}, {}
    known = ", ".join(TARGETS)
    names = list(value)
    for target in names:
        if not isinstance(target, str) or target not in TARGETS:
            shown = target if isinstance(target, str) else repr(target)
            near = hint(shown, dict.fromkeys(TARGETS)) if isinstance(target, str) else ""
            near = near if "did you mean" in near else ""
            problems.append(f"'{where}': unknown target '{shown}'{near}; known: {known}")
    if not names:
        problems.append(f"'{where}' is empty; name at least one target ({known})")
    if len(set(map(str, names))) != len(names):
        problems.append(f"'{where}' names a target twice")
    outs: dict[str, str] = {}
    models: dict[str, dict[str, str]] = {}
    if isinstance(value, dict):
        for target, table in value.items():
            if target not in TARGETS:
                continue
            if not isinstance(table, dict):
                problems.append(f"'{where}.{target}' must be a table (out, models)")
                continue
            for key, sub in table.items():
                if key == "out" and isinstance(sub, str):
                    outs[target] = sub
                elif key == "models" and isinstance(sub, dict):
                    if all(isinstance(k, str) and isinstance(v, str) for k, v in sub.items()):
                        models[target] = dict(sub)
                    else:
                        problems.append(
                            f"'{where}.{target}.models' maps model names to model names "
                            '(sonnet = "gpt-5.1-codex")'
                        )
                elif key in ("out", "models"):
                    what = "a folder" if key == "out" else "a table"
                    problems.append(f"'{where}.{target}.{key}' must be {what}")
                else:
                    near = hint(key, {"out": 0, "models": 0})
                    problems.append(f"unknown key '{where}.{target}.{key}'{near}")
    return tuple(str(n) for n in names), outs, models
