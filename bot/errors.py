"""The project's exception hierarchy: one root error, each specific error also a built-in kind."""

from __future__ import annotations


class RadarError(Exception):
    """Root of every error Radar raises on purpose."""


class ConfigError(RadarError, ValueError):
    """The configuration file or environment is invalid; the message is meant for the user."""


class InputError(RadarError, ValueError):
    """A command was given input it cannot use; the message is meant for the user."""


class FeedError(RadarError):
    """One feed could not be fetched or parsed; recorded on that feed, never fatal to a cycle."""


class UnsafeURLError(FeedError, PermissionError):
    """An untrusted URL points at a non-public address."""
