"""The agreement as the Airflow UI shows it (a DAG's doc_md)."""

from __future__ import annotations

from govshare.registry.agreements import AgreementCard

SHARE_TYPES = {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"}


def doc_md(card: AgreementCard) -> str:
    items = "\n".join(
        f"| `{name}` | {title} | {'' if personal == 'none' else personal} | {'' if mask == 'none' else mask} |"
        for name, title, personal, mask in card.items
    )
    condition = f" — {card.share_condition}" if card.share_condition else ""
    return f"""\
### Sharing agreement {card.code}

**{card.provider_name}** (`{card.provider_code}`) provides **{card.resource_name}** (`{card.resource_code}`)
to **{card.subscriber_name}** (`{card.subscriber_code}`).

| | |
|---|---|
| Purpose (用途) | {card.purpose} |
| Legal basis (依据) | {card.legal_basis} |
| Share type | {card.share_type} ({SHARE_TYPES.get(card.share_type, "")}){condition} |
| Schedule | `{card.schedule}` (Asia/Shanghai), from {card.start_date.isoformat()} |
| Delivery | {card.delivery} into `{card.target}` on connection `{card.target_conn_id}` |
| Rows granted | {card.row_filter or "all"} |
| Catalogue version | {card.catalog_version} |

#### Authorised items ({len(card.items)})
| column | title | personal data | mask |
|---|---|---|---|
{items}

Tasks: **preflight** (both databases answer; the provider's table matches the catalogue) →
**stage** (stream the authorised columns into a staging table) → **check** (quality rules) →
**publish** (atomic swap or merge into the target) → **record** (the delivery in the registry) and
**notify** (quality alerts and other emails about this agreement).
"""
