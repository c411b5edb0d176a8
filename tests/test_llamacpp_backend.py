"""The llama.cpp backend (the CPU default when installed) with the packaged SmolLM2-135M GGUF."""

from __future__ import annotations

import json

import jsonschema
import pytest

from agent.models import ModelError, load_model

pytest.importorskip("llama_cpp")
pytestmark = [pytest.mark.realmodel, pytest.mark.ci]

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
CALL = {
    "type": "object",
    "properties": {
        "metric": {"enum": ["revenue", "orders"]},
        "country": {"type": ["string", "null"]},
        "top": {"type": ["integer", "null"]},
    },
    "required": ["metric", "country", "top"],
}


@pytest.fixture(scope="module")
def tiny():
    return load_model("llamacpp:tiny").load()


def test_the_answer_streams_piece_by_piece_within_its_budget(tiny):
    # The 135M model's words differ between llama.cpp's quantized kernels and transformers' bf16 (the
    # 1.5B default agrees on our realmodel agent tests); the contract checked here is the streaming.
    pieces = []
    generation = tiny.generate(QUESTION, max_new_tokens=20, on_token=pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == generation.text
    assert 0 < generation.completion_tokens <= 20 and tiny.info()["backend"] == "llamacpp"


def test_structured_output_validates_against_the_schema(tiny):
    messages = [{"role": "user", "content": "Revenue in Germany, top 3, as JSON."}]
    pieces = []
    generation = tiny.generate(messages, json_schema=CALL, max_new_tokens=80, on_token=pieces.append)
    jsonschema.validate(json.loads(generation.text), CALL)
    assert "".join(pieces) == generation.text  # streamed whole, the last words included


def test_out_of_tokens_and_timeouts_are_model_errors(tiny):
    with pytest.raises(ModelError, match="did not fit in 3 tokens"):
        tiny.generate(QUESTION, json_schema=CALL, max_new_tokens=3)
    with pytest.raises(ModelError, match="took longer than"):
        tiny.generate(QUESTION, max_new_tokens=200, timeout_s=0.0001)


def test_a_prompt_read_before_is_not_read_again_after_another_one(tiny):
    """An ask alternates the planner's and the writer's long prompts; each is read once, then restored."""
    planner = {"role": "system", "content": "You plan tool calls. " + "Tables: sales, customers. " * 40}
    writer = [{"role": "system", "content": "You write short answers."}, *QUESTION]
    pick = {"type": "object", "properties": {"metric": CALL["properties"]["metric"]}, "required": ["metric"]}
    first = tiny.generate([planner, *QUESTION], json_schema=pick, max_new_tokens=30)
    tiny.generate(writer, max_new_tokens=10)
    again = tiny.generate(
        [planner, {"role": "user", "content": "Orders in Spain?"}], json_schema=pick, max_new_tokens=30
    )
    assert first.cached_tokens < 20
    assert again.cached_tokens > 200  # the whole system prompt, not re-read after the writer's prompt
    jsonschema.validate(json.loads(again.text), pick)


def test_sampled_calls_repeat_with_a_seed_differ_across_seeds_and_validate(tiny):
    # An open request: asked for "revenue in Germany, top 3" the model is sure enough that every sample
    # at 0.7 is the greedy call.
    messages = [{"role": "user", "content": "Pick any metric and any country, as JSON."}]

    def sample(seed):
        return tiny.generate(messages, json_schema=CALL, max_new_tokens=80, temperature=0.7, seed=seed).text

    texts = [sample(seed) for seed in range(4)]
    for text in texts:
        jsonschema.validate(json.loads(text), CALL)
    assert sample(2) == texts[2]
    assert len(set(texts)) > 1, texts


def test_sampled_text_repeats_with_a_seed(tiny):
    messages = [{"role": "user", "content": "Write one sentence about shopping."}]
    texts = [tiny.generate(messages, max_new_tokens=15, temperature=0.7, seed=seed).text for seed in range(3)]
    assert tiny.generate(messages, max_new_tokens=15, temperature=0.7, seed=1).text == texts[1]
    assert len(set(texts)) > 1, texts


def test_the_prompt_cache_stays_right_after_sampled_replies(tiny):
    """Sampled replies leave other tokens after the prompt in the KV cache; a greedy call after them must
    reuse only the prompt and answer as it did before them."""
    messages = [{"role": "user", "content": "Orders in France, as JSON."}]
    for _ in range(2):  # the second time as after the sampled replies: all but the prompt's last token cached
        before = tiny.generate(messages, json_schema=CALL, max_new_tokens=80)
        text_before = tiny.generate(QUESTION, max_new_tokens=20).text
    for seed in range(3):
        tiny.generate(messages, json_schema=CALL, max_new_tokens=80, temperature=0.9, seed=seed)
        tiny.generate(QUESTION, max_new_tokens=20, temperature=0.9, seed=seed)
    after = tiny.generate(messages, json_schema=CALL, max_new_tokens=80)
    assert after.text == before.text and after.cached_tokens == after.prompt_tokens - 1
    assert tiny.generate(QUESTION, max_new_tokens=20).text == text_before
