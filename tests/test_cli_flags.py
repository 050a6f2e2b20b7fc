"""Every leaderboard input flag reaches LoadOptions unchanged (the CLI adds nothing but parsing)."""

from __future__ import annotations

from pathlib import Path

import pytest

import rescore
from rescore.cli.commands import leaderboard as command
from rescore.read.options import LoadOptions

from .conftest import invoke

FLAGS = [
    (["--model-col", "who"], "model_col", "who"),
    (["--benchmark-col", "b"], "benchmark_col", "b"),
    (["--subset-col", "s"], "subset_col", "s"),
    (["--id-col", "i"], "id_col", "i"),
    (["--pred-col", "p"], "pred_col", "p"),
    (["--response-col", "r"], "response_col", "r"),
    (["--gold-col", "g"], "gold_col", "g"),
    (["--correct-col", "c"], "correct_col", "c"),
    (["--confidence-col", "conf"], "confidence_col", "conf"),
    (["--cluster-col", "cl"], "cluster_col", "cl"),
    (["--mapping", "m.yaml"], "mapping", "m.yaml"),
    (["--model-name", "solo"], "model", "solo"),
    (["--benchmark-name", "bench"], "benchmark", "bench"),
    (["--model", "acme/*", "--model", "nova/*"], "models", ("acme/*", "nova/*")),
    (["--benchmark", "gpqa"], "benchmarks", ("gpqa",)),
    (["--format-hint", "generic"], "format_hint", "generic"),
    (["--skip-unknown"], "skip_unknown", True),
    (["--on-error", "skip"], "on_error", "skip"),
    (["--latest"], "latest", True),
    (["--abstain-phrase", "nope", "--abstain-phrase", "nah"], "abstain_phrases", ("nope", "nah")),
    (["--filter", "strict-match"], "filter_name", "strict-match"),
    (["--scorer", "match"], "scorer", "match"),
    (["--epochs", "majority"], "epochs", "majority"),
    (["--no-reextract"], "reextract", False),
    (["--score-key", "Problem Correctness"], "score_key", "Problem Correctness"),
    (["--metric", "acc_norm"], "metric", "acc_norm"),
    (["--confidence-norm", "length"], "confidence_norm", "length"),
    (["--denominator", "dataset"], "denominator", "dataset"),
    (["--pass-score", "7"], "pass_score", 7.0),
    (["--instructed-t", "0.75"], "instructed_t", 0.75),
]


@pytest.mark.parametrize(("args", "field", "value"), FLAGS, ids=[f[1] for f in FLAGS])
def test_flag_reaches_load_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], field: str,
                                   value: object) -> None:
    data_file = tmp_path / "b.csv"
    data_file.write_text("model,id,correct\nm,1,1\nm,2,0\n")
    seen: list[LoadOptions] = []

    def fake_load(paths: list[Path], options: LoadOptions) -> rescore.Dataset:
        seen.append(options)
        return rescore.load(data_file)

    monkeypatch.setattr(command, "load", fake_load)
    result = invoke("leaderboard", str(data_file), *args, "-q", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert getattr(seen[0], field) == value
    defaults = LoadOptions()
    assert getattr(defaults, field) != value
