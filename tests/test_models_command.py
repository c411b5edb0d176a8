"""`martmind models` shows the configured model and what is installed and cached."""

from __future__ import annotations

import json

from ui.cli import main


def test_models_json_lists_packaged_models(capsys, monkeypatch):
    monkeypatch.setenv("MARTMIND_MODEL", "openai:qwen@http://127.0.0.1:8000/v1")
    assert main(["models", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["configured"] == "openai:qwen@http://127.0.0.1:8000/v1"
    rows = {row["name"]: row for row in report["models"]}
    assert set(rows) == {"default", "small", "tiny"}
    default = rows["default"]
    assert default["installed"] is True and default["gguf_bytes"] == 1_117_320_768
    assert default["converted"] == {} and default["gguf_assembled"] is False  # fresh home: nothing cached yet
    assert "transformers:default" in default["specs"] and "Apache-2.0" in default["license"]


def test_models_table_is_readable(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "configured: transformers:default" in out or "configured: llamacpp:default" in out
    assert "Qwen2.5-Coder-1.5B-Instruct" in out


def test_the_default_is_llamacpp_on_a_cpu_with_llamacpp_installed_else_transformers(monkeypatch):
    from agent import models

    monkeypatch.delenv("MARTMIND_MODEL", raising=False)
    for cuda, llamacpp, expected in [
        (False, True, "llamacpp:default"),
        (False, False, "transformers:default"),
        (True, True, "transformers:default"),
    ]:
        monkeypatch.setattr(models, "_has_cuda", lambda cuda=cuda: cuda)
        monkeypatch.setattr(models, "_has_llamacpp", lambda llamacpp=llamacpp: llamacpp)
        assert models.default_spec() == expected
    monkeypatch.setenv("MARTMIND_MODEL", "transformers:small")
    assert models.default_spec() == "transformers:small"
