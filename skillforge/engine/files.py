"""A skill's supporting files (`files:`): copied, or rendered with `render: true`.

Each dest stays inside the skill folder and never replaces the document, follows no symlink,
and each src is a regular file inside the project (DESIGN §3).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from skillforge.engine.jinja.templating import inside
from skillforge.errors import SpecError
from skillforge.state.digest import digest_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.jinja.context import RenderContext
    from skillforge.engine.load.spec import Spec


def supporting_file(
    ctx: RenderContext,
    spec: Spec,
    index: int,
    entry: dict[str, Any],
    document: Path,
    folder: Path,
    variables: dict[str, Any],
    deps: list[str],
    digests: dict[str, str],
) -> tuple[str, bytes]:
    """Return (path, bytes) of a spec's supporting file `files[index]`; SpecError if refused."""
    field = f"files[{index}]"
    src_id = entry["_src"]
    file, line = spec.origin(field)
    plain = Path(os.path.normpath(folder / entry["dest"]))
    if plain == document or folder not in plain.parents:
        raise SpecError.one(
            file,
            line,
            f"{field}.dest",
            f"'{entry['dest']}' would overwrite the generated {document.name} or leave the "
            "skill folder; pick another destination",
        )
    if str(entry["dest"]).endswith("/"):
        raise SpecError.one(
            file,
            line,
            f"{field}.dest",
            f"'{entry['dest']}' ends with '/': a dest names a file (references/forms.md)",
        )
    dest = plain.resolve()
    if dest != folder.resolve() / plain.relative_to(folder):
        raise SpecError.one(
            file,
            line,
            f"{field}.dest",
            f"'{entry['dest']}' is a symbolic link in the skill folder (or passes through "
            "one); skillforge writes only regular files: remove the link",
        )
    dest = plain
    if not inside(ctx.inventory.path(src_id), ctx.inventory.root):
        raise SpecError.one(
            file,
            line,
            f"{field}.src",
            f"'{entry['src']}' resolves outside the project (through a symlink?); "
            "supporting files must live in the project",
        )
    try:
        # a FIFO would block the open, a device read forever: regular files only
        if not stat.S_ISREG(os.stat(ctx.inventory.path(src_id)).st_mode):
            raise SpecError.one(
                file,
                line,
                f"{field}.src",
                f"'{entry['src']}' ({src_id}) is not a regular file (a FIFO, device or "
                "folder); supporting files must be regular files",
            )
        with open(ctx.inventory.path(src_id), "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise SpecError.one(
            file,
            line,
            f"{field}.src",
            f"cannot read '{entry['src']}' ({src_id}): {exc.strerror}",
        ) from None
    digests[src_id] = digest_bytes(raw)
    if entry.get("render"):
        try:
            source = raw.decode("utf-8")
            closure = ctx.library.closure_of_source(source, src_id)
            deps.extend(closure.deps())
            text = ctx.limits.render(
                ctx.inline(source, src_id),
                {"spec": spec.data, "vars": variables, "project": ctx.config.vars},
            )
        except Exception as exc:
            raise SpecError([ctx.problem(exc, spec, f"{field}.src", src_id)]) from None
        raw = finish(text)
    return ctx.config.rel(dest), raw


def finish(text: str) -> bytes:
    """Return `text` with LF line endings and exactly one trailing newline, as UTF-8."""
    if "\r" in text:  # a one-character search: the common case costs a memchr
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n") or text.endswith("\n\n"):
        text = text.rstrip("\n") + "\n"
    return text.encode("utf-8")
