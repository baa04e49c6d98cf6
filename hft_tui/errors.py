"""Errors that reach the user as one line, never as a traceback."""

from __future__ import annotations


class HftError(Exception):
    """A problem with the user's input: bad file, bad value, impossible request.

    The CLI prints ``error: <message>`` on stderr and exits with status 2.
    """


class TickFileError(HftError):
    """A file that is not a readable tick file."""


class ConfigError(HftError):
    """A bad value in config.toml, a user config file or a command-line override."""
