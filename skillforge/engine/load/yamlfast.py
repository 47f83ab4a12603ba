"""Read the plain YAML that specs are written in, line by line, or decline.

`parse(text, ...)` returns what `yamlsafe.load_yaml` returns for the same text, the value
and its map of key paths to lines, for a subset of YAML: block mappings and sequences nested
by indentation, plain scalars (also over several lines), single-quoted and simple
double-quoted scalars, `|` and `>` block scalars, `[...]` and `{...}` of scalars on one
row, comments and one leading `---`. For anything else, and for anything that might not be valid
YAML, it returns None and the full parser runs: every error comes from there, never from here.

`plain(text)` is the loader's own resolver and constructors for a plain scalar that is not
a string (yamlsafe owns them: the words it reads itself, the loader the rest); it returns
`DECLINE` for what only the full parser builds.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DECLINE: Any = object()
Lines = dict[tuple[object, ...], int]  # where each value of a document is: its line

# The nesting and size left to the full parser, well inside its MAX_DEPTH and MAX_NODES.
_DEPTH = 48
_NODES = 50_000
_KEY_LENGTH = 1000  # LibYAML's simple keys stop at 1,024 characters
# A tab, CR or other control character, a line break but newline, a surrogate, a BOM or no
# character: anything but newline and printable text (compiled, by `re`, at its first use).
_ODD = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_PRINTABLE = bytes([10, *range(32, 127)])
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_KEY_SLOW = _INDICATORS | {"."}  # `...` ends a document
_VALUE_SLOW = _INDICATORS | {" "}
_HEADER = re.compile(r"[|>]([-+]?)([1-9]?)([-+]?)(?: +#.*| *)$")  # of a block scalar
_SPACES = re.compile(" *")
_FLOW_STOP = re.compile(r"[,\[\]{}#'\"]|: |:$|:[,\[\]{}]")


class _Decline(Exception):
    """The document is left to the loader."""


def parse(
    text: str, plain: Callable[[str], Any], memo: dict[str, Any], first: frozenset[str]
) -> Any:
    """`(value, lines)` for a document of the subset, or None; `memo` is what `plain`
    remembers (value by text), `first` the first characters of plain non-strings."""
    if not text.endswith("\n"):
        return None
    if text.isascii():
        if text.encode().translate(None, _PRINTABLE):  # a tab, CR or control character
            return None
    elif re.search(_ODD, text) is not None:
        return None
    try:
        return _Parser(text, plain, memo, first).document()
    except (_Decline, IndexError, ValueError, RecursionError):
        return None


def _close(s: str, quote: str, k: int) -> int:
    """Where the `quote` that closes a quoted scalar is in `s` from `k` on, or -1."""
    k = s.find(quote, k)
    if quote == "'":
        while k >= 0 and s[k + 1 : k + 2] == "'":  # '' is a quote inside
            k = s.find(quote, k + 2)
    return k


class _Parser:
    def __init__(
        self, text: str, plain: Callable[[str], Any], memo: dict[str, Any], first: frozenset[str]
    ) -> None:
        rows = text.split("\n")
        rows[-1] = "#"  # rows are numbered from 1: row 0 is a comment (the text ends with "\n")
        rows.insert(0, rows.pop())
        if max(map(len, rows)) > _KEY_LENGTH:
            raise _Decline
        self.rows = rows
        self.n = len(rows)
        # each row from its first non-space, and its indentation, then an end that dedents all
        self.strs = [row.lstrip(" ") for row in rows]
        self.inds = [len(row) - len(s) for row, s in zip(rows, self.strs, strict=True)]
        self.strs.append("\x00")
        self.inds.append(-1)
        self.plain = plain
        self.memo = memo
        self.first = first
        self.lines: dict[tuple[Any, ...], int] = {}  # one entry per value: its count too

    def document(self) -> Any:
        i = self.skip(0)
        if self.strs[i].startswith("---"):
            i = self.skip(i + 1) if self.rows[i].rstrip(" ") == "---" else -1  # -1: declines
        self.lines[()] = i  # (an empty document is left to the loader: `block` declines)
        value, j = self.block(i, self.inds[i], self.strs[i], (), 0)
        if j != self.n or len(self.lines) > _NODES:
            raise _Decline
        return value, self.lines

    def skip(self, i: int) -> int:
        """The first row from `i` that is not blank or a comment (the end is neither)."""
        strs = self.strs
        while True:
            s = strs[i]
            if s and s[0] != "#":
                return i
            i += 1

    def mapping(self, i: int, col: int, s: str, path: tuple[Any, ...], depth: int) -> Any:
        """A block mapping whose first key is at row `i`, column `col` (`s` from there on)."""
        if depth > _DEPTH:
            raise _Decline
        result: dict[str, Any] = {}
        strs, inds, lines, first, memo = self.strs, self.inds, self.lines, self.first, self.memo
        while True:
            c = s[0]
            key, sep, rest = s.partition(": ")
            if c in _KEY_SLOW or not sep:
                key, rest = self.key(s, col)
            else:  # a plain key, the common case
                if " #" in key:
                    raise _Decline
                if key[-1] == " ":
                    key = key.rstrip(" ")
                if c in first:
                    value = memo.get(key)
                    key = value if value.__class__ is str else self.plain_key(key)
            if key in result:
                raise _Decline
            here = (*path, key)
            lines[here] = i
            j = i + 1
            s = strs[j]
            ind = inds[j]
            if not rest:
                value, j = self.below(i, col, here, depth + 1)
                s, ind = strs[j], inds[j]
            else:
                c = rest[0]
                slow = c in _VALUE_SLOW or rest[-1] in " :" or ind > col or not s
                if slow or " #" in rest or ": " in rest:
                    rest = rest.lstrip(" ")
                    if not rest or rest[0] == "#":
                        value, j = self.below(i, col, here, depth + 1)
                    else:
                        value, j = self.scalar(i, rest, col, here, depth + 1)
                    s, ind = strs[j], inds[j]
                elif c in first:
                    value = memo.get(rest, DECLINE)
                    if value is DECLINE:
                        value = self.plain_value(rest)
                else:  # a plain string on one row, the common case
                    value = rest
            result[key] = value
            if not s or s[0] == "#":
                j = self.skip(j)
                s, ind = strs[j], inds[j]
            if ind != col:
                if ind < col:
                    return result, j
                raise _Decline
            i = j

    def key(self, s: str, col: int) -> Any:
        """A key that is quoted, ends its row or starts oddly, and the rest of its row."""
        c = s[0]
        if c == "'" or c == '"':
            key, tail, _ = self.quoted(0, s, col, single_row=True)
            if tail[:1] != ":" or tail[1:2] not in ("", " "):
                raise _Decline
            return key, tail[1:].lstrip(" ")
        p = s.find(": ")
        if p < 0:
            if s[-1] != ":":
                raise _Decline
            p = len(s) - 1
        key = s[:p]
        if " #" in key or (col == 0 and key[:3] in ("---", "...")):
            raise _Decline
        if c in _INDICATORS and (c != "-" or s[1] == " "):
            raise _Decline
        key = key.rstrip(" ")
        return (self.plain_key(key) if c in self.first else key), s[p + 1 :].lstrip(" ")

    def plain_value(self, text: str) -> Any:
        value = self.plain(text)
        if value is DECLINE:
            raise _Decline
        return value

    def plain_key(self, key: str) -> str:
        value = self.plain_value(key)
        if value.__class__ is str:
            return value
        return str(value).lower() if isinstance(value, bool) else str(value)

    def below(self, i: int, col: int, path: tuple[Any, ...], depth: int) -> Any:
        """The value of a key at row `i`, column `col` with nothing after it on its row."""
        j = self.skip(i + 1)
        s = self.strs[j]
        ind = self.inds[j]
        if ind > col:
            return self.block(j, ind, s, path, depth)
        if ind == col and (s[:2] == "- " or s == "-"):
            return self.sequence(j, col, s, path, depth)
        return None, i + 1

    def sequence(self, i: int, col: int, s: str, path: tuple[Any, ...], depth: int) -> Any:
        """A block sequence whose first `-` is at row `i`, column `col`."""
        if depth > _DEPTH:
            raise _Decline
        result: list[Any] = []
        strs, inds, lines, first, memo = self.strs, self.inds, self.lines, self.first, self.memo
        k = 0
        while True:
            r = s[2:]
            if not r or r[0] == " ":
                r = s[1:].lstrip(" ")
                if not r or r[0] == "#":
                    raise _Decline  # an item on the rows below, or an empty one
            here = (*path, k)
            lines[here] = i
            j = i + 1
            item = s
            s = strs[j]
            ind = inds[j]
            c = r[0]
            if c in _VALUE_SLOW or r[-1] in " :" or ind > col or not s or ": " in r or " #" in r:
                value, j = self.block(i, col + len(item) - len(r), r, here, depth + 1, col)
                s, ind = strs[j], inds[j]
            elif c in first:
                value = memo.get(r, DECLINE)
                if value is DECLINE:
                    value = self.plain_value(r)
            else:
                value = r
            result.append(value)
            k += 1
            if not s or s[0] == "#":
                j = self.skip(j)
                s, ind = strs[j], inds[j]
            if ind != col or s[0] != "-" or s[1:2] not in (" ", ""):
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
            k = _close(s, c, 1)
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
            value, k = self.flow(s, 0, path, depth, i)
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
        strs, inds, n = self.strs, self.inds, self.n
        if j < n and (inds[j] > parent or not strs[j]) and h < 0:
            # the next row is blank or more indented: maybe the scalar goes on
            parts = [s]
            breaks = 0
            while j < n:
                t = strs[j]
                if not t:
                    breaks += 1
                    j += 1
                    continue
                if inds[j] <= parent or t[0] == "#":
                    break
                if t[0] in _INDICATORS or ": " in t or " #" in t or t[-1] == ":":
                    raise _Decline
                parts.append("\n" * breaks if breaks else " ")
                parts.append(t.rstrip(" "))
                breaks = 0
                j += 1
            if len(parts) > 1:
                s = "".join(parts)
        return (self.plain_value(s) if s[0] in self.first else s), j

    def quoted(self, i: int, s: str, parent: int, single_row: bool = False) -> Any:
        """A quoted scalar from row `i` (`s` from its quote): value, rest of row, next row."""
        q = s[0]
        body = s[1:]
        parts: list[str] = []
        breaks = -1
        while True:
            k = _close(body, q, 0)
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
        m = _HEADER.match(s)
        if m is None or (m[1] and m[3]):
            raise _Decline
        chomp, digit = m[1] or m[3], m[2]
        strs, inds = self.strs, self.inds
        k = i + 1
        while not strs[k]:  # blank rows (the end is not blank)
            k += 1
        ind = parent + int(digit) if digit else inds[k]
        if ind <= parent or (not digit and max(inds[i + 1 : k], default=0) > ind):
            raise _Decline
        while inds[k] >= ind or not strs[k]:
            k += 1
        body = [row[ind:] for row in self.rows[i + 1 : k]]  # blank rows are ''
        end = len(body)
        while end and not body[end - 1]:
            end -= 1
        if not end:
            raise _Decline
        trailing = len(body) - end
        del body[end:]
        if s[0] == "|":
            value = "\n".join(body)
        else:  # folded: a break between two rows that are not more indented is a space
            out: list[str] = []
            prev = ""
            gap = 0
            for text in body:
                if not text:
                    gap += 1
                    continue
                if prev and prev[0] != " " and text[0] != " ":
                    out.append("\n" * gap if gap else " ")
                elif prev:
                    out.append("\n" * (gap + 1))
                else:
                    out.append("\n" * gap)
                out.append(text)
                prev = text
                gap = 0
            value = "".join(out)
        if chomp == "-":
            return value, k
        return value + ("\n" * (trailing + 1) if chomp == "+" else "\n"), k

    def flow(self, s: str, k: int, path: tuple[Any, ...], depth: int, line: int) -> Any:
        """A `[...]` or `{...}` of scalars on one row, from `s[k]`: its value and its end."""
        if depth > _DEPTH:
            raise _Decline
        is_map = s[k] == "{"
        end = "}" if is_map else "]"
        result: Any = {} if is_map else []
        k += 1
        while True:
            k = _SPACES.match(s, k).end()  # type: ignore[union-attr]
            if s[k] == end and not result:
                return result, k + 1
            if is_map:
                key, k = self.flow_scalar(s, k, ":", self.plain_key)
                if s[k : k + 2] != ": " or key in result:
                    raise _Decline
                here = (*path, key)
                k = _SPACES.match(s, k + 2).end()  # type: ignore[union-attr]
            else:
                here = (*path, len(result))
            self.lines[here] = line
            if s[k] == "[" or s[k] == "{":
                value, k = self.flow(s, k, here, depth + 1, line)
            else:
                value, k = self.flow_scalar(s, k, end, self.plain_value)
            if is_map:
                result[key] = value
            else:
                result.append(value)
            k = _SPACES.match(s, k).end()  # type: ignore[union-attr]
            if s[k] == end:
                return result, k + 1
            if s[k] != ",":
                raise _Decline
            k += 1
            k = _SPACES.match(s, k).end()  # type: ignore[union-attr]
            if s[k] == end:
                raise _Decline  # a trailing comma

    def flow_scalar(self, s: str, k: int, stop: str, plain: Callable[[str], Any]) -> Any:
        """A scalar in a flow collection from `s[k]`, up to `stop` or `,`: value and end."""
        c = s[k]
        if c == "'" or c == '"':
            end = _close(s, c, k + 1)
            value = s[k + 1 : end]
            if end < 0 or (c == '"' and "\\" in value):
                raise _Decline
            return (value.replace("''", "'") if c == "'" else value), end + 1
        m = _FLOW_STOP.search(s, k)
        if c in _INDICATORS or m is None or s[m.start()] not in stop + ",":
            raise _Decline
        value = s[k : m.start()].rstrip(" ")
        return (plain(value) if value[0] in self.first else value), m.start()
