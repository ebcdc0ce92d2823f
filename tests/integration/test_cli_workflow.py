"""The `govshare` command driving the whole workflow, as operators and agencies would: tokens,
a request with delivery options, review, filing, activation, suspension, revocation, audit."""

from __future__ import annotations

from tests.conftest import run_cli


def token_for(agency: str) -> str:
    done = run_cli("token", "create", agency)
    assert done.returncode == 0, done.stderr
    assert "store it now" in done.stderr
    return done.stdout.strip()


def as_agency(token: str, *args: str):
    return run_cli(*args, env={"GOVSHARE_TOKEN": token})


def test_the_workflow_from_the_command_line(applied):
    mzt, gat, sjj = token_for("hb_mzt"), token_for("hb_gat"), token_for("hb_sjj")
    submitted = as_agency(
        mzt,
        "agreement",
        "submit",
        "--resource-code",
        "gat_population_register",
        "--items",
        "person_id,citizen_id,name,region_code,updated_at",
        "--purpose",
        "低保审核",
        "--legal-basis",
        "《社会救助暂行办法》",
        "--target-conn-id",
        "sub_hb_mzt",
        "--target-table",
        "population_basic",
        "--mode",
        "incremental",
        "--watermark",
        "updated_at",
        "--deletions",
        "key_diff",
        "--row-filter",
        "region_code prefix 1301",
        "--masking",
        "citizen_id=hmac",
        "--masking",
        "name=none",
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "AGR-0001: submitted — now submitted; answer due by" in submitted.stdout

    own = as_agency(mzt, "agreement", "review", "AGR-0001", "--agree", "--statement", "自己批准")
    assert (
        own.returncode == 1 and "may not agree agreement AGR-0001" in own.stderr and "only the provider" in own.stderr
    )

    assert as_agency(gat, "agreement", "review", "AGR-0001", "--agree", "--statement", "仅限低保审核").returncode == 0
    filed = as_agency(sjj, "agreement", "file", "AGR-0001")
    assert "filed as 冀共享备〔" in filed.stdout
    assert run_cli("agreement", "activate", "AGR-0001").returncode == 0  # an operator, no token

    shown = as_agency(gat, "agreement", "show", "AGR-0001")
    assert "status: active" in shown.stdout
    assert "incremental by updated_at (overlap 600), deletions by key diff" in shown.stdout
    assert "region_code prefix '1301'" in shown.stdout
    assert "| `citizen_id` | 公民身份号码 | id_number | hmac |" in shown.stdout
    assert "| `name` | 姓名 | name |  |" in shown.stdout  # raw, as the agreement says
    assert "submitted → agreed" in shown.stdout or "submit" in shown.stdout

    hidden = as_agency(token_for("hb_scjg"), "agreement", "show", "AGR-0001")
    assert hidden.returncode == 1 and "no agreement 'AGR-0001' visible to agency:hb_scjg" in hidden.stderr

    # What agencies write is shown as written, never read as Rich markup (which would fail on "[/x]").
    assert as_agency(sjj, "agreement", "suspend", "AGR-0001", "--reason", "核查 [/x] [bold]").returncode == 0
    assert "核查 [/x] [bold]" in run_cli("agreement", "show", "AGR-0001").stdout
    typo = run_cli("agreement", "show", "AGR-[/x]")
    assert typo.returncode == 1 and "no agreement 'AGR-[/x]' visible" in typo.stderr
    wrong = as_agency(mzt, "agreement", "resume", "AGR-0001")
    assert wrong.returncode == 1 and "only the competent_department or operator may" in wrong.stderr
    assert as_agency(mzt, "agreement", "revoke", "AGR-0001", "--reason", "职责调整").returncode == 0
    listed = run_cli("agreement", "list")
    assert "revoked" in listed.stdout

    verified = run_cli("audit", "verify")
    assert verified.returncode == 0 and "audit log intact" in verified.stdout
    shown_audit = run_cli("audit", "show", "--subject", "agreement:AGR-0001")
    assert "denied" in shown_audit.stdout and "agreement.revoke" in shown_audit.stdout


def test_bad_options_are_explained(applied):
    mzt = token_for("hb_mzt")
    base = [
        "agreement",
        "submit",
        "--resource-code",
        "gat_population_register",
        "--items",
        "person_id,citizen_id",
        "--purpose",
        "p",
        "--legal-basis",
        "b",
        "--target-conn-id",
        "sub_hb_mzt",
        "--target-table",
        "t",
    ]
    cases = [
        (["--row-filter", "region_code"], "write ITEM OP VALUE"),
        (["--row-filter", "salary gte 100"], "row filter names 'salary'"),
        (["--row-filter", "region_code like 13%"], "unknown filter operator 'like'"),
        (["--masking", "citizen_id=blur"], "unknown mask 'blur'"),
        (["--masking", "person_id=keep:1,1"], "works on text items"),
        (["--mode", "incremental"], "needs a watermark"),
        (["--mode", "incremental", "--watermark", "name"], "cannot be a watermark"),
        (["--deletions", "key_diff"], "incremental deliveries only"),
    ]
    for extra, message in cases:
        done = as_agency(mzt, *base, *extra)
        assert done.returncode != 0, extra
        assert message in done.stderr, (extra, done.stderr)
    listed = run_cli("agreement", "list")
    assert "AGR-" not in listed.stdout  # nothing was created


def test_tokens_rotate_and_revoke(applied):
    old = token_for("hb_mzt")
    rotated = run_cli("token", "rotate", "hb_mzt")
    new = rotated.stdout.strip()
    assert as_agency(old, "agreement", "list").returncode == 1
    assert as_agency(new, "agreement", "list").returncode == 0
    assert "revoked 1 token(s) of hb_mzt" in run_cli("token", "revoke", "hb_mzt").stdout
    assert as_agency(new, "agreement", "list").returncode == 1
    listed = run_cli("token", "list", "hb_mzt").stdout
    assert old[:10] in listed and new not in listed  # only the first characters are ever shown


def test_corrections_from_the_command_line(applied):
    from tests.helpers import active_agreement, request

    code = active_agreement(
        request(
            resource_code="scjg_enterprise_register",
            target_table="ent",
            items=["uscc", "legal_rep_citizen_id"],
            masking={"legal_rep_citizen_id": "none"},
        )
    )
    mzt, gat = token_for("hb_mzt"), token_for("hb_gat")
    filed = as_agency(
        mzt,
        "correction",
        "file",
        "--agreement",
        code,
        "--key",
        "uscc=91130102MA0000000X",
        "--item",
        "legal_rep_citizen_id",
        "--problem",
        "已变更",
        "--evidence",
        "档案",
    )
    assert filed.returncode == 0, filed.stderr
    assert "COR-0001: filed — now filed (authority hb_gat)" in filed.stdout
    bad_key = as_agency(
        mzt,
        "correction",
        "file",
        "--agreement",
        code,
        "--key",
        "name=x",
        "--item",
        "uscc",
        "--problem",
        "p",
        "--evidence",
        "e",
    )
    assert bad_key.returncode == 1 and "the record key must give exactly uscc" in bad_key.stderr
    no_such = as_agency(
        mzt,
        *("correction", "file", "--agreement", code, "--key", "uscc=91130102MA0000000X", "--item", "uscc"),
        *("--problem", "p", "--evidence", "e", "--delivery", "999"),
    )
    assert no_such.returncode == 1 and f"no delivery 999 of agreement {code}" in no_such.stderr
    wrong = as_agency(mzt, "correction", "accept", "COR-0001")
    assert wrong.returncode == 1 and "only the authority may" in wrong.stderr
    assert as_agency(gat, "correction", "reject", "COR-0001").returncode == 1  # reasons are required
    assert as_agency(gat, "correction", "accept", "COR-0001").returncode == 0
    shown = as_agency(gat, "correction", "show", "COR-0001")
    assert "authoritative source: hb_gat; provider: hb_scjg" in shown.stdout and "accepted" in shown.stdout
    listed = run_cli("correction", "list")
    assert "COR-0001" in listed.stdout and "uscc=91130102MA0000000X" in listed.stdout


def test_codes_filters_and_the_token_are_taken_as_a_user_types_them(applied):
    from tests.helpers import active_agreement, request

    code = active_agreement(request())  # hb_gat → hb_mzt
    mzt = token_for("hb_mzt")
    # the token before the subcommand, as after it
    before = run_cli("--token", mzt, "agreement", "list")
    assert before.returncode == 0, before.stderr
    assert code in before.stdout
    hidden = run_cli("--token", token_for("hb_scjg"), "agreement", "list")
    assert hidden.returncode == 0 and code not in hidden.stdout  # it acted as hb_scjg, not as an operator
    # codes in any case
    shown = run_cli("agreement", "show", code.lower())
    assert shown.returncode == 0 and "status: active" in shown.stdout, shown.stderr
    assert run_cli("delivery", "list", "--agreement", code.lower()).returncode == 0
    # unknown filter values are refused by name, not answered with an empty table
    bogus = run_cli("agreement", "list", "--status", "bogus")
    assert bogus.returncode != 0 and "'bogus' is not one of" in bogus.stderr and "'active'" in bogus.stderr
    assert run_cli("agreement", "list", "--status", "ACTIVE").returncode == 0
    unknown = run_cli("delivery", "list", "--agreement", "AGR-9999")
    assert unknown.returncode == 1
    assert "no agreement 'AGR-9999'" in unknown.stderr and "`govshare agreement list`" in unknown.stderr
    for command in (("token", "list", "hb_nobody"), ("staff", "list", "hb_nobody")):
        done = run_cli(*command)
        assert done.returncode == 1 and "unknown agency 'hb_nobody'" in done.stderr, command


def test_the_command_line_gives_its_own_fixes(applied):
    from tests.helpers import active_agreement, request

    code = active_agreement(request())
    bad = run_cli("agreement", "list", env={"GOVSHARE_TOKEN": "gs_not-a-real-token"})
    assert bad.returncode == 1 and "missing, unknown or revoked token" in bad.stderr
    assert "--token" in bad.stderr and "GOVSHARE_TOKEN" in bad.stderr and "Authorization" not in bad.stderr
    blank = as_agency(token_for("hb_sjj"), "agreement", "suspend", code, "--reason", " ")
    assert blank.returncode == 1 and "fix: add --reason" in blank.stderr
    # the subscriber is told only what it may do itself on an active agreement
    mzt = token_for("hb_mzt")
    resumed = as_agency(mzt, "agreement", "resume", code)
    assert resumed.returncode == 1 and "fix: possible now: revoke\n" in resumed.stderr
