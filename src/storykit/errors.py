"""Errors meant for people: each says what is wrong, where, and what to do about it."""


class StorykitError(Exception):
    """An error the command line shows as a plain message, without a traceback."""


class FetchError(StorykitError):
    """A raw file could not be downloaded or did not match its catalogue entry."""


class DataError(StorykitError, ValueError):
    """A raw or processed table is not what its cleaner or schema expects."""
