"""rescore's version, in a module of its own so every stage can state it without importing the API."""

__version__ = "0.1.0"
