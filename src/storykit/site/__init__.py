"""The site: notebooks run in kernels and become checked pages, published together in one step.

config (reports.toml) → plan (the pages to make) → build (one run: kernels, freeze, pages, index)
→ checks → publish. firstpaint draws every chart as a picture; templates/ and static/ hold what
every page is made of.
"""
