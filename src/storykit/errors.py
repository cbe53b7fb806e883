"""Errors meant for people: each says what is wrong, where, and what to do about it."""


class StorykitError(Exception):
    """An error the command line shows as a plain message, without a traceback."""


class FetchError(StorykitError):
    """A raw file could not be downloaded or did not match its catalogue entry."""


class DataError(StorykitError, ValueError):
    """A raw or processed table is not what its cleaner or schema expects."""


def did_you_mean(word: str, choices) -> str:
    """' Did you mean 'x'?' for the closest of `choices` to a misspelt `word`, or '' if none is close."""
    from rapidfuzz import fuzz, process  # only on the way to an error

    best = process.extractOne(str(word), [str(c) for c in choices], scorer=fuzz.WRatio, score_cutoff=75)
    return f" Did you mean {best[0]!r}?" if best else ""
