"""The command line: typer only. Options are declared once (options.py, readopts.py) and each command
module parses them and calls the library; nothing here computes a score or reads a file itself. It
is the top layer and may import every stage and the public API in ``rescore/__init__.py``.
"""
