"""Every registered route, walked with every role and anonymously. The expected status of each
pair is written out below; a route added without an entry here fails the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import demo, tokens
from permit.models import (
    Attachment,
    Campaign,
    FindingPhoto,
    Inspection,
    Permit,
    Reminder,
    Space,
    User,
)

from .helpers import row_counts

ROLES = [
    "principal",
    "deputy",
    "approver",
    "attendant",
    "entrant",
    "rescuer",
    "contractor",
    "admin",
    "expert",
    "regulator",
]
STAFF = {"principal", "deputy", "approver", "attendant", "entrant", "rescuer", "admin"}
KEEPERS = {"principal", "deputy", "admin"}  # who keeps the ledger (台账)
OVERSEERS = {"expert", "regulator"}  # placed on the jurisdiction tree, no enterprise
LOGIN = 302  # anonymous: sent to the sign-in page


def expect(allowed: set[str], yes: int, no: int = 404, anonymous: int = LOGIN) -> dict[str, int]:
    table = {role: (yes if role in allowed else no) for role in ROLES}
    table["anonymous"] = anonymous
    return table


# endpoint → (method, url template, expected status per role).
# {own} is a permit of the demo enterprise not given to any contractor; {theirs} is the one
# assigned to the demo contractor's company.
MATRIX = {
    "static": ("GET", "/static/app.css", expect(set(ROLES), 200, anonymous=200)),
    "auth.login": ("GET", "/login", expect(set(ROLES), 302, anonymous=200)),
    "auth.logout": ("POST", "/logout", expect(set(ROLES), 302)),
    "i18n.switch": ("GET", "/lang/en", expect(set(ROLES), 302, anonymous=302)),
    "permits.home": ("GET", "/", expect(set(ROLES), 302)),
    "permits.index": ("GET", "/permits", expect(set(ROLES), 200)),
    "permits.new": (
        "GET",
        "/permits/new",
        expect({"principal", "deputy", "approver", "attendant", "admin"}, 200),
    ),
    "permits.show": ("GET", "/permits/{own}", expect(STAFF, 200)),
    "permits.live": ("GET", "/permits/{own}/live.json", expect(STAFF, 200)),
    # Reaching the event handler is not firing the event: the engine refuses the wrong person
    # with its reasons (303 back to the permit); outside the scope the permit does not exist.
    "permits.fire": ("POST", "/permits/{own}/events/submit", expect(STAFF, 303)),
    "desk.inbox": ("GET", "/desk", expect({"principal", "deputy", "approver"}, 200)),
    "attendant.today": ("GET", "/today", expect({"attendant"}, 200)),
    "contractors.index": ("GET", "/contractor", expect({"contractor"}, 200)),
    "rules.index": ("GET", "/rules", expect(STAFF, 200)),
    "rules.compare": ("GET", "/rules/compare", expect(STAFF, 200)),
    # Only the admin may switch packs; an empty form is refused with its reasons (303 back).
    "rules.choose": ("POST", "/rules", expect({"admin"}, 303)),
    # The ledger: every staff member reads and exports it; admin, principal and deputy keep it.
    "spaces.index": ("GET", "/spaces", expect(STAFF, 200)),
    "spaces.show": ("GET", "/spaces/GP-01", expect(STAFF, 200)),
    "spaces.export": ("GET", "/spaces/export.xlsx", expect(STAFF, 200)),
    "spaces.new": ("GET", "/spaces/new", expect(KEEPERS, 200)),
    "spaces.edit": ("GET", "/spaces/GP-01/edit", expect(KEEPERS, 200)),
    "spaces.import_ledger": ("GET", "/spaces/import", expect(KEEPERS, 200)),
    # Retiring without a reason is refused with its message (303 back to the space).
    "spaces.retire": ("POST", "/spaces/GP-01/retire", expect(KEEPERS, 303)),
    "equipment.index": ("GET", "/equipment", expect(STAFF, 200)),
    "equipment.show": ("GET", "/equipment/{serial}", expect(STAFF, 200)),
    # The forms: an empty one is refused with its reasons (303 back) for those who may use it.
    "equipment.create": ("POST", "/equipment", expect(KEEPERS, 303)),
    "equipment.certify": ("POST", "/equipment/{serial}/certificates", expect(KEEPERS, 303)),
    "equipment.check": ("POST", "/equipment/{serial}/checks", expect(KEEPERS | {"attendant"}, 303)),
    "equipment.status": ("POST", "/equipment/{serial}/status", expect(KEEPERS, 303)),
    "equipment.attachment": ("GET", "/files/{file}", expect(STAFF, 200)),
    "training.index": ("GET", "/training", expect(STAFF, 200)),
    "training.new": ("GET", "/training/new", expect(KEEPERS, 200)),
    "training.record": ("POST", "/training", expect(KEEPERS, 303)),
    "training.plan": ("POST", "/training/plan", expect(KEEPERS, 303)),
    "training.export": ("GET", "/training/export.xlsx", expect(STAFF, 200)),
    "training.import_records": ("GET", "/training/import", expect(KEEPERS, 200)),
    "training.people": ("GET", "/people", expect(STAFF, 200)),
    "training.card": ("GET", "/people/{person}", expect(STAFF, 200)),
    "emergency.index": ("GET", "/emergency", expect(STAFF, 200)),
    "emergency.add_plan": ("POST", "/emergency/plans", expect(KEEPERS, 303)),
    "emergency.add_drill": ("POST", "/emergency/drills", expect(KEEPERS, 303)),
    "emergency.set_period": ("POST", "/emergency/period", expect(KEEPERS, 303)),
    # Warning signs and printed forms. {space} is a space whose sign the walk replaces;
    # {token} the sign of another space, which stays valid throughout.
    "signs.space_sign": ("GET", "/spaces/{space}/sign.pdf?size=A3", expect(STAFF, 200)),
    "signs.batch": ("GET", "/signs.pdf?size=A4", expect(STAFF, 200)),
    "signs.reissue": (
        "POST",
        "/spaces/{space}/sign/reissue",
        expect({"principal", "deputy", "admin"}, 303),
    ),
    "signs.permit_pdf": ("GET", "/permits/{own}.pdf", expect(STAFF, 200)),
    # The public scan page: anyone, signed in or not.
    "scan.show": ("GET", "/s/{token}", expect(set(ROLES), 200, anonymous=200)),
    # The API: a session cookie does not authenticate it, so every signed-in role is 401 like
    # anyone without a bearer token (tests/test_api.py walks it with each role's token).
    "api.openapi": ("GET", "/api/v1/openapi.json", expect(set(ROLES), 200, anonymous=200)),
    "api.create_token": ("POST", "/api/v1/tokens", expect(set(ROLES), 422, anonymous=422)),
    "api.list_tokens": ("GET", "/api/v1/tokens", expect(set(), 0, 401, 401)),
    "api.revoke_token": ("POST", "/api/v1/tokens/1/revoke", expect(set(), 0, 401, 401)),
    "api.create_device_token": ("POST", "/api/v1/devices", expect(set(), 0, 401, 401)),
    "api.list_spaces": ("GET", "/api/v1/spaces", expect(set(), 0, 401, 401)),
    "api.show_space": ("GET", "/api/v1/spaces/GP-01", expect(set(), 0, 401, 401)),
    "api.list_people": ("GET", "/api/v1/people", expect(set(), 0, 401, 401)),
    "api.list_permits": ("GET", "/api/v1/permits", expect(set(), 0, 401, 401)),
    "api.create_permit": ("POST", "/api/v1/permits", expect(set(), 0, 401, 401)),
    "api.show_permit": ("GET", "/api/v1/permits/{own}", expect(set(), 0, 401, 401)),
    "api.fire_event": ("POST", "/api/v1/permits/{own}/events/submit", expect(set(), 0, 401, 401)),
    "api.post_readings": ("POST", "/api/v1/permits/{own}/readings", expect(set(), 0, 401, 401)),
    # Contractors (art. 6): the staff read the companies; the keepers keep them (an empty form
    # is refused with its reasons, 303 back); the contractor's administrator keeps its own
    # workers and reads its own signed agreement.
    "contractors.companies": ("GET", "/contractors", expect(STAFF, 200)),
    "contractors.add_company": ("POST", "/contractors", expect(KEEPERS, 303)),
    "contractors.company": ("GET", "/contractors/{company}", expect(STAFF, 200)),
    "contractors.add_agreement": (
        "POST",
        "/contractors/{company}/agreements",
        expect(KEEPERS, 303),
    ),
    "contractors.revoke_agreement": (
        "POST",
        "/contractors/{company}/agreements/{agreement}/revoke",
        expect(KEEPERS, 303),
    ),
    "contractors.retire": ("POST", "/contractors/{company}/retire", expect(KEEPERS, 303)),
    "contractors.add_account": ("POST", "/contractors/{company}/accounts", expect(KEEPERS, 303)),
    "contractors.add_worker": ("POST", "/contractor/workers", expect({"contractor"}, 303)),
    "contractors.deactivate_worker": (
        "POST",
        "/contractor/workers/{worker}/deactivate",
        expect({"contractor"}, 303),
    ),
    "contractors.reactivate_worker": (
        "POST",
        "/contractor/workers/{worker}/reactivate",
        expect({"contractor"}, 303),
    ),
    "contractors.agreement_document": (
        "GET",
        "/contractor/agreements/{agreement}/document",
        expect({"contractor"}, 200),
    ),
    # The enterprise's own rules (art. 5, 11): everyone on the staff reads them; the keepers
    # record the management system; only the admin edits the approval tiers.
    "rules.system": ("GET", "/rules/system", expect(STAFF, 200)),
    "rules.record_system": ("POST", "/rules/system", expect(KEEPERS, 303)),
    "rules.set_tiers": ("POST", "/rules/tiers", expect({"admin"}, 303)),
    # Expert visits: the demo expert (on the team of {visit}) and regulator (its lead) work
    # in the district holding the demo enterprise, whose staff see their own visit.
    "inspections.index": ("GET", "/inspections", expect(STAFF | OVERSEERS, 200)),
    "inspections.enterprise": ("GET", "/inspections/enterprises/DEMO", expect(OVERSEERS, 200)),
    # Only a regulator plans; an empty form is refused with its reasons (303 back).
    "inspections.plan": (
        "POST",
        "/inspections/enterprises/DEMO/visits",
        expect({"regulator"}, 303),
    ),
    "inspections.show": ("GET", "/inspections/{visit}", expect(STAFF | OVERSEERS, 200)),
    # The filled 现场会诊表 (PDF): whoever sees the visit.
    "inspections.report_pdf": (
        "GET",
        "/inspections/{visit}/report.pdf",
        expect(STAFF | OVERSEERS, 200),
    ),
    # Reaching a step is not taking it: the engine or the domain refuses with reasons (303).
    "inspections.add_expert": (
        "POST",
        "/inspections/{visit}/team",
        expect(STAFF | OVERSEERS, 303),
    ),
    "inspections.fire": (
        "POST",
        "/inspections/{visit}/events/start_consultation",
        expect(STAFF | OVERSEERS, 303),
    ),
    # The form is the team's: read-only to everyone else, so not there for them.
    "inspections.form": ("GET", "/inspections/{visit}/form", expect({"expert"}, 200)),
    "inspections.save": ("POST", "/inspections/{visit}/checkpoints/1", expect({"expert"}, 303)),
    "inspections.add_photo": (
        "POST",
        "/inspections/{visit}/checkpoints/1/photos",
        expect({"expert"}, 303),
    ),
    "inspections.photo": (
        "GET",
        "/inspections/{visit}/photos/{photo}",
        expect(STAFF | OVERSEERS, 200),
    ),
    # The enterprise answers its own problems, once it has accepted them (303: not yet).
    "inspections.answer": (
        "POST",
        "/inspections/{visit}/checkpoints/6/answer",
        expect(KEEPERS, 303),
    ),
    # The regulator's board: the demo expert and regulator, on 滨江区, see it and the street
    # below (长河街道); everyone else gets 404 (tests/test_oversight_web.py: other nodes).
    "oversight.index": ("GET", "/oversight", expect(OVERSEERS, 200)),
    "oversight.node": ("GET", "/oversight/HZ-BJ-CH", expect(OVERSEERS, 200)),
    "oversight.plan": ("GET", "/oversight/HZ-BJ/plan.xlsx", expect(OVERSEERS, 200)),
    "inspections.add_answer_photo": (
        "POST",
        "/inspections/{visit}/checkpoints/6/answer/photos",
        expect(KEEPERS, 303),
    ),
    # 回头看: the lead and the team judge each problem, in the follow-up (303: not yet).
    "inspections.verdict": (
        "POST",
        "/inspections/{visit}/checkpoints/6/followup",
        expect(OVERSEERS, 303),
    ),
    # The problem list: the team, the jurisdiction and the visited enterprise's own staff.
    "inspections.problems_pdf": (
        "GET",
        "/inspections/{visit}/problems.pdf",
        expect(STAFF | OVERSEERS, 200),
    ),
    # Campaigns, the monthly brief and the summary report: the overseers of the node read
    # them; only a regulator creates a campaign (an empty form is refused, 303 back) or writes
    # its summary (an empty form changes nothing, 303); everyone else gets 404.
    "campaigns.index": ("GET", "/campaigns", expect(OVERSEERS, 200)),
    "campaigns.create": ("POST", "/campaigns", expect({"regulator"}, 303)),
    "campaigns.show": ("GET", "/campaigns/{campaign}", expect(OVERSEERS, 200)),
    "campaigns.write_summary": (
        "POST",
        "/campaigns/{campaign}/summary",
        expect({"regulator"}, 303),
    ),
    "campaigns.report_pdf": ("GET", "/campaigns/{campaign}/report.pdf", expect(OVERSEERS, 200)),
    "campaigns.report_xlsx": ("GET", "/campaigns/{campaign}/report.xlsx", expect(OVERSEERS, 200)),
    "campaigns.brief": ("GET", "/campaigns/brief", expect(OVERSEERS, 200)),
    "campaigns.brief_as_pdf": ("GET", "/campaigns/brief.pdf", expect(OVERSEERS, 200)),
    "campaigns.brief_as_xlsx": ("GET", "/campaigns/brief.xlsx", expect(OVERSEERS, 200)),
    "api.list_visits": ("GET", "/api/v1/visits", expect(set(), 0, 401, 401)),
    "api.show_visit": ("GET", "/api/v1/visits/{visit}", expect(set(), 0, 401, 401)),
    "api.save_checkpoint": (
        "POST",
        "/api/v1/visits/{visit}/checkpoints/1",
        expect(set(), 0, 401, 401),
    ),
    "api.add_photo": (
        "POST",
        "/api/v1/visits/{visit}/checkpoints/1/photos",
        expect(set(), 0, 401, 401),
    ),
    "api.visit_photo": (
        "GET",
        "/api/v1/visits/{visit}/photos/{photo}",
        expect(set(), 0, 401, 401),
    ),
    "api.fire_visit_event": (
        "POST",
        "/api/v1/visits/{visit}/events/start_consultation",
        expect(set(), 0, 401, 401),
    ),
    "api.show_enterprise": ("GET", "/api/v1/enterprises/DEMO", expect(set(), 0, 401, 401)),
    # Each person's own API tokens: everyone signed in has the page; making one without the
    # password is refused with its reason (303 back); {apitoken} is the principal's, which
    # only they and the enterprise's admin (for a lost phone) can find.
    "account.index": ("GET", "/account/tokens", expect(set(ROLES), 200)),
    "account.create": ("POST", "/account/tokens", expect(set(ROLES), 303)),
    "account.revoke": (
        "POST",
        "/account/tokens/{apitoken}/revoke",
        expect({"principal", "admin"}, 303),
    ),
    # Reminders: everyone signed in has their own; {reminder} is the principal's, which
    # nobody else can even find.
    "reminders.index": ("GET", "/reminders", expect(set(ROLES), 200)),
    "reminders.read": ("POST", "/reminders/{reminder}/read", expect({"principal"}, 303)),
    "reminders.read_all": ("POST", "/reminders/read", expect(set(ROLES), 303)),
    # Each person sets their own address (an empty form: no mail).
    "reminders.set_email": ("POST", "/reminders/email", expect(set(ROLES), 303)),
    # The compliance board: for those who answer for compliance (admin, principal, deputy and
    # the approvers, the safety managers); the other staff and everyone else get 404.
    "board.show": ("GET", "/board", expect(KEEPERS | {"approver"}, 200)),
    "board.evidence": ("GET", "/board/evidence", expect(KEEPERS | {"approver"}, 200)),
    # The document pack: the enterprise's principal, deputy and admin prepare it before the
    # visit; the visit's team (the demo expert) and its lead (the demo regulator) read the
    # visited enterprise's; everyone else, the enterprise's own staff included, gets 404.
    "board.documents": ("GET", "/board/documents.zip", expect(KEEPERS, 200)),
    "inspections.documents": (
        "GET",
        "/inspections/{visit}/documents.zip",
        expect(OVERSEERS, 200),
    ),
}

# The contractor's own company's permit: visible to it as to the staff.
CONTRACTED = {
    "permits.show": ("GET", "/permits/{theirs}", expect(STAFF | {"contractor"}, 200)),
    "permits.live": ("GET", "/permits/{theirs}/live.json", expect(STAFF | {"contractor"}, 200)),
    "signs.permit_pdf": ("GET", "/permits/{theirs}.pdf", expect(STAFF | {"contractor"}, 200)),
}


@pytest.fixture
def demo_app(make_app, sessions, clock):
    with sessions() as session:
        demo.load(session, clock)
        session.commit()
        own = session.scalars(
            select(Permit).where(Permit.contractor_id.is_(None), Permit.state == "draft")
        ).first()
        theirs = session.scalars(select(Permit).where(Permit.contractor_id.is_not(None))).first()
        scan = session.scalars(select(Attachment)).first()
        person = session.scalars(select(User).where(User.username == "entrant")).one()
        space = session.scalars(select(Space).where(Space.code == "CT-01")).one()
        shown = session.scalars(select(Space).where(Space.code == "CP-01")).one()
        company = theirs.contractor
        worker = next(p.user for p in theirs.people if p.user.contractor_id == company.id)
        agreement = company.agreements[0]
        visit = session.scalars(select(Inspection)).first()
        campaign = session.scalars(select(Campaign)).first()
        photo = session.scalars(select(FindingPhoto)).first()
        principal = session.scalars(select(User).where(User.username == "principal")).one()
        reminder = session.scalars(select(Reminder).where(Reminder.user_id == principal.id)).first()
        apitoken = tokens.issue_user_token(
            session, principal, clock=clock, lifetime=timedelta(days=1)
        ).row
        session.commit()
    app = make_app(WTF_CSRF_ENABLED=False)
    return app, {
        "own": own.number,
        "theirs": theirs.number,
        "serial": "D-01",
        "file": scan.id,
        "person": person.id,
        "space": space.code,
        "token": shown.qr_token,
        "company": company.id,
        "worker": worker.id,
        "agreement": agreement.id,
        "visit": visit.number,
        "campaign": campaign.id,
        "photo": photo.id,
        "reminder": reminder.id,
        "apitoken": apitoken.id,
    }


def client_for(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        response = client.post("/login", data={"username": role, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, f"{role} could not sign in"
    return client


def test_every_route_has_an_entry_in_the_matrix(demo_app):
    app, _ = demo_app
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert registered == set(MATRIX), (
        f"routes without an entry: {sorted(registered - set(MATRIX))}; "
        f"entries without a route: {sorted(set(MATRIX) - registered)}"
    )


def walk(app, numbers, role: str) -> dict[str, int]:
    client = client_for(app, role)
    seen = {}
    routes = [*MATRIX.items(), *((f"{k} (contracted)", v) for k, v in CONTRACTED.items())]
    for endpoint, (method, url, _) in routes:
        if endpoint != "auth.logout":  # walked last: it ends the session
            response = client.open(url.format(**numbers), method=method)
            seen[endpoint] = response.status_code
            response.close()
    method, url, _ = MATRIX["auth.logout"]
    seen["auth.logout"] = client.open(url, method=method).status_code
    return seen


def test_every_route_answers_every_role_as_the_matrix_says(demo_app):
    app, numbers = demo_app
    mismatches = []
    for role in [*ROLES, "anonymous"]:
        wanted = {e: v[2][role] for e, v in MATRIX.items()}
        wanted.update({f"{e} (contracted)": v[2][role] for e, v in CONTRACTED.items()})
        seen = walk(app, numbers, role)
        mismatches += [
            f"{role} {e}: got {seen[e]}, expected {wanted[e]}"
            for e in wanted
            if seen[e] != wanted[e]
        ]
    assert not mismatches, "\n".join(mismatches)


def test_a_permit_of_another_enterprise_is_a_404_not_a_403(demo_app, sessions, clock):
    from permit import registers

    app, numbers = demo_app
    with sessions() as session:
        other = registers.create_enterprise(
            session, code="OTHER", name="别的公司", industry="light", clock=clock
        )
        boss = registers.add_user(
            session,
            enterprise=other,
            name="别家负责人",
            roles=["principal", "admin"],
            username="other-boss",
            password="pw",
            clock=clock,
        )
        session.commit()
        assert boss.id
    client = app.test_client()
    client.post("/login", data={"username": "other-boss", "password": "pw"})
    for url in (f"/permits/{numbers['own']}", f"/permits/{numbers['own']}/live.json"):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/permits/{numbers['own']}/events/cancel", data={"reason": "x"}).status_code
        == 404
    )
    page = client.get("/permits").get_data(as_text=True)
    assert numbers["own"] not in page


NUL_FORM = {f: "a\x00b" for f in ("reason", "username", "password", "name", "note", "purpose",
                                   "code", "topic", "phone", "text")}


def test_a_nul_anywhere_in_a_request_is_refused_on_every_route_and_changes_nothing(
    demo_app, sessions
):
    """No database keeps a NUL in text: in a query string or a form it is refused with a
    message (never a 500), in an address it names nothing (404)."""
    app, numbers = demo_app
    client = client_for(app, "admin")
    with sessions() as session:
        before = row_counts(session)
    for endpoint, (method, url, _) in MATRIX.items():
        if endpoint == "auth.logout":
            continue
        target = url.format(**numbers)
        joined = f"{target}{'&' if '?' in target else '?'}q=%00"
        response = client.open(joined, method=method, data=NUL_FORM if method == "POST" else None)
        # a page goes back with the message (303); JSON and the API answer 422 with it
        assert response.status_code in (303, 404, 422), f"{method} {joined}: {response.status_code}"
        response.close()
    assert client.get("/permits/%00").status_code == 404
    assert client.get("/spaces/CT-01%00").status_code == 404
    page = client.get(f"/permits/{numbers['own']}?q=%00", follow_redirects=True)
    assert "文本中不能含有 NUL 字符" in page.get_data(as_text=True)
    with sessions() as session:
        assert row_counts(session) == before


FORGED_IDS = ["²", "99999999999999999999", "-1", " 7"]
FORGED_FORM = {
    **{f: FORGED_IDS for f in ("experts", "participants", "entrants", "rescuers", "equipment")},
    **{f: "99999999999999999999" for f in ("plan", "campaign", "detector", "attendant", "space")},
    "version": "²",
}


@pytest.mark.parametrize(
    "role", ["admin", "principal", "approver", "attendant", "regulator", "expert"]
)
def test_forged_numbers_in_a_form_are_never_a_500(demo_app, sessions, role):
    """'²' is a digit to str.isdigit but no number to int, and 10^20 overflows PostgreSQL's
    integer: a form carrying them is answered (refused or ignored), never a server error."""
    app, numbers = demo_app
    client = client_for(app, role)
    for endpoint, (method, url, _) in MATRIX.items():
        if method != "POST" or endpoint == "auth.logout":
            continue
        response = client.post(url.format(**numbers), data=FORGED_FORM)
        assert response.status_code < 500, f"{role} POST {url}: {response.status_code}"
        response.close()
