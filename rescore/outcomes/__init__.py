"""Stage 2, outcomes: deciding correct / wrong / abstain / partial / invalid for each canonical row.

It owns the outcome rules (grades, answer matching), abstention phrases, confidence normalisation
and model/benchmark name normalisation; the adapters apply them. It imports only :mod:`rescore.read`
(the schema and table helpers), errors and config.
"""
