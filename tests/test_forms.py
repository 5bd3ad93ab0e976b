"""Forms (modals) are answered by their custom id alone, so they survive restarts."""

from bot.core.suggestions import Draft
from bot.errors import modal_values
from bot.exts._moderation import EditModal, RejectModal
from bot.exts._suggest import SuggestModal


def test_values_are_read_from_action_rows_and_from_labels():
    data = {
        "custom_id": "tk:md:sg",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "name", "value": "Kanban"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "definition", "value": "A signal card."}},
            {"type": 1, "components": [{"type": 4, "custom_id": "aliases", "value": None}]},
        ],
    }
    assert modal_values(data) == {"name": "Kanban", "definition": "A signal card.", "aliases": ""}


def test_forms_are_never_kept_in_memory_and_name_what_they_are_for():
    longest = "a" * 90  # the longest slug a term can have
    forms = {
        SuggestModal(): "tk:md:sg",
        SuggestModal(Draft("Kanban", "A signal card.", "22"), target=longest): f"tk:md:fix:{longest}",
    }
    for form, custom_id in forms.items():
        assert form.custom_id == custom_id and len(custom_id) <= 100
        assert form.is_finished(), "discord.py stores only unfinished modals"
        assert [item.custom_id for item in form.children] == ["name", "definition", "aliases", "example", "module"]
    assert SuggestModal(Draft("Kanban", "A signal card.", "22")).children[0].default == "Kanban"


def test_moderator_forms_carry_the_suggestion_id():
    class _Suggestion:
        id = 42
        draft = Draft("Kanban", "A signal card.", "22", ("pull card",))

    edit, reject = EditModal(_Suggestion()), RejectModal(_Suggestion())  # type: ignore[arg-type]
    assert (edit.custom_id, reject.custom_id) == ("tk:md:ed:42", "tk:md:rj:42")
    assert edit.children[2].default == "pull card"
    assert [item.custom_id for item in reject.children] == ["reason"]
