"""storykit: fetch, clean, check and publish the data behind a data-journalism story."""

__version__ = "0.1.0"
