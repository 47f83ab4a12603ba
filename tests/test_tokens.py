"""Token estimates: the offline cl100k_base counter agrees with tiktoken, loads lazily."""

from __future__ import annotations

import hashlib
import marshal
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import build_json, project, run

from skillforge.engine.tokens import (
    DATA_SHA256,
    PATTERN,
    RUST_FROM,
    EncodingUnavailable,
    TokenCounter,
    data_file,
    load_ranks,
    parse_ranks,
    pieces_path,
    repeated_lines,
)

KNOWN_TEXTS = [
    "",
    " ",
    "hello world",
    "Hello, World! 1234567 tokens\n",
    "  leading and trailing spaces  \n\n",
    "a   b\tc\n\n\n## Heading\n\n- item one\n- item two\n",
    "don't we'll I'M you've THEY'RE",
    "Ünïcödé, 日本語のテキスト, emoji 😀😀 and \u2018quotes\u2019 \u2014 dashes",
    "def f(x):\n    return {'a': [1, 2, 3]}  # comment\n",
    "<|endoftext|> is plain text here",
    "\r\n\r\nwindows\r\nlines\r\n",
    "x" * 300 + " " + "ab" * 200,
]


def reference() -> object:
    """tiktoken's own encoder, built the documented way from the bundled file."""
    import tiktoken

    return tiktoken.Encoding(
        "cl100k_base",
        pat_str=PATTERN.replace(r"\Z", "$"),
        mergeable_ranks=load_ranks(),
        special_tokens={},
    )


@pytest.mark.parametrize("text", KNOWN_TEXTS)
def test_counts_match_tiktoken(text: str, tmp_path: Path) -> None:
    expected = len(reference().encode_ordinary(text))  # type: ignore[attr-defined]
    assert TokenCounter(tmp_path).count(text) == expected


def test_known_counts() -> None:
    counter = TokenCounter(None)
    assert counter.count("hello world") == 2
    assert counter.count("Hello, World!") == 4


def test_rust_encoder_takes_over_for_large_volumes_with_the_same_counts(tmp_path: Path) -> None:
    counter = TokenCounter(tmp_path)
    # new pieces in volume: made-up words, each one a piece the table has not seen
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    texts = [
        " ".join("".join(rng.choice(letters) for _ in range(9)) for _ in range(100))
        for _ in range(80)
    ]
    counts = [counter.count(t) for t in texts]
    assert sum(len(t) for t in texts) > RUST_FROM
    assert "tiktoken" in counter.loaded
    encoder = reference()
    assert counts == [len(encoder.encode_ordinary(t)) for t in texts]  # type: ignore[attr-defined]


def test_repeated_text_never_builds_the_rust_encoder(tmp_path: Path) -> None:
    """What watch does: many counts of texts made of known pieces load no tiktoken."""
    counter = TokenCounter(tmp_path)
    for i in range(2_000):
        counter.count(f"Line {i % 50}: the quick brown fox jumps over the lazy dog.\n" * 20)
    assert "tiktoken" not in counter.loaded


def test_known_pieces_need_no_vocabulary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    first = TokenCounter(tmp_path / "project-a")
    first.count("Shared words in a section body.")
    first.save()
    table = Path(pieces_path())
    assert table.is_file() and table.is_relative_to(tmp_path / "user")
    assert table.stat().st_mode & 0o077 == 0  # the user's own
    assert not (tmp_path / "project-a").exists()  # nothing in the project's cache folder
    # another project (a fresh clone) counts the same words without any vocabulary
    second = TokenCounter(tmp_path / "project-b")
    assert second.count("Shared words in a section body.") == 7
    assert second.loaded == []  # ASCII: no regex module, no ranks, no tiktoken


def test_piece_table_is_not_kept_or_read_when_it_may_not_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    checking = TokenCounter(tmp_path, save=False)  # `check`, dry runs: nothing written
    checking.count("Words a check counts.")
    checking.save()
    assert not Path(pieces_path()).exists()
    first = TokenCounter(tmp_path)
    first.count("Words a build counts.")
    first.save()
    table = Path(pieces_path())
    table.chmod(0o666)  # writable by anyone: not trusted, the counts are merged again
    other = TokenCounter(tmp_path)
    assert other.count("Words a build counts.") == len(
        reference().encode_ordinary("Words a build counts.")  # type: ignore[attr-defined]
    )
    assert "ranks" in other.loaded
    table.chmod(0o600)
    table.write_bytes(b"not marshal")  # damaged: learned again, never an error
    assert TokenCounter(tmp_path).count("Words a build counts.") == other.count(
        "Words a build counts."
    )


def test_ranks_are_kept_in_the_users_folder_and_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillforge.engine import tokens

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tokens._LOADED.clear()  # this process's memo would answer first
    ranks = load_ranks()
    assert len(ranks) == 100256
    (kept,) = (tmp_path / "skillforge" / "tokens").glob("cl100k_base.ranks.*")
    assert kept.stat().st_mode & 0o777 == 0o600
    tokens._LOADED.clear()
    stamp = kept.stat().st_mtime_ns
    assert load_ranks() == ranks
    assert kept.stat().st_mtime_ns == stamp  # read, not parsed and written again


@pytest.mark.parametrize("damage", ["not marshal", "others may write it"])
def test_a_damaged_or_foreign_ranks_file_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from skillforge.engine import tokens

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tokens._LOADED.clear()
    load_ranks()
    (kept,) = (tmp_path / "skillforge" / "tokens").glob("cl100k_base.ranks.*")
    if damage == "not marshal":
        kept.write_bytes(b"not marshal")
    else:
        kept.write_bytes(marshal.dumps(((), {b"x": 0})))
        kept.chmod(0o666)
    tokens._LOADED.clear()
    assert len(load_ranks()) == 100256


def test_a_wrong_data_file_is_refused() -> None:
    with pytest.raises(EncodingUnavailable, match="sha256"):
        parse_ranks(b"aGVsbG8= 0\n")


def test_the_bundled_file_is_the_documented_one() -> None:

    with open(data_file(), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == DATA_SHA256


def test_counting_never_touches_the_network_or_tiktokens_temp_cache(tmp_path: Path) -> None:
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(tmp_path / "tiktoken-cache"))
    code = textwrap.dedent(
        f"""
        import socket
        def no_network(*args, **kwargs):
            raise AssertionError("network used")
        socket.socket.connect = no_network
        from skillforge.engine.tokens import TokenCounter
        c = TokenCounter({str(tmp_path / "cache")!r})
        print(c.count("hello world"), c.count("x" * {RUST_FROM + 10}) > 0)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.split() == ["2", "True"]
    assert not (tmp_path / "tiktoken-cache").exists()


def test_noop_and_cached_builds_never_import_tiktoken(tmp_path: Path) -> None:
    project(tmp_path)
    assert build_json(tmp_path)["ok"]
    spec = tmp_path / "specs/skill-0.yaml"
    code = textwrap.dedent(
        """
        import sys
        from skillforge.cli.main import main
        code = main(["build", "-q"])
        print("TIKTOKEN", "tiktoken" in sys.modules, code)
        """
    )

    def build() -> str:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout

    assert "TIKTOKEN False 0" in build()  # no-op
    spec.write_text(spec.read_text() + "# a comment changes the file, not the text\n")
    assert "TIKTOKEN False 0" in build()  # full build, every section served from the cache


def test_section_counts_are_cached_with_the_section_text(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    spec = tmp_path / "specs/skill-1.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Edited notes"))
    report = build_json(tmp_path)
    assert report["sections"] == {"rendered": 1, "cached": 2}
    stats = run(tmp_path, "stats", "--json").report
    costs = {o["path"]: o for o in stats["outputs"]}
    body = (tmp_path / ".claude/skills/skill-1/SKILL.md").read_text().split("---\n", 2)[2]
    exact = len(reference().encode_ordinary(body.lstrip("\n")))  # type: ignore[attr-defined]
    estimate = costs[".claude/skills/skill-1/SKILL.md"]["body_tokens"]
    assert abs(estimate - exact) <= 2  # sections summed, headings and blank lines added


def test_ascii_text_is_split_without_the_regex_module_and_counts_the_same(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    alphabet = " \t\n\r\x0b\x0c\x1c\x1fabcXYZ019'.,;:!?-_()[]{}#*`\"sdmtllvere"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    counter = TokenCounter(tmp_path)
    encoder = reference()
    assert [counter.count(t) for t in texts] == [
        len(encoder.encode_ordinary(t))  # type: ignore[attr-defined]
        for t in texts
    ]
    assert "regex" not in counter.loaded
    counter.count("naïve café")
    assert "regex" in counter.loaded


# -- repeated lines (issue 17): a long ASCII text is counted line by line -------------------

_LINE_PARTS = ["R1-00042: ", "Keep it small", "  indented", "\t", " ", "\n", "\n\n", "\r\n",
               "x = 7 ** 123;", "don't", "'s", "!!", "9", "1234567", "-->", "  \n", "word",
               "\x1c", "   ", "\x0b"]  # fmt: skip


def _whole(counter: TokenCounter, text: str) -> int:
    """The count the long way: one split of the whole text, no line memo."""
    return counter._pieces_count(text)


def test_digit_strings_of_one_to_three_are_each_one_token() -> None:
    """What counting digits as "0" relies on: every number piece is a single token."""
    ranks = load_ranks()
    for n in range(1, 4):
        for i in range(10**n):
            assert f"{i:0{n}d}".encode() in ranks


def test_a_repeated_rulebook_counts_as_tiktoken_counts(tmp_path: Path) -> None:
    rules = ["Read the files first.", "Never commit secrets", "Run `make test` (twice)!"]
    text = "## Rules\n\n" + "".join(
        f"R1-{i + 1:05d}: {rules[i % 3]}\n" + ("  - indented note 12\n\n" if i % 7 == 0 else "")
        for i in range(3_000)
    )
    lines = repeated_lines(text)
    assert lines is not None and len(lines) < 20  # the memo is taken
    counter = TokenCounter(tmp_path)
    expected = len(reference().encode_ordinary(text))  # type: ignore[attr-defined]
    assert counter.count(text) == expected == _whole(TokenCounter(tmp_path), text)


def test_line_by_line_counts_equal_whole_text_counts_on_random_texts(tmp_path: Path) -> None:
    rng = random.Random(17)
    counter = TokenCounter(tmp_path)
    whole = TokenCounter(tmp_path)
    encoder = reference()
    for _ in range(300):
        lines = ["".join(rng.choice(_LINE_PARTS) for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(1, 8))]  # fmt: skip
        text = "".join(rng.choice(lines) + rng.choice(["\n", "\n", " \n", "\n\n"])
                       for _ in range(rng.randint(1, 60)))  # fmt: skip
        text = text[: rng.randint(0, len(text))] if rng.random() < 0.3 else text
        split = repeated_lines(text) or {text: 1}
        by_lines = sum(_whole(counter, line) * n for line, n in split.items())
        expected = len(encoder.encode_ordinary(text))  # type: ignore[attr-defined]
        assert by_lines == _whole(whole, text) == expected, repr(text)


def test_distinct_lines_are_counted_the_long_way() -> None:
    varied = "\n".join(f"line {'x' * i}" for i in range(2_000))
    assert repeated_lines(varied) is None
    assert repeated_lines("a\n" * 4) == {"a\n": 4}
    assert repeated_lines("R7 a\n  b\nR8 a\n  b\n") == {"R0 a\n  b\n": 2}


def test_ranks_parse_as_the_numbers_the_file_holds() -> None:
    """`parse_ranks` counts the ranks instead of reading them: the file lists 0, 1, 2, ..."""
    from binascii import a2b_base64

    with open(data_file(), "rb") as f:
        raw = f.read()
    fields = raw.split()
    read = dict(zip(map(a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    assert parse_ranks(raw) == read
    assert list(parse_ranks(raw).items()) == list(read.items())


def _lines_the_long_way(text: str) -> dict[str, int]:
    """`repeated_lines` without its shortcuts: one regex split of the text, every line kept."""
    import re
    from collections import Counter

    parts = re.split(
        r"\n(?=[^\t\n\x0b\x0c\r ])", text.translate(str.maketrans("123456789", "0" * 9))
    )
    found = Counter(f"{p}\n" for p in parts[:-1])
    if parts[-1]:
        found[parts[-1]] += 1
    return dict(found)


def test_repeated_lines_are_the_lines_a_regex_split_finds() -> None:
    rng = random.Random(5)
    words = ["R1-00042:", "Keep", "it", "small", "x=7", "!!", "don't", "\r", "\t", " "]
    for _ in range(400):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))) for _ in range(3)]
        ends = rng.choice([["\n"], ["\n", "\n\n", "\n  "], ["\r\n"]])
        text = "".join(rng.choice(lines) + rng.choice(ends) for _ in range(rng.randint(1, 30)))
        text = text.rstrip("\n") if rng.random() < 0.5 else text
        text = "\n" + text if rng.random() < 0.1 else text
        found = repeated_lines(text)
        if found is not None:
            assert found == _lines_the_long_way(text), repr(text)
    assert repeated_lines("a\nb\na\nb\n") == {"a\n": 2, "b\n": 2}
    assert repeated_lines("a\nb\na\nb") == {"a\n": 2, "b\n": 1, "b": 1}


def _stamp() -> list[object]:
    from skillforge.engine import tokens

    st = os.stat(data_file())
    return [tokens.FORMAT, data_file(), st.st_mtime_ns, st.st_size]


def test_the_rank_index_answers_what_the_ranks_hold() -> None:
    """Every token's rank, and None for bytes that are no token, against the parsed dict."""
    from skillforge.engine.tokens import RankIndex, merge_count

    ranks = load_ranks()
    index = RankIndex.read(RankIndex.build(ranks, _stamp()), _stamp())
    assert index is not None
    assert all(index.get(token) == rank for token, rank in ranks.items())
    rng = random.Random(11)
    tokens = list(ranks)
    near = [t + bytes([rng.randrange(256)]) for t in rng.sample(tokens, 5_000)]
    near += [bytes([rng.randrange(256)]) + t for t in rng.sample(tokens, 5_000)]
    near += [rng.randbytes(rng.randint(1, 12)) for _ in range(5_000)]
    assert [index.get(t) for t in near] == [ranks.get(t) for t in near]
    assert (b"hello" in index, b"\xff\xfe\xfd\xfc\xfb" in index) == (True, False)
    words = [
        "".join(rng.choice("aeiourstlnkqzx") for _ in range(rng.randint(1, 20))) for _ in range(300)
    ]
    pieces = [w.encode() for w in words] + [f" {w}".encode() for w in words]
    assert [merge_count(index, p) for p in pieces] == [merge_count(ranks, p) for p in pieces]


def test_new_words_are_merged_over_the_index_made_at_the_first_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillforge.engine import tokens

    text = "Quixotic zymurgy of flibbertigibbets, 42 of them."
    encoder = reference()  # the parsed ranks, kept in another user's folder
    expected = [len(encoder.encode_ordinary(t)) for t in (text, f"{text} Grokked.")]  # type: ignore[attr-defined]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    folder = tmp_path / "user" / "skillforge" / "tokens"
    tokens._LOADED.clear()  # a fresh process of a new user
    first = TokenCounter(tmp_path / "a")
    assert first.count(text) == expected[0]
    (index,) = folder.glob("cl100k_base.index.*")
    assert index.stat().st_mode & 0o777 == 0o600
    assert not list(folder.glob("cl100k_base.ranks.*"))  # only the Rust encoder needs those
    tokens._LOADED.clear()  # the next process: the index, read whole, answers the merges
    second = TokenCounter(tmp_path / "b", save=False)
    assert second.count(f"{text} Grokked.") == expected[1]
    assert isinstance(second._ranks, tokens.RankIndex) and "ranks" in second.loaded


@pytest.mark.parametrize(
    "damage", ["truncated", "garbage", "another data file", "others may write it"]
)
def test_a_damaged_or_foreign_rank_index_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from skillforge.engine import tokens

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tokens._LOADED.clear()
    assert isinstance(tokens.merge_ranks(), dict)  # parsed: the index is written
    (index,) = (tmp_path / "skillforge" / "tokens").glob("cl100k_base.index.*")
    good = index.read_bytes()
    assert tokens.RankIndex.read(good, _stamp()) is not None
    if damage == "truncated":
        index.write_bytes(good[:-1])
    elif damage == "garbage":
        index.write_bytes(good[:4] + b"\x00" * (len(good) - 4))
    elif damage == "another data file":
        index.write_bytes(tokens.RankIndex.build({b"a": 0, b"ab": 1}, [*_stamp()[:2], 0, 0]))
    else:
        index.chmod(0o666)
    assert tokens.RankIndex.read(tokens.read_own(str(index)), _stamp()) is None
    tokens._LOADED.clear()
    counter = TokenCounter(tmp_path / "p")
    assert counter.count("Zyzzyva quokkas") == len(
        reference().encode_ordinary("Zyzzyva quokkas")  # type: ignore[attr-defined]
    )
    assert isinstance(counter._ranks, dict)  # not the damaged file: the ranks, parsed again
    assert tokens.RankIndex.read(index.read_bytes(), _stamp()) is not None  # and made anew
