"""Stage 3, adapters: one module (or sub-package, with its fast path beside it) per producer.

Each turns one producer's files into the canonical item table of :mod:`rescore.read.schema` and
applies the outcome rules of :mod:`rescore.outcomes` (through :class:`~rescore.adapters.base.Adapter`).
They are plugins: found through the ``rescore.adapters`` entry points (:mod:`rescore.read.plugins`).
May import :mod:`rescore.read`, :mod:`rescore.outcomes`, errors and config; never score, report or cli.
"""
