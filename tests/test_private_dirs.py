"""No test, fixture or subprocess touches the user's own loopmill folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopmill.storage.catalog import Catalog, default_catalog_path
from tests.conftest import real_user_dirs


@pytest.fixture(scope="module")
def module_catalog() -> Path:
    # Module-scoped fixtures run before the per-test autouse fixture: the session-wide
    # redirection must already hold here (the suite fixtures once wrote to the real one).
    path = default_catalog_path()
    with Catalog() as cat:
        cat.add({"prompt": "module fixture", "uris": ["/x/a.ogg"]})
    return path


def test_module_fixtures_use_a_private_catalog(module_catalog: Path) -> None:
    for real in real_user_dirs():
        assert not module_catalog.is_relative_to(real)
    assert "loopmill-tests-" in str(module_catalog)


def test_tests_use_their_own_catalog(module_catalog: Path) -> None:
    path = default_catalog_path()
    assert path != module_catalog
    for real in real_user_dirs():
        assert not path.is_relative_to(real)
    with Catalog() as cat:
        assert cat.count() == 0  # nothing another test or fixture left
