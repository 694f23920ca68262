"""Catalog pages for browsing clients (the studio): filters, sort with empty values last,
pages and counts, text search taken literally, facets, delete, change stamps."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopmill.errors import BadInputError
from loopmill.storage.catalog import Catalog


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "c.sqlite")
    for i in range(12):
        c.add({"name": f"loop_{i:02d}", "prompt": "100% dark_wave" if i == 3 else "calm",
               "genre": ["lofi", "synthwave", "ambient"][i % 3], "bpm": 80.0 + 5 * i,
               "rating": None if i % 4 == 0 else float(i % 5),
               "created": f"2026-11-{10 + i:02d}T10:00:00+00:00",
               "suite": "arena" if i in (5, 6) else None})
    return c


def test_pages_cover_every_match_once_in_order(cat: Catalog) -> None:
    seen: list[str] = []
    for offset in range(0, 12, 5):
        rows, total = cat.page(sort="bpm", descending=False, offset=offset, limit=5)
        assert total == 12
        seen += [r["name"] for r in rows]
    assert seen == [f"loop_{i:02d}" for i in range(12)]


def test_empty_values_sort_last_both_ways(cat: Catalog) -> None:
    for desc in (True, False):
        rows, _ = cat.page(sort="rating", descending=desc, limit=12)
        ratings = [r["rating"] for r in rows]
        assert ratings[-3:] == [None, None, None]
        vals = ratings[:-3]
        assert vals == sorted(vals, reverse=desc)


def test_filters_text_and_facets(cat: Catalog) -> None:
    assert cat.page(text="100%")[1] == 1 and cat.page(text="k_w")[1] == 1
    assert cat.page(text="%")[1] == 1  # a wildcard is a literal percent sign
    assert cat.page(text="_")[1] == 12  # every name has an underscore
    rows, total = cat.page(genre="LOFI", bpm_min=90, rating_min=2, sort="id",
                           descending=False)
    assert total == len(rows) == 2  # lofi from 90 BPM: 03 (3), 06 (1), 09 (4); rated 2+
    assert [r["name"] for r in rows] == ["loop_03", "loop_09"]
    assert cat.page(suite="arena")[1] == 2
    assert cat.page(since="2026-11-20", until="2026-11-21")[1] == 2
    assert cat.facets() == {"genre": ["ambient", "lofi", "synthwave"], "key": [],
                            "run_id": [], "suite": ["arena"]}
    with pytest.raises(BadInputError, match="filter 'colour' is unknown"):
        cat.page(colour="red")
    with pytest.raises(BadInputError, match="limit 1 to 500"):
        cat.page(limit=501)
    with pytest.raises(BadInputError, match="since 'soon' is not a date"):
        cat.page(since="soon")


def test_delete_ids_get_many_and_stamp(cat: Catalog) -> None:
    cat.add_rating(2, 4)
    cat.add_rating(3, 1.0, kind="pair", other_id=2)
    before = cat.stamp()
    assert before == (12, 12)
    removed = cat.delete(2)
    assert removed["name"] == "loop_01" and cat.get(2) is None
    assert cat.ratings() == []  # its ratings, and pairs that name it, went with it
    assert cat.stamp() == (11, 12)
    assert cat.ids(genre="synthwave") == [5, 8, 11]
    assert [r["id"] for r in cat.get_many([8, 2, 5])] == [8, 5]
    assert cat.latest_scores([3, 4], listener="default", kind="stars") == {}
    with pytest.raises(BadInputError, match="no loop with id 2"):
        cat.delete(2)
