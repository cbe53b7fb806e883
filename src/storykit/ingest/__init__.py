"""The data stage: the catalogue's raw files fetched into data/raw/ (fetch), cleaned into the tidy
tables of data/processed/ (cleaners, process, tables), and how current each source is (staleness).

Nothing here is imported by a page: pages read what this stage wrote, through storykit.data.
"""
