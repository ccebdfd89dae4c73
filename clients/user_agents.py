"""User-Agent rules of an app: RE2 patterns, matched in time linear in the agent's length."""

import logging

import re2

logger = logging.getLogger(__name__)

# A pattern is a rule typed by an operator and matched against text chosen by the caller.
# Python's `re` backtracks: `MyApp/(\d+\.?)+` against "MyApp/" + 30 digits + "x" tries every
# way to split the digits, about a minute of CPU per request. RE2 compiles to an automaton
# and never backtracks, so no pattern can make a request slow; the price is RE2's syntax (no
# backreferences, no lookaround), which is why a pattern is checked when it is registered.


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the caller reports the error; RE2 would also print it to stderr
    options.never_capture = True  # only "does it match" is asked: no groups to track
    return options


def user_agent_pattern_compile(pattern: str) -> re2._Regexp:
    """Compile one User-Agent rule with RE2; raise ValueError saying why RE2 cannot.

    RE2 also refuses a pattern whose automaton would need more than its memory budget
    (8 MiB by default), so a rule cannot be made huge instead of slow.
    """
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"{pattern!r} is not an RE2 regular expression ({reason}); "
            "RE2 has no backreferences or lookaround, see https://github.com/google/re2/wiki/Syntax"
        ) from exc


def user_agent_patterns_compile(patterns: list[str]) -> tuple[re2._Regexp, ...]:
    """Compile an app's stored rules for matching; a rule RE2 refuses matches no agent.

    Registration refuses such rules, so one is here only if it was stored before that check
    (or by hand in the database). Failing closed keeps the app's agents out rather than in, and
    the warning tells the operator which rule to fix.
    """
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(user_agent_pattern_compile(pattern))
        except ValueError as exc:
            logger.warning("user-agent rule ignored, it admits no agent: %s", exc)
            compiled.append(re2.compile(r"[^\x00-\x{10FFFF}]", _options()))  # matches nothing
    return tuple(compiled)
