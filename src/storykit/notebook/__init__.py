"""The notebook side of a page, behind the notebook API (storykit.data, facts, charts): the contract
its outputs keep with the build, and what runs in the kernel while the build makes a page.

Standard library only: the build imports the contract without pandas or plotly.
"""
