"""lm-evaluation-harness: ``samples_<task>_<date>.jsonl`` with their ``results_<date>.json``.

``samples`` reads the lines, ``adapter`` is the plugin (detection and task set-up), and ``fast``
counts generation samples straight from bytes in counts mode.
"""

from rescore.adapters.lm_eval.adapter import ADAPTER, LmEvalAdapter
from rescore.adapters.lm_eval.samples import choose, samples_name_parts

__all__ = ["ADAPTER", "LmEvalAdapter", "choose", "samples_name_parts"]
