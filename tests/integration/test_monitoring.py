"""Monitoring on a real registry: anomaly detection on seeded histories, a seeded month whose
report figures are checked against the registry independently, and the report PDF rendered to
an image to prove its charts are drawn."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta

import matplotlib.colors
import psycopg
import pypdfium2
import pytest
import time_machine

from govshare import clock
from govshare.clock import TIMEZONE
from govshare.exchange.address import DatabaseAddress
from govshare.monitoring import anomalies, charts, documents, figures, health, send
from govshare.monitoring.anomalies import Thresholds, unusual_volume
from govshare.monitoring.figures import Period
from govshare.registry import models as m
from govshare.registry.db import session
from tests.conftest import run_cli
from tests.helpers import ParsedHtml, active_agreement, execute, population_front_db, provider_now, request

STEADY = [10_000, 10_040, 9_980, 10_010, 9_995, 10_020, 10_005]


def test_no_anomaly_on_steady_data():
    assert unusual_volume(STEADY, 10_030, Thresholds()) is None


def test_a_ninety_percent_drop_is_an_anomaly():
    why = unusual_volume(STEADY, 1_000, Thresholds())
    assert why is not None and "1,000 rows" in why and "deviations from the usual 10,005" in why


def test_no_judgement_before_the_minimum_history():
    assert unusual_volume(STEADY[:4], 1_000, Thresholds(min_history=5)) is None
    assert unusual_volume(STEADY[:5], 1_000, Thresholds(min_history=5)) is not None


def test_a_flat_history_still_catches_a_large_change():
    assert unusual_volume([500] * 6, 500, Thresholds()) is None
    assert unusual_volume([500] * 6, 100, Thresholds()) is not None


def _delivery(s, code: str, when: datetime, status: str, rows: int, passed=5, failed=0, warned=0, error=None):
    d = m.Delivery(
        agreement_code=code,
        run_id=f"seed_{when.isoformat()}_{status}_{rows}",
        status=status,
        started_at=when - timedelta(minutes=1),
        finished_at=when,
        rows=rows,
        bytes=rows * 10,
        duration_seconds=60,
        checks_passed=passed,
        checks_failed=failed,
        checks_warned=warned,
        error=error,
    )
    s.add(d)
    s.flush()
    return d


def test_the_delivery_history_is_judged_after_each_delivery(applied):
    code = active_agreement(request())
    with session() as s:
        base = datetime(2026, 10, 1, 2, tzinfo=TIMEZONE)
        for day, rows in enumerate(STEADY):
            _delivery(s, code, base + timedelta(days=day), "succeeded", rows)
        drop = _delivery(s, code, base + timedelta(days=10), "succeeded", 1_000)
        found = anomalies.after_delivery(s, drop, Thresholds())
        assert [a.kind for a in found] == ["volume"]
        for day in (11, 12, 13):
            failed = _delivery(s, code, base + timedelta(days=day), "failed", 0, error="stage failed: …")
        assert [a.kind for a in anomalies.after_delivery(s, failed, Thresholds())] == ["repeated_failures"]
        notes = s.query(m.Notification).filter(m.Notification.kind.like("anomaly.%")).all()
    assert len(notes) == 2 and all("data@gat.hebei.gov.cn" in n.recipients for n in notes)


def test_an_agreement_without_deliveries_becomes_overdue_once(applied):
    code = active_agreement(request())
    now = clock.now() + timedelta(days=3)  # three days later, still nothing
    with session() as s:
        assert [a.agreement_code for a in anomalies.overdue(s, now)] == [code]
        assert anomalies.overdue(s, now) == []  # recorded once, not every hour


@pytest.fixture
def seeded_month(applied):
    """October 2026: two agreements (hb_gat → hb_mzt, hb_rst → hb_mzt) with deliveries inside
    and outside the month, an anomaly, an open correction, an incident, health checks."""
    population = active_agreement(request())
    insurance = active_agreement(
        request(resource_code="rst_social_insurance", items=["record_id", "status"], target_table="insurance")
    )
    oct_ = lambda day, hour=3: datetime(2026, 10, day, hour, tzinfo=TIMEZONE)  # noqa: E731
    with session() as s:
        _delivery(s, population, oct_(1), "succeeded", 20_000, passed=10, warned=1)
        _delivery(s, population, oct_(2), "succeeded", 20_100, passed=11)
        _delivery(
            s, population, oct_(3), "failed", 20_050, passed=8, failed=2, error="check: 2 blocking check(s) failed"
        )
        _delivery(s, population, datetime(2026, 9, 30, 23, tzinfo=TIMEZONE), "succeeded", 19_000)  # September
        _delivery(s, insurance, oct_(2), "succeeded", 500, passed=7, warned=1)
        _delivery(s, insurance, datetime(2026, 11, 1, 0, 30, tzinfo=TIMEZONE), "failed", 0)  # November
        s.add(m.Anomaly(agreement_code=population, kind="volume", detail="seeded", detected_at=oct_(3)))
        s.add(
            m.Incident(agency_code="hb_gat", kind="front_db", detail="seeded", opened_at=oct_(5), closed_at=oct_(5, 6))
        )
        for hour, ok in enumerate([True] * 9 + [False]):
            s.add(
                m.FrontDbCheck(
                    agency_code="hb_gat",
                    resource_code="gat_population_register",
                    checked_at=oct_(6, hour),
                    ok=ok,
                    problem="",
                )
            )
    return population, insurance


def independent(registry_url: str, sql: str, *params):
    with psycopg.connect(registry_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET TIME ZONE 'Asia/Shanghai'")
        return conn.execute(sql, params).fetchall()


def test_the_monitoring_figures_are_what_the_registry_holds(applied, seeded_month):
    population, insurance = seeded_month
    with session() as s:
        report = figures.monitoring(s, "hb_mzt", Period.month("2026-10"))
    expected = independent(
        applied,
        "SELECT agreement_code, count(*), count(*) FILTER (WHERE status = 'succeeded'), "
        "count(*) FILTER (WHERE status = 'failed'), coalesce(sum(rows) FILTER (WHERE status = 'succeeded'), 0), "
        "sum(checks_passed), sum(checks_passed + checks_failed + checks_warned) FROM govshare.delivery "
        "WHERE finished_at >= '2026-10-01' AND finished_at < '2026-11-01' GROUP BY 1 ORDER BY 1",
    )
    got = [
        (x.agreement, x.deliveries, x.succeeded, x.failed, x.rows, x.checks_passed, x.checks_total)
        for x in report.as_subscriber
    ]
    assert got == [tuple(row) for row in expected]
    assert got[0] == (population, 3, 2, 1, 40_100, 29, 32)
    assert report.as_provider == []
    assert [(a, k) for _, a, k, _ in report.anomalies] == [(population, "volume")]
    assert len(report.failures) == 1 and report.failures[0][1] == population
    with session() as s:
        gat = figures.monitoring(s, "hb_gat", Period.month("2026-10"))
    assert [x.agreement for x in gat.as_provider] == [population] and len(gat.incidents) == 1


def test_the_supervision_figures_are_what_the_registry_holds(applied, seeded_month):
    with session() as s:
        report = figures.supervision(s, Period.quarter("2026Q4"))
    gat = next(x for x in report.scores if x.agency == "hb_gat")
    [(ok, total)] = independent(
        applied,
        "SELECT count(*) FILTER (WHERE ok), count(*) FROM govshare.front_db_check "
        "WHERE agency_code = 'hb_gat' AND checked_at >= '2026-10-01' AND checked_at < '2027-01-01'",
    )
    assert gat.availability == pytest.approx(100.0 * ok / total) == 90.0
    [(items, with_element)] = independent(
        applied,
        "SELECT count(*), count(element_code) FROM govshare.resource_item i JOIN govshare.resource r "
        "ON r.code = i.resource_code WHERE r.provider_code = 'hb_gat'",
    )
    assert gat.catalogue_completeness == pytest.approx(100.0 * with_element / items)
    [(succeeded, finished, passed, checks)] = independent(
        applied,
        "SELECT count(*) FILTER (WHERE d.status = 'succeeded'), count(*), sum(checks_passed), "
        "sum(checks_passed + checks_failed + checks_warned) FROM govshare.delivery d JOIN govshare.agreement a "
        "ON a.code = d.agreement_code JOIN govshare.resource r ON r.code = a.resource_code "
        "WHERE r.provider_code = 'hb_gat' AND finished_at >= '2026-10-01' AND finished_at < '2027-01-01'",
    )
    assert gat.delivery_success == pytest.approx(100.0 * succeeded / finished)
    assert gat.quality_pass == pytest.approx(100.0 * passed / checks)
    assert [x.agency for x in report.ranking][0] in {x.agency for x in report.scores}


def test_the_pdf_charts_are_drawn(applied, seeded_month, tmp_path):
    with session() as s:
        document = documents.monitoring_document(figures.monitoring(s, "hb_mzt", Period.month("2026-10")))
    pdf = pypdfium2.PdfDocument(document.pdf)
    assert len(pdf) >= 2
    text = pdf[0].get_textpage().get_text_range()
    assert "Monitoring report" in text and "hb_mzt" in text
    picture = pdf[0].render(scale=60 / 72).to_pil().convert("RGB")
    picture.save(tmp_path / "page1.png")
    pixels = list(picture.getdata())
    inked = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
    green = sum(1 for r, g, b in pixels if g > 120 and g > r + 40 and g > b + 20)  # the "succeeded" bars
    assert inked > 0.03 and green > 50, (inked, green)


def test_reports_from_the_command_line(applied, seeded_month, tmp_path):
    done = run_cli("report", "monitoring", "--agency", "hb_mzt", "--month", "2026-10", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "monitoring-hb_mzt-2026-10.pdf").read_bytes().startswith(b"%PDF")
    assert "Deliveries: 4, failed 1" in done.stdout
    quarter = run_cli("report", "supervision", "--quarter", "2026Q4", "--out", str(tmp_path))
    assert quarter.returncode == 0 and (tmp_path / "supervision-2026Q4.html").exists()
    bad = run_cli("report", "monitoring", "--agency", "hb_mzt", "--month", "October")
    assert bad.returncode == 2 and "is not a period like 2026-10" in bad.stderr
    unknown = run_cli("report", "monitoring", "--agency", "hb_nobody", "--month", "2026-10")
    assert unknown.returncode == 1 and "unknown agency 'hb_nobody'" in unknown.stderr


def _correction(s, code: str, agreement: str, due: date, filed: datetime) -> None:
    """A correction of a population record, routed to hb_gat and awaiting its answer by ``due``."""
    s.add(
        m.Correction(
            code=code,
            agreement_code=agreement,
            resource_code="gat_population_register",
            record_key={"person_id": "7"},
            item="name",
            authority_code="hb_gat",
            provider_code="hb_gat",
            subscriber_code="hb_mzt",
            problem="姓名有误",
            evidence="户口簿",
            status="filed",
            due_date=due,
            filed_at=filed,
        )
    )


def test_an_overdue_correction_is_marked_in_the_authoritys_report(applied, seeded_month):
    population, _ = seeded_month
    with session() as s:
        _correction(s, "COR-0001", population, date(2026, 10, 20), datetime(2026, 10, 13, 9, tzinfo=TIMEZONE))
    with session() as s:
        october = documents.monitoring_document(figures.monitoring(s, "hb_gat", Period.month("2026-10")))
        september = documents.monitoring_document(figures.monitoring(s, "hb_gat", Period.month("2026-09")))
    assert "2026-10-20 逾期 overdue" in october.html and "open corrections 1 (1 overdue)" in october.summary[1]
    assert "open corrections 0 (0 overdue)" in september.summary[1]  # filed after September


def _december_on(moment: datetime) -> documents.Document:
    """hb_gat's December 2026 report, made with the platform's clock at ``moment``."""
    with time_machine.travel(moment, tick=False), session() as s:
        return documents.monitoring_document(figures.monitoring(s, "hb_gat", Period.month("2026-12")))


def test_a_correction_due_later_this_month_is_not_overdue_yet(applied, seeded_month):
    population, _ = seeded_month
    with session() as s:
        _correction(s, "COR-0001", population, date(2026, 12, 9), datetime(2026, 12, 1, 9, tzinfo=TIMEZONE))
        _correction(s, "COR-0002", population, date(2026, 12, 1), datetime(2026, 11, 24, 9, tzinfo=TIMEZONE))
    midmonth = _december_on(datetime(2026, 12, 2, 10, tzinfo=TIMEZONE))
    assert "2026-12-09 逾期" not in midmonth.html and "2026-12-09" in midmonth.html  # due in a week
    assert "2026-12-01 逾期 overdue" in midmonth.html  # due yesterday
    assert "open corrections 2 (1 overdue)" in midmonth.summary[1]
    assert "the period is still running" in midmonth.summary[2] and "2026-12-02 10:00" in midmonth.summary[2]
    on_its_day = _december_on(datetime(2026, 12, 9, 17, tzinfo=TIMEZONE))
    assert "2026-12-09 逾期" not in on_its_day.html  # the deadline's own day is still in time
    after = _december_on(datetime(2026, 12, 10, 8, tzinfo=TIMEZONE))
    assert "2026-12-09 逾期 overdue" in after.html and "(2 overdue)" in after.summary[1]
    # Once December is over, its report judges by the month's end, whenever it is made.
    finished = _december_on(datetime(2027, 3, 1, 8, tzinfo=TIMEZONE))
    assert "(2 overdue)" in finished.summary[1] and "still running" not in " ".join(finished.summary)


LONG_ERROR = (
    "publish failed: the target table public.population_basic has 3 columns the agreement does not deliver "
    "(note, updated_by, checked_on); the platform never replaces a table it did not create, so the provider "
    "should ask the subscriber to drop them or to name another target_table in the agreement, and then rerun "
    "the delivery with `govshare delivery run` once the table matches the agreement's items."
)


def test_a_long_error_is_shown_whole_and_never_cut_mid_word(applied, seeded_month):
    population, _ = seeded_month
    with session() as s:
        _delivery(s, population, datetime(2026, 10, 9, 3, tzinfo=TIMEZONE), "failed", 0, error=LONG_ERROR)
    with session() as s:
        document = documents.monitoring_document(figures.monitoring(s, "hb_mzt", Period.month("2026-10")))
    assert LONG_ERROR in ParsedHtml(document.html).text  # the whole text is on the page
    [shown] = [ParsedHtml(x).text for x in re.findall(r"<summary>.*?</summary>", document.html)]
    assert shown.endswith(" …") and len(shown) < len(LONG_ERROR)
    kept = shown.removesuffix(" …")
    assert LONG_ERROR.startswith(kept) and LONG_ERROR[len(kept)] == " ", shown  # cut between two words
    pdf = pypdfium2.PdfDocument(document.pdf)
    text = " ".join(" ".join(page.get_textpage().get_text_range() for page in pdf).split())
    assert LONG_ERROR in text  # wrapped, whole


def test_agencies_without_activity_are_listed_apart_not_ranked(applied, seeded_month):
    with session() as s:
        report = figures.supervision(s, Period.quarter("2026Q4"))
    document = documents.supervision_document(report)
    idle = [x.agency for x in report.scores if not (x.requests or x.deliveries or x.corrections or x.checks)]
    assert idle and {"hb_gat", "hb_rst"} <= {x.agency for x in report.ranking}  # both delivered in October
    assert not set(idle) & {x.agency for x in report.ranking}
    ranking, apart = (_section(document.html, heading) for heading in ("Ranking and KPIs", "No activity this quarter"))
    assert all(f"({code})" not in ranking and f"({code})" in apart for code in idle)
    assert all(not line[0].isdigit() or "—" not in line for line in document.summary)


def _section(page: str, heading: str) -> str:
    """The HTML between the h2 holding ``heading`` and the next h2."""
    return page.split(heading, 1)[1].split("<h2>", 1)[0]


def _score(agency: str, catalogue=80.0, delivered=90.0, quality=95.0) -> figures.AgencyScore:
    return figures.AgencyScore(agency, agency, catalogue, 100.0, delivered, quality, 2.0, 99.0, 3, 40, 1, 24)


def _legend(figure):
    """The chart's one legend, the figure's or its axes'."""
    [legend] = figure.legends + [ax.get_legend() for ax in figure.axes if ax.get_legend()]
    return legend


def test_the_kpi_legend_stays_off_the_bars():
    scores = [_score("hb_gat"), _score("hb_rst", quality=100.0), _score("hb_scjgj", 100.0, 100.0, 100.0)]
    figure = charts.kpis_figure(figures.Supervision(Period.quarter("2026Q4"), scores))
    figure.canvas.draw()
    [ax], legend = figure.axes, _legend(figure)
    assert not legend.get_window_extent().overlaps(ax.get_window_extent())
    colours = [matplotlib.colors.to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert len(colours) == 5 and len(set(colours)) == 5


def test_an_empty_month_says_so_on_an_axis_from_zero():
    report = figures.Monitoring(
        "hb_mzt", "河北省民政厅", Period.month("2026-10"), datetime(2026, 11, 1, tzinfo=TIMEZONE)
    )
    figure = charts.deliveries_by_day_figure(report)
    figure.canvas.draw()
    [ax] = figure.axes
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 1
    assert "本期无交付 no deliveries in 2026-10" in [t.get_text() for t in ax.texts]
    legend = _legend(figure)
    colours = [matplotlib.colors.to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert len(colours) == 2 and len(set(colours)) == 2
    assert not legend.get_window_extent().overlaps(ax.get_window_extent())


def test_the_charts_draw_their_chinese_in_the_font_govshare_ships():
    """Titles, legends and messages are Chinese first, every glyph drawn from the font the PDF
    embeds: matplotlib warns of a glyph its font lacks, and here a warning fails."""
    month = figures.Monitoring(
        "hb_mzt", "河北省民政厅", Period.month("2026-10"), datetime(2026, 11, 1, tzinfo=TIMEZONE)
    )
    quarter = figures.Supervision(Period.quarter("2026Q4"), [_score("hb_gat"), _score("hb_rst")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for figure in (charts.deliveries_by_day_figure(month), charts.kpis_figure(quarter)):
            figure.canvas.draw()
            texts = [t for ax in figure.axes for t in (ax.title, *ax.texts)] + _legend(figure).get_texts()
            assert all(re.search("[\u4e00-\u9fff]", t.get_text()) for t in texts if t.get_text()), texts
            assert {t.get_fontname() for t in texts} == {"Noto Sans SC"}
        charts.ranking(quarter), charts.quality_trend(month)


def test_the_emailed_report_shows_its_charts_and_carries_its_pdf(applied, seeded_month, mailbox):
    from govshare.airflow import mail

    with session() as s:
        s.query(m.Notification).update({"status": "sent"})  # only the report matters here
        send.monitoring(s, "hb_mzt", Period.month("2026-10"), send=True)
    assert mail.send_pending().sent == 1
    [message] = mailbox.received
    assert "监测报告 monitoring report 2026-10" in str(message["Subject"])
    html = message.get_body(("html",)).get_content()
    charts = re.findall(r"src='cid:([^']+)'", html)
    assert charts and "data:image" not in html  # mail clients show cid: pictures, not data: URLs
    pictures = {
        p["Content-ID"].strip("<>"): p.get_content() for p in message.walk() if p.get_content_maintype() == "image"
    }
    assert all(pictures[cid].startswith(b"\x89PNG") for cid in charts)
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "monitoring-hb_mzt-2026-10.pdf" and pdf.get_content().startswith(b"%PDF")


def test_a_front_db_table_is_checked_for_its_columns_and_its_freshness(applied, make_database):
    front = make_database("front")
    population_front_db(front, 50)
    address, now = DatabaseAddress.from_url(front), clock.now()
    with session() as s:
        resource = s.get(m.Resource, "gat_population_register")
        execute(front, "UPDATE exchange.population_register SET updated_at = %s", (provider_now(),))
        assert health.check_resource(resource, address, now) == health.Finding(resource.code, True)
        execute(front, "UPDATE exchange.population_register SET updated_at = updated_at - interval '3 days'")
        stale = health.check_resource(resource, address, now)
        assert not stale.ok and "not fresh: the newest row is 72.0 hours old" in stale.problem
        execute(front, "ALTER TABLE exchange.population_register DROP COLUMN phone")
        drifted = health.check_resource(resource, address, now)
        assert not drifted.ok and "column phone (character varying(20)) is in the catalogue" in drifted.problem


def test_periods():
    assert (Period.month("2026-12").start, Period.month("2026-12").end) == (date(2026, 12, 1), date(2027, 1, 1))
    assert (Period.quarter("2026Q4").start, Period.quarter("2026Q4").end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert (Period.quarter("2026Q1").start, Period.quarter("2026Q1").end) == (date(2026, 1, 1), date(2026, 4, 1))


def test_the_pdf_embeds_its_chinese_font(applied, seeded_month):
    with session() as s:
        document = documents.monitoring_document(figures.monitoring(s, "hb_mzt", Period.month("2026-10")))
    # The glyphs travel in the file (a TrueType font program), so no reader needs a CJK font of its own.
    assert b"/FontFile2" in document.pdf and b"STSong" not in document.pdf
    text = pypdfium2.PdfDocument(document.pdf)[0].get_textpage().get_text_range()
    assert "监测报告" in text and "河北省民政厅" in text
