"""A database error becomes a failure whose fix fits what the database objected to."""

from __future__ import annotations

import ast
import builtins
import signal

import psycopg
import pytest

from govshare.errors import ClusterFailed, ExchangeFailed, GovshareError, InvalidParameter, RunFailed, Stopped
from govshare.exchange.failures import reported
from tests.conftest import ROOT


def failure_of(error: Exception, step: str = "stage") -> ExchangeFailed:
    with pytest.raises(ExchangeFailed) as caught, reported(step):
        raise error
    return caught.value


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        (psycopg.errors.InvalidTextRepresentation(), "does not fit the catalogue's type"),
        (psycopg.errors.NumericValueOutOfRange(), "does not fit the catalogue's type"),
        (psycopg.errors.UndefinedColumn(), "is not what the catalogue says"),
        (psycopg.errors.InsufficientPrivilege(), "check the connection's grants"),
        (psycopg.errors.UniqueViolation(), "repeat a key"),
        (psycopg.errors.NotNullViolation(), "miss a required value"),
        (psycopg.errors.RaiseException(), "the message says what it objects to"),
    ],
)
def test_the_fix_follows_the_sqlstate(error, fix):
    failure = failure_of(error)
    assert fix in failure.hint and not failure.retryable


def test_a_check_query_the_database_refused_points_at_the_rule():
    failure = failure_of(psycopg.errors.UndefinedFunction(), step="check")
    assert "fix the rule in include/quality" in failure.hint


def test_a_lost_connection_is_retried():
    assert failure_of(psycopg.errors.AdminShutdown()).retryable


def test_the_provider_limits_come_from_the_settings_and_are_checked(monkeypatch):
    from govshare import settings
    from govshare.errors import ConfigurationError

    monkeypatch.delenv("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.setenv("GOVSHARE_PROVIDER_LOCK_TIMEOUT", "5")
    assert settings.provider_limits() == (3600, 5)
    monkeypatch.setenv("GOVSHARE_PROVIDER_STATEMENT_TIMEOUT", "an hour")
    with pytest.raises(ConfigurationError, match="GOVSHARE_PROVIDER_STATEMENT_TIMEOUT='an hour' is not valid"):
        settings.provider_limits()


# Every kind of failure is a class in govshare/errors.py (issue 12), where an operator and a
# maintainer find them all: read from the source, so a module that does not import cleanly on
# this machine (one needing Airflow) is read all the same.
PACKAGE = ROOT / "govshare"
ERRORS = "govshare/errors.py"
# Bases from outside the package, known by name: Python's own exceptions, and those of the
# libraries, which all end so (psycopg.Error, click.ClickException, httpx.HTTPError).
BUILTIN = {
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
}
ENDINGS = ("Error", "Exception", "Exit", "Interrupt", "Warning")
# Internal control flow, never a failure an operator sees, left where it is raised and caught:
ALLOWED = {
    # The SIGTERM of `python -m govshare.devserver run`, a SystemExit so that a cancelled test
    # run stops the project's database server on its way out. It never reaches a user, and the
    # devserver is what runs the tests, so it is moved with care, on its own.
    ("govshare/devserver.py", "Terminated"),
}


def _classes() -> list[tuple[str, ast.ClassDef]]:
    """(module, class) for every class of every module of the package, nested ones too."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [(path.relative_to(ROOT).as_posix(), n) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    return found


def _is_exception(base: ast.expr, known: set[str], package: set[str]) -> bool:
    name = ast.unparse(base).rsplit(".", 1)[-1]
    if name in known:
        return True
    if isinstance(base, ast.Name) and name in package:
        return False  # one of the package's own classes, not (yet) found to be an exception
    return name in BUILTIN or name.endswith(ENDINGS)


def exception_classes() -> set[tuple[str, str]]:
    """(module, name) of each class of the package that derives from an exception, however
    indirectly: a class whose base is one of these is one too."""
    classes = _classes()
    package = {node.name for _, node in classes}
    known: set[str] = set()
    while True:
        more = {node.name for _, node in classes if any(_is_exception(b, known, package) for b in node.bases)}
        if more <= known:
            return {(module, node.name) for module, node in classes if node.name in known}
        known |= more


def test_every_kind_of_failure_is_a_class_in_errors_py():
    elsewhere = sorted(found for found in exception_classes() if found[0] != ERRORS and found not in ALLOWED)
    assert not elsewhere, (
        "exception classes outside govshare/errors.py: "
        + ", ".join(f"{module} {name}" for module, name in elsewhere)
        + "; move each into govshare/errors.py (a GovshareError, with a docstring saying when it is raised)"
    )


def test_the_source_reading_finds_exactly_the_exceptions_errors_py_defines():
    # The walk above is only as good as its reading of a class's bases: checked against the
    # classes themselves, which the base layer can import.
    from govshare import errors

    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == errors.__name__
    }
    assert {name for module, name in exception_classes() if module == ERRORS} == defined
    assert {"GovshareError", "ChecksCouldNotRun", "InvalidParameter", "Stopped"} <= defined


def test_each_allowed_exception_is_still_there():
    assert ALLOWED <= exception_classes(), "an allowed exception is gone: take it off ALLOWED"


def test_every_failure_of_the_package_says_what_to_do_and_when_it_is_raised():
    from govshare import errors

    for name, kind in vars(errors).items():
        if isinstance(kind, type) and issubclass(kind, BaseException) and kind.__module__ == errors.__name__:
            assert kind.__doc__, f"{name} has no docstring saying when it is raised"
            assert issubclass(kind, errors.GovshareError) or kind is errors.Stopped, f"{name} carries no hint"


def test_a_cluster_that_cannot_be_started_as_asked_says_so_before_starting_anything(tmp_path):
    from govshare.cluster.topology import Cluster

    with pytest.raises(ClusterFailed, match="a cluster needs at least one worker, not 0"):
        Cluster(workers=0, env={"AIRFLOW_HOME": str(tmp_path)})


def test_a_demo_run_without_the_cluster_s_passwords_asks_whether_it_is_running(tmp_path):
    from govshare.cluster.runner import Api

    with pytest.raises(RunFailed, match="no UI passwords at") as caught:
        Api("http://127.0.0.1:9", tmp_path / "passwords.json").request("GET", "/api/v2/version")
    assert caught.value.hint == "is the api-server of this cluster running?"


def test_sigterm_leaves_the_cluster_command_as_a_stop_not_as_a_failure():
    from govshare.cluster.__main__ import _terminated

    with pytest.raises(Stopped) as caught:
        _terminated(signal.SIGTERM, None)
    assert not isinstance(caught.value, GovshareError)  # no failure handler reports it and goes on


def test_a_parameter_the_open_data_api_cannot_take_is_named_as_ckan_names_it():
    from fastapi.testclient import TestClient

    from govshare.api.open_data import public

    client = TestClient(public)
    for params, field, why in [
        ({"id": "x" * 201}, "id", "text of at most 200 characters"),
        ({"fq": "private:true"}, "fq", "only organization:<name> and tags:<word> are supported, not private"),
    ]:
        action = "package_show" if "id" in params else "package_search"
        answer = client.get(f"/api/3/action/{action}", params=params)
        assert answer.status_code == 409
        assert answer.json()["error"] == {"__type": "Validation Error", field: [why]}
    answer = client.post("/api/3/action/package_list", content=b"[1]")
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "__type": "Validation Error",
        "the body must be a JSON object": ["the body must be a JSON object"],
    }


def test_an_invalid_parameter_carries_the_parameter_and_why():
    refused = InvalidParameter("rows", "must be between 0 and 1000")
    assert (refused.field, refused.why, refused.message) == (
        "rows",
        "must be between 0 and 1000",
        "rows: must be between 0 and 1000",
    )
    body = InvalidParameter("the body is not JSON")
    assert (body.field, body.why, str(body)) == ("the body is not JSON",) * 3
