"""The consultation form's evidence page (/board/evidence): who sees it, both languages, each
checkpoint's suggested status, and every evidence link opens the register page it names."""

from __future__ import annotations

import re

import pytest

from permit.models import Signature

from .test_evidence import keep
from .test_web import signed_in


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def statuses(page: str) -> dict[int, str]:
    return {int(n): s for n, s in re.findall(r'data-number="(\d+)" data-status="(\w+)"', page)}


def test_the_principal_reads_the_twenty_checkpoints_in_chinese_with_their_articles(app, world):
    page = signed_in(app, "principal").get("/board/evidence").get_data(as_text=True)
    assert "现场会诊表证据" in page and "结论由专家判定" in page
    found = statuses(page)
    assert sorted(found) == list(range(1, 21))
    assert found[6] == "violated" and "2个有限空间中有1个未设置警示标志：TK-01" in page
    assert found[12] == "no_records" and "近12个月没有进入有限空间作业的记录" in page
    assert "003 第八条" in page and "000 会诊表第6项" in page
    assert "003 第十七条（一）" in page  # the penalty a missing sign exposes


def test_the_page_in_english_names_the_permit_signed_below_its_tier(app, world):
    keep(world)
    world.session.add(
        Signature(
            permit_id=world.contracted.id,
            user_id=world.approver.id,
            kind="approve",
            role="approver",
            tier="major",
            signed_at=world.clock.now(),
        )
    )
    world.session.commit()
    page = signed_in(app, "approver", lang="en").get("/board/evidence").get_data(as_text=True)
    assert "Evidence for the consultation form" in page and "Records show a problem" in page
    found = statuses(page)
    assert found[10] == "violated"
    assert f"signed below their tier: {world.contracted.number}" in page
    assert f'href="/permits/{world.contracted.number}"' in page
    assert all(found[n] == "satisfied" for n in range(1, 21) if n != 10), found


@pytest.mark.parametrize("who", ["attendant", "entrant"])
def test_the_other_staff_do_not_find_the_evidence_page(app, world, who):
    assert signed_in(app, who).get("/board/evidence").status_code == 404


def test_every_evidence_link_opens_a_register_page(app, world):
    keep(world)
    world.tank.sign_placed_on = None
    world.contracted.hazards = []
    world.session.commit()
    client = signed_in(app, "principal")
    page = client.get("/board/evidence").get_data(as_text=True)
    cards = page.split('<ul class="list board">', 1)[1]
    links = {link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)"', cards)}
    assert {"/spaces?sign=missing", "/people", "/emergency", "/rules/system"} <= links
    assert f"/permits/{world.contracted.number}" in links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_board_links_to_the_evidence_page(app, world):
    page = signed_in(app, "deputy").get("/board").get_data(as_text=True)
    assert 'href="/board/evidence"' in page
