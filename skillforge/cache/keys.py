"""Every cache key prefix in one table: its layer, what it covers, and who may share it.

A key is a prefix and a digest of everything its value depends on (DESIGN §5). Plain-data
entries are content-addressed and safe to share between machines; code (compiled templates)
is run by the build, so it is MAC-checked with this user's key and never shared; entries keyed
by a project's own paths or holding its merged specs stay local too.
"""

from __future__ import annotations


class Prefix:
    """One kind of cache entry (a plain class: the build imports this table at start)."""

    __slots__ = ("code", "counted", "covers", "layer", "prefix", "shareable")

    def __init__(
        self,
        prefix: str,
        layer: str,
        covers: str,
        *,
        code: bool = False,
        shareable: bool = False,
        counted: bool = False,
    ) -> None:
        self.prefix = prefix  # what its keys start with, colon included
        self.layer = layer  # where `stats` counts its entries (`cache.by_layer`)
        self.covers = covers  # what its value is, and what its key is made of
        self.code = code  # the value is code the build runs: authenticated, never shared
        self.shareable = shareable  # plain, content-addressed data another machine may reuse
        self.counted = counted  # its hits and misses are a layer of the build records

    def __repr__(self) -> str:
        return f"Prefix({self.prefix!r}, {self.layer!r})"


BYTECODE = "bc:"
INLINE_CODE = "il:"
ANALYSIS = "an:"
FRAGMENT = "frag:"
SECTION = "sec:"
STRING = "str:"
DOCUMENT = "doc:"
SPEC = "spec:"
TOKENS = "tok:"

PREFIXES = (
    Prefix(BYTECODE, "templates", "Jinja2 bytecode of a template file", code=True, counted=True),
    Prefix(INLINE_CODE, "templates", "compiled code of an inline body", code=True, counted=True),
    Prefix(ANALYSIS, "analyses", "what a template source pulls in and reaches", shareable=True),
    Prefix(
        FRAGMENT,
        "fragments",
        "a fragment's text and tokens: its closure and arguments",
        shareable=True,
        counted=True,
    ),
    Prefix(
        SECTION,
        "sections",
        "a section's text and tokens: its closure, own data and the context it reaches",
        shareable=True,
        counted=True,
    ),
    # counted under its prefix, "str", as `stats` always has
    Prefix(
        STRING, "str", "a rendered string field: its closure and what it reaches", shareable=True
    ),
    Prefix(
        DOCUMENT,
        "documents",
        "an output's section keys and frontmatter, keyed by its path in this project",
        counted=True,
    ),
    Prefix(SPEC, "specs", "a merged spec, keyed by its files and the config"),
    Prefix(TOKENS, "file tokens", "the token count of a supporting file's bytes", shareable=True),
)
# Keys whose values are code the build runs (checked with the user's MAC key).
CODE_PREFIXES = tuple(p.prefix for p in PREFIXES if p.code)
# "bc" -> "templates": the layer `stats` counts the entries of a prefix under
LAYER_OF_PREFIX = {p.prefix[:-1]: p.layer for p in PREFIXES}
# The layers whose hits and misses each build records, in their order of `state.buildlog`.
COUNTED_LAYERS = tuple(dict.fromkeys(p.layer for p in PREFIXES if p.counted))
