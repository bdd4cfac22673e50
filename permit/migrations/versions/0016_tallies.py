"""Running tallies for the compliance board, kept by the database in the same transaction as
each write they count: approvals by workflow version, tier and role (art. 11); check-ins and
those without a fresh passing gas test (art. 12); active people by their set of roles, and by
the newest passed training record of each kind (art. 4, 7). The board then reads a handful of
rows instead of every approval, entry and person the enterprise ever had.

Exact by construction: the columns counted never change once written (an update of one is
refused here, as deletes were by 0002), and a person's tally moves with their standing (a role
added, made inactive or active again). On PostgreSQL the tallies of a person's training are
written under a per-enterprise advisory lock, so two transactions recording training for the
same enterprise at once count each record once and cannot deadlock on the tally rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TALLIES = ("approval_tallies", "entry_tallies", "workforce_tallies", "training_tallies")
TRAINING_LOCK = 7301  # the advisory-lock class of training tallies; its key is the enterprise
# The enterprise of the person a new row (a role, a training record) is about.
HOLDER = "(SELECT u.enterprise_id FROM users u WHERE u.id = NEW.user_id)"

# The columns each tally counts by, and which rows are counted: those never change.
FIXED = {
    "signatures": (("permit_id", "kind", "tier", "role"), "{row}.kind = 'approve'"),
    "entry_log": (("permit_id", "direction", "gas_test_id"), "{row}.direction = 'in'"),
    "training_records": (("user_id", "kind", "taken_on", "passed"), "{row}.passed"),
    "user_roles": (("user_id", "role"), ""),
    "permits": (("enterprise_id", "workflow", "workflow_version"), ""),
}


def _moved(table: str, changed: str) -> str:
    """The condition of an update that would change what a tally counted."""
    columns, counted = FIXED[table]
    moved = " OR ".join(f"OLD.{c} {changed} NEW.{c}" for c in columns)
    if not counted:
        return moved
    return f"({counted.format(row='OLD')} OR {counted.format(row='NEW')}) AND ({moved})"


def _roles(dialect: str, user: str, adding: str = "") -> str:
    """A person's roles as one sorted, comma-separated string ("" for none), with the role
    `adding` when one is about to be added."""
    held = f"SELECT ur.role FROM user_roles ur WHERE ur.user_id = {user}"
    if adding:
        held += f" UNION SELECT {adding}"
    if dialect == "sqlite":
        return f"COALESCE((SELECT group_concat(role, ',') FROM ({held} ORDER BY 1)), '')"
    # Byte order, as SQLite's and Python's: the same set of roles is one key on every backend.
    return (
        "COALESCE((SELECT string_agg(h.role, ',' ORDER BY h.role COLLATE \"C\") "
        f"FROM ({held}) h), '')"
    )


def _person(user: str, enterprise: str, roles: str, sign: int, counts: str) -> str:
    """Add (sign 1) or take away (sign -1) a person's whole part of the tallies: their place in
    the workforce and the newest passed record of each kind they hold."""
    return f"""
        INSERT INTO workforce_tallies (enterprise_id, roles, people)
        SELECT {enterprise}, {roles}, {sign} WHERE {counts}
        ON CONFLICT (enterprise_id, roles)
        DO UPDATE SET people = workforce_tallies.people + excluded.people;
        INSERT INTO training_tallies (enterprise_id, roles, kind, newest_on, people)
        SELECT {enterprise}, {roles}, r.kind, MAX(r.taken_on), {sign} FROM training_records r
        WHERE r.user_id = {user} AND r.passed AND {counts} GROUP BY r.kind
        ON CONFLICT (enterprise_id, roles, kind, newest_on)
        DO UPDATE SET people = training_tallies.people + excluded.people;
    """


def _bodies(dialect: str) -> dict[str, tuple[str, str, str, str]]:
    """Per trigger: its table, when it fires, its condition (or "") and statements."""
    changed = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    holder_counts = (
        "EXISTS (SELECT 1 FROM users u WHERE u.id = NEW.user_id AND u.active "
        "AND u.enterprise_id IS NOT NULL)"
    )
    # Before the row goes in, so that the rows of the same statement written before it (and
    # only those) are seen, on both backends: PostgreSQL runs AFTER row triggers at the end
    # of a statement, when a multi-row INSERT is all in.
    older = (
        "(SELECT MAX(o.taken_on) FROM training_records o WHERE o.user_id = NEW.user_id "
        "AND o.kind = NEW.kind AND o.passed)"
    )
    roles = _roles(dialect, "NEW.user_id")
    return {
        "signatures_tally": (
            "signatures",
            "AFTER INSERT",
            "NEW.kind = 'approve'",
            """
            INSERT INTO approval_tallies
                (enterprise_id, workflow, workflow_version, tier, role, signed)
            SELECT p.enterprise_id, p.workflow, p.workflow_version, COALESCE(NEW.tier, ''),
                NEW.role, 1
            FROM permits p WHERE p.id = NEW.permit_id
            ON CONFLICT (enterprise_id, workflow, workflow_version, tier, role)
            DO UPDATE SET signed = approval_tallies.signed + 1;
            """,
        ),
        "entry_log_tally": (
            "entry_log",
            "AFTER INSERT",
            "NEW.direction = 'in'",
            """
            INSERT INTO entry_tallies (enterprise_id, entries, untested)
            SELECT p.enterprise_id, 1, CASE WHEN NEW.gas_test_id IS NULL THEN 1 ELSE 0 END
            FROM permits p WHERE p.id = NEW.permit_id
            ON CONFLICT (enterprise_id)
            DO UPDATE SET entries = entry_tallies.entries + 1,
                untested = entry_tallies.untested + excluded.untested;
            """,
        ),
        "training_records_tally": (
            "training_records",
            "BEFORE INSERT",
            "NEW.passed",
            f"""
            UPDATE training_tallies SET people = people - 1
            WHERE enterprise_id = {HOLDER} AND roles = {roles} AND kind = NEW.kind
                AND {holder_counts} AND newest_on = {older} AND NEW.taken_on > {older};
            INSERT INTO training_tallies (enterprise_id, roles, kind, newest_on, people)
            SELECT {HOLDER}, {roles}, NEW.kind, NEW.taken_on, 1
            WHERE {holder_counts} AND ({older} IS NULL OR NEW.taken_on > {older})
            ON CONFLICT (enterprise_id, roles, kind, newest_on)
            DO UPDATE SET people = training_tallies.people + 1;
            """,
        ),
        "user_roles_tally": (
            "user_roles",
            "BEFORE INSERT",
            "",
            _person("NEW.user_id", HOLDER, roles, -1, holder_counts)
            + _person(
                "NEW.user_id", HOLDER, _roles(dialect, "NEW.user_id", "NEW.role"), 1, holder_counts
            ),
        ),
        "users_tally_insert": (
            "users",
            "AFTER INSERT",
            "",
            _person(
                "NEW.id",
                "NEW.enterprise_id",
                _roles(dialect, "NEW.id"),
                1,
                "NEW.active AND NEW.enterprise_id IS NOT NULL",
            ),
        ),
        "users_tally_update": (
            "users",
            "AFTER UPDATE",
            f"OLD.active {changed} NEW.active OR OLD.enterprise_id {changed} NEW.enterprise_id",
            _person(
                "OLD.id",
                "OLD.enterprise_id",
                _roles(dialect, "OLD.id"),
                -1,
                "OLD.active AND OLD.enterprise_id IS NOT NULL",
            )
            + _person(
                "NEW.id",
                "NEW.enterprise_id",
                _roles(dialect, "NEW.id"),
                1,
                "NEW.active AND NEW.enterprise_id IS NOT NULL",
            ),
        ),
    }


# The enterprises whose training tallies a trigger writes, to lock on PostgreSQL.
LOCKED = {
    "training_records_tally": [HOLDER],
    "user_roles_tally": [HOLDER],
    "users_tally_insert": ["NEW.enterprise_id"],
    "users_tally_update": [
        "LEAST(OLD.enterprise_id, NEW.enterprise_id)",
        "GREATEST(OLD.enterprise_id, NEW.enterprise_id)",
    ],
}


def _tables() -> None:
    columns = {
        "approval_tallies": [
            sa.Column("workflow", sa.String(length=40), nullable=False),
            sa.Column("workflow_version", sa.String(length=40), nullable=False),
            sa.Column("tier", sa.String(length=20), nullable=False),
            sa.Column("role", sa.String(length=20), nullable=False),
            sa.Column("signed", sa.Integer(), nullable=False),
        ],
        "entry_tallies": [
            sa.Column("entries", sa.Integer(), nullable=False),
            sa.Column("untested", sa.Integer(), nullable=False),
        ],
        "workforce_tallies": [
            sa.Column("roles", sa.String(length=200), nullable=False),
            sa.Column("people", sa.Integer(), nullable=False),
        ],
        "training_tallies": [
            sa.Column("roles", sa.String(length=200), nullable=False),
            sa.Column("kind", sa.String(length=40), nullable=False),
            sa.Column("newest_on", sa.Date(), nullable=False),
            sa.Column("people", sa.Integer(), nullable=False),
        ],
    }
    keys = {
        "approval_tallies": ["workflow", "workflow_version", "tier", "role"],
        "entry_tallies": [],
        "workforce_tallies": ["roles"],
        "training_tallies": ["roles", "kind", "newest_on"],
    }
    for table in TALLIES:
        op.create_table(
            table,
            sa.Column("enterprise_id", sa.Integer(), nullable=False),
            *columns[table],
            sa.ForeignKeyConstraint(
                ["enterprise_id"],
                ["enterprises.id"],
                name=op.f(f"fk_{table}_enterprise_id_enterprises"),
            ),
            sa.PrimaryKeyConstraint("enterprise_id", *keys[table], name=op.f(f"pk_{table}")),
        )


def _backfill(dialect: str) -> None:
    """The tallies of what is already recorded, counted the way the triggers keep them."""
    op.execute(
        """
        INSERT INTO approval_tallies
            (enterprise_id, workflow, workflow_version, tier, role, signed)
        SELECT p.enterprise_id, p.workflow, p.workflow_version, COALESCE(s.tier, ''), s.role,
            COUNT(*)
        FROM signatures s JOIN permits p ON p.id = s.permit_id
        WHERE s.kind = 'approve'
        GROUP BY p.enterprise_id, p.workflow, p.workflow_version, COALESCE(s.tier, ''), s.role
        """
    )
    op.execute(
        """
        INSERT INTO entry_tallies (enterprise_id, entries, untested)
        SELECT p.enterprise_id, COUNT(*),
            SUM(CASE WHEN e.gas_test_id IS NULL THEN 1 ELSE 0 END)
        FROM entry_log e JOIN permits p ON p.id = e.permit_id
        WHERE e.direction = 'in'
        GROUP BY p.enterprise_id
        """
    )
    people = (
        f"SELECT u.id, u.enterprise_id, {_roles(dialect, 'u.id')} AS roles FROM users u "
        "WHERE u.active AND u.enterprise_id IS NOT NULL"
    )
    op.execute(
        f"""
        INSERT INTO workforce_tallies (enterprise_id, roles, people)
        SELECT p.enterprise_id, p.roles, COUNT(*) FROM ({people}) p
        GROUP BY p.enterprise_id, p.roles
        """
    )
    op.execute(
        f"""
        INSERT INTO training_tallies (enterprise_id, roles, kind, newest_on, people)
        SELECT p.enterprise_id, p.roles, n.kind, n.newest_on, COUNT(*) FROM ({people}) p
        JOIN (SELECT user_id, kind, MAX(taken_on) AS newest_on FROM training_records
              WHERE passed GROUP BY user_id, kind) n ON n.user_id = p.id
        GROUP BY p.enterprise_id, p.roles, n.kind, n.newest_on
        """
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _tables()
    _backfill(dialect)
    if dialect == "sqlite":
        for table in TALLIES:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted'); END"
            )
        for table in FIXED:
            op.execute(
                f"CREATE TRIGGER {table}_counted_fixed BEFORE UPDATE ON {table} "
                f"WHEN {_moved(table, 'IS NOT')} "
                f"BEGIN SELECT RAISE(ABORT, 'counted columns of {table} never change'); END"
            )
        for name, (table, event, when, body) in _bodies(dialect).items():
            condition = f" WHEN {when}" if when else ""
            op.execute(
                f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{condition} BEGIN {body} END"
            )
        return
    for table in TALLIES:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
    op.execute(
        """
        CREATE FUNCTION refuse_counted_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'counted columns of % never change', TG_TABLE_NAME;
        END $$
        """
    )
    for table in FIXED:
        op.execute(
            f"CREATE TRIGGER {table}_counted_fixed BEFORE UPDATE ON {table} "
            f"FOR EACH ROW WHEN ({_moved(table, 'IS DISTINCT FROM')}) "
            "EXECUTE FUNCTION refuse_counted_change()"
        )
    for name, (table, event, when, body) in _bodies(dialect).items():
        locks = "".join(
            f"PERFORM pg_advisory_xact_lock({TRAINING_LOCK}, {key});\n"
            for key in LOCKED.get(name, [])
        )
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            # A BEFORE trigger returns the row to insert; an AFTER trigger's return is ignored.
            f"BEGIN\n{locks}{body}\nRETURN NEW;\nEND $$"
        )
        condition = f" WHEN ({when})" if when else ""
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{condition} "
            f"EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, (table, *_rest) in _bodies(op.get_bind().dialect.name).items():
        op.execute(f"DROP TRIGGER {name}" if sqlite else f"DROP TRIGGER {name} ON {table}")
        if not sqlite:
            op.execute(f"DROP FUNCTION {name}()")
    for table in FIXED:
        op.execute(
            f"DROP TRIGGER {table}_counted_fixed"
            if sqlite
            else f"DROP TRIGGER {table}_counted_fixed ON {table}"
        )
    if not sqlite:
        op.execute("DROP FUNCTION refuse_counted_change()")
    for table in reversed(TALLIES):
        op.drop_table(table)
