"""Declared join keys: stored in the workspace, checked against it, and what schema linking joins on."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agent.schema_link import join_keys, link
from tools.base import ToolError
from tools.joins import declare_keys, declared_keys, parse_column
from ui.cli import main


@pytest.fixture
def school(tmp_path):
    """Channels and the series they air: the key's two names differ (series.Channel holds channels.id)."""
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "school", demo=False)
    ws.save_table(
        "channels",
        pd.DataFrame({"id": [1, 2], "series_name": ["Sky Radio", "Rai"], "Country": ["UK", "IT"]}),
        source="t",
    )
    ws.save_table(
        "series",
        pd.DataFrame({"id": [7, 8, 9], "Episode": ["A", "B", "C"], "Channel": [1, 1, 2]}),
        source="t",
    )
    yield ws
    ws.close()


def test_a_declared_key_is_stored_once_in_either_direction(school):
    declare_keys(school, [("series", "channel", "CHANNELS", "ID")])
    declare_keys(school, [("channels", "id", "series", "Channel")])
    assert declared_keys(school) == [("series", "Channel", "channels", "id")]
    assert json.loads((school.home / "settings.json").read_text())["join_keys"]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (("series", "Chanel", "channels", "id"), "Did you mean Channel?"),
        (("seris", "Channel", "channels", "id"), "Did you mean series?"),
        (("series", "Channel", "series", "channel"), "two different columns"),
    ],
)
def test_a_key_that_cannot_exist_is_an_error_and_nothing_is_stored(school, key, says):
    with pytest.raises(ToolError, match=says):
        declare_keys(school, [key])
    assert declared_keys(school) == []


def test_a_key_whose_column_is_gone_after_a_reload_is_not_used(school):
    declare_keys(school, [("series", "Channel", "channels", "id")])
    school.save_table("series", pd.DataFrame({"id": [7], "Episode": ["A"]}), source="t")
    assert declared_keys(school) == []


def test_parse_column_needs_table_dot_column(school):
    assert parse_column(school, "Series.episode") == ("series", "Episode")
    with pytest.raises(ToolError, match="TABLE.COLUMN"):
        parse_column(school, "Episode")


def test_linking_joins_on_the_declared_key_not_on_look_alike_names(school):
    schema = school.columns_by_table()
    assert ("channels", "id", "series", "id") not in join_keys(schema)  # each table's own row number
    declare_keys(school, [("series", "Channel", "channels", "id")])
    linked = link(school, "What is the episode of the series on the channel named Sky Radio?", embed=False)
    assert set(linked.tables) == {"channels", "series"}
    assert linked.joins in (
        [("series", "Channel", "channels", "id")],
        [("channels", "id", "series", "Channel")],
    )
    assert "Join keys:" in linked.card and "Channel" in linked.card.split("Join keys:")[1]


def test_the_join_command_declares_and_lists_keys(school, capsys):
    home = str(school.home)
    school.close()
    assert main(["--home", home, "join", "series.Channel", "channels.id"]) == 0
    assert "series.Channel = channels.id" in capsys.readouterr().out
    assert main(["--home", home, "join", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"join_keys": [["series", "Channel", "channels", "id"]]}
    assert main(["--home", home, "join", "series.Chanel", "channels.id"]) == 1
    assert "Did you mean Channel?" in capsys.readouterr().err
