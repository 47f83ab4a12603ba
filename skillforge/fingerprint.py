"""Content digests and canonical keys: every cache key and manifest hash is made here."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # the builtin module: hashlib costs an OpenSSL load the no-op path cannot afford
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b


def digest_bytes(data: bytes) -> str:
    """Return the hex digest used for every file and key in skillforge."""
    return blake2b(data, digest_size=16).hexdigest()


def digest_file(path: str) -> str | None:
    """Return the digest of a file's bytes, or None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return digest_bytes(f.read())
    except OSError:
        return None


def canonical(value: Any) -> str:
    """Serialise `value` the same way every time (sorted keys, no spaces)."""
    import json

    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )


def digest_value(*parts: Any) -> str:
    """Return the digest of the canonical form of `parts`."""
    return digest_bytes(canonical(parts).encode("utf-8"))
