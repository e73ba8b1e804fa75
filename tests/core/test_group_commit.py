"""Writes that arrive together share one commit (xinfang.core.commits): every thread still
gets its own answer, only after the commit, and one failure stays its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from xinfang.cases.models import NumberSequence
from xinfang.core import commits
from xinfang.core.middleware import RequestContext, _current, current_request

pytestmark = pytest.mark.django_db(transaction=True)

Outcome = tuple[str, Any]


def scopes() -> list[str]:
    return sorted(NumberSequence.objects.values_list("scope", flat=True))


def create(scope: str) -> Callable[[], str]:
    def work() -> str:
        NumberSequence.objects.create(scope=scope)
        return scope

    return work


@pytest.fixture
def commit_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many COMMITs the connections of any thread have sent."""
    counted = [0]
    wrapper = type(connections["default"])
    commit = wrapper._commit  # type: ignore[attr-defined]  # private, not in the stubs

    def counting(self: BaseDatabaseWrapper) -> None:
        counted[0] += 1
        commit(self)

    monkeypatch.setattr(wrapper, "_commit", counting)
    return counted


def together(works: list[Callable[[], Any]], request_ids: list[str] | None = None) -> list[Outcome]:
    """Run ``works[0]`` in a thread; once it is writing, run the others in threads of their
    own, which find it writing and wait; let it finish when they all wait. Each thread may
    serve a request of its own (``request_ids``). Answers in order: ("value", v) or
    ("error", exception)."""
    outcomes: list[Outcome] = [("none", None)] * len(works)
    holding = threading.Event()
    release = threading.Event()

    def first() -> Any:
        holding.set()
        release.wait(10)
        return works[0]()

    def thread(index: int, work: Callable[[], Any]) -> threading.Thread:
        def target() -> None:
            if request_ids:
                _current.set(RequestContext(request_id=request_ids[index], source_ip=None))
            try:
                outcomes[index] = ("value", commits.shared_transaction(work))
            except Exception as error:  # the test reads it
                outcomes[index] = ("error", error)
            finally:
                connection.close()

        started = threading.Thread(target=target)
        started.start()
        return started

    threads = [thread(0, first)]
    assert holding.wait(10)
    threads += [thread(index, work) for index, work in enumerate(works[1:], start=1)]
    deadline = time.monotonic() + 10
    while len(commits._group._waiting) < len(works) - 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for started in threads:
        started.join(10)
    return outcomes


def test_writes_that_arrive_while_one_is_writing_share_its_commit(
    commit_count: list[int],
) -> None:
    outcomes = together([create(f"s{index}") for index in range(5)])
    assert outcomes == [("value", f"s{index}") for index in range(5)]
    assert scopes() == [f"s{index}" for index in range(5)]
    assert commit_count[0] == 1


def test_a_write_that_fails_rolls_back_only_itself(commit_count: list[int]) -> None:
    def fails() -> None:
        NumberSequence.objects.create(scope="lost")
        NumberSequence.objects.create(scope="s0")  # the same scope as the first: unique

    outcomes = together([create("s0"), fails, create("s2")])
    assert outcomes[0] == ("value", "s0")
    assert outcomes[1][0] == "error"
    assert isinstance(outcomes[1][1], IntegrityError)
    assert outcomes[2] == ("value", "s2")
    assert scopes() == ["s0", "s2"]
    assert commit_count[0] == 1


def test_a_failed_commit_is_every_writers_error_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(self: BaseDatabaseWrapper) -> None:
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(type(connections["default"]), "_commit", disk_full)
    outcomes = together([create("s0"), create("s1"), create("s2")])
    monkeypatch.undo()
    assert [kind for kind, _ in outcomes] == ["error"] * 3
    assert all("disk is full" in str(error) for _, error in outcomes)
    assert scopes() == []


def test_a_write_that_asks_for_rollback_rolls_back_only_itself() -> None:
    def undone() -> str:
        NumberSequence.objects.create(scope="undone")
        transaction.set_rollback(True)  # as in atomic(): its savepoint is rolled back
        return "undone"

    outcomes = together([create("s0"), undone, create("s2")])
    assert outcomes == [("value", "s0"), ("value", "undone"), ("value", "s2")]
    assert scopes() == ["s0", "s2"]


def test_a_group_left_marked_for_rollback_is_every_writers_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``atomic()`` would roll such a transaction back without an error; nobody may be told
    their rows were written."""
    monkeypatch.setattr(transaction, "get_rollback", lambda: True)
    outcomes = together([create("s0"), create("s1")])
    monkeypatch.undo()
    assert [kind for kind, _ in outcomes] == ["error", "error"]
    assert "均未保存" in str(outcomes[0][1])
    assert scopes() == []


def test_each_write_runs_with_its_own_request_context() -> None:
    def seen() -> str:
        context = current_request()
        return context.request_id if context else ""

    ids = ["request-aaaa", "request-bbbb", "request-cccc"]
    outcomes = together([seen, seen, seen], request_ids=ids)
    assert outcomes == [("value", request_id) for request_id in ids]


def test_inside_a_transaction_it_is_that_transaction() -> None:
    with transaction.atomic():
        commits.shared_transaction(create("inner"))
        transaction.set_rollback(True)
    assert scopes() == []


def test_alone_it_writes_and_answers_like_atomic() -> None:
    assert commits.shared_transaction(create("alone")) == "alone"
    with pytest.raises(IntegrityError):
        commits.shared_transaction(create("alone"))
    assert scopes() == ["alone"]


def test_many_writers_at_once_each_get_exactly_their_own_answer(commit_count: list[int]) -> None:
    """Eight threads, forty writes each, every third one failing: nobody waits forever, every
    success is written once, every failure not at all, and writes did share commits."""
    threads_count, per_thread = 8, 40
    outcomes: dict[str, str] = {}

    def writer(thread: int) -> None:
        try:
            for serial in range(per_thread):
                scope = f"t{thread}-{serial}"

                def work(scope: str = scope, fails: bool = serial % 3 == 0) -> str:
                    NumberSequence.objects.create(scope=scope)
                    if fails:
                        raise ValueError(scope)
                    return scope

                try:
                    outcomes[scope] = commits.shared_transaction(work)
                except ValueError as error:
                    outcomes[scope] = f"failed {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for started in threads:
        started.start()
    for started in threads:
        started.join(60)
    assert not any(started.is_alive() for started in threads)
    assert len(outcomes) == threads_count * per_thread
    written = [scope for scope, answer in outcomes.items() if answer == scope]
    assert all(answer == f"failed {scope}" for scope, answer in outcomes.items() if answer != scope)
    assert scopes() == sorted(written)
    assert commit_count[0] < threads_count * per_thread  # some of them shared a commit
