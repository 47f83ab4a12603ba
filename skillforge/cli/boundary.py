"""The one error boundary: every command runs under `guard`, which turns errors into exit codes.

Exit codes (DESIGN §6):
    0   success
    1   the build or check failed (spec, template, rule, stale or hand-edited output)
    2   usage or configuration error
    130 interrupted (SIGINT, or SIGTERM during a build)

Light (the no-op path imports it): standard library only.
"""

from __future__ import annotations

import sys

from skillforge.errors import SkillforgeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def guard(action: Callable[[], int], verbose: bool) -> int:
    """Run a command; turn errors into a message and an exit code (the only boundary)."""
    try:
        return action()
    except SkillforgeError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # A closed pipe the reporters did not see (they stop printing and let the command
        # finish): end quietly, without claiming success.
        from skillforge.report.plain import silence

        silence(sys.stdout)
        return EXIT_FAILED
    except Exception as exc:  # the boundary: never a bare traceback unless -v
        if _interrupted(exc):
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        if verbose:
            import traceback

            traceback.print_exc()
        else:
            print(
                f"internal error: {exc.__class__.__name__}: {exc} (rerun with -v for details)",
                file=sys.stderr,
            )
        return EXIT_FAILED


def _interrupted(exc: BaseException) -> bool:
    """A Ctrl-C that Python wrapped in another error on its way out (Python 3.11 turns one
    raised while a class is being created into "RuntimeError: Error calling __set_name__")."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False
