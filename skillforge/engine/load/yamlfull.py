"""The YAML that `yamlfast` declines, and every YAML error: LibYAML's safe loader.

Values are built from the node tree here, not by PyYAML's constructor, so that every key keeps
its line, duplicate keys are errors, and an alias bomb hits a node budget instead of memory.
`yamlsafe` imports this module only for a document, or a plain scalar, it cannot read itself.
"""

from __future__ import annotations

import yaml

from skillforge.engine.load.yamlfast import DECLINE, Lines
from skillforge.errors import SpecError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

MAX_NODES = 100_000
MAX_DEPTH = 64

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type, misc]
    """The safe loader without the timestamp resolver: dates stay strings."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    # PyYAML's path resolvers (`add_path_resolver`) are never registered here, so its
    # `descend_resolver`/`ascend_resolver`, called around every node the composer makes, do
    # nothing: builtins that take the same arguments do the same nothing without a Python call
    # each (about 7% of loading a spec)
    descend_resolver = staticmethod(slice)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """PyYAML's resolver, remembering the tags of short scalars (keys repeat a lot)."""
        if kind is not yaml.ScalarNode:
            return _MAP if kind is yaml.MappingNode else _SEQ
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= _RESOLVED_LENGTH and len(_RESOLVED) < _RESOLVED_MAX:
                _RESOLVED[key] = tag
        return tag


_MAP, _SEQ, _STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
# The tags of scalars up to this long, by (value, implicit); a pure memo of the resolver.
_RESOLVED: dict[tuple[str, Any], str] = {}
_RESOLVED_LENGTH, _RESOLVED_MAX = 64, 20_000


_COLLECTIONS = (_MAP, _SEQ)
# Keys `flatten_mapping` rewrites: `<<` merges and `=` values (it is skipped without them).
_FLATTENED = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
_SCALARS = {
    "tag:yaml.org,2002:str": None,
    "tag:yaml.org,2002:null": "construct_yaml_null",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
}


class _Resolver(yaml.resolver.Resolver):
    """The loader's resolver alone (no parser to make)."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def resolve_plain(value: str) -> Any:
    """What the loader makes of the plain scalar `value`: its value, or DECLINE for a tag
    only the full parser builds (a merge, a value key)."""
    tag = _Resolver().resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    method = _SCALARS.get(tag, DECLINE)
    if method is DECLINE:
        return DECLINE
    if method is None:
        return value
    constructor = yaml.constructor.SafeConstructor()
    try:
        return getattr(constructor, method)(yaml.ScalarNode(tag, value))
    except (KeyError, ValueError, TypeError):  # (`yes\n` passes the bool pattern, not its table)
        return DECLINE  # the loader reads the document, and says what is wrong


def load_full(text: str, file: str, deep: bool) -> tuple[Any, Lines]:
    """`yamlsafe.load_yaml` through the loader; `deep`: count the nesting first."""
    if deep:
        check_depth(text, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        source = _line(text, mark.line) if mark else ""
        raise SpecError.one(
            file,
            where,
            None,
            f"YAML syntax error: {what}",
            column=column,
            hint=syntax_hint(what, source, mark.column if mark else 0),
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError.one(file, line, None, f"not YAML text: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise SpecError.one(file, None, None, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    lines: Lines = {}
    if node is None:
        return None, lines
    builder = _Builder(loader, file, lines)
    return builder.build(node, (), 0), lines


def check_depth(text: str, file: str) -> None:
    """Refuse deep nesting from the event stream, before the (recursive) composer sees it.

    LibYAML's composer recurses on the C stack and crashes the process on some 50,000 nested
    `[`; its parser does not recurse, so the events are counted first, when the text has
    enough brackets (or size) to get anywhere near that.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise SpecError.one(
                        file, line, None, f"nested more than {MAX_DEPTH} levels deep"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML >= 6.0.4 has its own nesting limit; say it in skillforge's words.
        if "nesting" in str(exc.problem or ""):
            mark = exc.problem_mark
            line = mark.line + 1 if mark else None
            raise SpecError.one(
                file, line, None, f"nested more than {MAX_DEPTH} levels deep"
            ) from None
        return  # the real parse reports it, with its line
    except yaml.YAMLError:
        return  # the real parse reports it, with its line


class _Builder:
    def __init__(self, loader: Any, file: str, lines: Lines) -> None:
        self.loader = loader
        self.file = file
        self.lines = lines
        self.count = 0

    def error(self, node: yaml.Node, message: str, field: str | None = None) -> SpecError:
        return SpecError.one(self.file, node.start_mark.line + 1, field, message)

    def build(self, node: yaml.Node, path: tuple[Any, ...], depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(
                node,
                f"more than {MAX_NODES:,} values (YAML aliases expanding exponentially?); "
                "simplify the document",
            )
        if depth > MAX_DEPTH:
            raise self.error(node, f"nested more than {MAX_DEPTH} levels deep")
        if path not in self.lines:
            self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self._scalar(node, path)
        if node.tag not in _COLLECTIONS:
            field = ".".join(str(p) for p in path) or None
            raise self.error(node, f"unsupported YAML tag {node.tag}; use plain values", field)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...], depth: int) -> Any:
        if any(key_node.tag in _FLATTENED for key_node, _ in node.value):
            try:
                self.loader.flatten_mapping(node)
            except yaml.MarkedYAMLError as exc:
                raise self.error(node, f"bad merge key: {exc.problem}") from None
        result: dict[str, Any] = {}
        lines = self.lines
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, "mapping keys must be plain strings")
            key = key_node.value if key_node.tag == _STR else self._scalar(key_node, path)
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            here = (*path, key)
            if key in result:
                first = lines.get(here)
                dotted = ".".join(str(p) for p in here)
                message = f"duplicate key '{key}' (first defined on line {first})"
                raise self.error(key_node, message, dotted)
            line = key_node.start_mark.line + 1
            lines[here] = line
            if type(value_node) is yaml.ScalarNode and value_node.tag == _STR:
                # a string value, as `build` makes it, without a call per value
                self.count += 1
                if self.count > MAX_NODES or depth + 1 > MAX_DEPTH:
                    result[key] = self.build(value_node, here, depth + 1)  # raises
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node, here, depth + 1)
            lines[here] = line
        return result

    def _scalar(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        if node.tag not in _SCALARS:
            field = ".".join(str(p) for p in path) or None
            raise self.error(node, f"unsupported YAML tag {node.tag}; use plain values", field)
        method = _SCALARS[node.tag]
        if method is None:
            return node.value
        return getattr(self.loader, method)(node)


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def syntax_hint(problem: str, line: str, column: int) -> str | None:
    """Say how to fix the YAML traps people fall into, from PyYAML's problem and the line."""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or "tab" in problem or (line[column : column + 1] == "\t"):
        return "YAML indents with spaces, not tabs: replace the tab(s) at the start of the line"
    if "mapping values are not allowed" in problem:
        fix = _quoted(line)
        where = f": {fix.strip()}" if fix else ""
        return "quote the value, it contains ': ' (or write it as a '>-' block)" + where
    if "cannot start any token" in problem:
        char = line[column : column + 1]
        if char in "@`%":
            return f"a plain value cannot start with '{char}': quote the value"
    if "could not find expected ':'" in problem:
        return (
            "each line of a mapping is 'key: value'; a value over several lines needs quotes, "
            "'>-' or '|' (indented under its key)"
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return "check the indentation: keys of one mapping line up, list items start with '- '"
    return None


def _quoted(line: str) -> str:
    """The line with its value in double quotes (`key: a: b` -> `key: "a: b"`), or ''."""
    body = line.lstrip(" ")
    lead = line[: len(line) - len(body)]
    if body.startswith("- "):
        lead, body = lead + "- ", body[2:]
    key, sep, value = body.partition(": ")
    value = value.strip()
    if not sep or not key or " " in key or not value or value[0] in "\"'|>":
        return ""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{lead}{key}: "{escaped}"'
