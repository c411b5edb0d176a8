"""The public API (DESIGN.md "Public contract"): ``Assistant(model=..., home=...)``, ``.ask``, ``.stream``,
``.plan``, and the conversations it keeps.

    from agent import Assistant
    assistant = Assistant()                      # default model, default home, demo data
    answer = assistant.ask("revenue by country, top 5")
    print(answer.text, answer.tables[0].df)
    for event in assistant.stream("now only for Germany"):
        ...                                      # Step events, then the Answer
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.conversations import Conversation, ConversationStore
from agent.learned import Learned, LearnedExamples
from agent.loop import MAX_RETRIES, Agent, Plan
from agent.model_cache import shared_model
from agent.models import ChatModel, default_spec
from agent.privacy import PrivateModel, private_model
from agent.question import split_requests
from agent.router import Router, RouterMode
from agent.sql_fill import SqlMode
from agent.types import Answer, Step, combine_answers
from tools.base import ToolError
from tools.registry import cues_of
from tools.sqlguard import check_sql
from tools.workspace import Workspace, default_home

MAX_TURN_FACTS = 50


def default_model_spec() -> str:
    """``$MARTMIND_MODEL`` or the embedded default (agent.models.default_spec)."""
    return default_spec()


class Assistant:
    """An analytics assistant over one workspace, holding one conversation at a time.

    Args:
        model: a spec string (``transformers:default``, ``openai:<model>@<url>``, ``scripted``) or a
            ChatModel instance. Loaded on first use and shared by every Assistant in the process.
        home: the workspace directory (default ``$MARTMIND_HOME`` or ``~/.martmind``).
        workspace: an open Workspace (instead of ``home``).
        router_mode: ``top1`` (default: measured best, README "The agent"), ``auto``, ``shortlist`` or
            ``off`` (see agent.router).
        conversation_id: continue a stored conversation instead of starting a new one.
        max_retries: how often a fixable tool error goes back to the model.
        explicit_args: make the model write every argument, null when not stated (see agent.calls).
        registry: the tools (default: ``tools.registry.default_registry`` of the workspace).
        sql_mode: ``json`` (default) writes ``sql_query``'s SQL inside JSON; ``grammar`` as plain SQL under
            a grammar of the linked tables' real names (agent.sql_fill).
    """

    def __init__(
        self,
        model: str | ChatModel | None = None,
        home: str | Path | None = None,
        *,
        workspace: Workspace | None = None,
        router_mode: RouterMode = "top1",
        conversation_id: str | None = None,
        max_retries: int = MAX_RETRIES,
        explicit_args: bool = False,
        registry=None,
        sql_mode: SqlMode = "json",
    ):
        self.model_spec = model if isinstance(model, str) else getattr(model, "spec", "custom")
        if model is None:
            self.model_spec = default_model_spec()
        self._model: ChatModel | None = model if isinstance(model, ChatModel) else None
        self._private: PrivateModel | None = None  # what the agent calls: the model behind agent.privacy
        self._model_lock = threading.Lock()
        self.ws = workspace or Workspace(home)
        if registry is None:
            from agent.writing import WritingContext, register_writing_tools
            from tools.registry import default_registry

            registry = default_registry(self.ws)
            context = WritingContext(model=self._get_model, registry=registry, history=self._earlier_calls)
            register_writing_tools(registry, self.ws, context)
        self.registry = registry
        # What the person taught: worked examples for the fill step, and router examples on first route.
        self.learned = LearnedExamples(self.ws)
        self.router = Router(registry.names(), learned=self.learned.questions_by_tool, cues=cues_of(registry))
        self.agent = Agent(
            self.ws,
            registry,
            self._get_model,
            self.router,
            router_mode=router_mode,
            max_retries=max_retries,
            explicit_args=explicit_args,
            learned=self.learned,
            sql_mode=sql_mode,
        )
        self.store = ConversationStore(self.ws.subdir("conversations"))
        self.conversation = self.store.load(conversation_id) if conversation_id else Conversation()

    # -- the model ---------------------------------------------------------------------------------------
    @property
    def model(self) -> ChatModel:
        """The chat model, loaded now if it was not yet (raises ModelError if it cannot load)."""
        self._get_model()
        assert self._model is not None
        return self._model

    def _get_model(self) -> ChatModel:
        """The model as every prompt reaches it: through the wrapper that keeps private data out."""
        with self._model_lock:
            if self._model is None:
                self._model = shared_model(self.model_spec)
            if self._private is None:
                self._private = private_model(self._model, self.ws)
            return self._private

    @property
    def router_mode(self) -> RouterMode:
        return self.agent.router_mode

    @router_mode.setter
    def router_mode(self, mode: RouterMode) -> None:
        self.agent.router_mode = mode

    # -- asking ------------------------------------------------------------------------------------------
    def ask(self, text: str) -> Answer:
        """Answer one request (a follow-up of the conversation so far)."""
        answer = None
        for event in self.stream(text):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None  # stream always ends with an Answer
        return answer

    def stream(self, text: str) -> Iterator[Step | Answer]:
        """Yield Step events as they happen, then the final Answer; the turn is saved before the Answer.

        A request naming analyses in order ("segment the customers and write a strategy for each
        segment") runs them as consecutive turns, each result feeding the next, and ends with one Answer.
        """
        answers: list[Answer] = []
        for part in self.requests(text):
            for event in self.agent.run(part, self.conversation.state):
                if isinstance(event, Answer):
                    self._record(part, event)
                    answers.append(event)
                else:
                    yield event
            if answers[-1].error:
                break  # a later step would build on a result that is not there
        yield combine_answers(answers)

    def requests(self, text: str) -> list[str]:
        """The steps of a request: its parts when they go to different tools (at most three), else itself."""
        parts = split_requests(text)
        if len(parts) == 1:
            return parts
        tools = [self.router.route(p, "top1").fixed for p in parts]
        return parts if all(a != b for a, b in zip(tools, tools[1:], strict=False)) else [text]

    def plan(self, text: str) -> Plan:
        """The tool call(s) this request would make, validated but not run; the conversation is unchanged."""
        return self.agent.plan(text, self.conversation.state)

    def _record(self, question: str, answer: Answer) -> None:
        state = self.conversation.state
        ran = next((s for s in reversed(answer.steps) if s.kind == "tool_result"), None)
        if ran is not None and ran.result is not None:
            facts = [f.to_dict() for f in ran.result.facts[:MAX_TURN_FACTS]]
            state.record_call(ran.tool or "", ran.args or {}, ran.result.text, facts)
        if answer.error is None:
            state.record_turn(question, answer.text)
        self.conversation.add_turn(
            question,
            {
                "answer": answer.text,
                "tool_calls": answer.to_dict()["tool_calls"],
                "sql": list(answer.sql),
                "facts": [f.to_dict() for f in answer.facts[:MAX_TURN_FACTS]],
                "error": answer.error,
            },
        )
        self.store.save(self.conversation)

    def _earlier_calls(self) -> list[dict[str, Any]]:
        """The tool calls of this conversation's turns, oldest first (what a report or strategy draws on)."""
        return [c for turn in self.conversation.turns for c in turn.get("tool_calls", [])]

    # -- learning from the person -------------------------------------------------------------------------
    def learn(
        self,
        question: str,
        tool: str | None = None,
        args: dict[str, Any] | None = None,
        sql: str | None = None,
    ) -> Learned:
        """Remember that ``question`` is answered by this call (``sql`` alone means a ``sql_query`` call).

        The call is validated as the tool's arguments (and SQL by the guard) before it is stored; the same
        question again replaces the old entry. Similar requests then get it as a worked example, and the
        router sends the question itself to ``tool``.

        Raises:
            ToolError: no tool, an unknown tool, or arguments (SQL) that do not validate.
        """
        if sql is not None:
            if tool not in (None, "sql_query"):
                raise ToolError(f"SQL is the argument of sql_query, not of {tool}.")
            tool, args = "sql_query", {**(args or {}), "sql": sql.strip().rstrip(";").strip()}
        if not tool:
            raise ToolError("Say which tool answers the question (or give its SQL).")
        if tool not in self.registry:
            raise ToolError(f"There is no tool {tool!r}; known: {', '.join(self.registry.names())}.")
        parsed = self.registry.get(tool).parse_args(args or {})
        clean = parsed.model_dump(mode="json", exclude_defaults=True)
        if tool == "sql_query":
            check_sql(str(clean.get("sql", "")), self.ws.tables())
        doc_id = self.learned.add(question, tool, clean)
        self.router.add_examples(tool, [question.strip()])
        return Learned(question=question.strip(), tool=tool, args=clean, id=doc_id)

    def learn_last(self) -> Learned:
        """Remember the last turn of this conversation as right: its question and its final tool call.

        Raises:
            ToolError: there is no turn yet, the last one failed, or it called no tool.
        """
        if not self.conversation.turns:
            raise ToolError("There is no answer to learn from yet: ask a question first.")
        turn = self.conversation.turns[-1]
        if turn.get("error"):
            raise ToolError("The last answer failed; there is nothing right to learn from it.")
        calls = [c for c in turn.get("tool_calls") or [] if c.get("name")]
        if not calls:
            raise ToolError("The last answer called no tool; there is no call to learn.")
        return self.learn(turn["question"], calls[-1]["name"], calls[-1].get("args") or {})

    def forget_learned(self, learned_id: str) -> Learned:
        """Forget one learned example (by id, see ``self.learned.all()``)."""
        removed = self.learned.remove(learned_id)
        self.router.forget_examples([removed.question])
        return removed

    # -- conversations -----------------------------------------------------------------------------------
    def new_conversation(self) -> str:
        """Start a fresh conversation (the old one stays on disk); returns its id."""
        self.conversation = Conversation()
        return self.conversation.id

    def load_conversation(self, conversation_id: str) -> Conversation:
        """Continue a stored conversation: its turns and its state."""
        self.conversation = self.store.load(conversation_id)
        return self.conversation

    def conversations(self) -> list[dict[str, Any]]:
        """Stored conversations (id, title, created_at, updated_at, turns), newest first."""
        return self.store.list()

    def delete_conversation(self, conversation_id: str) -> None:
        self.store.delete(conversation_id)
        if self.conversation.id == conversation_id:
            self.new_conversation()


def conversation_store(home: str | Path | None = None) -> ConversationStore:
    """The conversations of a home directory, without opening its database (for listing in a UI)."""
    return ConversationStore((Path(home).expanduser() if home else default_home()) / "conversations")


def list_conversations(home: str | Path | None = None) -> list[dict[str, Any]]:
    return conversation_store(home).list()


def load_conversation(conversation_id: str, home: str | Path | None = None) -> Conversation:
    return conversation_store(home).load(conversation_id)
