"""FER+ label protocol on hand-made vote vectors."""

from __future__ import annotations

import numpy as np

from inference.training.ferplus import clean_votes, majority_labels, soft_targets

# columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF


def votes(*rows: list[int]) -> np.ndarray:
    return np.asarray(rows, dtype=np.uint8)


def test_single_votes_are_outliers() -> None:
    cleaned = clean_votes(votes([6, 1, 1, 2, 0, 0, 0, 0, 0, 0]))
    assert cleaned.tolist() == [[6, 0, 0, 2, 0, 0, 0, 0, 0, 0]]


def test_majority_needs_more_than_half_after_outlier_removal() -> None:
    rows = votes(
        [6, 1, 1, 2, 0, 0, 0, 0, 0, 0],  # 6/8 after removing the single votes -> neutral
        [5, 5, 0, 0, 0, 0, 0, 0, 0, 0],  # tie, exactly half -> no majority
        [4, 1, 1, 1, 1, 1, 1, 0, 0, 0],  # outliers removed leaves 4/4 -> neutral
        [0, 0, 0, 0, 3, 2, 0, 0, 0, 0],  # 3/5 -> anger
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 10],  # not a face
        [2, 0, 0, 0, 0, 0, 0, 0, 6, 2],  # unknown wins
        [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt 6/10
        [0] * 10,  # unresolved row
    )
    assert majority_labels(rows).tolist() == [0, -1, 0, 4, -1, -1, 7, -1]


def test_soft_targets_drop_unknown_on_top_and_normalise() -> None:
    dist, keep = soft_targets(votes([6, 1, 1, 2, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0, 6, 2], [0] * 10))
    assert keep.tolist() == [True, False, False]
    np.testing.assert_allclose(dist[0], [0.75, 0, 0, 0.25, 0, 0, 0, 0])
