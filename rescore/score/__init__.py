"""Stage 4, score: the rule S(t), intervals, the leaderboard, policies, paired comparison, calibration,
selective prediction and gates.

Everything here is a pure computation on a loaded :class:`~rescore.read.assemble.Dataset` and returns
frames or result objects; nothing prints. It may import read and outcomes, never report or cli.
"""
