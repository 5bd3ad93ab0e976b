"""The SQLite database implements every storage protocol the services depend on, method for method."""

import inspect

import pytest

from bot.db import Database, repositories

PROTOCOLS = [
    repositories.GlossaryRepository,
    repositories.TotdRepository,
    repositories.StudyRepository,
    repositories.QuizRepository,
    repositories.CommunityRepository,
]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_sqlite_implements_the_protocol_with_the_same_signatures(protocol: type):
    methods = [name for name, value in vars(protocol).items() if inspect.iscoroutinefunction(value)]
    assert methods, "a protocol without methods checks nothing"
    for name in methods:
        implementation = getattr(Database, name, None)
        assert implementation is not None, f"Database lacks {name}"
        assert inspect.iscoroutinefunction(implementation)
        assert inspect.signature(implementation) == inspect.signature(getattr(protocol, name)), name


def test_every_query_method_belongs_to_a_protocol():
    promised = {name for protocol in PROTOCOLS for name in vars(protocol)}
    public = {
        name
        for name, value in inspect.getmembers(Database, inspect.iscoroutinefunction)
        if not name.startswith("_") and name not in {"open", "close", "version"}
    }
    assert public - promised == set(), "a query the services could call behind the protocols' back"
