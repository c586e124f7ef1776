"""A reply saved into its chat: the JSON tree, the `chat_message` row, the turn."""

from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from reference_backend.models import chats
from reference_backend.models.chat_messages import ChatMessage

USER = SimpleNamespace(id="u", name="U")


def test_the_output_text_joins_its_message_items():
    output = [
        {"type": "reasoning", "content": [{"text": "hidden"}]},
        {"type": "message", "content": [{"text": "one "}, {"text": "two"}]},
        {"type": "message", "content": [{"text": "  "}]},
        {"type": "message", "content": [{"text": "three"}]},
    ]
    assert chats.output_text(output) == "one two\nthree"
    assert chats.output_text(None) == ""


def test_a_new_message_joins_its_parent_and_becomes_current():
    history = {"messages": {"p": {"id": "p", "role": "user", "childrenIds": []}}}
    saved = chats.put_in_history(history, "r", {"parentId": "p", "content": "hi"})
    assert (saved["role"], saved["parentId"]) == ("assistant", "p")
    assert history["messages"]["p"]["childrenIds"] == ["r"]
    assert history["currentId"] == "r"


def test_a_known_message_is_merged_and_the_pointer_stays():
    history = {
        "currentId": "x",
        "messages": {"r": {"id": "r", "role": "assistant", "content": ""}},
    }
    chats.put_in_history(history, "r", {"content": "done", "done": True})
    assert history["messages"]["r"] == {
        "id": "r",
        "role": "assistant",
        "content": "done",
        "done": True,
    }
    assert history["currentId"] == "x"


def new_chat(db: Session) -> chats.Chat:
    history = {"messages": {"q": {"id": "q", "role": "user", "content": "hi"}}}
    form = chats.ChatForm(chat={"title": "T", "history": history})
    return chats.insert_new_chat(db, USER.id, form)


def test_a_turn_then_its_reply_are_saved_once(db):
    chat = new_chat(db)
    turn = {"id": "q2", "parentId": "q", "content": "more", "models": ["m"]}
    chats.insert_turn(db, chat, USER, turn, "r", "m")
    chats.save_message(
        db,
        chat.id,
        "r",
        {"done": True, "output": [{"type": "message", "content": [{"text": "ok"}]}]},
    )
    db.refresh(chat)
    messages = chat.chat["history"]["messages"]
    assert messages["q"]["childrenIds"] == ["q2"]
    assert messages["q2"]["childrenIds"] == ["r"]
    assert (messages["r"]["content"], messages["r"]["done"]) == ("ok", True)
    assert chat.current_message_id == "r"
    assert chat.chat["models"] == ["m"]
    row = db.get(ChatMessage, f"{chat.id}-r")
    assert (row.content, row.done, row.parent_id) == ("ok", True, "q2")


@pytest.mark.parametrize(
    ("user_message", "reply_id", "status"),
    [
        ({}, None, 409),
        ({"id": "same"}, "same", 409),
        ({"id": "q2", "parentId": "gone"}, "r", 409),
        ({"id": "q"}, "q", 409),
    ],
)
def test_a_turn_with_bad_ids_is_refused_and_nothing_changes(
    db, user_message, reply_id, status
):
    chat = new_chat(db)
    before = chat.chat
    with pytest.raises(chats.TurnRefusedError) as refused:
        chats.insert_turn(db, chat, USER, user_message, reply_id, "m")
    assert refused.value.status == status
    db.refresh(chat)
    assert chat.chat == before


def test_a_reply_to_a_reply_is_refused(db):
    chat = new_chat(db)
    chats.insert_turn(db, chat, USER, {}, "r", "m")
    with pytest.raises(chats.TurnRefusedError) as refused:
        chats.insert_turn(db, chat, USER, {"id": "r"}, "r2", "m")
    assert refused.value.status == 403


def test_the_conversation_is_rebuilt_from_the_stored_chain():
    body = {
        "history": {
            "messages": {
                "q": {"id": "q", "role": "user", "content": "hi"},
                "a": {
                    "parentId": "q",
                    "role": "assistant",
                    "content": "",
                    "output": [{"type": "message", "content": [{"text": "hello"}]}],
                },
                "side": {"parentId": "q", "role": "user", "content": "other branch"},
                "q2": {"parentId": "a", "role": "user", "content": "more"},
                "r": {"parentId": "q2", "role": "assistant", "content": ""},
            }
        }
    }
    assert chats.conversation(body, "r") == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "more"},
    ]
    assert chats.conversation(body, "missing") == []
    assert chats.conversation({}, "r") == []
