from pathlib import Path

import pytest

from bot.core.glossary import GlossaryError, load_glossary
from tests.conftest import write_glossary

ENTRY = """
[[terms]]
name = "{name}"
aliases = {aliases}
definition = "{definition}"
related = {related}
"""
GOOD_DEF = (
    "A quantity of stock held to absorb variation in demand and supply during the replenishment lead time of an item."
)


def entry(name: str, aliases: str = "[]", definition: str = GOOD_DEF, related: str = '["Beta", "Gamma"]') -> str:
    return ENTRY.format(name=name, aliases=aliases, definition=definition, related=related)


def write(tmp_path: Path, body: str, file: str = "02-all-about-inventory.toml") -> Path:
    base = entry("Beta", related='["Alpha", "Gamma"]') + entry("Gamma", related='["Alpha", "Beta"]')
    return write_glossary(tmp_path / "g", {file: 'module = "All About Inventory"\n' + body + base})


def problems(tmp_path: Path, body: str, file: str = "02-all-about-inventory.toml") -> list[str]:
    with pytest.raises(GlossaryError) as info:
        load_glossary(write(tmp_path, body, file))
    return [str(p) for p in info.value.problems]


def test_valid_file_loads(tmp_path: Path):
    terms = load_glossary(write(tmp_path, entry("Alpha", aliases='["AA"]')))
    assert [t.slug for t in terms] == ["alpha", "beta", "gamma"]
    assert terms[0].related == ("beta", "gamma")
    assert terms[0].module == "All About Inventory"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (entry("Alpha", related='["Beta", "Nope"]'), "related term 'Nope' is not in the glossary"),
        (entry("Alpha", related='["Beta"]'), "1 related terms"),
        (entry("Alpha", related='["Alpha", "Beta"]'), "is the term itself"),
        (entry("Alpha", aliases='["beta"]'), "collides with"),
        (entry("Betas"), "collides with"),
        (entry("Alpha", aliases='["ALPHA"]'), "repeats another name"),
        (entry("Alpha", definition="Too short."), "definition has 2 words"),
        (entry("Alpha", definition="A thing. " * 80), "words"),
        (entry("Alpha", definition="Alpha is " + GOOD_DEF), "starts with the term itself"),
        (entry("x" * 101), "at most 100"),
        ('[[terms]]\nname = "Alpha"\ndefintion = "typo"\nrelated = ["Beta", "Gamma"]\n', "unknown keys: defintion"),
        ('[[terms]]\nname = "Alpha"\nrelated = ["Beta", "Gamma"]\n', "missing `definition`"),
        ('[[terms]]\nname = 5\ndefinition = "x"\nrelated = ["Beta", "Gamma"]\n', "`name` must be a string"),
        ("[[terms]\nbroken", "not valid TOML"),
    ],
)
def test_problems_name_file_entry_and_reason(tmp_path: Path, body: str, expected: str):
    found = problems(tmp_path, body)
    assert any(expected in p for p in found), found
    assert all(p.startswith("02-all-about-inventory.toml") for p in found)


def test_wrong_module_and_file_number(tmp_path: Path):
    found = problems(tmp_path, entry("Alpha"), file="07-wrong.toml")
    assert any("should start with '02-'" in p for p in found)
    bad = write_glossary(tmp_path / "h", {"01-x.toml": 'module = "Inventory stuff"\n'})
    with pytest.raises(GlossaryError, match="one of the 30 module names"):
        load_glossary(bad)


def test_empty_directory(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GlossaryError, match="no \\*.toml"):
        load_glossary(tmp_path / "empty")
