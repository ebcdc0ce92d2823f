"""Text from the catalogue and from requests, put into HTML and Markdown: escaped by construction.

Whatever an agency writes — in the catalogue (agency, resource and item names, descriptions,
share conditions, contacts) or in a request (purpose, legal basis, reasons, corrections, filter
values) — ends up in pages, emails, reports and the Airflow UI. Rather than each renderer
remembering to escape each value, every renderer is a template made here, and every
``{{ value }}`` in it is escaped for where it lands:

- :func:`html` templates (pages, emails, reports) escape for HTML (Jinja's autoescape). What
  another html template rendered is markup already and is kept as it is; nothing else is
  trusted, so a fragment built with an f-string would be escaped, not injected.
- :func:`markdown` templates (a DAG's ``doc_md``) escape for Markdown, which passes raw HTML
  through and makes links and images of brackets: each value becomes literal text of one line
  (line breaks become spaces, so a value can neither start a block nor end a table row);
  ``< > &`` become character references and the other punctuation Markdown reads inline is
  backslash-escaped. ``{{ value | code }}`` is a code span, whatever backticks the value holds.
  Values sit inside a line, never at its start. GitHub-flavoured renderers (the Airflow UI's)
  still make a link of a bare web address in any text: the link is the address as written,
  never a disguise like ``[text](address)``. The same template renders as plain text for the
  terminal (:meth:`MarkdownTemplate.render_plain`): nothing escaped, lines kept whole.

PDFs are built with reportlab, whose paragraphs read a small XML markup: :func:`pdf_text` is
what goes into one. Plain text (an email's text part, the terminal) is never escaped: it shows
what was written.
"""

from __future__ import annotations

import re
from html import escape as html_escape

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

__all__ = ["HtmlTemplate", "Markup", "MarkdownTemplate", "html", "markdown", "markdown_text", "pdf_text"]

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
# The ASCII punctuation that means something inside a line of (GitHub-flavoured) Markdown:
# escapes, code, emphasis, strikethrough, links and images, table cells. At the start of a line
# more would (#, >, -, +, 1.), which is why values never start one.
_INLINE_PUNCTUATION = re.compile(r"([\\`*_\[\]|~!])")
_REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _one_line(value) -> str:
    return _LINE_BREAKS.sub(" ", str(value))


class _MarkdownSource(str):
    """Markdown made by a filter here (a code span): kept as it is by the markdown templates."""


def markdown_text(value) -> str:
    """``value`` as Markdown that reads as exactly this text, on one line."""
    text = _INLINE_PUNCTUATION.sub(_backslashed, _one_line(value))
    return re.sub(r"[&<>]", lambda m: _REFERENCES[m[0]], text)


def _backslashed(found: re.Match) -> str:
    at, text = found.start(), found.string
    # An underscore inside a word (updated_at) can neither open nor close emphasis: left as it is.
    if found[0] == "_" and 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
        return "_"
    return "\\" + found[0]


def _markdown_code(value) -> _MarkdownSource:
    """A code span holding ``value``: the fence is longer than any run of backticks in it.
    A ``|`` is escaped: GitHub-flavoured Markdown reads it as a table cell's end even in a code
    span (the docs' code spans are table cells, or codes that cannot hold one)."""
    text = _one_line(value).replace("|", "\\|")
    if not text:
        return _MarkdownSource("")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return _MarkdownSource(f"{fence}{pad}{text}{pad}{fence}")


def _finalize_markdown(value) -> str:
    return value if isinstance(value, _MarkdownSource) else markdown_text(value)


def _finalize_plain(value) -> str:
    return value if isinstance(value, _MarkdownSource) else _one_line(value)


_HTML = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_MARKDOWN = Environment(finalize=_finalize_markdown, undefined=StrictUndefined, keep_trailing_newline=True)
_MARKDOWN.filters["code"] = _markdown_code
_PLAIN = Environment(finalize=_finalize_plain, undefined=StrictUndefined, keep_trailing_newline=True)
_PLAIN.filters["code"] = lambda value: _MarkdownSource(f"`{_one_line(value)}`")


class HtmlTemplate:
    """An HTML page or fragment; :meth:`render` gives markup (a ``str``), every value escaped."""

    def __init__(self, source: str):
        self._template = _HTML.from_string(source)

    def render(self, **values) -> Markup:
        return Markup(self._template.render(**values))


class MarkdownTemplate:
    """Markdown for the Airflow UI (:meth:`render`), or the same as plain text (:meth:`render_plain`)."""

    def __init__(self, source: str):
        self._markdown = _MARKDOWN.from_string(source)
        self._plain = _PLAIN.from_string(source)

    def render(self, **values) -> str:
        return self._markdown.render(**values)

    def render_plain(self, **values) -> str:
        return self._plain.render(**values)


def pdf_text(value) -> str:
    """``value`` for a reportlab ``Paragraph`` (its markup is XML-like: ``< > &`` escaped)."""
    return html_escape(str(value))


def html(source: str) -> HtmlTemplate:
    return HtmlTemplate(source)


def markdown(source: str) -> MarkdownTemplate:
    return MarkdownTemplate(source)
