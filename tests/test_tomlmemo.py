"""The user's memo of parsed config files (`engine/load/tomlmemo.py`): a build without a
manifest reads a config this user's builds parsed before without `tomllib`, and the memo only
ever gives what `tomllib` gives for the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from skillforge.engine.load import tomlmemo
from skillforge.engine.load.config import load_config
from skillforge.errors import ConfigError
from skillforge.state.digest import digest_bytes

CONFIG = 'targets = ["claude", "cursor"]\n[vars]\norg = "Acme"\n[build]\njobs = 2\n'


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "skillforge" / tomlmemo.MEMO_NAME


def _project(root: Path, text: str = CONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".skillforge.toml").write_text(text, encoding="utf-8")
    return root


def test_a_parsed_config_is_recalled_as_tomllib_reads_it(tmp_path: Path, user_cache: Path) -> None:
    root = _project(tmp_path / "p")
    first = load_config(cwd=root)
    assert user_cache.is_file()
    assert tomlmemo.recall(digest_bytes(CONFIG.encode())) == tomllib.loads(CONFIG)
    second = load_config(cwd=root)
    assert second.targets == first.targets == ("claude", "cursor")
    assert second.data == first.data


def test_a_build_without_a_manifest_does_not_import_tomllib_for_a_remembered_config(
    tmp_path: Path, user_cache: Path
) -> None:
    root = _project(tmp_path / "p")
    code = textwrap.dedent(
        """
        import sys
        from skillforge.engine.load.config import load_config
        config = load_config()
        print(config.targets, "tomllib" in sys.modules)
        """
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(user_cache.parents[1]))

    def loaded() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert loaded() == "('claude', 'cursor') True"  # parsed, then remembered
    assert loaded() == "('claude', 'cursor') False"
    (root / ".skillforge.toml").write_text(CONFIG + "# changed\n", encoding="utf-8")
    assert loaded() == "('claude', 'cursor') True"  # other bytes: parsed again


def test_a_damaged_or_foreign_memo_is_not_read(tmp_path: Path, user_cache: Path) -> None:
    root = _project(tmp_path / "p")
    load_config(cwd=root)
    digest = digest_bytes(CONFIG.encode())
    data = bytearray(user_cache.read_bytes())
    data[-3] ^= 0xFF
    user_cache.write_bytes(bytes(data))
    assert tomlmemo.recall(digest) is None
    assert load_config(cwd=root).targets == ("claude", "cursor")  # parsed, memo written again
    assert tomlmemo.recall(digest) == tomllib.loads(CONFIG)
    os.chmod(user_cache, 0o666)  # writable by others: anyone could have put a table there
    assert tomlmemo.recall(digest) is None


def test_only_the_last_configs_are_kept_and_dates_never(tmp_path: Path, user_cache: Path) -> None:
    texts = [f'[vars]\nn = "{i}"\n' for i in range(tomlmemo.KEEP + 1)]
    for i, text in enumerate(texts):
        load_config(cwd=_project(tmp_path / f"p{i}", text))
    assert tomlmemo.recall(digest_bytes(texts[0].encode())) is None
    for text in texts[1:]:
        assert tomlmemo.recall(digest_bytes(text.encode())) == tomllib.loads(text)
    dated = "[vars]\nwhen = 2026-12-02\n"
    config = load_config(cwd=_project(tmp_path / "dated", dated))
    assert str(config.data["vars"]["when"]) == "2026-12-02"
    assert tomlmemo.recall(digest_bytes(dated.encode())) is None


def test_invalid_toml_is_still_a_config_error(tmp_path: Path, user_cache: Path) -> None:
    text = 'targets = ["claude"]\n[targets.codex]\n'
    with pytest.raises(ConfigError, match="cannot both be given"):
        load_config(cwd=_project(tmp_path / "p", text))
    assert tomlmemo.recall(digest_bytes(text.encode())) is None
