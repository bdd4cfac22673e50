"""The regulator's board through the web: the figures on the page, drilling down to a child
node, 404 outside one's node and for an enterprise's people, the plan as a workbook."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from .test_oversight import ow  # noqa: F401  (the fixture: a city, two districts, a street)
from .test_web import signed_in


@pytest.fixture
def app(make_app, ow, clock):  # noqa: F811
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def test_the_regulator_sees_the_districts_figures_and_a_link_to_its_street(app):
    page = signed_in(app, "regulator").get("/oversight").get_data(as_text=True)
    assert "监管看板" in page and "滨江区" in page
    assert figure(page, "in_scope") == "3"
    assert figure(page, "key_spaces") == "4"
    assert figure(page, "visits") == "1 / 3"
    assert figure(page, "open_problems") == "2"
    assert figure(page, "flagged") == "1"
    assert figure(page, "targets") == "2"
    assert 'href="/oversight/HZ-BJ-CH"' in page
    assert 'href="/oversight/HZ-BJ/plan.xlsx"' in page
    assert 'href="/inspections/enterprises/BJ1"' in page
    assert "003 第十六条" in page and "监护人员配备和履职情况" in page
    assert "BJ3" in page and "排除的领域" in page  # counted apart, with the reason
    assert "XS1" not in page


def test_drilling_down_to_the_street_shows_only_the_street(app):
    client = signed_in(app, "expert")
    page = client.get("/oversight/HZ-BJ-CH").get_data(as_text=True)
    assert figure(page, "in_scope") == "2"
    assert "BJ2" not in page and "BJ1" in page
    assert 'href="/oversight/HZ-BJ"' in page  # back up, as far as the expert's own node


def test_a_regulator_of_one_district_gets_404_for_the_other_districts_board(app):
    client = signed_in(app, "regulator")
    for url in (
        "/oversight/HZ-XS",
        "/oversight/HZ-XS/plan.xlsx",
        "/oversight/HZ",
        "/oversight/NOPE",
    ):
        assert client.get(url).status_code == 404, url
    other = signed_in(app, "regulator-xs")
    for url in ("/oversight/HZ-BJ", "/oversight/HZ-BJ-CH", "/oversight/HZ-BJ/plan.xlsx"):
        assert other.get(url).status_code == 404, url
    page = other.get("/oversight").get_data(as_text=True)
    assert "XS1" in page and "BJ1" not in page


def test_an_enterprises_people_get_404(app):
    for username in ("principal", "approver"):
        client = signed_in(app, username)
        for url in ("/oversight", "/oversight/HZ-BJ", "/oversight/HZ-BJ/plan.xlsx"):
            assert client.get(url).status_code == 404, (username, url)
        assert "/oversight" not in client.get("/inspections").get_data(as_text=True)


def test_the_board_in_english(app):
    page = signed_in(app, "regulator", lang="en").get("/oversight").get_data(as_text=True)
    for text in (
        "Oversight board",
        "Enterprises under the rules, by industry",
        "Key-supervision spaces, by category",
        "Annual enforcement plan: key inspection targets",
        "Attendants provided, and doing their duty",
        "Machinery",
    ):
        assert text in page, text


def test_the_enforcement_plan_downloads_as_a_workbook_with_one_row_per_target(app):
    response = signed_in(app, "regulator").get("/oversight/HZ-BJ/plan.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "滨江区" in rows[0][0] and "执法工作计划" in rows[0][0]
    header = rows[1]
    assert header[1] == "企业编码" and header[8] == "检查重点"
    targets = {r[1]: r for r in rows[2:]}
    assert set(targets) == {"BJ1", "BJ5"}
    assert "警示标志" in targets["BJ1"][8] and "警示标志" not in targets["BJ5"][8]
    assert "003 第十六条" in targets["BJ5"][10]
    assert targets["BJ1"][12] == 2  # open problems
