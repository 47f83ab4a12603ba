"""Cutting a body into sections: whatever the text, the build gives back exactly the body."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skillforge.engine.adopt.document import read_document
from skillforge.engine.adopt.sections import join, normalise, split

LINES = st.sampled_from(
    ["## Steps", "## Notes", "## Tail ", "##", "### Sub", "text", "more text  ", "", "   ", "\t",
     "```", "````", "~~~", "```py", "## {{ x }}", "- item", "  indented", "\r"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=30))
def test_the_sections_render_back_to_the_body(lines: list[str]) -> None:
    body = normalise("\n".join(lines))
    sections = split(body)
    assert join(sections) == body
    for section in sections:
        assert section.title is None or section.title == section.title.strip()


@settings(max_examples=60, deadline=None)
@given(st.lists(LINES, max_size=12), st.lists(LINES, max_size=12))
def test_headings_inside_a_fence_never_start_a_section(
    before: list[str], inside: list[str]
) -> None:
    inside = [line for line in inside if not line.startswith(("```", "~~~"))]
    body = normalise("\n".join(["intro", "", "```", *inside, "## Fenced", "```", *before]))
    assert all(s.title != "Fenced" for s in split(body))


def test_a_document_without_frontmatter_is_all_body() -> None:
    doc = read_document(b"# Title\n\n## Part\n\ntext\n")
    assert not doc.has_front and doc.values == {}
    assert [s.title for s in split(normalise(doc.body))] == [None, "Part"]


def test_crlf_and_bom_are_seen_and_taken_off() -> None:
    doc = read_document(b"\xef\xbb\xbf---\r\nname: x\r\ndescription: y\r\n---\r\n\r\nBody\r\n")
    assert (doc.bom, doc.crlf, doc.values) == (True, True, {"name": "x", "description": "y"})
    assert doc.body == "\nBody\n"
    assert doc.problems[0][0] == 1
