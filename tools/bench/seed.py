"""One seeded database for every backend: users, chats of realistic size, models.

Written once per run through the Python reference's own model functions, so the rows
are exactly what its API would have stored; each server then starts on a copy. The
shape follows what Open WebUI's frontend sends: a chat holds its messages twice, as a
tree under `history` and as the list of the current branch.
"""

import json
import random
import statistics
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from reference_backend.internal.db import create_tables, make_engine, session_factory
from reference_backend.models import auths, chats, models
from reference_backend.utils.auth import hash_password

PASSWORD = "bench-password"
EMAIL = "user{:03d}@bench.example"
MODEL = "llama3.1:8b"
# The vocabulary of the seeded messages: English-like text of realistic length.
VOCABULARY = (
    "the a of to and in that is for it as with on be this by are from at or an not "
    "model token request server database chat message user answer python rust async "
    "thread memory latency query index cache schema migration field value error test "
    "function return type string number list object key page order time session"
)
WORDS = VOCABULARY.split()


# region: sizes
@dataclass(frozen=True)
class Seed:
    users: int = 100
    chats: int = 1000
    # The benchmark user owns more than a page of chats: the list endpoint returns 60.
    bench_user_chats: int = 100
    models: int = 50
    # Turns of a typical chat (a user message and an answer each), and of the large one.
    turns: tuple[int, int] = (2, 12)
    large_chat_turns: int = 60
    random_seed: int = 2026


# endregion: sizes


def _text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _message_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# region: chat-body
def chat_body(rng: random.Random, turns: int, title: str) -> dict:
    """A chat as the frontend saves it: a line of `turns` questions and answers."""
    tree: dict[str, dict] = {}
    parent = None
    stamp = 1_760_000_000
    for index in range(2 * turns):
        message_id = _message_id(rng)
        asking = index % 2 == 0
        message = {
            "id": message_id,
            "parentId": parent,
            "childrenIds": [],
            "role": "user" if asking else "assistant",
            "content": _text(rng, 10, 60) if asking else _text(rng, 80, 400),
            "timestamp": stamp + index,
        }
        message |= {"models": [MODEL]} if asking else {"model": MODEL, "done": True}
        if parent:
            tree[parent]["childrenIds"].append(message_id)
        tree[message_id] = message
        parent = message_id
    return {
        "title": title,
        "models": [MODEL],
        "params": {},
        "history": {"messages": tree, "currentId": parent},
        "messages": [dict(message) for message in tree.values()],
        "tags": [],
        "timestamp": stamp * 1000,
    }


# endregion: chat-body


def build(path: Path, seed: Seed = Seed()) -> dict:
    """Write the seeded database to `path`; return what the benchmarks need to know."""
    rng = random.Random(seed.random_seed)
    # Nothing to lose if the machine fails mid-seed: no fsync per commit.
    engine = make_engine(f"sqlite:///{path}", (("synchronous", "OFF"),))
    create_tables(engine)
    # One hash for every account: bcrypt cost 12 takes a quarter of a second each.
    password_hash = hash_password(PASSWORD, "bcrypt")
    sizes = []
    with session_factory(engine)() as db:

        def account(email: str, role: str) -> str:
            user = auths.insert_user(
                db,
                email=email,
                password_hash=password_hash,
                name=email.split("@")[0],
                profile_image_url=None,
                role=role,
            )
            return user.id

        admin = account("admin@bench.example", "admin")
        users = [account(EMAIL.format(n), "user") for n in range(1, seed.users + 1)]

        def chat(owner: str, turns: int) -> str:
            body = chat_body(rng, turns, _text(rng, 2, 6)[:-1])
            sizes.append(len(json.dumps(body)))
            return chats.insert_new_chat(db, owner, chats.ChatForm(chat=body)).id

        large_chat = chat(users[0], seed.large_chat_turns)
        large_chat_bytes = sizes[-1]
        for _ in range(seed.bench_user_chats - 1):
            chat(users[0], rng.randint(*seed.turns))
        others = users[1:]
        for number in range(seed.chats - seed.bench_user_chats):
            chat(others[number % len(others)], rng.randint(*seed.turns))
        for number in range(seed.models):
            form = models.ModelForm(
                id=f"bench-model-{number:02d}",
                base_model_id=MODEL,
                name=f"Bench model {number}",
                meta={"description": _text(rng, 5, 20), "tags": [{"name": "bench"}]},
                params={"system": _text(rng, 20, 80), "temperature": 0.7},
            )
            models.insert_model(db, form, admin)
    engine.dispose()
    return {
        "parameters": asdict(seed),
        "password": PASSWORD,
        "password_hash": password_hash,
        "emails": [EMAIL.format(n) for n in range(1, seed.users + 1)],
        "bench_user": EMAIL.format(1),
        "large_chat_id": large_chat,
        "large_chat_bytes": large_chat_bytes,
        "median_chat_bytes": int(statistics.median(sizes)),
        "database_bytes": path.stat().st_size,
    }


def new_chat_body() -> str:
    """The body each `POST /api/v1/chats/new` sends: a first question and its answer."""
    body = chat_body(random.Random(0), 1, "Benchmark chat")
    return json.dumps({"chat": body}, separators=(",", ":"))
