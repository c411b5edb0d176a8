"""The transformers backend with the packaged SmolLM2-135M (the loading path of the default model)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from agent import models
from agent.model_files import conversion_complete, converted_dir, packaged
from agent.models import ModelError, RealModelLoadForbidden, load_model
from agent.tool_schema import tool_call_schema

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def test_an_unplanned_real_load_fails_loudly():
    model = load_model("transformers:tiny")  # constructing is cheap; weights load on first use
    with pytest.raises(RealModelLoadForbidden, match="mark the test @pytest.mark.realmodel"):
        model.generate(QUESTION)
    assert models.FORBIDDEN_LOADS == ["transformers:tiny"]
    models.FORBIDDEN_LOADS.clear()  # this load was planned by this test; others fail at teardown


def test_unknown_specs_are_one_sentence():
    with pytest.raises(ModelError, match="Unknown model 'gpt:4'"):
        load_model("gpt:4")


def test_the_scripted_model_records_the_sampling_settings():
    model = models.ScriptedModel().enqueue("a", "b")
    model.generate(QUESTION)
    model.generate(QUESTION, temperature=0.7, seed=3)
    assert [(s["temperature"], s["seed"]) for s in model.sent] == [(0.0, None), (0.7, 3)]


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory):
    return tmp_path_factory.mktemp("tinyhome")


@pytest.fixture(scope="module")
def tiny(tiny_home):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MARTMIND_HOME", str(tiny_home))
        mp.delenv("MARTMIND_MODELS_DIR", raising=False)  # this module tests the home's own models folder
        yield load_model("transformers:tiny").load()


@pytest.mark.realmodel
@pytest.mark.ci
def test_greedy_answer_is_exact(tiny):
    pieces = []
    generation = tiny.generate(QUESTION, max_new_tokens=20, on_token=pieces.append)
    assert generation.text == "The capital of France is Paris."
    assert "".join(pieces).strip() == generation.text
    assert generation.finish_reason == "stop" and generation.completion_tokens == 8
    info = tiny.info()
    assert info["loaded"] and info["device"] == "cpu" and info["parameters"] == 134_515_008


@pytest.mark.realmodel
@pytest.mark.ci
def test_second_start_loads_the_cached_checkpoint(tiny, tiny_home, monkeypatch):
    monkeypatch.setenv("MARTMIND_HOME", str(tiny_home))
    monkeypatch.delenv("MARTMIND_MODELS_DIR", raising=False)
    directory = converted_dir(packaged("tiny"), "bfloat16")
    assert conversion_complete(directory, packaged("tiny"))
    assert (directory / "model.safetensors").is_file()
    again = load_model("transformers:tiny").load()
    assert again.generate(QUESTION, max_new_tokens=20).text == "The capital of France is Paris."


@pytest.mark.realmodel
@pytest.mark.ci
def test_constrained_tool_call_from_a_real_model_validates(tiny):
    schema = tool_call_schema(
        {
            "metric_query": {
                "type": "object",
                "properties": {
                    "metric": {"enum": ["revenue", "orders"]},
                    "country": {"type": ["string", "null"]},
                },
                "required": ["metric", "country"],
            },
            "roi_calculator": {
                "type": "object",
                "properties": {"spend": {"type": "number"}, "revenue": {"type": "number"}},
                "required": ["spend", "revenue"],
            },
        }
    )
    messages = [
        {"role": "system", "content": "Answer with a JSON tool call."},
        {"role": "user", "content": "What was the revenue in Germany?"},
    ]
    pieces = []
    generation = tiny.generate(messages, json_schema=schema, max_new_tokens=80, on_token=pieces.append)
    jsonschema.validate(json.loads(generation.text), schema)
    assert "".join(pieces) == generation.text  # streamed whole, the last words included


@pytest.mark.realmodel
@pytest.mark.ci
def test_sampled_tool_calls_repeat_with_a_seed_differ_across_seeds_and_validate(tiny):
    schema = tool_call_schema(
        {
            "metric_query": {
                "type": "object",
                "properties": {
                    "metric": {"enum": ["revenue", "orders"]},
                    "country": {"type": ["string", "null"]},
                },
                "required": ["metric", "country"],
            },
            "roi_calculator": {
                "type": "object",
                "properties": {"spend": {"type": "number"}, "revenue": {"type": "number"}},
                "required": ["spend", "revenue"],
            },
        }
    )
    messages = [
        {"role": "system", "content": "Answer with a JSON tool call."},
        {"role": "user", "content": "What was the revenue in Germany?"},
    ]

    def sample(seed):
        return tiny.generate(messages, json_schema=schema, max_new_tokens=80, temperature=0.7, seed=seed).text

    texts = [sample(seed) for seed in range(4)]
    for text in texts:
        jsonschema.validate(json.loads(text), schema)
    assert sample(2) == texts[2]
    assert len(set(texts)) > 1, texts


@pytest.mark.realmodel
@pytest.mark.ci
def test_sampled_text_repeats_with_a_seed_and_leaves_the_global_generator_alone(tiny):
    import torch

    messages = [{"role": "user", "content": "Write one sentence about shopping."}]
    state = torch.get_rng_state()
    texts = [tiny.generate(messages, max_new_tokens=15, temperature=0.7, seed=seed).text for seed in range(3)]
    assert torch.equal(torch.get_rng_state(), state)
    assert tiny.generate(messages, max_new_tokens=15, temperature=0.7, seed=1).text == texts[1]
    assert len(set(texts)) > 1, texts
    assert tiny.generate(QUESTION, max_new_tokens=20).text == "The capital of France is Paris."


@pytest.mark.realmodel
@pytest.mark.ci
def test_jump_forward_writes_the_same_call_in_fewer_model_passes(tiny, monkeypatch):
    from agent.backends import constrained

    schema = {
        "type": "object",
        "properties": {
            "metric": {"enum": ["revenue", "orders"]},
            "by": {"type": ["string", "null"]},
            "top": {"type": ["integer", "null"]},
        },
        "required": ["metric", "by", "top"],
    }
    messages = [{"role": "user", "content": "Revenue by country, top 5, as JSON."}]
    passes = []
    hook = tiny.model.register_forward_hook(lambda *_: passes.append(1))
    try:
        jumped = tiny.generate(messages, json_schema=schema, max_new_tokens=60)
        jumped_passes = len(passes)
        monkeypatch.setattr(constrained, "_forced_tokens", lambda matcher, tokenizer: [])
        passes.clear()
        stepped = tiny.generate(messages, json_schema=schema, max_new_tokens=60)
    finally:
        hook.remove()
    assert json.loads(jumped.text) == json.loads(stepped.text)
    assert jumped_passes < len(passes) / 2, (jumped_passes, len(passes))


@pytest.mark.realmodel
@pytest.mark.ci
def test_prefix_cache_gives_the_same_answer_as_a_cold_prompt(tiny):
    system = {"role": "system", "content": "You are a terse geography assistant. " * 20}
    messages = [system, *QUESTION]
    tiny._prefixes.clear()
    cold = tiny.generate(messages, max_new_tokens=20)  # builds the cache (and uses it)
    warm = tiny.generate(messages, max_new_tokens=20)
    tiny.prefix_cache = False
    try:
        uncached = tiny.generate(messages, max_new_tokens=20)
    finally:
        tiny.prefix_cache = True
    assert warm.cached_tokens > 150 and uncached.cached_tokens == 0
    assert cold.text == warm.text == uncached.text


@pytest.mark.realmodel
@pytest.mark.ci
def test_out_of_tokens_and_timeouts_are_model_errors(tiny):
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    with pytest.raises(ModelError, match="did not fit in 2 tokens"):
        tiny.generate(QUESTION, json_schema=schema, max_new_tokens=2)
    with pytest.raises(ModelError, match="took longer than"):
        tiny.generate(QUESTION, max_new_tokens=200, timeout_s=0.01)
    with pytest.raises(ModelError, match="took longer than"):
        tiny.generate(QUESTION, json_schema=schema, max_new_tokens=200, timeout_s=0.01)
