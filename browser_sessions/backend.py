"""SESSION_ENGINE: Django's database session store, keeping only a digest of each session key."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from accounts.crypto import token_digest
from browser_sessions.models import BrowserSession


def _user_pk(data: dict) -> object:
    """The signed-in user's primary key as the session data holds it (a string), or None."""
    value = data.get(SESSION_KEY)
    return BrowserSession._meta.get_field("user").target_field.to_python(value) if value else None


class SessionStore(db.SessionStore):
    """Django's `db` store with every lookup, write and delete by `token_digest(session_key)`.

    The key in the cookie is 32 random characters of [a-z0-9] (about 165 bits), so an unsalted
    SHA-256 is the right digest: nothing to precompute, and a lookup stays one indexed equality.
    The cookie and `self.session_key` keep the raw key; only the database sees the digest.
    """

    @classmethod
    def get_model_class(cls) -> type[BrowserSession]:
        return BrowserSession

    def _get_session_from_db(self) -> BrowserSession | None:
        if self.session_key is None:
            return None
        session = self.model.objects.filter(
            session_key=token_digest(self.session_key), expire_date__gt=timezone.now()
        ).first()
        if session is None:
            self._session_key = None  # as Django does: a fresh key on the next save
        return session

    async def _aget_session_from_db(self) -> BrowserSession | None:
        if self.session_key is None:
            return None
        session = await self.model.objects.filter(
            session_key=token_digest(self.session_key), expire_date__gt=timezone.now()
        ).afirst()
        if session is None:
            self._session_key = None
        return session

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=token_digest(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await self.model.objects.filter(session_key=token_digest(session_key)).aexists()

    def create_model_instance(self, data: dict) -> BrowserSession:
        return self.model(
            session_key=token_digest(self._get_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=_user_pk(data),
        )

    async def acreate_model_instance(self, data: dict) -> BrowserSession:
        return self.model(
            session_key=token_digest(await self._aget_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
            user_id=_user_pk(data),
        )

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key=token_digest(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is not None:
            await self.model.objects.filter(session_key=token_digest(session_key)).adelete()
