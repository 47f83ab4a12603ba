"""Find and read the project configuration (DESIGN §8)."""

from __future__ import annotations

import os
from pathlib import Path

from skillforge import __version__
from skillforge.cache.remote_url import remote_url, without_remote
from skillforge.engine.load.folders import check_cache_dir, resolved_under
from skillforge.engine.load.names import hint as _hint
from skillforge.engine.load.names import read_targets as _targets
from skillforge.errors import ConfigError
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.locate import CONFIG_NAME, DEFAULT_CACHE, PYPROJECT, find_config_file
from skillforge.state.plain import Plain
from skillforge.targets import DEFAULT, TARGETS, get_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.targets.plugins import PluginSet

DEFAULT_BUDGETS: dict[str, Any] = {
    "body_lines": 500,
    "body_tokens": 5000,
    "description_chars": 1024,
    "context_tokens": 200_000,
    "listing_fraction": 0.01,
    "strict": False,
}

# key -> (expected types, description used in messages)
_TOP_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "specs": ((list, str), "a list of folders"),
    "traits": ((list, str), "a list of folders"),
    "templates": ((list, str), "a list of folders"),
    "out": ((str,), "a folder"),
    "cache_dir": ((str,), "a folder"),
    "vars": ((dict,), "a table"),
    "budgets": ((dict,), "a table"),
    "cache": ((dict,), "a table"),
    "build": ((dict,), "a table"),
    "plugins": ((dict,), "a table of [plugins.<name>] tables"),
    "marketplace": ((dict,), "a table"),
    "targets": ((list, dict), "a list of target names or one [targets.<name>] table each"),
}
_TABLE_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "budgets": {
        "body_lines": (int,),
        "body_tokens": (int,),
        "description_chars": (int,),
        "context_tokens": (int,),
        "listing_fraction": (int, float),
        "strict": (bool,),
    },
    "cache": {"size_limit": (int,), "records": (int,), "remote": (str,)},
    "build": {
        "jobs": (int,),
        "max_spec_bytes": (int,),
        "max_template_bytes": (int,),
        "render_timeout": (int, float),
        "max_render_size": (int,),
        "marker": (bool,),
    },
}


def _is_normal(path: str) -> bool:
    """True when `path` has no `.`/`..` segment and no doubled separator (relpath would fold
    them), so that cutting the root's prefix off gives what relpath gives."""
    sep = os.sep
    return (
        f"{sep}.{sep}" not in path
        and f"{sep}..{sep}" not in path
        and sep * 2 not in path
        and not path.endswith((f"{sep}.", f"{sep}..", sep))
    )


class Config(Plain):
    """The resolved configuration of one project; paths are absolute. Not changed after it
    is made (`replace` makes a changed copy)."""

    def __init__(
        self,
        root: Path,
        path: Path | None,
        specs: tuple[Path, ...],
        traits: tuple[Path, ...],
        templates: tuple[Path, ...],
        out: Path,
        cache_dir: Path,
        vars: dict[str, Any] | None = None,
        budgets: dict[str, Any] | None = None,
        cache_size_limit: int = 2**30,
        records_kept: int = 50,
        jobs: int | None = None,
        max_spec_bytes: int = 2**20,
        max_template_bytes: int = 2**20,
        render_timeout: float = 10.0,
        max_render_size: int = 10 * 2**20,
        marker: bool = True,
        remote: str = "",
        plugins: PluginSet | None = None,
        targets: tuple[str, ...] = DEFAULT,
        configured: tuple[str, ...] = (),
        target_outs: dict[str, Path] | None = None,
        models: dict[str, dict[str, str]] | None = None,
        digest: str = "",
        raw_digest: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.path = path
        self.specs = specs
        self.traits = traits
        self.templates = templates
        self.out = out
        self.cache_dir = cache_dir
        self.vars = {} if vars is None else vars
        self.budgets = dict(DEFAULT_BUDGETS) if budgets is None else budgets
        self.cache_size_limit = cache_size_limit
        self.records_kept = records_kept
        self.jobs = jobs
        self.max_spec_bytes = max_spec_bytes
        self.max_template_bytes = max_template_bytes
        self.render_timeout = render_timeout
        self.max_render_size = max_render_size
        self.marker = marker  # the marker comment of DESIGN §4 in every generated document
        self.remote = remote  # the remote cache's URL (DESIGN §5.1), "" for none
        self.plugins = plugins  # [plugins.<name>] and [marketplace] (DESIGN §4.1)
        self.targets = targets  # the tools built for, in the config's order
        # the config's own targets when `build --target` narrows this build (their outputs stay)
        self.configured = configured
        # every known target's out folder (the configured or the conventional one)
        self.target_outs = {} if target_outs is None else target_outs
        # [targets.<name>.models]: spec model -> that tool's model
        self.models = {} if models is None else models
        self.digest = digest
        self.raw_digest = raw_digest
        self.data = {} if data is None else data
        # out_of's answers: a build asks for every output of every target (private: not
        # compared, printed or copied)
        self._out_memo: dict[tuple[str, str], Path] = {}
        self._outs: tuple[Path, ...] | None = None

    def rel(self, path: Path | str) -> str:
        """Return `path` relative to the project root, with forward slashes."""
        text = os.fspath(path)
        root = os.fspath(self.root)
        if text.startswith(root + os.sep) and _is_normal(text):
            return text[len(root) + 1 :].replace(os.sep, "/")  # what relpath gives, cheaper
        p = os.path.relpath(path, self.root)
        return p.replace(os.sep, "/")

    def out_of(self, target: str, kind: str = "skill") -> Path:
        """Return the out folder of `target`'s documents of `kind` (its table's `out`, else
        its conventional folder; Claude Code's is the top-level `out`)."""
        found = self._out_memo.get((target, kind))
        if found is None:
            found = self._out_memo[target, kind] = self._find_out(target, kind)
        return found

    def _find_out(self, target: str, kind: str) -> Path:
        if target == DEFAULT[0]:
            return self.out
        shared = get_target(target).out_for(kind)
        if shared is not None:
            return self.out_of(shared, kind)
        found = self.target_outs.get(target)
        if found is not None:
            return found
        return resolved_under(self.root, get_target(target).out)

    def outs(self) -> tuple[Path, ...]:
        """Every out folder skillforge may write in or remove from: each kind of each target.

        The targets no longer configured count too, and so do the conventional folders of
        moved ones: their outputs are removed as orphans (only files skillforge recorded).
        """
        if self._outs is None:
            outs = [self.out_of(name, kind) for name, t in TARGETS.items() for kind in t.kinds]
            outs.extend(resolved_under(self.root, t.out) for t in TARGETS.values())
            self._outs = tuple(dict.fromkeys(outs))
        return self._outs

    def spared(self) -> tuple[str, ...]:
        """The out folders (relative, with a trailing "/") of configured targets this build
        leaves alone (`build --target`): their outputs are neither written nor removed."""
        built = {self.out_of(t, k) for t in self.targets for k in get_target(t).kinds}
        return tuple(
            self.rel(out) + "/"
            for t in self.configured
            if t not in self.targets
            for k in get_target(t).kinds
            if (out := self.out_of(t, k)) not in built
        )

    def owner(self) -> str:
        """Return the config file (the project root without one), relative to the cache folder.

        Kept in the manifest: two configs sharing one cache folder tell their manifests apart,
        and a project moved or cloned elsewhere still owns its own.
        """
        return os.path.relpath(self.path or self.root, self.cache_dir).replace(os.sep, "/")

    def layout(self) -> dict[str, Any]:
        """The folders of the project, relative to the root (kept in the manifest)."""
        return {
            "specs": [self.rel(p) for p in self.specs],
            "traits": [self.rel(p) for p in self.traits],
            "templates": [self.rel(p) for p in self.templates],
            "out": self.rel(self.out),
            "outs": {t: self.rel(self.out_of(t)) for t in self.targets if t != DEFAULT[0]},
        }


def load_config(
    explicit: Path | None = None,
    cwd: Path | None = None,
    remembered: tuple[str, dict[str, Any]] | None = None,
) -> Config:
    """Load the config named by `explicit`, or the one found by walking up from `cwd`.

    `remembered` is (digest of the file's bytes, its parsed table) from the last build: when
    the bytes are the same, the TOML is not parsed again.
    """
    cwd = cwd or Path.cwd()
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        if not path.is_file():
            raise ConfigError(f"{explicit}: config file not found")
    else:
        found = find_config_file(str(cwd))  # walking up to the first config file
        if found is None:
            return _build_config(cwd.resolve(), None, {}, "")
        path = Path(found)
    path = path.resolve()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read the config file ({exc.strerror})") from None
    raw_digest = digest_bytes(raw)
    if remembered is not None and remembered[0] == raw_digest:
        return _build_config(path.parent, path, remembered[1], raw_digest)
    from skillforge.engine.load.tomlmemo import parsed

    data = parsed(path.name, raw, raw_digest)
    if path.name == PYPROJECT:
        data = data.get("tool", {}).get("skillforge", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path.name}: [tool.skillforge] must be a table")
    return _build_config(path.parent, path, data, raw_digest)


def _build_config(root: Path, path: Path | None, data: dict[str, Any], raw_digest: str) -> Config:
    name = path.name if path else CONFIG_NAME
    prefix = "tool.skillforge." if path is not None and path.name == PYPROJECT else ""
    problems: list[str] = []
    value: Any
    for key, value in data.items():
        if key not in _TOP_KEYS:
            problems.append(f"unknown key '{prefix}{key}'{_hint(key, _TOP_KEYS)}")
            continue
        types, what = _TOP_KEYS[key]
        if not _is_instance(value, types):
            problems.append(f"'{prefix}{key}' must be {what}")
            continue
        is_folders = key in ("specs", "traits", "templates") and isinstance(value, list)
        if is_folders and not all(isinstance(v, str) for v in value):
            problems.append(f"'{prefix}{key}' must be a list of folder names")
        for sub, subvalue in value.items() if key in _TABLE_KEYS else ():
            allowed = _TABLE_KEYS[key]
            if sub not in allowed:
                problems.append(f"unknown key '{prefix}{key}.{sub}'{_hint(sub, allowed)}")
            elif not isinstance(subvalue, allowed[sub]) or (
                isinstance(subvalue, bool) and bool not in allowed[sub]
            ):
                kind = " or ".join(t.__name__ for t in allowed[sub])
                problems.append(f"'{prefix}{key}.{sub}' must be of type {kind}")
    targets, outs, models = _targets(data.get("targets"), f"{prefix}targets", problems)
    if problems:
        raise ConfigError("\n".join(f"{name}: {p}" for p in problems))

    def folders(key: str, default: str) -> tuple[Path, ...]:
        value = data.get(key, [default])
        items = [value] if isinstance(value, str) else value
        return tuple(resolved_under(root, item) for item in items)

    budgets = dict(DEFAULT_BUDGETS)
    budgets.update(data.get("budgets", {}))
    build = data.get("build", {})
    jobs = build.get("jobs")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"{name}: '{prefix}build.jobs' must be at least 1")
    records = data.get("cache", {}).get("records", 50)
    if records < 1:
        raise ConfigError(f"{name}: '{prefix}cache.records' must be at least 1")
    remote = remote_url(data.get("cache", {}).get("remote", ""), f"{name}: '{prefix}cache.remote'")
    for key in ("render_timeout", "max_render_size", "max_spec_bytes", "max_template_bytes"):
        if build.get(key, 0) < 0:
            raise ConfigError(f"{name}: '{prefix}build.{key}' must not be negative")
    specs, traits, templates = (
        folders("specs", "specs"),
        folders("traits", "traits"),
        folders("templates", "templates"),
    )
    out = resolved_under(root, outs.pop(DEFAULT[0], data.get("out", get_target(DEFAULT[0]).out)))
    target_outs = {t: resolved_under(root, folder) for t, folder in outs.items()}
    cache_dir = resolved_under(root, data.get("cache_dir", DEFAULT_CACHE))
    check_cache_dir(
        root,
        cache_dir,
        {
            "out": (out, *target_outs.values()),
            "specs": specs,
            "traits": traits,
            "templates": templates,
        },
        f"{name}: '{prefix}cache_dir'",
    )
    return Config(
        root=root,
        path=path,
        specs=specs,
        traits=traits,
        templates=templates,
        out=out,
        cache_dir=cache_dir,
        vars=data.get("vars", {}),
        budgets=budgets,
        cache_size_limit=data.get("cache", {}).get("size_limit", 2**30),
        records_kept=records,
        jobs=jobs,
        max_spec_bytes=build.get("max_spec_bytes", 2**20),
        max_template_bytes=build.get("max_template_bytes", 2**20),
        render_timeout=float(build.get("render_timeout", 10.0)),
        max_render_size=build.get("max_render_size", 10 * 2**20),
        marker=build.get("marker", True),
        remote=remote,
        plugins=_plugins(data, root, path, prefix, [out, *target_outs.values()], targets),
        targets=targets,
        target_outs=target_outs,
        models=models,
        digest=digest_value(__version__, without_remote(data)),
        raw_digest=raw_digest,
        data=data,
    )


def _plugins(
    data: dict[str, Any],
    root: Path,
    path: Path | None,
    prefix: str,
    outs: list[Path],
    targets: tuple[str, ...],
) -> PluginSet | None:
    """`[plugins.*]` and `[marketplace]` read and checked (DESIGN §4.1); None without them.
    The plugin modules load only for a config that has plugins."""
    if "plugins" not in data and "marketplace" not in data:
        return None
    from skillforge.targets.plugin_manifests import load_plugins

    return load_plugins(data, root, path, prefix, outs, targets)


def with_targets(config: Config, names: list[str]) -> Config:
    """The config of `build --target NAMES` (UsageError for an unknown name; a new digest)."""
    from skillforge.errors import UsageError

    for name in names:
        if name not in TARGETS:
            near = _hint(name, dict.fromkeys(TARGETS))
            near = near if "did you mean" in near else ""
            raise UsageError(
                f"--target: unknown target '{name}'{near}; known: {', '.join(TARGETS)}"
            )
    chosen = tuple(dict.fromkeys(names))
    if chosen == config.targets:
        return config
    return config.replace(
        targets=chosen,
        configured=config.configured or config.targets,
        digest=digest_value(config.digest, "targets", chosen),
    )


def check_folders(config: Config) -> None:
    """Refuse configured folders that do not exist: a typo must not look like deleted specs.

    The spec folders must exist even by default (no specs folder would remove every output);
    the default `traits` and `templates` folders may be absent, as a project needs neither.
    """
    name = config.path.name if config.path else CONFIG_NAME
    prefix = "tool.skillforge." if config.path and config.path.name == PYPROJECT else ""
    problems = []
    for key, found in (
        ("specs", config.specs),
        ("traits", config.traits),
        ("templates", config.templates),
    ):
        if key != "specs" and key not in config.data:
            continue
        for folder in found:
            if not folder.is_dir():
                what = "is not a folder" if folder.exists() else "does not exist"
                problems.append(
                    f"'{prefix}{key}': {config.rel(folder)}/ {what}; create it or fix the "
                    f"folder name{_folder_hint(folder, config)}"
                )
    if problems:
        raise ConfigError("\n".join(f"{name}: {p}" for p in problems))


def _folder_hint(folder: Path, config: Config) -> str:
    """' (did you mean ...?)' from the folders beside the missing one."""
    from difflib import get_close_matches

    parent = folder.parent
    try:
        near = [e.name for e in os.scandir(parent) if e.is_dir() and not e.name.startswith(".")]
    except OSError:
        return ""
    match = get_close_matches(folder.name, near, n=1, cutoff=0.8)
    if not match:
        return ""
    return f" (did you mean '{config.rel(parent / match[0])}'?)"


def _is_instance(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types)
