"""Labels on the annotated picture: a whole label only where it covers no other face and no other label."""

from __future__ import annotations

import itertools
import random

from inference.annotate import Box, boxes_overlap, choose_labels


def label_boxes(face: Box, text_width: float) -> tuple[Box, Box]:
    """(number-only, whole) label boxes above ``face``, as ``annotate`` places them."""
    x1, y1 = face[0], face[1]
    return (x1, y1 - 30, x1 + 30, y1), (x1, y1 - 30, x1 + text_width, y1)


def test_faces_far_apart_get_their_whole_labels() -> None:
    faces: list[Box] = [(100, 300, 200, 420), (700, 300, 800, 420)]
    numbers, fulls = zip(*(label_boxes(f, 280) for f in faces), strict=True)
    assert choose_labels(faces, numbers, fulls) == [True, True]


def test_a_whole_label_that_would_cover_a_neighbour_shrinks_to_its_number() -> None:
    faces: list[Box] = [(80, 300, 116, 340), (400, 300, 436, 340), (720, 300, 756, 340), (1040, 300, 1076, 340)]
    numbers, fulls = zip(*(label_boxes(f, 340) for f in faces), strict=True)  # wider than the 320 px between faces
    assert choose_labels(faces, numbers, fulls) == [False, False, False, True]  # the last one has room


def test_no_label_ever_covers_another_label_or_face() -> None:
    rng = random.Random(7)
    for _ in range(200):
        faces: list[Box] = []
        for _ in range(rng.randint(2, 12)):
            x, y, s = rng.uniform(0, 1200), rng.uniform(40, 900), rng.uniform(15, 150)
            faces.append((x, y, x + s, y + s))
        numbers, fulls = zip(*(label_boxes(f, rng.uniform(120, 320)) for f in faces), strict=True)
        fits = choose_labels(faces, numbers, fulls)
        drawn = [full if fit else number for fit, full, number in zip(fits, fulls, numbers, strict=True)]
        for i, j in itertools.combinations(range(len(faces)), 2):
            if fits[i]:
                assert not boxes_overlap(drawn[i], drawn[j]) and not boxes_overlap(drawn[i], faces[j])
            if fits[j]:
                assert not boxes_overlap(drawn[j], drawn[i]) and not boxes_overlap(drawn[j], faces[i])
