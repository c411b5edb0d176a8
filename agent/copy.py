"""``write_copy``'s two halves: the facts about the subject (from tools), then variants written under a schema.

A product's facts come from one SQL query over the sales table (found by column roles), a bundle's from
association rules for its first item, a segment's from the segmentation. The copy may only use those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

import prompts
from agent import grounding
from agent.models import ChatModel, ModelError
from tools.base import Table, ToolError, ToolResult
from tools.names import closest
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from agent.writing import Analysis, CopyArgs, WritingTool


def copy_facts(tool: WritingTool, args: CopyArgs) -> tuple[str, list[Analysis]]:
    """What the copy is about (a readable subject) and the analyses whose facts it may use."""
    if args.about == "segment":
        return _segment(tool, args.name)
    if args.about == "bundle":
        return _bundle(tool, args.name)
    return _product(tool, args.name)


def _sales_table(tool: WritingTool) -> tuple[str, Any]:
    for table in tool.ws.tables():
        roles = tool.ws.roles(table)
        if roles["product_name"] and roles["quantity"] and roles["order_id"]:
            return table, roles
    raise ToolError("No sales table with product names, quantities and orders is loaded.")


def _product(tool: WritingTool, name: str | None) -> tuple[str, list[Analysis]]:
    table, roles = _sales_table(tool)
    product, qty, order = roles["product_name"], roles["quantity"], roles["order_id"]
    if not name:
        raise ToolError("Say which product to write about (its name or code).")
    match = _find_product(tool, table, product, name)
    if not match:
        raise ToolError(f"No product like {name!r} in {table}.")
    price, customer = roles["unit_price"], roles["customer_id"]
    parts = [
        f"CAST(sum({quote_ident(qty)}) AS BIGINT) AS units_sold",
        f"count(DISTINCT {quote_ident(order)}) AS orders",
    ]
    if customer:
        parts.append(f"count(DISTINCT {quote_ident(customer)}) AS customers")
    if price:
        parts.append(f"round(median({quote_ident(price)}), 2) AS typical_unit_price")
    if roles["customer_id"] and "Country" in tool.ws.columns(table):
        parts.append('count(DISTINCT "Country") AS countries')
    sql = (
        f"SELECT {', '.join(parts)} FROM {quote_ident(table)} "
        f"WHERE CAST({quote_ident(product)} AS VARCHAR) = '{match.replace(chr(39), chr(39) * 2)}' "
        f"AND {quote_ident(qty)} > 0"
    )
    analysis = tool.run_analysis("sql_query", {"sql": sql})
    return f"the product {match}", [analysis]


def _find_product(tool: WritingTool, table: str, product: str, name: str) -> str | None:
    """The best-selling product whose name holds every word of ``name``, else the closest name."""
    col = f"CAST({quote_ident(product)} AS VARCHAR)"
    words = [w for w in name.lower().split() if w]
    where = " AND ".join(f"lower({col}) LIKE ?" for _ in words)
    hits = tool.ws.query(
        f"SELECT {col} AS p FROM {quote_ident(table)} WHERE {where} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        [f"%{w}%" for w in words],
    )
    if not hits.empty:
        return str(hits["p"].iloc[0])
    names = tool.ws.query(f"SELECT DISTINCT {col} AS p FROM {quote_ident(table)}")
    return closest(name, [str(p) for p in names["p"].dropna()])


def _bundle(tool: WritingTool, name: str | None) -> tuple[str, list[Analysis]]:
    args: dict[str, Any] = {"top_n": 5}
    if name:
        args["item"] = name
    analysis = tool.run_analysis("association_rules", args)
    rules = analysis.result.table
    if rules is None or rules.empty:
        raise ToolError("No basket rule was found for that bundle; try another item.")
    top = rules.sort_values("lift", ascending=False).iloc[0]
    return f"the bundle {top['if_bought']} + {top['then_buy']}", [analysis]


def _segment(tool: WritingTool, name: str | None) -> tuple[str, list[Analysis]]:
    earlier = tool.earlier(("segment_customers",))
    analysis = tool.run_analysis("segment_customers", earlier[-1][1] if earlier else {})
    seg = analysis.result.table
    assert seg is not None
    names = [str(s) for s in seg["segment"]]
    chosen = (name and (closest(name, names) or (name if name in names else None))) or names[0]
    if name and chosen not in names:
        raise ToolError(f"No segment like {name!r}; segments: {', '.join(names)}.")
    # Only the chosen segment's facts: copy for champions must not quote the hibernating ones.
    result = analysis.result
    facts = [f for f in result.facts if f.name.startswith(f"{chosen}.")]
    from agent.writing import Analysis

    narrowed = ToolResult(text=f"Segment {chosen}", tables=result.tables, facts=facts, sql=result.sql)
    return f"customers in the segment {chosen}", [Analysis(analysis.name, analysis.args, narrowed)]


def copy_schema(variants: int, body_chars: int) -> dict[str, Any]:
    """A list of exactly ``variants`` variants, each a headline and a body."""
    return {
        "type": "object",
        "properties": {
            "variants": {
                "type": "array",
                "minItems": variants,
                "maxItems": variants,
                "items": {
                    "type": "object",
                    "properties": {
                        "headline": {"type": "string", "minLength": 1, "maxLength": 90},
                        "body": {"type": "string", "maxLength": body_chars},
                    },
                    "required": ["headline", "body"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["variants"],
        "additionalProperties": False,
    }


BODY_CHARS = {"short": 260, "medium": 520, "long": 1000}
TOKENS = {"short": 110, "medium": 200, "long": 360}


def _texts(data: dict[str, Any]) -> list[str]:
    return [
        f"{v.get('headline', '')}\n{v.get('body', '')}"
        for v in data.get("variants", [])
        if isinstance(v, dict)
    ]


def compose_copy(model: ChatModel, args: CopyArgs, subject: str, analyses: list[Analysis]) -> ToolResult:
    """Write the variants, check and flag them, and return them as text and a table."""
    from agent.writing import WrittenResult, analyses_currency, grounded_json, prompt_facts, system_message

    facts = [f for a in analyses for f in a.result.facts]
    texts = [subject, *(a.result.text for a in analyses)]
    tables = [t for a in analyses for t in a.result.tables]
    grounds = grounding.Grounds.build(facts, texts, analyses_currency(analyses), tables)
    user = prompts.render(
        "writing",
        "copy_user",
        variants=args.variants,
        kind=args.kind,
        kind_text=prompts.load("writing")["copy_kinds"][args.kind],
        subject_text=subject,
        tone=args.tone,
        length=prompts.load("writing")["copy_lengths"][args.length],
        language=args.language,
        facts=prompt_facts(facts),
    )
    messages = [system_message(), {"role": "user", "content": user}]
    schema = copy_schema(args.variants, BODY_CHARS[args.length])
    try:
        draft = grounded_json(model, messages, schema, grounds, _texts, TOKENS[args.length] * args.variants)
    except ModelError as e:
        raise ToolError(f"The model could not write the copy ({e}).") from None
    rows = []
    for v in draft.data.get("variants", []):
        head, c1 = _flagged(str(v.get("headline", "")), grounds)
        body, c2 = _flagged(str(v.get("body", "")), grounds)
        rows.append({"headline": head, "body": body, "unverified": len(c1.unsupported) + len(c2.unsupported)})
    sources = grounding.sources(a.source() for a in analyses)
    lines = [f"### Variant {i + 1}\n**{r['headline']}**\n\n{r['body']}" for i, r in enumerate(rows)]
    note = grounding.flag_note(draft.final)
    text = "\n\n".join([*lines, *([note] if note else []), grounding.sources_markdown(sources)])
    return WrittenResult(
        text,
        tables=[Table("variants", pd.DataFrame(rows))],
        facts=facts,
        sql=[q for a in analyses for q in a.result.sql],
        grounding=draft.record(),
        sources=sources,
    )


def _flagged(text: str, grounds: grounding.Grounds) -> tuple[str, grounding.Check]:
    result = grounding.check(text, grounds)
    return grounding.flag(text, result), result
