"""The martmind web app: a Gradio Blocks UI with Chat, Data, Reports and Settings tabs.

    from ui.app import build_app, launch
    ctx = UiContext(Workspace())          # one workspace and model for every browser session
    launch(build_app(ctx), ctx)           # http://127.0.0.1:7860, no share link, no analytics

Handlers live in small modules (ui/chat.py, ui/data_tab.py, ui/settings_tab.py, ui/reports_tab.py); this
module lays the page out and wires the events.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 - after the analytics switch
import yaml  # noqa: E402

from ui.chat import ChatHandlers, idle_controls  # noqa: E402
from ui.data_tab import FILE_TYPES, DataHandlers  # noqa: E402
from ui.errors import guarded  # noqa: E402
from ui.reports_tab import NOT_AVAILABLE, ReportHandlers, templates  # noqa: E402
from ui.session import UiContext  # noqa: E402
from ui.settings_tab import MAX_DISPLAY_ROWS, SettingsHandlers  # noqa: E402

CHAT_CONCURRENCY = 8  # turns running at once (model calls still run one at a time, see agent.model_cache)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PLACEHOLDER = (
    "**Ask about your data.** I pick an analysis tool, it computes the answer exactly, and I write it up. "
    "Every step, its arguments and its SQL are shown as it happens."
)


def example_questions(ctx: UiContext) -> list[str]:
    data = yaml.safe_load(resources.files("ui").joinpath("examples.yaml").read_text(encoding="utf-8"))
    return data["demo"] if ctx.ws.has_table("online_retail") else data["other"]


def _toast(n_outputs: int):
    """An on_error for guarded(): a one-sentence warning toast, outputs left as they were."""

    def on_error(message: str):
        gr.Warning(message)
        skips = tuple(gr.skip() for _ in range(n_outputs))
        return skips[0] if n_outputs == 1 else skips

    return on_error


def build_app(ctx: UiContext) -> gr.Blocks:
    """The Blocks app for one UiContext (call ``launch`` to serve it)."""
    chat, data = ChatHandlers(ctx), DataHandlers(ctx)
    settings, reports = SettingsHandlers(ctx), ReportHandlers(ctx)
    with gr.Blocks(title="martmind", analytics_enabled=False) as demo:
        gr.HTML(
            '<div class="mm-header"><h1>mart<span>mind</span></h1>'
            "<p>The model chooses and writes; code computes.</p></div>"
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat_ui = _chat_tab(ctx, chat)
            with gr.Tab("Data", id="data"):
                data_ui = _data_tab(data)
            with gr.Tab("Reports", id="reports"):
                _reports_tab(reports)
            with gr.Tab("Settings", id="settings"):
                settings_ui = _settings_tab(ctx, settings)
        demo.load(guarded(_toast(1))(chat.refresh_history), None, chat_ui["history"], show_progress="hidden")
        demo.load(
            guarded(_toast(2))(data.both_table_choices), None, data_ui["tables"], show_progress="hidden"
        )
        demo.load(guarded(_toast(2))(settings.status), None, settings_ui["status"], show_progress="hidden")

        def forget(request: gr.Request) -> None:  # a closed tab: drop its session (the chat stays on disk)
            ctx.drop(request.session_hash)

        demo.unload(forget)
    return demo


def _chat_tab(ctx: UiContext, chat: ChatHandlers) -> dict[str, Any]:
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280, elem_classes="mm-side"):
            new = gr.Button("New conversation", variant="secondary")
            history = gr.Radio(
                label="Past conversations", choices=[], value=None, interactive=True, elem_id="mm-history"
            )
            examples = gr.Dataset(
                label="Try asking",
                components=[gr.Textbox(visible=False)],
                samples=[[q] for q in example_questions(ctx)],
                elem_classes="mm-examples",
                elem_id="mm-examples",
            )
        with gr.Column(scale=4):
            chatbot = gr.Chatbot(
                layout="panel",
                height=600,
                elem_id="mm-chat",
                show_label=False,
                placeholder=PLACEHOLDER,
                feedback_options=None,
                buttons=["copy_all"],
            )
            with gr.Row():
                box = gr.Textbox(
                    placeholder="Ask about your data, e.g. revenue by country, top 5",
                    show_label=False,
                    scale=8,
                    autofocus=True,
                    elem_id="mm-question",
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="mm-send")
                stop = gr.Button(
                    "Stop", variant="stop", scale=1, min_width=90, visible=False, elem_id="mm-stop"
                )
                correct = gr.Button("👍 Correct", scale=1, min_width=110, elem_id="mm-correct", size="sm")
            with gr.Column(visible=False, elem_id="mm-results") as results:
                pick = gr.Dropdown(label="Result table", choices=[], visible=False, interactive=True)
                table = gr.Dataframe(
                    interactive=False,
                    show_search="search",
                    max_height=420,
                    wrap=True,
                    buttons=["fullscreen", "copy"],
                    elem_id="mm-table",
                )
                download = gr.DownloadButton("Download CSV", size="sm", elem_id="mm-download")

    respond = guarded(lambda m: (gr.skip(), *idle_controls()))(chat.respond)
    outputs = [chatbot, box, send, stop]
    result_outputs = [results, pick, table, download]
    show = guarded(_toast(4))(chat.show_results)
    refresh = guarded(_toast(1))(chat.refresh_history)
    # Our own step panels show progress (with a running clock), so Gradio's overlay is hidden.
    run = {"concurrency_limit": CHAT_CONCURRENCY, "concurrency_id": "chat", "show_progress": "hidden"}
    for trigger in (send.click, box.submit):
        trigger(respond, box, outputs, **run).then(show, None, result_outputs).then(refresh, None, history)
    examples.click(lambda sample: sample[0], examples, box, queue=False).then(
        respond, box, outputs, **run
    ).then(show, None, result_outputs).then(refresh, None, history)
    stop.click(guarded(_toast(0))(chat.stop), None, None, queue=False)
    correct.click(guarded(_toast(0))(chat.mark_correct), None, None)
    new.click(guarded(_toast(2))(chat.new_conversation), None, [chatbot, history]).then(
        show, None, result_outputs
    )
    chatbot.clear(guarded(_toast(2))(chat.new_conversation), None, [chatbot, history]).then(
        show, None, result_outputs
    )
    history.input(guarded(_toast(1))(chat.open_conversation), history, chatbot).then(
        show, None, result_outputs
    )
    pick.input(guarded(_toast(2))(chat.select_table), pick, [table, download])
    return {"history": history, "chatbot": chatbot}


def _data_tab(data: DataHandlers) -> dict[str, Any]:
    gr.Markdown(
        "Load your own data: CSV, TSV, Parquet, Excel or JSON. Each file becomes a table the assistant can "
        "query; loading a table again replaces it, and a failed load leaves the old one intact."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            upload = gr.File(label="File", file_types=FILE_TYPES, type="filepath", elem_id="mm-upload")
        with gr.Column(scale=1):
            table_name = gr.Textbox(label="Table name (optional)", placeholder="default: from the file name")
            sheet = gr.Textbox(label="Excel sheet (optional)", placeholder="default: the first sheet")
            load = gr.Button("Load file", variant="primary", elem_id="mm-load")
    load_message = gr.HTML(elem_id="mm-load-message")
    gr.Markdown("### Tables")
    tables = gr.Dropdown(label="Table", choices=[], interactive=True, elem_id="mm-tables")
    header = gr.Markdown(elem_id="mm-card-header")
    with gr.Tabs():
        with gr.Tab("Schema card"):
            card = gr.Dataframe(interactive=False, wrap=True, max_height=420, elem_id="mm-card")
        with gr.Tab("Preview"):
            preview = gr.Dataframe(
                interactive=False, max_height=420, show_search="search", elem_id="mm-preview"
            )
    gr.Markdown("### Search index\nEmbed a text column so the assistant can search it by meaning.")
    with gr.Row():
        index_table = gr.Dropdown(label="Table", choices=[], interactive=True)
        index_column = gr.Dropdown(label="Text column", choices=[], interactive=True)
        index = gr.Button("Index column", elem_id="mm-index")
    index_message = gr.HTML()

    show = guarded(_toast(3))(data.show_table)
    loaded = load.click(
        guarded(_toast(3))(data.upload), [upload, table_name, sheet], [load_message, tables, index_table]
    )
    loaded.then(show, tables, [header, card, preview])
    tables.change(show, tables, [header, card, preview])
    index_table.change(guarded(_toast(1))(data.text_columns), index_table, index_column)
    index.click(guarded(_toast(1))(data.index_column), [index_table, index_column], index_message)
    return {"tables": [tables, index_table]}


def _reports_tab(reports: ReportHandlers) -> None:
    available = reports.available()
    gr.Markdown(
        "Build a report (narrative, tables and charts, every number traced to its source) from a template "
        "or from this conversation's analyses, then download it as HTML or Markdown."
    )
    with gr.Row():
        template = gr.Dropdown(
            label="Report", choices=templates(), value=templates()[0], interactive=available
        )
        build = gr.Button("Build report", variant="primary", interactive=available, elem_id="mm-build-report")
    preview = gr.Markdown(value="", elem_id="mm-report")
    if not available:
        gr.HTML(f'<div class="mm-note" role="status">{NOT_AVAILABLE}</div>')
    with gr.Row():
        html = gr.DownloadButton("Download HTML", size="sm", visible=available)
        markdown = gr.DownloadButton("Download Markdown", size="sm", visible=available)
    build.click(guarded(_toast(3))(reports.generate), template, [preview, html, markdown])


def _settings_tab(ctx: UiContext, settings: SettingsHandlers) -> dict[str, Any]:
    gr.Markdown("### Model")
    model = gr.Markdown(elem_id="mm-model-status")
    with gr.Row():
        load = gr.Button("Load the model now", scale=0, min_width=200, elem_id="mm-load-model")
        refresh = gr.Button("Refresh status", scale=0, min_width=160)
    gr.Markdown(
        '<span class="mm-hint">Change the model by starting the UI with <code>martmind ui --model SPEC</code> '
        "(<code>transformers:PATH</code>, <code>openai:MODEL@URL</code>) or <code>$MARTMIND_MODEL</code>.</span>"
    )
    checked, changeable, note = settings.private_data()
    private = gr.Checkbox(
        label="Keep private data out of prompts", value=checked, interactive=changeable, elem_id="mm-private"
    )
    private_note = gr.Markdown(note)
    gr.Markdown("### Row limits")
    with gr.Row():
        display = gr.Number(
            label="Rows shown per result table",
            value=ctx.settings.display_rows,
            minimum=1,
            maximum=MAX_DISPLAY_ROWS,
            precision=0,
        )
        cap = gr.Number(label="Rows a query may return", value=ctx.ws.max_rows, minimum=1, precision=0)
        apply = gr.Button("Apply", scale=0, min_width=120)
    limits = gr.Markdown()
    gr.Markdown("### Workspace")
    workspace = gr.Markdown(elem_id="mm-workspace")

    status = [model, workspace]
    load.click(guarded(_toast(1))(settings.load_model), None, model)
    refresh.click(guarded(_toast(2))(settings.status), None, status)
    apply.click(guarded(_toast(1))(settings.apply_limits), [display, cap], limits)
    private.input(guarded(_toast(1))(settings.apply_private_data), private, private_note)
    return {"status": status}


LATIN_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial"]
# Chinese text needs a font with CJK glyphs: the one each system ships (Linux: fonts-noto-cjk, which
# .ci/run installs for the browser tests), else empty boxes.
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Hiragino Sans GB"]


def theme() -> gr.themes.Base:
    """Gradio's Soft theme with the computer's own fonts: the page must work offline (no web fonts)."""
    return gr.themes.Soft(
        primary_hue="indigo",
        secondary_hue="slate",
        font=[*LATIN_FONTS, *CJK_FONTS, "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def launch(
    demo: gr.Blocks,
    ctx: UiContext,
    *,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    quiet: bool = False,
):
    """Serve the app: localhost by default, never a share link; ``auth`` is required off localhost.

    Returns:
        Gradio's (app, local_url, share_url) when ``block`` is False.
    """
    if host not in LOCAL_HOSTS and auth is None:
        raise ValueError(
            f"Serving on {host} exposes your data: give a user and password (--auth user:password)."
        )
    css = resources.files("ui").joinpath("style.css").read_text(encoding="utf-8")
    demo.queue(default_concurrency_limit=4)
    return demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="martmind: sign in" if auth else None,
        share=False,
        show_error=False,
        prevent_thread_lock=not block,
        quiet=quiet,
        allowed_paths=[str(ctx.export_root)],
        footer_links=[],
        theme=theme(),
        css=css,
        mcp_server=False,
        ssr_mode=False,
    )
