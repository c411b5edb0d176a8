"""Private data stays out of prompts: detection (tools.pii), placeholders (agent.placeholders), the model
wrapper (agent.privacy), its setting, and whole answers over a table of fake customers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from agent.assistant import Assistant
from agent.models import ChatModel, ScriptedModel
from agent.placeholders import Placeholders
from agent.privacy import SETTING, PrivateModel, private_model
from tests.agent_tools import make_registry
from tools.loader import load_file
from tools.pii import find_pii
from tools.pii_columns import person_name_values
from tools.workspace import Workspace

CRM = Path(__file__).with_name("data") / "crm_customers.csv"
CUSTOMERS = pd.read_csv(CRM)
PRIVATE_COLUMNS = ("Full Name", "Email", "Phone")


def found(text: str, known=frozenset()) -> list[tuple[str, str]]:
    return [(s.kind, s.of(text)) for s in find_pii(text, known)]


@pytest.fixture
def crm(tmp_path):
    """A workspace holding the fake CRM export as table ``customers``."""
    ws = Workspace(tmp_path / "crm", demo=False)
    load_file(ws, CRM, table="customers")
    yield ws
    ws.close()


def private_values() -> list[str]:
    return [str(v) for c in PRIVATE_COLUMNS for v in CUSTOMERS[c]]


def leaked(sent: list[dict]) -> list[str]:
    """Private values of the CRM table found in anything the model was sent."""
    text = json.dumps(sent, ensure_ascii=False)
    return [v for v in private_values() if v in text or json.dumps(v)[1:-1] in text]


# -- detection ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "olivia.bennett@example.co.uk",
        "j.whitaker+orders@example.com",
        "020 7946 0321",
        "+44 20 7946 0321",
        "0161 496 0754",
        "(415) 555-0132",
        "202-555-0143",
        "+1 212 555 0187",
        "+49 30 901820",
        "+33 1 70 18 99 00",
    ],
)
def test_emails_and_uk_us_and_international_phones_are_found(text):
    kind = "EMAIL" if "@" in text else "PHONE"
    assert found(f"Contact: {text}, thanks.") == [(kind, text)]


def test_card_numbers_are_found_only_when_luhn_valid():
    assert found("card 4111 1111 1111 1111") == [("CARD", "4111 1111 1111 1111")]
    assert found("amex 3782 822463 10005, mc 5555555555554444") == [
        ("CARD", "3782 822463 10005"),
        ("CARD", "5555555555554444"),
    ]
    assert found("card 4111 1111 1111 1112") == []  # fails the checksum


def test_ibans_and_account_numbers_are_found():
    text = "IBAN GB82 WEST 1234 5698 7654 32 THEN; DE89370400440532013000; account no. 31926819, sort code 20-00-00"
    assert found(text) == [
        ("IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN", "DE89370400440532013000"),
        ("ACCOUNT", "31926819"),
        ("ACCOUNT", "20-00-00"),
    ]
    assert found("GB82 WEST 1234 5698 7654 33") == []  # a wrong check digit


def test_person_names_from_lists_titles_and_known_column_values():
    text = "Olivia Bennett, Dr. Ana Lopes and Mrs Okafor met Aoife Ní Bhriain."
    assert found(text) == [("PERSON", "Olivia Bennett"), ("PERSON", "Ana Lopes"), ("PERSON", "Okafor")]
    assert ("PERSON", "Aoife Ní Bhriain") in found(text, frozenset({"Aoife Ní Bhriain"}))


def test_numbers_and_names_that_are_not_private_stay():
    text = (
        "Invoice 536365 on 2010-12-01 08:26: 6 x 85123A WHITE HANGING HEART T-LIGHT HOLDER at 2.55, "
        "customer 17850 spent £5,391.21; revenue 8,187,806.36 over 25900 orders; EAN 5012345678900; "
        "dates 20101201-20111209; ids 12345678 and 1234567890; 4,372 customers (12.5%). "
        "Rose Gold Necklace, Jean Jacket, ROSE CARAVAN DOORSTOP, Dr. Jam's Arouzer Stress Ball, Florence."
    )
    assert found(text) == []


def test_a_2000_character_prompt_is_scanned_quickly():
    import time

    text = (CUSTOMERS.to_string(index=False) * 3)[:2000]
    find_pii(text)  # lists and phone metadata load once
    start = time.perf_counter()
    assert len(find_pii(text)) > 20
    assert time.perf_counter() - start < 0.5  # about 8 ms on the 2-core development CPU


# -- placeholders ---------------------------------------------------------------------------------------
def test_placeholders_are_stable_and_numbered_per_kind_in_order_of_appearance():
    p = Placeholders()
    first = p.redact("Mail ann@example.com or bob@example.com, call 020 7946 0321.")
    assert first == "Mail <EMAIL_1> or <EMAIL_2>, call <PHONE_1>."
    assert p.redact("Again: bob@example.com") == "Again: <EMAIL_2>"
    assert p.restore(first) == "Mail ann@example.com or bob@example.com, call 020 7946 0321."


def test_restore_in_json_sql_literals_and_without_brackets():
    p = Placeholders()
    p.redact("Daniel O'Connor, dan@example.com")
    assert p.restore('{"sql": "WHERE name = \'<PERSON_1>\'"}', json_strings=True) == (
        "{\"sql\": \"WHERE name = 'Daniel O''Connor'\"}"
    )
    assert json.loads(p.restore('{"to": "<EMAIL_1>"}', json_strings=True)) == {"to": "dan@example.com"}
    assert (
        p.restore("write to EMAIL_1 (<EMAIL_9> is unknown)")
        == "write to dan@example.com (<EMAIL_9> is unknown)"
    )
    # the SQL-quoted spelling of a value gets the same placeholder
    assert p.redact("WHERE full_name = 'Daniel O''Connor'") == "WHERE full_name = '<PERSON_1>'"


@pytest.mark.parametrize(
    "reply", ["Write to <EMAIL_1> or <PHONE_1>.", "EMAIL_1, <EMAIL_1>, <EMAIL_12> and <E"]
)
def test_streamed_pieces_split_anywhere_are_restored(reply):
    p = Placeholders()
    p.redact("ann@example.com 020 7946 0321")
    for cut in range(1, len(reply)):  # every two-piece split, and one piece per character
        for pieces in ([reply[:cut], reply[cut:]], list(reply)):
            out: list[str] = []
            stream = p.streaming(out.append)
            for piece in pieces:
                stream(piece)
            stream.flush()
            assert "".join(out) == p.restore(reply)
    assert p.restore(reply).startswith(("Write to ann@example.com", "ann@example.com"))


# -- the wrapper -----------------------------------------------------------------------------------------
def test_the_wrapper_redacts_messages_schema_and_grammar_and_restores_the_reply():
    inner = ScriptedModel().enqueue(lambda messages, schema: {"to": schema["properties"]["to"]["enum"][0]})
    model = PrivateModel(inner)
    schema = {"type": "object", "properties": {"to": {"enum": ["ann@example.com"], "pattern": "^.+@.+$"}}}
    reply = model.generate(
        [{"role": "user", "content": "Mail ann@example.com"}],
        json_schema=schema,
        grammar='root ::= "020 7946 0321"',
    )
    sent = inner.sent[0]
    assert sent["messages"][0]["content"] == "Mail <EMAIL_1>"
    assert sent["json_schema"]["properties"]["to"] == {"enum": ["<EMAIL_1>"], "pattern": "^.+@.+$"}
    assert sent["grammar"] == 'root ::= "<PHONE_1>"'
    assert json.loads(reply.text) == {"to": "ann@example.com"}


def test_the_wrapper_restores_streamed_tokens():
    inner = ScriptedModel().enqueue(lambda messages, schema: "Call <PHONE_1> now")
    pieces: list[str] = []
    reply = PrivateModel(inner).generate(
        [{"role": "user", "content": "020 7946 0321"}], on_token=pieces.append
    )
    assert "".join(pieces).strip() == reply.text == "Call 020 7946 0321 now"


def test_the_setting_is_off_for_a_local_model_until_turned_on(crm):
    inner = ScriptedModel().enqueue("ok", "ok")
    model = private_model(inner, crm)
    message = [{"role": "user", "content": "Mail olivia.bennett@example.co.uk"}]
    model.generate(message)
    crm.set_setting(SETTING, True)  # applies at once, to a model already wrapped
    model.generate(message)
    assert [s["messages"][0]["content"] for s in inner.sent] == [
        "Mail olivia.bennett@example.co.uk",
        "Mail <EMAIL_1>",
    ]
    assert Workspace(crm.home, demo=False).setting(SETTING) is True  # stored in the home


def test_the_settings_tab_switches_it_for_a_local_model_and_shows_it_always_on_for_a_server(crm):
    from ui.session import UiContext
    from ui.settings_tab import SettingsHandlers

    local = SettingsHandlers(UiContext(crm, model=ScriptedModel()))
    assert local.private_data()[:2] == (False, True)
    assert local.apply_private_data(True).startswith("E-mail addresses")
    assert crm.setting(SETTING) is True and local.private_data()[0] is True
    remote = SettingsHandlers(UiContext(crm, model="openai:m@http://127.0.0.1:9/v1"))
    assert remote.private_data()[:2] == (True, False)
    assert remote.apply_private_data(False).startswith("Always on") and crm.setting(SETTING) is True


def test_person_name_columns_are_read_but_a_product_name_column_is_not(crm):
    crm.save_table("products", pd.DataFrame({"name": ["Rose Gold Necklace", "Jean Jacket"]}), source="test")
    names = person_name_values(crm)
    assert "Aoife Ní Bhriain" in names and "Wei Zhang" in names
    assert "Rose Gold Necklace" not in names


# -- whole answers ---------------------------------------------------------------------------------------
def placeholder(messages: list[dict], kind: str) -> str:
    """The first placeholder of ``kind`` in the last message (what the model would quote)."""
    return re.findall(rf"<{kind}_\d+>", messages[-1]["content"])[0]


def scripted_analyst(model: ScriptedModel) -> ScriptedModel:
    """Choose sql_query; write SQL naming the e-mail the request gives (as the model saw it); answer with
    the placeholders of the result it was shown."""

    def fill(messages, schema):
        email = placeholder(messages, "EMAIL")
        sql = f"SELECT full_name, email, phone, lifetime_spend_gbp FROM customers WHERE email = '{email}'"
        return (
            {"follow_up": False, "arguments": {"sql": sql}}
            if "follow_up" in schema["properties"]
            else {"sql": sql}
        )

    def write(messages, schema):
        return f"Reach {placeholder(messages, 'PERSON')} at {placeholder(messages, 'EMAIL')} or {placeholder(messages, 'PHONE')}."

    return model.enqueue({"tool": "sql_query"}, fill, write)


def test_an_answer_about_fake_customers_never_sends_their_data_and_shows_it(crm):
    crm.set_setting(SETTING, True)
    model = scripted_analyst(ScriptedModel())
    assistant = Assistant(model=model, workspace=crm, registry=make_registry(crm), router_mode="off")
    answer = assistant.ask("What has olivia.bennett@example.co.uk spent, and her phone?")
    assert answer.error is None, answer.error
    assert leaked(model.sent) == []
    assert "Reach Olivia Bennett at olivia.bennett@example.co.uk or 020 7946 0321." in answer.text
    # the tool ran on the real address: the row was found
    assert answer.tables[0].df["lifetime_spend_gbp"].tolist() == [4820.5]
    assert "olivia.bennett@example.co.uk" in answer.tool_calls[-1]["args"]["sql"]


def test_the_openai_backend_is_wrapped_by_default(crm, monkeypatch):
    from agent.backends.openai_backend import OpenAIModel

    script = scripted_analyst(ScriptedModel())
    bodies: list[dict] = []

    def reply(self, body, timeout, on_token=None):  # stands in for the HTTP call: no server needed
        bodies.append(body)
        schema = body.get("response_format", {}).get("json_schema", {}).get("schema")
        text = script.generate(body["messages"], json_schema=schema).text
        if on_token:
            on_token(text)
        return text, {}, "stop", None

    monkeypatch.setattr(OpenAIModel, "_complete", reply)
    monkeypatch.setattr(
        OpenAIModel, "_stream", lambda self, body, timeout, on_token: reply(self, body, timeout, on_token)
    )
    spec = "openai:test-model@http://127.0.0.1:9/v1"
    assistant = Assistant(model=spec, workspace=crm, registry=make_registry(crm), router_mode="off")
    answer = assistant.ask("What has olivia.bennett@example.co.uk spent, and her phone?")
    assert crm.setting(SETTING) is None  # no setting needed: a server is always kept private
    assert bodies and leaked(bodies) == []
    assert "olivia.bennett@example.co.uk" in answer.text


class Recording(ChatModel):
    """Passes every call to ``inner`` and keeps what it was sent."""

    def __init__(self, inner: ChatModel):
        self.inner, self.spec = inner, inner.spec
        self.sent: list[dict] = []

    def generate(self, messages, **kwargs):
        self.sent.append(
            {"messages": messages, "json_schema": kwargs.get("json_schema"), "grammar": kwargs.get("grammar")}
        )
        return self.inner.generate(messages, **kwargs)


@pytest.mark.realmodel
def test_the_default_model_answers_about_fake_customers_without_reading_their_data(crm, monkeypatch):
    from agent import assistant as assistant_module
    from agent.assistant import default_model_spec
    from agent.model_cache import shared_model

    recorded: list[Recording] = []

    def spied(spec):  # the normal load, with a recorder between the privacy wrapper and the backend
        recorded.append(Recording(shared_model(spec)))
        return recorded[-1]

    monkeypatch.setattr(assistant_module, "shared_model", spied)
    crm.set_setting(SETTING, True)
    assistant = Assistant(model=default_model_spec(), workspace=crm)
    answer = assistant.ask(
        "Show the full name, email and phone of the 3 customers with the highest lifetime spend. Use SQL."
    )
    assert answer.error is None, answer.error
    assert recorded and recorded[0].sent and leaked(recorded[0].sent) == []
    shown = answer.text + json.dumps([t.df.astype(str).values.tolist() for t in answer.tables])
    assert (
        "mhale@example.com" in shown and "(415) 555-0132" in shown
    )  # the top spender, as the person sees it
    assert not re.search(r"<(EMAIL|PHONE|PERSON)_\d+>", answer.text)
