"""Grammar-constrained decoding: even a model that emits random logits can only write valid JSON.

The "model" here scores tokens at random (with a bias toward closing quotes and brackets so that strings
end), and the grammar processor masks the scores; every output must parse and validate. Uses the real
tokenizer of the packaged SmolLM2 model (read from its GGUF; no weights are loaded).
"""

from __future__ import annotations

import json
import time

import jsonschema
import pytest
import torch

from agent.tool_schema import tool_call_schema

pytest.importorskip("xgrammar")

METRIC_ARGS = {
    "type": "object",
    "properties": {
        "metric": {"enum": ["revenue", "orders", "aov", "cancellation_rate"]},
        "by": {"anyOf": [{"enum": ["Country", "month", "Description"]}, {"type": "null"}]},
        "top": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 100}, {"type": "null"}]},
        "window": {
            "type": "object",
            "properties": {"start": {"type": ["string", "null"]}, "end": {"type": ["string", "null"]}},
            "required": ["start", "end"],
        },
    },
    "required": ["metric", "by", "top", "window"],
}
ROI_ARGS = {
    "type": "object",
    "properties": {
        "spend": {"type": "number"},
        "revenue": {"type": "number"},
        "margin": {"type": ["number", "null"]},
    },
    "required": ["spend", "revenue", "margin"],
}
SCHEMAS = {
    "enum_nullable_nested": METRIC_ARGS,
    "tool_call": tool_call_schema({"metric_query": METRIC_ARGS, "roi_calculator": ROI_ARGS}),
    "array": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"enum": ["A", "B"]}, "maxItems": 3}},
        "required": ["items"],
    },
}


@pytest.fixture(scope="module")
def tokenizer_and_grammar():
    from transformers import AutoTokenizer

    from agent.backends.constrained import JsonGrammar
    from agent.model_files import gguf_path, packaged

    path = gguf_path(packaged("tiny"))
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    vocab = len(tokenizer)
    closers = torch.zeros(vocab)
    for token_id, piece in enumerate(tokenizer.convert_ids_to_tokens(list(range(vocab)))):
        if piece and (any(ch in piece for ch in '"}]') or piece in ("null", ",", "\n")):
            closers[token_id] = 6.0
    return tokenizer, JsonGrammar(tokenizer, vocab), closers


def random_model_output(tokenizer, grammar, closers, schema, seed, budget=300) -> tuple[str, bool]:
    generator = torch.Generator().manual_seed(seed)
    mask = grammar.mask(schema)
    new = []
    for _ in range(budget):
        scores = torch.randn(1, closers.shape[0], generator=generator) + closers
        token = int(mask.masked(scores).argmax())
        mask.accept(token)
        if token in grammar.stop_token_ids:
            break
        new.append(token)
    return tokenizer.decode(new), mask.finished


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_random_logits_still_give_valid_json(tokenizer_and_grammar, name):
    tokenizer, grammar, closers = tokenizer_and_grammar
    schema = SCHEMAS[name]
    for seed in range(6):
        text, finished = random_model_output(tokenizer, grammar, closers, schema, seed)
        assert finished, text
        jsonschema.validate(json.loads(text), schema)


def test_a_cut_off_generation_is_reported_unfinished(tokenizer_and_grammar):
    tokenizer, grammar, closers = tokenizer_and_grammar
    text, finished = random_model_output(tokenizer, grammar, closers, METRIC_ARGS, seed=0, budget=3)
    assert not finished
    with pytest.raises(ValueError):
        json.loads(text)


def test_compiled_grammars_are_cached_per_schema(tokenizer_and_grammar):
    _, grammar, _ = tokenizer_and_grammar
    assert grammar.compiled(ROI_ARGS) is grammar.compiled(json.loads(json.dumps(ROI_ARGS)))


def jump_forward_output(tokenizer, grammar, closers, schema, **sampling) -> str:
    """The reply of the real decode loop driven by a fake model whose random scores depend on its input."""
    from agent.backends.constrained import decode_with_jump_forward

    seen: list[int] = []

    def forward(tokens):
        seen.extend(tokens)
        generator = torch.Generator().manual_seed(len(seen) * 50_000 + seen[-1])
        return torch.randn(1, closers.shape[0], generator=generator) + closers

    mask = grammar.mask(schema)
    new, timed_out = decode_with_jump_forward(
        forward, tokenizer, mask, [0], max_new_tokens=300, deadline=time.monotonic() + 60, **sampling
    )
    assert mask.finished and not timed_out
    return tokenizer.decode(new[:-1] if new[-1] in grammar.stop_token_ids else new)


def test_temperature_zero_is_the_greedy_decode_whatever_the_seed(tokenizer_and_grammar):
    tokenizer, grammar, closers = tokenizer_and_grammar
    greedy = jump_forward_output(tokenizer, grammar, closers, METRIC_ARGS)
    assert jump_forward_output(tokenizer, grammar, closers, METRIC_ARGS, temperature=0.0, seed=7) == greedy


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_sampling_repeats_with_a_seed_differs_across_seeds_and_still_validates(tokenizer_and_grammar, name):
    tokenizer, grammar, closers = tokenizer_and_grammar
    schema = SCHEMAS[name]

    def sample(seed):
        return jump_forward_output(tokenizer, grammar, closers, schema, temperature=0.7, seed=seed)

    texts = [sample(seed) for seed in range(4)]
    for text in texts:
        jsonschema.validate(json.loads(text), schema)
    assert sample(2) == texts[2]
    if name != "array":  # the fake model's bias toward "]" leaves only the empty list in the nucleus
        assert len(set(texts)) > 1, texts


def test_a_sample_never_takes_a_masked_token_and_top_p_cuts_the_tail():
    from agent.backends.constrained import choose_token

    scores = torch.full((1, 50), float("-inf"))
    scores[0, [3, 7, 11]] = torch.tensor([1.0, 0.5, 0.0])
    generator = torch.Generator().manual_seed(0)
    drawn = {choose_token(scores, 5.0, generator) for _ in range(300)}
    assert drawn == {3, 7, 11}
    assert choose_token(scores, 0.0) == 3  # greedy: the argmax
    scores[0, [3, 7, 11]] = torch.tensor([3.0, 0.0, float("-inf")])  # probabilities 0.953 and 0.047
    assert {choose_token(scores, 1.0, generator) for _ in range(300)} == {3}
    assert {choose_token(scores, 1.0, generator, top_p=1.0) for _ in range(300)} == {3, 7}


@pytest.mark.realmodel
def test_sampled_tool_calls_from_the_default_model_all_parse():
    """A retry draws several candidates at temperature 0.7; each must still be a valid call."""
    from agent.models import load_model

    model = load_model()
    messages = [
        {"role": "system", "content": "Answer with one JSON tool call."},
        {"role": "user", "content": "Revenue by country, top 5, for 2011."},
    ]
    schema = SCHEMAS["tool_call"]
    for seed in range(4):
        text = model.generate(
            messages, json_schema=schema, max_new_tokens=200, temperature=0.7, seed=seed
        ).text
        jsonschema.validate(json.loads(text), schema)
