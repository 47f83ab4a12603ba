"""Plain substitutions (engine/jinja/substitute.py) give what the sandbox gives, or step aside.

Every source the fast path renders is rendered by the build's own Environment too, and the
two texts (and analyses) must agree; a source it declines must be one Jinja2 renders (or
refuses) itself. The built-in layouts are laid out without Jinja2 to the same bytes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillforge.engine.jinja import substitute
from skillforge.engine.jinja.analysis import ROOTS, Analysis, analyse
from skillforge.engine.jinja.sandbox import ENV_OPTIONS, ENVIRONMENT, SANDBOX_REVISION
from skillforge.engine.jinja.templating import (
    ENVIRONMENT_NAME,
    _version_line,
    environment_files,
    library_version,
)
from skillforge.state.inventory import builtin_templates_dir

ENV = ENVIRONMENT(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
CONTEXT: dict[str, Any] = {
    "spec": {"name": "demo", "kind": "skill", "tags": ["a"], "nested": {"deep": {"x": "y"}}},
    "vars": {"topic": "csv", "n": 3, "flag": True, "none": None, "f": 1.5, "items": "no"},
    "section": {"id": "notes", "title": "Notes", "with": {}},
    "project": {"org": "Bench"},
    "target": {"name": "claude"},
}


def plain_analysis(source: str) -> Analysis | None:
    found = substitute.reach(source, ROOTS)
    return None if found is None else Analysis((), False, dict(found))


def jinja_text(source: str, context: dict[str, Any] = CONTEXT) -> str | None:
    """What the sandbox renders, or None when it refuses the source."""
    try:
        return ENV.from_string(source).render(context)
    except jinja2.TemplateError:
        return None


def test_the_names_it_relies_on_are_the_sandbox_s() -> None:
    assert ENVIRONMENT.__qualname__ == ENVIRONMENT_NAME
    assert SANDBOX_REVISION >= 1
    assert library_version("jinja2") == jinja2.__version__
    assert set(environment_files()) == {jinja2.__file__, __import__("yaml").__file__}


def test_versions_are_read_from_the_files_without_importing() -> None:
    code = (
        "import sys; from skillforge.engine.jinja.templating import library_version as v;"
        "print(v('jinja2'), v('yaml'), 'jinja2' in sys.modules, 'yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import yaml

    assert out.stdout.split() == [jinja2.__version__, yaml.__version__, "False", "False"]
    assert _version_line('x = 1\n__version__ = "1.2"\n') == "1.2"
    assert _version_line("\n__version__ = get()\n") is None
    assert _version_line("\n__version__ = '1' + '2'\n") is None


@pytest.mark.parametrize(
    "source",
    [
        "plain text",
        "This skill focuses on {{ vars.topic }} work for {{ vars.n }}.\nMore.\n",
        "{{vars.topic}}{{ spec.name }}\n\n",
        "{{ spec.nested.deep.x }} and {{ section.title }} {{ project.org }} {{ target.name }}",
        "{{ vars.flag }} }} { {{\tvars.topic\n}}",
        "trailing newline\n",
        "two trailing\n\n",
        "",
    ],
)
def test_plain_sources_render_as_jinja_does(source: str) -> None:
    fast = substitute.render(source, CONTEXT, 10**6)
    assert fast is not None
    assert fast == jinja_text(source)
    assert plain_analysis(source) == analyse(ENV, source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ vars.missing }}",  # StrictUndefined: Jinja2 says what is missing
        "{{ vars.none }}",  # not a str or an int
        "{{ vars.f }}",
        "{{ spec.tags }}",
        "{{ vars.items }}",  # a dict's method
        "{{ vars }}",
        "{{ other.x }}",
        "{{ vars.topic|upper }}",
        "{{- vars.topic }}",
        "{{ vars.topic -}}",
        "{{ vars . topic }}",
        "{{ vars['topic'] }}",
        "{% if true %}x{% endif %}",
        "{# comment #}x",
        "a\r\nb {{ vars.topic }}",
        "{{ vars.topic }",
        "{{ vars.0 }}",
    ],
)
def test_other_sources_are_left_to_jinja(source: str) -> None:
    assert substitute.render(source, CONTEXT, 10**6) is None


def test_a_text_over_the_size_cap_is_left_to_jinja() -> None:
    assert substitute.render("{{ vars.topic }}" * 10, CONTEXT, 29) is None
    assert substitute.render("{{ vars.topic }}" * 10, CONTEXT, 30) == "csv" * 10


_PIECES = st.sampled_from(
    [
        "{{ vars.topic }}",
        "{{vars.n}}",
        "{{ vars.flag }}",
        "{{ spec.name }}",
        "{{ spec.nested.deep.x }}",
        "{{ section.id }}",
        "{{ target.name }}",
        "{{ project.org }}",
        "{{ vars.missing }}",
        "{{ vars.none }}",
        "{{ vars.items }}",
        "{{- vars.topic }}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{{",
        "}}",
        "{",
        "}",
        "-",
        "\n",
        "\r",
        " ",
        "\t",
        "text",
        ".",
        "é",
    ]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_PIECES, max_size=12))
def test_any_mix_of_pieces_renders_as_jinja_or_is_declined(pieces: list[str]) -> None:
    source = "".join(pieces)
    fast = substitute.render(source, CONTEXT, 10**6)
    if fast is not None:
        assert fast == jinja_text(source)
        assert plain_analysis(source) == analyse(ENV, source)


def _layout_by_jinja(kind: str, head: str, sections: list[str]) -> str:
    source = (Path(builtin_templates_dir()) / "base" / f"{kind}.md.j2").read_text("utf-8")
    assert substitute.plain_layout(source)
    context = {"frontmatter": head, "sections": sections, "spec": {}}
    return ENV.from_string(source).render(context)


@pytest.mark.parametrize("kind", ["skill", "agent", "command"])
@pytest.mark.parametrize("sections", [[], ["one"], ["## A\n\nx", "## B\n\ny\n"], ["", ""]])
def test_builtin_layouts_are_laid_out_as_jinja_does(kind: str, sections: list[str]) -> None:
    head = "name: demo\ndescription: a demo\n"
    fast = f"---\n{head}---\n\n" + "\n\n".join(sections) + "\n"
    assert _layout_by_jinja(kind, head, sections) == fast


@pytest.mark.parametrize(
    "source",
    [
        None,
        "{#- c #}\n" + substitute.LAYOUT,
        "{# c -#}\n" + substitute.LAYOUT,
        "{# c #}\n" + substitute.LAYOUT + "\n\n",
        "{# c #}\n" + substitute.LAYOUT.replace("---", "+++"),
        "{# c #}\n{{ spec.name }}" + substitute.LAYOUT,
    ],
)
def test_other_layouts_go_through_jinja(source: str | None) -> None:
    assert not substitute.plain_layout(source)


def test_an_edit_of_a_plain_section_does_not_import_jinja(tmp_path: Path) -> None:
    """The one-section edit of a spec whose sections are cached but one plain substitution:
    Jinja2 is not imported, and the output is a clean build's."""
    from tests.helpers import build_json, project

    def outputs(root: Path) -> dict[str, bytes]:
        out = root / ".claude"
        files = [p for p in out.rglob("*") if p.is_file()]
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}

    project(tmp_path, skills=2, agents=1)
    build_json(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    text = spec.read_text()
    assert "Plain notes" in text
    spec.write_text(text.replace("Plain notes", "Edited notes {{ spec.name }}"))
    code = (
        "import sys, time\nfrom skillforge.cli.main import _main\n"
        "rc = _main('build', ['build', '-q'], time.perf_counter())\n"
        "print(rc, 'jinja2' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "False"], out.stderr
    edited = outputs(tmp_path)
    clean = tmp_path / "clean"
    clean.mkdir()
    project(clean, skills=2, agents=1)
    (clean / "specs/skill-0.yaml").write_text(spec.read_text())
    build_json(clean)
    assert outputs(clean) == edited
    assert b"Edited notes skill-0" in b"".join(edited.values())
