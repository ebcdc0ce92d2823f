"""The agreement as the Airflow UI shows it (a DAG's doc_md), and as the CLI prints it.

Names, titles, the share condition, purpose, legal basis and row filter are the catalogue's and
the requester's words: the template escapes every one of them for Markdown (govshare.markup).
"""

from __future__ import annotations

from govshare import markup, names
from govshare.registry.cards import AgreementCard

_DOC = markup.markdown(
    """\
### Sharing agreement {{ card.code }}

**{{ card.provider_name }}** ({{ card.provider_code | code }}) provides **{{ card.resource_name }}** \
({{ card.resource_code | code }})
to **{{ card.subscriber_name }}** ({{ card.subscriber_code | code }}).

| | |
|---|---|
| Purpose (用途) | {{ card.purpose }} |
| Legal basis (依据) | {{ card.legal_basis }} |
| Share type | {{ share_type_name }}{% if card.share_condition %} — \
{{ card.share_condition }}{% endif %} |
| Schedule | {{ card.schedule | code }} (Asia/Shanghai), from {{ card.start_date.isoformat() }} |
| Delivery | {{ card.delivery }} into {{ card.target | code }} on connection {{ card.target_conn_id | code }} |
| Rows granted | {{ card.row_filter or "all" }} |
| Catalogue version | {{ card.catalog_version }} |

#### Authorised items ({{ card.items | length }})
| column | title | personal data | mask |
|---|---|---|---|
{% for name, title, personal, mask in card.items -%}
| {{ name | code }} | {{ title }} | {{ "" if personal == "none" else personal }} | {{ "" if mask == "none" else mask }} |
{% endfor %}
Tasks: **preflight** (both databases answer; the provider's table matches the catalogue) →
**stage** (stream the authorised columns into a staging table) → **check** (quality rules) →
**publish** (atomic swap or merge into the target) → **record** (the delivery in the registry) and
**notify** (quality alerts and other emails about this agreement).
"""
)


def _values(card: AgreementCard) -> dict:
    return {"card": card, "share_type_name": names.named(card.share_type, "share")}


def doc_md(card: AgreementCard) -> str:
    """For the Airflow UI: every value escaped for Markdown."""
    return _DOC.render(**_values(card))


def doc_text(card: AgreementCard) -> str:
    """For the terminal: the same page, values as written."""
    return _DOC.render_plain(**_values(card))
