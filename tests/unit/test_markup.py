"""govshare.markup: whatever text goes into its templates comes out as that text — never as a
tag, a link, an image or a broken table — in HTML and in Markdown (rendered by a CommonMark
renderer with raw HTML on, GitHub's tables and strikethrough, as the Airflow UI renders docs)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from govshare import markup
from tests.helpers import HOSTILE, ParsedHtml

# Any text but NUL (neither PostgreSQL nor the API accepts it) and lone surrogates (not UTF-8),
# rich in what Markdown and HTML make something of.
SIGNIFICANT = list("<>&;#\\`*_[](){}!|~-+=.:/\"' \t\n\r") + ["&amp;", "&#60;", "<b>", "](", "![", "http://", "www."]
TEXT = st.lists(
    st.one_of(
        st.sampled_from(SIGNIFICANT),
        st.sampled_from(list("ax1中文")),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=40,
).map("".join)
LINE_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def render_markdown(source: str) -> ParsedHtml:
    return ParsedHtml(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source))


def one_line(text: str) -> str:
    for brk in LINE_BREAKS:
        text = text.replace(brk, " ")
    return text


def squeezed(text: str) -> str:
    """Whitespace runs as one space, ends trimmed: what a renderer may do to spaces and tabs."""
    return " ".join(text.split())


@given(TEXT)
@example(HOSTILE)
@settings(max_examples=300, deadline=None)
def test_html_templates_show_any_text_as_text(text):
    page = markup.html("<p title='{{ value }}'>{{ value }}</p>").render(value=text)
    parsed = ParsedHtml(page)
    assert parsed.tags == ["p"] and parsed.attributes == [("title", text)]
    assert "".join(parsed.chunks) == text


def test_html_templates_keep_what_another_template_rendered():
    inner = markup.html("<b>{{ value }}</b>").render(value="<i>")
    page = markup.html("<p>{{ inner }}{{ raw }}</p>").render(inner=inner, raw="<b>x</b>")
    assert page == "<p><b>&lt;i&gt;</b>&lt;b&gt;x&lt;/b&gt;</p>"


@given(TEXT)
@example(HOSTILE)
@example("a_b _c_ __d__ *e* `f` ~~g~~ \\[h] [i](j) ![k](l) <m> &amp; &#60; | n")
@settings(max_examples=300, deadline=None)
def test_markdown_text_reads_as_the_text_in_a_paragraph(text):
    parsed = render_markdown(markup.markdown("x {{ value }} y\n").render(value=text))
    assert parsed.tags == ["p"], parsed.tags
    assert squeezed("".join(parsed.chunks)) == squeezed(f"x {one_line(text)} y")


@given(TEXT, TEXT)
@example(HOSTILE, "`code` with | pipes ``")
@settings(max_examples=300, deadline=None)
def test_markdown_text_and_code_stay_in_their_table_cell(text, code):
    source = markup.markdown("| a | b | c |\n|---|---|---|\n| {{ value }} | {{ code | code }} | end |\n").render(
        value=text, code=code
    )
    page = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source)
    parsed = ParsedHtml(page)
    assert set(parsed.tags) <= {"table", "thead", "tbody", "tr", "th", "td", "code"} and not parsed.attributes, source
    cells = [html.unescape(re.sub(r"</?code>", "", cell)) for cell in re.findall(r"<td>(.*?)</td>", page, re.S)]
    assert [squeezed(c) for c in cells] == [squeezed(one_line(text)), squeezed(one_line(code)), "end"], source


def test_markdown_renders_plain_for_the_terminal():
    template = markup.markdown("| {{ value }} | {{ name | code }} |\n")
    assert template.render_plain(value="<b>a_b</b>\nnext", name="x_y") == "| <b>a_b</b> next | `x_y` |\n"
    assert template.render(value="<b>a_b</b>\nnext", name="x_y") == "| &lt;b&gt;a_b&lt;/b&gt; next | `x_y` |\n"


@pytest.mark.parametrize(
    ("value", "span"),
    [("a`b", "``a`b``"), ("`", "`` ` ``"), ("a``b`", "``` a``b` ```"), ("", ""), ("a|b", "`a\\|b`")],
)
def test_code_spans_hold_any_backticks(value, span):
    assert markup.markdown("{{ value | code }}").render(value=value) == span


def test_pdf_text_is_escaped_for_reportlab():
    assert markup.pdf_text('<b>"x" & y</b>') == "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;"


def test_a_share_is_rounded_down_so_a_failure_never_reads_100_percent():
    from govshare.numbers import percent

    assert percent(100.0 * (1 - 4 / 25_002)) == "99.98%"
    assert percent(99.9999) == "99.99%" and percent(100.0) == "100.00%"
    assert percent(None) == "—" and percent(12.345, 1) == "12.3%" and percent(0.0) == "0.00%"
