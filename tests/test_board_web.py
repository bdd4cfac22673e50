"""The compliance board through the web: who sees it, in both languages, and that every
evidence line leads to the register page that shows it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from .test_web import signed_in


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def lines(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-key="(\w+)" data-status="(\w+)"', page))


def test_the_principal_reads_the_board_in_chinese_with_articles_and_penalties(app, world):
    page = signed_in(app, "principal").get("/board").get_data(as_text=True)
    assert "合规看板" in page
    found = lines(page)
    assert found["signs"] == "not_met" and found["ledger"] == "met"
    assert "2个有限空间中有1个未设置警示标志" in page
    assert (
        "003 第十七条（一）" in page and "未按照规定在有限空间出入口设置明显的安全警示标志" in page
    )
    assert "处五万元以下的罚款" in page


def test_the_board_in_english_lists_what_falls_due_with_its_date(app, world):
    world.detector.due_on = world.today + timedelta(days=12)
    world.session.commit()
    page = signed_in(app, "approver", lang="en").get("/board").get_data(as_text=True)
    assert "Compliance board" in page and "Falling due in the next 30 days" in page
    assert "D-01 泵吸式四合一检测仪" in page and str(world.detector.due_on) in page
    assert "Penalty exposure: 003 第十七条（一）" in page


@pytest.mark.parametrize("who", ["attendant", "entrant"])
def test_the_other_staff_do_not_find_the_board(app, world, who):
    assert signed_in(app, who).get("/board").status_code == 404


def test_every_evidence_link_opens_a_register_page(app, world):
    client = signed_in(app, "principal")
    page = client.get("/board").get_data(as_text=True)
    board = page.split('<ul class="list board">', 1)[1]
    links = set(re.findall(r'<a href="([^"]+)"', board))
    assert {"/spaces?sign=missing", "/people", "/emergency", "/rules/system"} <= {
        link.replace("&amp;", "&") for link in links
    }
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_nav_links_the_board_for_those_who_may_see_it(app, world):
    assert 'href="/board"' in signed_in(app, "deputy").get("/permits").get_data(as_text=True)
    assert 'href="/board"' not in signed_in(app, "entrant").get("/permits").get_data(as_text=True)
