"""Template errors as problems a user can act on: the line, the template, the remedy.

A render error names the spec line (or the template line) it concerns; another tool's
template syntax that broke a render (`${{ secrets.X }}`, Handlebars, Helm) is named as such,
with how to keep it as written.
"""

from __future__ import annotations

import re
from types import TracebackType

from skillforge.engine.jinja.limits import RenderLimitError
from skillforge.errors import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    import jinja2

    from skillforge.engine.load.spec import Spec
    from skillforge.state.inventory import Inventory

# The name inline code is compiled under: the code is shared by every spec with the same
# source, so an error in it is given the label of the render that failed (`template_problem`).
INLINE = "inline:"
TOO_DEEP = (
    "nested too deeply (RecursionError): expressions, blocks, macro calls or an extends chain "
    "go deeper than Python's recursion limit; flatten it"
)


def template_problem(
    env: jinja2.Environment,
    inventory: Inventory,
    exc: BaseException,
    spec: Spec,
    field: str,
    label: str,
) -> Problem:
    """Turn a template error into a problem at the spec line (or template line) it concerns."""
    import jinja2

    from skillforge.engine.jinja.environment import TemplateUnreadable

    file, line = spec.origin(field)
    inline = label.startswith(f"{spec.file}#")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        frame: tuple[str, int] | None = (exc.filename or exc.name or label, exc.lineno)
    else:
        frame = _template_frame(exc.__traceback__)
    if frame is not None and frame[0].startswith(INLINE):
        frame = (label, frame[1])  # shared inline code: the render that failed is ours
    where = ""
    if frame is not None and frame[0] == label and inline:
        sid = field.split(".")[1]
        section = next((s for s in spec.sections if s.get("id") == sid), {})
        text = str(section.get("body") or "")
        if line is not None and "\n" in text.rstrip("\n"):
            line += frame[1]  # a block scalar's first line is the one after `body:`
    elif frame is not None:
        where = f" in {frame[0].removeprefix('builtin:')}:{frame[1]}"
    elif not inline:
        where = f" in {label.removeprefix('builtin:')}"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        message = f"template syntax error{where}: {exc.message}"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined value{where}: {readable(str(exc.message))}"
        if "(required by" not in str(exc.message):
            message += "; use `is defined` or `|default(...)` for optional values"
    elif isinstance(exc, TemplateUnreadable):
        message = f"template {exc.message}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"template not found{where}: {exc.message}"
    elif isinstance(exc, RenderLimitError):
        message = f"template stopped{where}: {exc}"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"template refused by the sandbox{where}: {exc}"
    elif isinstance(exc, RecursionError):
        message = f"template error{where}: {TOO_DEEP}"
    else:
        message = f"template error{where}: {exc.__class__.__name__}: {exc}"
    foreign = _foreign(env, inventory, exc, spec, field, label)
    return Problem(
        file, line, field, f"foreign template syntax{where}: {foreign}" if foreign else message
    )


def _foreign(
    env: jinja2.Environment,
    inventory: Inventory,
    exc: BaseException,
    spec: Spec,
    field: str,
    label: str,
) -> str | None:
    """Name another tool's template syntax (`${{ secrets.X }}`) that broke a render."""
    import jinja2

    source = getattr(exc, "source", None)
    remedy: str | None = None
    if label.startswith(f"{spec.file}#"):
        sid = field.split(".")[1]
        section = next((s for s in spec.sections if s.get("id") == sid), {})
        source, remedy = (
            source or str(section.get("body") or ""),
            "set `render: false` on the section",
        )
    elif field.startswith("files["):
        remedy = "leave out `render: true` on the files entry"
        if source is None:
            try:
                with open(inventory.path(label), encoding="utf-8") as f:
                    source = f.read()
            except (OSError, UnicodeDecodeError):
                source = None
    elif source is None and label in inventory.templates:
        try:
            source = env.loader.get_source(env, label)[0]  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            source = None
    return foreign_message(exc, source, remedy)


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """Return (template, line) of the innermost template frame of a render traceback."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def readable(message: str) -> str:
    """Say "no key 'x'" instead of Jinja's "'dict object' has no attribute 'x'"."""
    prefix = "'dict object' has no attribute "
    if message.startswith(prefix):
        return f"no key {message[len(prefix) :]}"
    return message


# Other tools' template syntax that Jinja misreads, and what to call it.
_FOREIGN = (
    (re.compile(r"\$\{\{[^\n]*?\}\}"), "GitHub Actions expression syntax"),
    (re.compile(r"\$\{#[^\n}]*\}?"), "shell parameter expansion (`{#` starts a Jinja comment)"),
    (re.compile(r"\{\{\s*[#/>^!][^\n]*?\}\}"), "Handlebars/Mustache syntax"),
    (
        re.compile(
            r"\{\{-?\s*(?:\.[A-Za-z_]|\$[A-Za-z_]|\.\s*\}\}|"
            r"(?:range|end|define|template|include|toYaml|printf)\b)[^\n]*?\}\}"
        ),
        "Go template (Helm) syntax",
    ),
)
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined|has no attribute '([^']+)'")


def foreign_message(exc: BaseException, source: str | None, remedy: str | None) -> str | None:
    """Name the other tool's syntax that caused a Jinja error, or None when it is not that.

    A syntax error counts when the foreign text is on the line Jinja stopped at; an undefined
    value when the foreign text holds the undefined name (`secrets` of `${{ secrets.X }}`).
    """
    if not source:
        return None
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        line: int | None = exc.lineno
        name = None
    elif isinstance(exc, jinja2.UndefinedError):
        found = _UNDEFINED_NAME.search(str(exc.message))
        if found is None:
            return None
        line, name = None, found.group(1) or found.group(2)
    else:
        return None
    for pattern, what in _FOREIGN:
        for match in pattern.finditer(source):
            text = match.group(0)
            if line is not None and source.count("\n", 0, match.start()) + 1 != line:
                continue
            if name is not None and not re.search(rf"\b{re.escape(name)}\b", text):
                continue
            shown = text if len(text) <= 60 else text[:57] + "..."
            keep = f" or {remedy}" if remedy else ""
            return (
                f"`{shown}` looks like {what}, not Jinja; to keep it as written, wrap it in "
                f"`{{% raw %}}...{{% endraw %}}`{keep}"
            )
    return None
