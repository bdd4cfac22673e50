"""Signing in: password check with a throttle on repeated failures, shared by every process."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import DomainError, plain
from .models import LoginFailure, User
from .passwords import verify_password

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class SignInRefused(DomainError):
    pass


def authenticate(
    session: Session, username: str, password: str, *, now: datetime, remote: str = ""
) -> User:
    """The user, or SignInRefused. After MAX_FAILURES in WINDOW the name is locked for a while;
    the message never says whether the name exists."""
    username = (username or "").strip()
    since = now - WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at >= since)
    )
    if failures >= MAX_FAILURES:
        raise SignInRefused(
            [
                plain(
                    "throttled",
                    "登录失败次数过多，请 {minutes} 分钟后再试",
                    "Too many failed sign-ins: try again in {minutes} minutes",
                    minutes=int(WINDOW.total_seconds() // 60),
                )
            ]
        )
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active or not verify_password(user.password_hash, password):
        session.add(LoginFailure(username=username[:80], at=now, remote=remote[:64]))
        session.flush()
        raise SignInRefused(
            [plain("bad_credentials", "用户名或密码错误", "Wrong username or password")]
        )
    return user
