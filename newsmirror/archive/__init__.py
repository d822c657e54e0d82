"""The archive: post rendering, paths, atomic writes and category pages.

Everything here works offline on an existing archive as well as inside a crawl.
"""
