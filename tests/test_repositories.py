"""Both databases implement every storage protocol the services depend on, method for method."""

import inspect

import pytest

from bot.db import Database, repositories
from bot.db.postgres import PostgresDatabase

BACKENDS = [Database, PostgresDatabase]

PROTOCOLS = [
    repositories.GlossaryRepository,
    repositories.TotdRepository,
    repositories.StudyRepository,
    repositories.QuizRepository,
    repositories.CommunityRepository,
]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_each_backend_implements_the_protocol_with_the_same_signatures(protocol: type, backend: type):
    methods = [name for name, value in vars(protocol).items() if inspect.iscoroutinefunction(value)]
    assert methods, "a protocol without methods checks nothing"
    for name in methods:
        implementation = getattr(backend, name, None)
        assert implementation is not None, f"{backend.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(implementation)
        assert inspect.signature(implementation) == inspect.signature(getattr(protocol, name)), name


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_every_query_method_belongs_to_a_protocol(backend: type):
    promised = {name for protocol in [*PROTOCOLS, repositories.Storage] for name in vars(protocol)}
    public = {
        name
        for name, value in inspect.getmembers(backend, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "open"
    }
    assert public - promised == set(), "a query the services could call behind the protocols' back"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("name", ["totd_hold", "quiz_hold"])
def test_each_backend_offers_the_cross_process_holds(backend: type, name: str):
    hold = getattr(backend, name)
    protocol_hold = next(getattr(p, name) for p in PROTOCOLS if name in vars(p))
    params = list(inspect.signature(hold).parameters)
    assert params == list(inspect.signature(protocol_hold).parameters)


STORAGE_TESTS = [
    "test_database.py",
    "test_totd_storage.py",
    "test_study_storage.py",
    "test_claims.py",
    "test_community_storage.py",
]


def test_every_repository_method_is_exercised_by_the_tests_that_run_on_both_backends():
    """The storage tests take the parametrised `db` fixture, so each method they call is checked on both."""
    from pathlib import Path

    here = Path(__file__).parent
    text = "\n".join((here / name).read_text(encoding="utf-8") for name in STORAGE_TESTS)
    methods = {name for protocol in PROTOCOLS for name in vars(protocol) if not name.startswith("_")}
    # The services call these; the storage tests reach some through GlossaryService (load, flush, search).
    through_service = {"replace_glossary": "GlossaryService.load", "record_usage": "flush_stats", "search": "search"}
    missing = sorted(
        name for name in methods if f".{name}(" not in text and through_service.get(name, "\0") not in text
    )
    assert missing == []
