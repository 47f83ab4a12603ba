"""Read the plain YAML that specs are written in, line by line, or decline.

`parse(text, plain)` returns what `yamlsafe.load_yaml` returns for the same text, the value
and its map of key paths to lines, for a subset of YAML: block mappings and sequences nested
by indentation, plain scalars (also over several lines), single-quoted and simple
double-quoted scalars, `|` and `>` block scalars, `[]` lists of scalars on one line, `{}`,
comments and one leading `---`. For anything else, and for anything that might not be valid
YAML, it returns None and the full parser runs: every error comes from there, never from here.

`plain(text)` is the loader's own resolver and constructors for a plain scalar that is not
a string (yamlsafe owns them); it returns `DECLINE` for what only the full parser builds.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DECLINE: Any = object()

# The nesting and size left to the full parser, well inside its MAX_DEPTH and MAX_NODES.
_DEPTH = 48
_NODES = 50_000
_KEY_LENGTH = 1000  # LibYAML's simple keys stop at 1,024 characters
# Anything but newline, printable ASCII and printable non-ASCII that is no line break or BOM.
_ODD = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_STOP = re.compile(r"[,\[\]{}#'\"]|: |:$|:[,\[\]{}]")


class _Decline(Exception):
    pass


def parse(text: str, plain: Callable[[str], Any], first: frozenset[str]) -> Any:
    """Return `(value, lines)` for a document of the subset, or None.

    `first` holds the first characters of plain scalars that may not be strings.
    """
    if not text.endswith("\n") or _ODD.search(text) is not None:
        return None
    try:
        return _Parser(text, plain, first).document()
    except (_Decline, IndexError, ValueError, RecursionError):
        return None


class _Parser:
    def __init__(self, text: str, plain: Callable[[str], Any], first: frozenset[str]) -> None:
        self.rows = text.split("\n")
        self.rows.pop()  # the text ends with a newline
        self.n = len(self.rows)
        self.plain = plain
        self.first = first
        self.lines: dict[tuple[Any, ...], int] = {}
        self.count = 1

    def document(self) -> Any:
        i = self.skip(0)
        if i < self.n and self.rows[i].startswith("---"):
            if self.rows[i].rstrip(" ") != "---":
                raise _Decline
            i = self.skip(i + 1)
        if i == self.n:
            raise _Decline  # empty: rare, left to the loader
        row = self.rows[i]
        s = row.lstrip(" ")
        col = len(row) - len(s)
        self.lines[()] = i + 1
        if s[0] == "-" and s[1:2] in ("", " "):
            value, j = self.sequence(i, col, s, (), 0)
        else:
            value, j = self.mapping(i, col, s, (), 0)
        if self.skip(j) != self.n or self.count > _NODES:
            raise _Decline
        return value, self.lines

    def skip(self, i: int) -> int:
        """The first row from `i` that is not blank or a comment."""
        rows, n = self.rows, self.n
        while i < n:
            s = rows[i].lstrip(" ")
            if s and s[0] != "#":
                return i
            i += 1
        return n

    def mapping(self, i: int, col: int, s: str, path: tuple[Any, ...], depth: int) -> Any:
        """A block mapping whose first key is at row `i`, column `col` (`s` from there on)."""
        if depth > _DEPTH:
            raise _Decline
        result: dict[str, Any] = {}
        rows, lines, first = self.rows, self.lines, self.first
        while True:
            c = s[0]
            if c == "'" or c == '"':
                key, tail, _ = self.quoted(i, s, col, single_row=True)
                if tail[:1] != ":" or tail[1:2] not in ("", " "):
                    raise _Decline
                rest = tail[1:].lstrip(" ")
            else:
                p = s.find(": ")
                if p < 0:
                    if s[-1] != ":":
                        raise _Decline
                    p = len(s) - 1
                key = s[:p]
                if " #" in key or p > _KEY_LENGTH:
                    raise _Decline
                if c in _INDICATORS and (c != "-" or s[1] == " "):
                    raise _Decline
                if col == 0 and (key.startswith(("---", "..."))):
                    raise _Decline
                key = key.rstrip(" ")
                if c in first:
                    key = self.plain(key)
                    if key is DECLINE:
                        raise _Decline
                    if not isinstance(key, str):
                        key = str(key).lower() if isinstance(key, bool) else str(key)
                rest = s[p + 1 :].lstrip(" ")
            if key in result:
                raise _Decline
            here = (*path, key)
            lines[here] = i + 1
            self.count += 1
            if not rest or rest[0] == "#":
                j = self.skip(i + 1)
                value = None
                if j < self.n:
                    row = rows[j]
                    t = row.lstrip(" ")
                    ind = len(row) - len(t)
                    if ind > col:
                        value, j = self.block(j, ind, t, here, depth + 1)
                    elif ind == col and t[0] == "-" and t[1:2] in ("", " "):
                        value, j = self.sequence(j, col, t, here, depth + 1)
                    else:
                        j = i + 1
                result[key] = value
            else:
                result[key], j = self.scalar(i, rest, col, here, depth + 1)
            j = self.skip(j)
            if j == self.n:
                return result, j
            row = rows[j]
            s = row.lstrip(" ")
            ind = len(row) - len(s)
            if ind < col:
                return result, j
            if ind > col:
                raise _Decline
            i = j

    def sequence(self, i: int, col: int, s: str, path: tuple[Any, ...], depth: int) -> Any:
        """A block sequence whose first `-` is at row `i`, column `col`."""
        if depth > _DEPTH:
            raise _Decline
        result: list[Any] = []
        rows, lines = self.rows, self.lines
        while True:
            rest = s[1:]
            r = rest.lstrip(" ")
            if not r or r[0] == "#":
                raise _Decline  # an item on the rows below, or an empty one
            here = (*path, len(result))
            lines[here] = i + 1
            self.count += 1
            value, j = self.block(i, col + len(s) - len(r), r, here, depth + 1, parent=col)
            result.append(value)
            j = self.skip(j)
            if j == self.n:
                return result, j
            row = rows[j]
            s = row.lstrip(" ")
            ind = len(row) - len(s)
            if ind != col or s[0] != "-" or s[1:2] not in ("", " "):
                if ind > col:
                    raise _Decline
                return result, j
            i = j

    def block(
        self, i: int, col: int, s: str, path: tuple[Any, ...], depth: int, parent: int = -2
    ) -> Any:
        """Any node that starts at row `i`, column `col`: a collection or a scalar."""
        c = s[0]
        if c == "-" and s[1:2] in ("", " "):
            return self.sequence(i, col, s, path, depth)
        if c == "'" or c == '"':
            k = s.find(c, 1)
            if c == "'":
                while k >= 0 and s[k + 1 : k + 2] == "'":
                    k = s.find(c, k + 2)
            if k > 0 and s[k + 1 : k + 2] == ":":
                return self.mapping(i, col, s, path, depth)
        elif c not in _INDICATORS or (c == "-" and s[1] != " "):
            p = s.find(": ")
            h = s.find(" #")
            if (p >= 0 or s[-1] == ":") and (h < 0 or (0 <= p < h)):
                return self.mapping(i, col, s, path, depth)
        if parent == -2:
            raise _Decline  # a scalar on its own row under a key: left to the loader
        return self.scalar(i, s, parent, path, depth)

    def scalar(self, i: int, s: str, parent: int, path: tuple[Any, ...], depth: int) -> Any:
        """The scalar (or flow list) `s` that starts on row `i`, in a block at column `parent`."""
        c = s[0]
        if c == "'" or c == '"':
            value, tail, j = self.quoted(i, s, parent)
            t = tail.lstrip(" ")
            if t and (t[0] != "#" or t == tail):
                raise _Decline
            return value, j
        if c == "|" or c == ">":
            return self.literal(i, s, parent)
        if c == "[" or c == "{":
            value, k = self.flow(s, 0, path, depth, i + 1)
            t = s[k:]
            if t.lstrip(" ")[:1] not in ("", "#") or t[:1] not in ("", " "):
                raise _Decline
            return value, i + 1
        if c in _INDICATORS and (c != "-" or s[1] == " "):
            raise _Decline
        h = s.find(" #")
        if h >= 0:
            s = s[:h]
        s = s.rstrip(" ")
        if ": " in s or s[-1] == ":":
            raise _Decline
        j = i + 1
        rows = self.rows
        if j < self.n and rows[j][: parent + 1].strip(" ") == "" and h < 0:
            # the next row is blank or more indented: maybe the scalar goes on
            parts = [s]
            breaks = 0
            while j < self.n:
                row = rows[j]
                t = row.lstrip(" ")
                if not t:
                    breaks += 1
                    j += 1
                    continue
                if len(row) - len(t) <= parent or t[0] == "#":
                    break
                if t[0] in _INDICATORS or ": " in t or " #" in t or t[-1] == ":":
                    raise _Decline
                parts.append("\n" * breaks if breaks else " ")
                parts.append(t.rstrip(" "))
                breaks = 0
                j += 1
            if len(parts) > 1:
                s = "".join(parts)
        if s[0] in self.first:
            value = self.plain(s)
            if value is DECLINE:
                raise _Decline
            return value, j
        return s, j

    def quoted(self, i: int, s: str, parent: int, single_row: bool = False) -> Any:
        """A quoted scalar from row `i` (`s` starts with the quote): value, rest of its row, next row."""
        q = s[0]
        body = s[1:]
        parts: list[str] = []
        breaks = -1
        while True:
            k = body.find(q)
            if q == "'":
                while k >= 0 and body[k + 1 : k + 2] == "'":
                    k = body.find(q, k + 2)
            chunk = body[:k] if k >= 0 else body.rstrip(" ")
            if q == '"' and "\\" in chunk:
                raise _Decline
            if breaks >= 0:
                parts.append("\n" * breaks if breaks else " ")
            parts.append(chunk.replace("''", "'") if q == "'" else chunk)
            if k >= 0:
                return "".join(parts), body[k + 1 :], i + 1
            if single_row:
                raise _Decline
            breaks = 0
            while True:
                i += 1
                row = self.rows[i]
                body = row.lstrip(" ")
                if body:
                    break
                breaks += 1
            if len(row) - len(body) <= parent:
                raise _Decline

    def literal(self, i: int, s: str, parent: int) -> Any:
        """A `|` or `>` block scalar whose header `s` is on row `i`."""
        folded = s[0] == ">"
        head = s[1:3]
        chomp = ""
        digit = 0
        for ch in head:
            if ch in "-+" and not chomp:
                chomp = ch
            elif ch in "123456789" and not digit:
                digit = int(ch)
            else:
                break
        tail = s[1 + bool(chomp) + bool(digit) :]
        if tail and (tail[0] != " " or tail.lstrip(" ")[:1] not in ("", "#")):
            raise _Decline
        rows, n = self.rows, self.n
        j = i + 1
        if digit:
            ind = max(parent, 0) + digit
        else:
            widest = 0
            while j < n and not rows[j].strip(" "):
                widest = max(widest, len(rows[j]))
                j += 1
            if j == n:
                raise _Decline
            ind = len(rows[j]) - len(rows[j].lstrip(" "))
            if ind <= parent or widest > ind:
                raise _Decline
            j = i + 1
        texts: list[str] = []
        gaps: list[int] = []
        blank = 0
        pad = " " * ind
        while j < n:
            row = rows[j]
            if row.startswith(pad):
                if len(row) == ind:
                    blank += 1
                else:
                    gaps.append(blank)
                    texts.append(row[ind:])
                    blank = 0
            elif row.strip(" "):
                break
            else:
                blank += 1
            j += 1
        if not texts:
            raise _Decline
        out = ["\n" * gaps[0], texts[0]]
        for k in range(1, len(texts)):
            gap, text = gaps[k], texts[k]
            if folded and texts[k - 1][0] != " " and text[0] != " ":
                out.append("\n" * gap if gap else " ")
            else:
                out.append("\n" * (gap + 1))
            out.append(text)
        if chomp != "-":
            out.append("\n" * (blank + 1) if chomp == "+" else "\n")
        return "".join(out), j

    def flow(self, s: str, k: int, path: tuple[Any, ...], depth: int, line: int) -> Any:
        """A `[...]` or `{...}` of scalars on one row, from `s[k]`: its value and its end."""
        if depth > _DEPTH:
            raise _Decline
        is_map = s[k] == "{"
        end = "}" if is_map else "]"
        result: Any = {} if is_map else []
        k += 1
        while True:
            while s[k] == " ":
                k += 1
            if s[k] == end and not result:
                return result, k + 1
            if is_map:
                key, k = self.flow_scalar(s, k, ":")
                if s[k : k + 2] != ": " or key in result:
                    raise _Decline
                if not isinstance(key, str):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                here = (*path, key)
                k += 2
                while s[k] == " ":
                    k += 1
            else:
                here = (*path, len(result))
            self.lines[here] = line
            self.count += 1
            if s[k] == "[" or s[k] == "{":
                value, k = self.flow(s, k, here, depth + 1, line)
            else:
                value, k = self.flow_scalar(s, k, end)
            if is_map:
                result[key] = value
            else:
                result.append(value)
            while s[k] == " ":
                k += 1
            if s[k] == end:
                return result, k + 1
            if s[k] != ",":
                raise _Decline
            k += 1
            while s[k] == " ":
                k += 1
            if s[k] == end:
                raise _Decline  # a trailing comma

    def flow_scalar(self, s: str, k: int, stop: str) -> Any:
        """A scalar in a flow collection from `s[k]`, up to `stop` or `,`: value and end."""
        c = s[k]
        if c == "'" or c == '"':
            end = s.find(c, k + 1)
            if c == "'":
                while end >= 0 and s[end + 1 : end + 2] == "'":
                    end = s.find(c, end + 2)
            if end < 0:
                raise _Decline
            value = s[k + 1 : end]
            if c == '"' and "\\" in value:
                raise _Decline
            return (value.replace("''", "'") if c == "'" else value), end + 1
        m = _FLOW_STOP.search(s, k)
        if c in _INDICATORS or m is None or s[m.start()] not in stop + ",":
            raise _Decline
        value = s[k : m.start()].rstrip(" ")
        if value[0] in self.first:
            value = self.plain(value)
            if value is DECLINE:
                raise _Decline
        return value, m.start()
