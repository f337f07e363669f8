"""Errors a user can meet, each with a message that says what was expected, what arrived and where."""


class AptHubError(Exception):
    """Base class of every error the CLI reports as a one-line message instead of a traceback."""


class UpstreamError(AptHubError):
    """An upstream repository or file is missing or cannot be read."""


class BadRowError(AptHubError):
    """An upstream row is structurally broken: invalid JSON, a missing field or a wrong type."""

    def __init__(self, *, source: str, file: str, line: int, field: str | None, problem: str):
        self.source, self.file, self.line, self.field, self.problem = source, file, line, field, problem
        where = f"{file}:{line}" + (f", field {field!r}" if field else "")
        super().__init__(
            f"{source}: bad upstream row at {where}: {problem}. "
            "Fix the file, or pass --on-bad-rows skip to count such rows as dropped."
        )


class ConfigError(AptHubError):
    """An option, config name or source name is not valid."""
