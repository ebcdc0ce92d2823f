"""The article-13 lifecycle on a real registry: every allowed move, every illegal one, and each
role trying what it may not do (refused, nothing changed, refusal audited)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from govshare import clock
from govshare.delivery.plan import plan_for
from govshare.errors import AgreementNotActive, IllegalTransition, NotAllowed, NotFound, RequestRefused
from govshare.identity import Role
from govshare.lifecycle import daily, service
from govshare.lifecycle.machine import MOVES, find, possible_for
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.registry.statuses import AgreementStatus
from tests.helpers import agency, operator, request
from tests.integration.test_registry import audit_tail, snapshot


def submitted(resource="gat_population_register", items=("person_id", "citizen_id"), table=None) -> str:
    with session() as s:
        wanted = request(resource_code=resource, items=list(items), target_table=table or f"t_{resource}")
        return service.request(s, agency("hb_mzt"), wanted, and_submit=True).code


def do(code: str, who, step, *args):
    """One action as it runs in production: its own transaction, refusals audited."""
    return service.act(who, step.__name__, f"agreement:{code}", lambda s: step(s, who, code, *args))


def status(code: str) -> str:
    with session() as s:
        return s.get(m.Agreement, code).status


def moves(registry_url: str) -> set[tuple[str, str, str]]:
    url = registry_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        return set(conn.execute("SELECT action, from_status, to_status FROM govshare.agreement_transition").fetchall())


def test_every_allowed_move(applied):
    mzt, gat, sjj, bb, bmj = (agency(a) for a in ("hb_mzt", "hb_gat", "hb_sjj", "hb_bb", "hb_bmj"))
    ops = operator()

    # conditional: reviewed, filed, activated, suspended, resumed, revoked by the subscriber
    a = submitted()
    assert status(a) == "submitted"
    do(a, gat, service.review, True, "仅用于低保审核")
    do(a, sjj, service.file)
    do(a, ops, service.activate)
    do(a, ops, service.suspend, "front DB maintenance")
    do(a, sjj, service.resume, "maintenance over")
    do(a, mzt, service.revoke, "duty transferred")
    assert status(a) == "revoked"

    # unconditional: agreed automatically, then expires at its end date
    b = submitted("scjg_enterprise_register", ("uscc", "name"))
    assert status(b) == "agreed"
    do(b, sjj, service.file)
    do(b, ops, service.activate)
    with session() as s:
        s.get(m.Agreement, b).end_date = clock.today() - timedelta(days=1)
    assert daily.run(clock.today()).expired == [b]
    assert status(b) == "expired"

    # refused, coordinated, settled, filed; suspended and revoked by the competent department
    c = submitted("rst_social_insurance", ("record_id", "status"))
    do(c, agency("hb_rst"), service.review, False, "涉及个人缴费信息")
    do(c, mzt, service.escalate, "核对确需缴费信息")
    do(c, sjj, service.coordinate, "限定用途后同意共享")
    do(c, sjj, service.file)
    do(c, ops, service.activate)
    do(c, sjj, service.suspend, "用途核查")
    do(c, sjj, service.revoke, "用途不符")

    # not_shared: refused at once, coordination, joint decision approves, it can be activated
    d = submitted("rst_medical_records", ("case_id", "diagnosis"))
    assert status(d) == "refused"
    do(d, sjj, service.escalate, "dispute")
    do(d, sjj, service.refer, "needs a joint decision")
    do(d, sjj, service.decide, True, "确属履职需要", "《工伤保险条例》第十九条")
    do(d, bb, service.decide, True, "职责明确", "三定规定")
    assert status(d) == "joint_decision"  # one vote still missing
    do(d, bmj, service.decide, True, "按保密要求脱敏后可共享", "《保守国家秘密法》")
    assert status(d) == "approved"
    do(d, sjj, service.file)
    do(d, ops, service.activate)
    with session() as s:
        assert plan_for(s, d).resource_code == "rst_medical_records"  # released by the decision

    # a joint decision with one rejection rejects
    e = submitted("rst_medical_records", ("case_id",), table="t_other")
    do(e, mzt, service.escalate, "dispute")
    do(e, sjj, service.refer, "joint decision")
    do(e, sjj, service.decide, True, "ok", "basis")
    do(e, bb, service.decide, True, "ok", "basis")
    do(e, bmj, service.decide, False, "敏感个人信息", "")
    assert status(e) == "rejected"

    # a provider that lets the deadline pass: the daily round escalates
    f = submitted(table="t_late")
    with session() as s:
        s.get(m.Agreement, f).due_date = clock.today() - timedelta(days=1)
    assert daily.run(clock.today()).escalated == [f]
    assert status(f) == "coordination"

    expected = {(mv.action, src.value, mv.target.value) for mv in MOVES if mv.target for src in mv.sources}
    expected |= {("decide", "joint_decision", "approved"), ("decide", "joint_decision", "rejected")}
    assert expected <= moves(applied)


def test_each_move_records_actor_reason_deadline_and_notifications(applied):
    code = submitted()
    with session() as s:
        agreement = s.get(m.Agreement, code)
        [step] = service.history(s, code)
        notes = s.query(m.Notification).filter(m.Notification.agreement_code == code).all()
    assert (step.action, step.from_status, step.to_status, step.actor) == (
        "submit",
        "draft",
        "submitted",
        "agency:hb_mzt",
    )
    assert agreement.due_date is not None and agreement.due_date > clock.today()
    assert [n.recipients for n in notes] == [
        ["shjz@mzt.hebei.gov.cn", "xxzx@mzt.hebei.gov.cn", "data@gat.hebei.gov.cn"]
    ]
    assert "awaiting the provider's review" in notes[0].subject
    [(actor, action, subject, detail)] = audit_tail(applied)
    assert (actor, action, subject) == ("agency:hb_mzt", "agreement.submit", f"agreement:{code}")
    assert detail["from"] == "draft" and detail["to"] == "submitted"


ALL_STATUSES = list(AgreementStatus)
CALLS = {
    "submit": lambda s, a, c: service.submit(s, a, c),
    "agree": lambda s, a, c: service.review(s, a, c, True, "statement"),
    "refuse": lambda s, a, c: service.review(s, a, c, False, "reasons"),
    "escalate": lambda s, a, c: service.escalate(s, a, c, "reason"),
    "coordinate": lambda s, a, c: service.coordinate(s, a, c, "reason"),
    "refer": lambda s, a, c: service.refer(s, a, c, "reason"),
    "decide": lambda s, a, c: service.decide(s, a, c, True, "reason", "basis"),
    "file": lambda s, a, c: service.file(s, a, c),
    "activate": lambda s, a, c: service.activate(s, a, c),
    "suspend": lambda s, a, c: service.suspend(s, a, c, "reason"),
    "resume": lambda s, a, c: service.resume(s, a, c),
    "revoke": lambda s, a, c: service.revoke(s, a, c, "reason"),
}
ILLEGAL = [(st, action) for st in ALL_STATUSES for action in CALLS if find(action, st) is None]


def force(registry_url: str, code: str, to: AgreementStatus) -> None:
    url = registry_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE govshare.agreement SET status = %s WHERE code = %s", (to.value, code))


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=[f"{st.value}-{a}" for st, a in ILLEGAL])
def test_illegal_moves_name_the_state_and_what_is_possible(applied, state, action):
    code = submitted()
    force(applied, code, state)
    before = snapshot(applied)
    who = operator()  # holds a role on every agreement, so the refusal is about the state
    with pytest.raises(IllegalTransition) as refused:
        service.act(who, action, f"agreement:{code}", lambda s: CALLS[action](s, who, code))
    assert refused.value.message == f"agreement {code} is {state.value}: '{action}' is not possible from there"
    assert refused.value.hint == f"possible now: {possible_for(state, {Role.OPERATOR})}"
    assert snapshot(applied) == before
    assert audit_tail(applied)[0][1] == "denied"


@pytest.mark.parametrize(
    ("state", "action", "who", "possible"),
    [
        # active: the platform may expire it, the competent department and operators suspend it;
        # the subscriber is told only what it may do itself
        (AgreementStatus.ACTIVE, "resume", "hb_mzt", "possible now: revoke"),
        (
            AgreementStatus.ACTIVE,
            "file",
            "hb_gat",
            "possible now: nothing by you; only the competent_department or operator or subscriber may act now",
        ),
        (AgreementStatus.SUBMITTED, "file", "hb_mzt", "possible now: nothing by you; only the provider may act now"),
        (AgreementStatus.REVOKED, "resume", "hb_mzt", "possible now: none (it is final)"),
    ],
)
def test_an_illegal_move_lists_only_what_this_actor_may_do(applied, state, action, who, possible):
    code = submitted()
    force(applied, code, state)
    actor = agency(who)
    with pytest.raises(IllegalTransition) as refused:
        service.act(actor, action, f"agreement:{code}", lambda s: CALLS[action](s, actor, code))
    assert refused.value.hint == possible


FORBIDDEN = [
    # (state, action, who, error): who holds no role allowing the action
    (AgreementStatus.SUBMITTED, "agree", "hb_mzt", NotAllowed),  # a subscriber cannot approve its own request
    (AgreementStatus.SUBMITTED, "agree", "hb_scjg", NotFound),  # another provider has no part in it at all
    (AgreementStatus.SUBMITTED, "refuse", "operator", NotAllowed),
    (AgreementStatus.DRAFT, "submit", "hb_gat", NotAllowed),  # the provider cannot submit for the subscriber
    (AgreementStatus.DRAFT, "submit", "sjz_mzj", NotFound),
    (AgreementStatus.REFUSED, "escalate", "hb_gat", NotAllowed),
    (AgreementStatus.COORDINATION, "coordinate", "hb_gat", NotAllowed),
    (AgreementStatus.COORDINATION, "coordinate", "hb_bb", NotAllowed),
    (AgreementStatus.COORDINATION, "refer", "hb_mzt", NotAllowed),
    (AgreementStatus.JOINT_DECISION, "decide", "hb_mzt", NotAllowed),
    (AgreementStatus.JOINT_DECISION, "decide", "hb_gat", NotAllowed),
    (AgreementStatus.AGREED, "file", "hb_gat", NotAllowed),
    (AgreementStatus.AGREED, "file", "operator", NotAllowed),
    (AgreementStatus.FILED, "activate", "hb_sjj", NotAllowed),
    (AgreementStatus.FILED, "activate", "hb_mzt", NotAllowed),
    (AgreementStatus.ACTIVE, "suspend", "hb_gat", NotAllowed),
    (AgreementStatus.ACTIVE, "revoke", "hb_gat", NotAllowed),
    (AgreementStatus.SUSPENDED, "resume", "hb_mzt", NotAllowed),
]


@pytest.mark.parametrize(("state", "action", "who", "error"), FORBIDDEN, ids=[f"{f[2]}-{f[1]}" for f in FORBIDDEN])
def test_roles_cannot_do_what_they_may_not(applied, state, action, who, error):
    code = submitted()
    force(applied, code, state)
    before = snapshot(applied)
    actor = operator() if who == "operator" else agency(who)
    with pytest.raises(error) as refused:
        service.act(actor, action, f"agreement:{code}", lambda s: CALLS[action](s, actor, code))
    assert snapshot(applied) == before
    [(audited_actor, audited, subject, detail)] = audit_tail(applied)
    assert (audited_actor, audited, subject, detail["action"]) == (str(actor), "denied", f"agreement:{code}", action)
    assert detail["reason"] == refused.value.message
    if error is NotAllowed:
        assert "may not" in refused.value.message and refused.value.hint.startswith("only the")


def test_agencies_read_only_their_own_agreements(applied):
    code = submitted()
    with session() as s:
        assert service.read(s, agency("hb_gat"), code).code == code  # the provider
        assert service.read(s, agency("hb_sjj"), code).code == code  # the overseeing department
        assert [a.code for a in service.visible(s, agency("hb_scjg"))] == []
    with pytest.raises(NotFound, match=f"no agreement '{code}' visible to agency:hb_scjg"):
        reader = agency("hb_scjg")
        service.act(reader, "read", f"agreement:{code}", lambda s: service.read(s, reader, code))
    assert audit_tail(applied)[0][1] == "denied"


def test_one_refusal_does_not_hold_up_the_daily_round(applied, monkeypatch):
    sjj, ops = agency("hb_sjj"), operator()
    ended = [submitted("scjg_enterprise_register", ("uscc", "name"), table=f"ended_{i}") for i in (1, 2)]
    for code in ended:
        do(code, sjj, service.file)
        do(code, ops, service.activate)
        with session() as s:
            s.get(m.Agreement, code).end_date = clock.today() - timedelta(days=1)
    real = daily._expire

    def expire(s, code, today):  # the first one is refused, as a broken record would be
        if code == ended[0]:
            raise RequestRefused("refused on purpose", "")
        real(s, code, today)

    monkeypatch.setattr(daily, "_expire", expire)
    done = daily.run(clock.today())
    assert done.expired == [ended[1]] and done.failed == [f"{ended[0]}: refused on purpose"]
    assert (status(ended[0]), status(ended[1])) == ("active", "expired")
    assert any(row[1] == "denied" and row[2] == f"agreement:{ended[0]}" for row in audit_tail(applied, 5))


def test_content_rules_of_the_workflow(applied):
    gat, sjj = agency("hb_gat"), agency("hb_sjj")
    code = submitted()
    with pytest.raises(RequestRefused, match="how the share condition is met"):
        do(code, gat, service.review, True, " ")
    medical = submitted("rst_medical_records", ("case_id",), table="t_med")
    do(medical, agency("hb_mzt"), service.escalate, "dispute")
    with pytest.raises(RequestRefused, match="coordination cannot release it"):
        do(medical, sjj, service.coordinate, "settled")
    with pytest.raises(NotFound):  # an agency with no part in it learns nothing, not even the resource
        do(medical, agency("hb_scjg"), service.coordinate, "settled")
    do(medical, sjj, service.refer, "joint decision")
    with pytest.raises(RequestRefused, match="must cite a legal basis"):
        do(medical, sjj, service.decide, True, "ok", "")
    do(medical, sjj, service.decide, False, "no", "")
    with pytest.raises(RequestRefused, match="has already voted"):
        do(medical, sjj, service.decide, True, "changed my mind", "basis")


def test_filing_numbers_are_sequential_and_unique(applied):
    sjj = agency("hb_sjj")
    first, second = (
        submitted("scjg_enterprise_register", ("uscc",)),
        submitted("scjg_enterprise_register", ("uscc",), "t2"),
    )
    year = clock.today().year
    assert do(first, sjj, service.file).filing_number == f"冀共享备〔{year}〕0001号"
    assert do(second, sjj, service.file).filing_number == f"冀共享备〔{year}〕0002号"
    by_hand, after = (submitted("scjg_enterprise_register", ("uscc",), f"t{i}") for i in (3, 4))
    assert do(by_hand, sjj, service.file, f"冀共享备〔{year}〕0007号").filing_number == f"冀共享备〔{year}〕0007号"
    assert do(after, sjj, service.file).filing_number == f"冀共享备〔{year}〕0008号"  # never a used one


def test_a_queued_run_of_a_suspended_agreement_delivers_nothing(applied):
    code = submitted("scjg_enterprise_register", ("uscc",))
    do(code, agency("hb_sjj"), service.file)
    do(code, operator(), service.activate)
    do(code, operator(), service.suspend, "pause")
    with session() as s, pytest.raises(AgreementNotActive, match="is suspended, not active"):
        plan_for(s, code)
