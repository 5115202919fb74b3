"""Reads and writes of API keys: the per-process key cache, last use, creation, (de)activation.

Checking a key must not cost a network round trip per request, so each process keeps the
key rows it has seen, by visible prefix. Every entry is tagged with a version token held in
the shared Django cache; any change to any key (save, delete, queryset update) replaces the
token. The process that made the change drops its entries at once; the others read the
token at most once every ``VERSION_RECHECK_SECONDS``, so a revoked key stops working
everywhere within that second. (Reading the token on every request was measured: on a
loaded machine one Redis GET costs as much as the database lookup it replaces, ~5 ms.)
While the shared cache cannot be read the token is unknown and every check reads the
database. Entries also expire after ``KEY_CACHE_SECONDS``, which bounds how long a change
whose token write was lost (the shared cache down at that moment) can go unseen.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import BaseCache, caches
from django.db.models import Q
from django.utils import timezone

from hunter.api.models import APIKey

VERSION_KEY = "api_keys:version"
VERSION_RECHECK_SECONDS = 1.0
KEY_CACHE_SECONDS = 60.0
# last_used_at is a "recently used" hint for the admin, not an audit log: one write a minute.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class _Entry:
    key: APIKey
    version: str
    loaded_at: float


@dataclass
class _Seen:
    """The token this process last read, and when (monotonic seconds)."""

    version: str | None = None
    read_at: float = float("-inf")


_entries: dict[str, _Entry] = {}
_seen = _Seen()
_touched: dict[str, float] = {}  # key id -> monotonic time this process last wrote last_used_at


def _cache() -> BaseCache:
    return caches["default"]


def api_keys_version() -> str | None:
    """The shared token that changes with any key; None when the shared cache is away."""
    version = _cache().get(VERSION_KEY)
    if version is None:
        # First use, or the cache was flushed: a fresh token also retires every old entry.
        _cache().add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = _cache().get(VERSION_KEY)
    return version if isinstance(version, str) else None


def _current_version(now: float) -> str | None:
    """The shared token, read again only once ``VERSION_RECHECK_SECONDS`` have passed."""
    if _seen.version is None or now - _seen.read_at >= VERSION_RECHECK_SECONDS:
        _seen.version, _seen.read_at = api_keys_version(), now
    return _seen.version


def api_keys_changed() -> None:
    """Retire every process's cached key rows (called whenever a key row changes)."""
    _cache().set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _entries.clear()
    _seen.version = None  # this process reads the new token at its next check


def _load(prefix: str) -> APIKey | None:
    usable = APIKey.objects.select_related("owner").filter(revoked=False, is_active=True)
    return usable.filter(prefix=prefix).first()


def api_key_by_prefix(*, prefix: str) -> APIKey | None:
    """The active, unrevoked key with this prefix, from this process's cache when current.

    Unknown prefixes are not remembered: a stream of made-up keys must not fill memory.
    """
    now = time.monotonic()
    version = _current_version(now)
    entry = _entries.get(prefix)
    if entry and entry.version == version and now - entry.loaded_at < KEY_CACHE_SECONDS:
        return entry.key
    key = _load(prefix)
    if key is None or version is None:
        _entries.pop(prefix, None)
    else:
        _entries[prefix] = _Entry(key, version, now)
    return key


def api_key_check(raw: str) -> APIKey | None:
    """The usable key (not revoked, not expired) matching ``raw``, or None."""
    prefix, dot, _secret = raw.partition(".")
    if not dot or not prefix:
        return None
    key = api_key_by_prefix(prefix=prefix)
    if key is None or key.has_expired or not key.is_valid(raw):
        return None
    return key


def api_key_mark_used(*, key: APIKey) -> None:
    """Record that ``key`` was used: at most one write a minute per key.

    Each process skips the database for a minute after its own write; the conditional UPDATE
    keeps other processes from writing the row again within the same minute.
    """
    now = time.monotonic()
    if now - _touched.get(key.pk, float("-inf")) < LAST_USED_EVERY.total_seconds():
        return
    _touched[key.pk] = now
    used_at = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=used_at - LAST_USED_EVERY)
    APIKey.objects.filter(Q(pk=key.pk) & stale).mark_used(used_at)
    key.last_used_at = used_at


def api_key_create(
    *, name: str, rate_limit_per_minute: int, owner: AbstractBaseUser | None = None
) -> tuple[APIKey, str]:
    """A new key and its secret (shown once; only a hash is stored)."""
    key, secret = APIKey.objects.create_key(
        name=name, rate_limit_per_minute=rate_limit_per_minute, owner=owner
    )
    assert isinstance(key, APIKey)
    return key, secret


def api_key_get(*, key_id: str) -> APIKey | None:
    """The key whose public id (its prefix) is ``key_id``, or None."""
    return APIKey.objects.filter(prefix=key_id).first()


def api_key_set_active(*, key_id: str, active: bool) -> bool:
    """Activate or deactivate a key by its public id; False when there is no such key."""
    return APIKey.objects.filter(prefix=key_id).update(is_active=active) == 1


def api_keys_list() -> list[APIKey]:
    """Every key, newest first, with its owner."""
    return list(APIKey.objects.select_related("owner").order_by("-created", "prefix"))
