"""No glossary entry repeats the wording of a published dictionary (two or more shared seven-word runs).

The check lives beside the project in ../shared/originality/ (hashes only, no dictionary text); a plain
clone without that folder skips, saying why, as the OpenAPI checks do.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from bot.config import default_glossary_dir
from bot.core.glossary import load_glossary

ROOT = Path(__file__).resolve().parents[1]
CHECKER = Path(os.environ.get("ORIGINALITY_CHECK") or ROOT.parent / "shared" / "originality" / "check.py")


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    if not CHECKER.is_file():
        pytest.skip(f"the originality checker is not at {CHECKER} (it lives in ../shared beside the project)")
    spec = importlib.util.spec_from_file_location("originality_check", CHECKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_shipped_entry_is_too_close_to_a_published_dictionary(checker: ModuleType):
    terms = load_glossary(default_glossary_dir())
    close = {t.name: n for t in terms if (n := checker.too_close(f"{t.definition} {t.example}")) >= 2}
    assert close == {}, f"rewrite these from the facts, in new sentences: {close}"


def test_the_reference_is_really_loaded(checker: ModuleType):
    """An empty reference would make the test above pass vacuously."""
    assert len(checker._load()) > 100_000  # hashes of seven-word runs of the reference dictionary
    assert checker.too_close("") == 0
