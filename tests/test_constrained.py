"""Grammar-constrained decoding: even a model that emits random logits can only write valid JSON.

The "model" here scores tokens at random (with a bias toward closing quotes and brackets so that strings
end), and the grammar processor masks the scores; every output must parse and validate. Uses the real
tokenizer of the packaged SmolLM2 model (read from its GGUF; no weights are loaded).
"""

from __future__ import annotations

import json

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
