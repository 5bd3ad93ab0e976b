from bot.core.normalize import compact, normalize, singular, slugify


def test_ampersand_and_spacing_meet():
    keys = {normalize(q) for q in ["S&OP", "S and OP", "s & op", "  S&amp;OP ".replace("&amp;", "&")]}
    assert keys == {"s and op"}
    assert compact(normalize("S&OP")) == compact(normalize("sop")) == "sop"


def test_plurals_and_british_spellings():
    assert normalize("Inventories") == normalize("inventory")
    assert normalize("Processes") == "process"
    assert normalize("Bills of Materials") == normalize("bill of material")
    assert normalize("Optimisation") == normalize("optimization")
    assert normalize("Labour") == "labor"
    assert normalize("organised") == "organized"
    assert normalize("Enterprise") == "enterprise"  # -ise words that are not verbs stay


def test_accents_and_punctuation():
    assert normalize("Café  Kanban!") == "cafe kanban"
    assert normalize("Just-in-time (JIT)") == "just in time jit"
    assert normalize("supplier's") == "supplier"


def test_words_that_must_not_be_singularised():
    assert singular("analysis") == "analysis"
    assert singular("status") == "status"
    assert singular("process") == "process"
    assert singular("gas") == "gas"


def test_slug_is_stable_and_ascii():
    assert slugify("Economic Order Quantity (EOQ)") == "economic-order-quantity-eoq"
    assert slugify("Sales & operations planning") == "sales-and-operations-planning"
