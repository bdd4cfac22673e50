"""Warning signs: the printed PDF (read back as text, fonts, pixels and a decoded QR code), who
may print and replace them, and what a replaced sign's old token leads to."""

from __future__ import annotations

import json
import re

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text

from permit import db, registers, signs
from permit.cli import cli
from permit.documents import PdfCache
from permit.documents.sign import sign_pdf
from permit.errors import InvalidInput, NotFound
from permit.models import AuditEntry, SignToken, Space
from permit.qr import scan_url

from . import documents
from .helpers import row_counts

BASE = "https://permits.example.com"
A4 = (595.3, 841.9)
A3 = (841.9, 1190.6)
# PDF tests read the document, not the database: one backend is enough for them.
sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def render(world, *spaces, size="A4", **kw) -> bytes:
    return sign_pdf(
        world.session, list(spaces), base_url=BASE, size=size, now=world.clock.now(), **kw
    )


def close_to(size, expected) -> bool:
    return all(abs(a - b) < 1 for a, b in zip(size, expected, strict=True))


# -- the printed sign -------------------------------------------------------------------------


@sqlite_only
def test_a_sign_says_keep_out_and_names_the_hazards_controls_and_emergency_phone(world):
    pdf = render(world, world.pit)
    words = documents.text(pdf)
    for wording in ("有限空间 危险勿入", "未经许可 严禁入内", "扫码查看作业状态"):
        assert wording in words
    assert "1号污水处理池" in words and "WS-01" in words
    assert "硫化氢中毒" in words and "缺氧窒息" in words  # the pack's names of the hazards
    assert "作业前强制通风30分钟" in words and "持续检测硫化氢浓度" in words
    assert "入口上锁" in words
    assert "0571-12345678" in words and "示例食品有限公司" in words
    assert "003 第八条" in words  # the article that requires the sign, from the rule pack
    cjk = [f for f in documents.fonts(pdf) if "CJK" in f.name]
    assert cjk and all(f.embedded for f in cjk), documents.fonts(pdf)
    assert all(f.embedded for f in documents.fonts(pdf))


@sqlite_only
@pytest.mark.parametrize(("size", "points"), [("A4", A4), ("A3", A3)])
def test_the_qr_code_printed_on_a4_and_a3_decodes_to_the_scan_page_of_the_spaces_token(
    world, size, points
):
    pdf = render(world, world.pit, size=size)
    assert [close_to(p, points) for p in documents.pages(pdf)] == [True]
    image = documents.rasterise(pdf, dpi=72)  # a coarse photograph of the printed sign
    assert documents.qr_codes(image) == [scan_url(BASE, world.pit.qr_token)]


@sqlite_only
def test_the_qr_code_carries_a_random_token_of_at_least_128_bits_never_the_database_id(world):
    url = documents.qr_codes(documents.rasterise(render(world, world.tank)))[0]
    token = url.rsplit("/s/", 1)[1]
    assert url == f"{BASE}/s/{token}" and token == world.tank.qr_token
    assert len(token) * 6 >= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert str(world.tank.id) != token and world.pit.qr_token != token


@sqlite_only
def test_several_spaces_print_one_sign_each_in_the_order_given(world):
    pdf = render(world, world.tank, world.pit, size="A3")
    assert len(documents.pages(pdf)) == 2
    decoded = [documents.qr_codes(documents.rasterise(pdf, dpi=50, page=n)) for n in (1, 2)]
    assert decoded == [[scan_url(BASE, world.tank.qr_token)], [scan_url(BASE, world.pit.qr_token)]]


@sqlite_only
def test_a_space_with_much_to_say_still_gets_one_legible_page_per_sign(world, clock):
    long = registers.add_space(
        world.session,
        world.enterprise,
        code="LONG-01",
        name="焦炉煤气净化系统脱硫再生塔（含塔底循环槽及配套地下管廊）",
        hazards=["co", "h2s", "o2_deficiency", "flammable", "heat", "mechanical", "electric"],
        control_measures=[
            "作业前切断煤气来源并加装盲板，确认阀门关闭上锁挂牌",
            "氮气置换后用空气置换，连续机械通风不少于30分钟",
            "作业全程使用泵吸式四合一检测仪连续检测并每15分钟记录",
            "进入人员佩戴正压式空气呼吸器和全身式安全带",
            "使用防爆照明和防爆工具，严禁烟火",
            "塔外设专人监护并配备救援三脚架",
            "高温部位降温至40℃以下方可进入",
            "停电并在配电柜处上锁挂牌",
        ],
        isolation_measures=["煤气进出口阀门加盲板", "配电柜上锁", "人孔设隔离栏"],
        location="焦化厂化产车间",
        clock=clock,
    )
    pdf = render(world, world.pit, long, size="A3")
    assert len(documents.pages(pdf)) == 2  # one sign each: nothing spills onto a next page
    words = documents.text(pdf)
    assert "停电并在配电柜处上锁挂牌" in words and "人孔设隔离栏" in words
    assert documents.qr_codes(documents.rasterise(pdf, dpi=50, page=2)) == [
        scan_url(BASE, long.qr_token)
    ]


@sqlite_only
def test_a_sign_under_order_13_cites_its_article_11_and_gb_46768(session, clock):
    from .factories import World

    w = World(session, clock, pack="order13-2024")
    w.build()
    session.commit()
    words = documents.text(render(w, w.pit))
    assert "令13 第十一条" in words and "GB 46768 4.2.1" in words and "003" not in words


@sqlite_only
def test_a_spaces_own_emergency_number_is_printed_instead_of_the_enterprises(world):
    world.pit.emergency_phone = "0571-99990000"
    words = documents.text(render(world, world.pit))
    assert "0571-99990000" in words and "0571-12345678" not in words


@sqlite_only
def test_a_rendered_sign_comes_back_from_the_cache_until_the_space_changes(world, tmp_path):
    cache = PdfCache(tmp_path / "cache")
    first = render(world, world.pit, cache=cache)
    assert len(list((tmp_path / "cache").glob("*.pdf"))) == 1
    assert render(world, world.pit, cache=cache) == first
    world.pit.name = "1号污水处理池（东）"
    changed = render(world, world.pit, cache=cache)
    assert "1号污水处理池（东）" in documents.text(changed)
    assert len(list((tmp_path / "cache").glob("*.pdf"))) == 2


def test_only_a4_and_a3_are_printed(world):
    with pytest.raises(InvalidInput, match="A4 or A3"):
        render(world, world.pit, size="A5")


# -- replacing a sign -------------------------------------------------------------------------


def test_a_replaced_sign_gets_a_new_token_and_the_old_one_opens_nothing(world):
    old = world.pit.qr_token
    assert signs.space_by_token(world.session, old) is world.pit
    world.clock.advance(days=3)
    issued = signs.reissue(world.session, world.pit, actor=world.principal, clock=world.clock)
    world.session.commit()
    assert world.pit.qr_token == issued.token != old
    assert signs.space_by_token(world.session, old) is None
    assert signs.space_by_token(world.session, issued.token) is world.pit
    first, second = signs.history(world.session, world.pit)
    assert (first.token, first.replaced_by_id, first.replaced_at) == (
        old,
        world.principal.id,
        world.clock.now(),
    )
    assert (second.token, second.issued_by_id, second.replaced_at) == (
        issued.token,
        world.principal.id,
        None,
    )


def test_replacing_a_sign_is_audited_without_writing_either_token_into_the_log(world):
    old = world.pit.qr_token
    signs.reissue(world.session, world.pit, actor=world.deputy, clock=world.clock)
    world.session.commit()
    entry = world.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "reissue_sign")
    ).one()
    assert (entry.subject_type, entry.subject_id, entry.actor_id, entry.actor_role) == (
        "spaces",
        world.pit.id,
        world.deputy.id,
        "deputy",
    )
    assert entry.data["replaced"] == signs.fingerprint(old)
    assert entry.data["issued"] == signs.fingerprint(world.pit.qr_token)
    logged = json.dumps(entry.data)
    assert old not in logged and world.pit.qr_token not in logged


def test_only_the_principal_deputy_and_admin_of_the_enterprise_may_replace_a_sign(world):
    admin = world.person("管理员", ["admin"])
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=world.clock
    )
    outsider = world.person("别家管理员", ["admin", "principal"], enterprise=other)
    for allowed in (world.principal, world.deputy, admin):
        assert signs.can_reissue(allowed, world.pit)
    world.session.commit()
    for refused in (world.approver, world.attendant, world.entrant, outsider):
        assert not signs.can_reissue(refused, world.pit)
        before, token = row_counts(world.session), world.pit.qr_token
        with pytest.raises(NotFound):
            signs.reissue(world.session, world.pit, actor=refused, clock=world.clock)
        world.session.rollback()
        assert row_counts(world.session) == before and world.pit.qr_token == token


def test_sign_tokens_are_never_deleted(world, engine):
    signs.reissue(world.session, world.pit, actor=world.principal, clock=world.clock)
    world.session.commit()
    with pytest.raises(Exception, match="never deleted|append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sign_tokens"))
    assert len(signs.history(world.session, world.pit)) == 2


def test_a_retired_space_opens_nothing(world):
    token = world.tank.qr_token
    registers.retire_space(world.session, world.tank, clock=world.clock)
    world.session.commit()
    assert signs.space_by_token(world.session, token) is None


@pytest.mark.parametrize("junk", ["", "x", "a" * 65, "../../etc/passwd", "abc def ghi jkl mno"])
def test_a_malformed_token_is_not_even_looked_up(world, junk):
    assert signs.space_by_token(world.session, junk) is None


def test_the_migration_keeps_the_tokens_of_signs_already_printed(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = db.make_engine(url)
    try:
        command.upgrade(db._alembic_config(engine), "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO enterprises (id, code, name, industry, permit_counter, "
                    "created_at) VALUES (1, 'E', 'e', 'light', 0, '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO spaces (id, enterprise_id, code, name, location, industry, "
                    "hazards, isolation_measures, control_measures, deep, qr_token, created_at) "
                    "VALUES (7, 1, 'S', 's', '', 'light', '[]', '[]', '[]', 0, 'printed-token-"
                    "0123456789', '2026-01-02 00:00:00')"
                )
            )
        db.migrate(engine)
        with db.session_factory(engine)() as session:
            row = session.scalars(select(SignToken)).one()
            assert (row.space_id, row.token, row.replaced_at) == (
                7,
                "printed-token-0123456789",
                None,
            )
            assert session.get(Space, 7).emergency_phone is None
    finally:
        engine.dispose()


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_db(engine, monkeypatch, world):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    return world


@sqlite_only
def test_permit_sign_prints_the_named_spaces_to_one_pdf(cli_db, tmp_path):
    out = tmp_path / "signs.pdf"
    result = CliRunner().invoke(
        cli, ["sign", "WS-01", "TK-01", "-o", str(out), "--size", "A3", "--base-url", BASE]
    )
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert [close_to(p, A3) for p in documents.pages(pdf)] == [True, True]
    assert documents.qr_codes(documents.rasterise(pdf, dpi=50, page=2)) == [
        scan_url(BASE, cli_db.tank.qr_token)
    ]


@sqlite_only
def test_permit_sign_all_takes_the_base_url_from_the_environment(cli_db, tmp_path, monkeypatch):
    registers.retire_space(cli_db.session, cli_db.tank, clock=cli_db.clock)
    cli_db.session.commit()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://signs.example.org/")
    out = tmp_path / "all.pdf"
    result = CliRunner().invoke(cli, ["sign", "--all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert len(documents.pages(pdf)) == 1  # the retired tank has no sign
    assert documents.qr_codes(documents.rasterise(pdf, dpi=50)) == [
        f"https://signs.example.org/s/{cli_db.pit.qr_token}"
    ]


def test_permit_sign_refuses_without_a_base_url_or_with_an_ambiguous_code(cli_db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "x.pdf"
    missing = runner.invoke(cli, ["sign", "WS-01", "-o", str(out)])
    assert missing.exit_code != 0 and "PUBLIC_BASE_URL" in missing.output
    bad = runner.invoke(cli, ["sign", "WS-01", "-o", str(out), "--base-url", "permits.local"])
    assert bad.exit_code != 0 and "http" in bad.output
    other = registers.create_enterprise(
        cli_db.session, code="QY2", name="别家", industry="light", clock=cli_db.clock
    )
    registers.add_space(cli_db.session, other, code="WS-01", name="别家污水池", clock=cli_db.clock)
    cli_db.session.commit()
    ambiguous = runner.invoke(cli, ["sign", "WS-01", "-o", str(out), "--base-url", BASE])
    assert ambiguous.exit_code != 0 and "--enterprise" in ambiguous.output
    every = runner.invoke(cli, ["sign", "--all", "-o", str(out), "--base-url", BASE])
    assert every.exit_code != 0 and "--enterprise" in every.output
    unknown = runner.invoke(cli, ["sign", "NOPE", "-o", str(out), "--base-url", BASE])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
    assert not out.exists()
    chosen = runner.invoke(
        cli, ["sign", "WS-01", "--enterprise", "QY2", "-o", str(out), "--base-url", BASE]
    )
    assert chosen.exit_code == 0, chosen.output
    assert "别家污水池" in documents.text(out.read_bytes())


# -- over the web -------------------------------------------------------------------------------


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def signed_in(app, username: str, base_url: str = "http://localhost"):
    client = app.test_client()
    login = client.post(
        "/login", data={"username": username, "password": "demo"}, base_url=base_url
    )
    assert login.status_code == 302
    return client


@sqlite_only
def test_staff_print_a_sign_whose_qr_code_leads_to_the_address_they_reached(app, world):
    site = "https://site.example.net"
    response = signed_in(app, "attendant", site).get(
        "/spaces/WS-01/sign.pdf?size=A3", base_url=site
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert [close_to(p, A3) for p in documents.pages(response.data)] == [True]
    assert documents.qr_codes(documents.rasterise(response.data, dpi=60)) == [
        f"https://site.example.net/s/{world.pit.qr_token}"
    ]


@sqlite_only
def test_the_public_base_url_setting_wins_over_the_request_address(make_app, world, clock):
    app = make_app(
        CLOCK=clock, PUBLIC_BASE_URL="https://permits.example.com/", WTF_CSRF_ENABLED=False
    )
    response = signed_in(app, "attendant").get("/spaces/WS-01/sign.pdf")
    assert documents.qr_codes(documents.rasterise(response.data, dpi=60)) == [
        scan_url(BASE, world.pit.qr_token)
    ]


@sqlite_only
def test_a_site_prints_the_signs_of_its_active_spaces_filtered_by_location(app, world, clock):
    world.pit.location = "污水站"
    world.tank.location = "糖库"
    extra = registers.add_space(
        world.session, world.enterprise, code="WS-02", name="2号池", location="污水站", clock=clock
    )
    registers.retire_space(world.session, extra, clock=clock)
    world.session.commit()
    client = signed_in(app, "principal")
    every = client.get("/signs.pdf")
    assert len(documents.pages(every.data)) == 2  # the retired pool has no sign
    site = client.get("/signs.pdf?size=A3&location=污水")
    assert len(documents.pages(site.data)) == 1 and "1号污水处理池" in documents.text(site.data)
    none = client.get("/signs.pdf?location=nowhere%25")
    assert none.status_code == 303
    page = client.get(none.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "没有符合条件的在用有限空间" in page


def test_a_bad_size_is_refused_with_a_message_and_nothing_else(app, world):
    client = signed_in(app, "principal")
    response = client.get(
        "/spaces/WS-01/sign.pdf?size=A0", headers={"Referer": "http://localhost/permits"}
    )
    assert (
        response.status_code == 303 and response.headers["Location"] == "http://localhost/permits"
    )
    assert "A4 或 A3" in client.get("/permits").get_data(as_text=True)


def test_a_space_of_another_enterprise_has_no_sign_to_print_or_replace(app, world, clock):
    other = registers.create_enterprise(
        world.session, code="QY2", name="别家", industry="light", clock=clock
    )
    world.person("别家主任", ["principal", "admin"], username="boss2", enterprise=other)
    world.session.commit()
    client = signed_in(app, "boss2")
    assert client.get("/spaces/WS-01/sign.pdf").status_code == 404
    assert client.post("/spaces/WS-01/sign/reissue").status_code == 404
    assert world.session.scalars(select(SignToken)).all() == []


def test_the_principal_replaces_a_sign_from_the_web_and_is_told_what_to_do(app, world):
    old = world.pit.qr_token
    client = signed_in(app, "principal")
    response = client.post("/spaces/WS-01/sign/reissue")
    assert response.status_code == 303 and response.headers["Location"] == "/spaces/WS-01"
    world.session.expire_all()
    assert world.pit.qr_token != old
    assert "已为 WS-01 签发新标志" in client.get("/permits").get_data(as_text=True)
    assert app.test_client().get(f"/s/{old}").status_code == 404


def test_replacing_a_sign_needs_the_forms_csrf_token(make_app, world, clock):
    app = make_app(CLOCK=clock)  # CSRF on
    client = signed_in_with_csrf(app, "principal")
    assert client.post("/spaces/WS-01/sign/reissue").status_code == 400
    world.session.expire_all()
    assert world.session.scalars(select(SignToken)).all() == []


def signed_in_with_csrf(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login", data={"username": username, "password": "demo", "csrf_token": token}
    )
    assert answer.status_code == 302
    return client


def test_the_sign_panel_offers_prints_and_the_scan_address_and_a_new_sign_only_to_those_allowed(
    app, world
):
    from flask import render_template
    from flask_login import login_user

    from web.auth import SessionUser

    def panel(user) -> str:
        with app.test_request_context("/spaces/WS-01", base_url="https://site.example.net"):
            login_user(SessionUser(user))
            return render_template("spaces/_sign_panel.html", space=world.pit)

    page = panel(world.principal)
    assert "/spaces/WS-01/sign.pdf?size=A4" in page and "/spaces/WS-01/sign.pdf?size=A3" in page
    assert f"https://site.example.net/s/{world.pit.qr_token}" in page
    assert signs.fingerprint(world.pit.qr_token)[:6] in page and "<svg" in page
    assert 'action="/spaces/WS-01/sign/reissue"' in page
    assert 'action="/spaces/WS-01/sign/reissue"' not in panel(world.approver)
