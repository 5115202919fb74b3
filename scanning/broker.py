"""Sending task messages without hanging: a stopped or frozen broker is an answer, not a wait.

Celery's default publish retries for seconds and, with a Redis frozen by SIGSTOP, would block
forever on the socket. Here the one try is bounded by the socket timeouts set in
CELERY_BROKER_TRANSPORT_OPTIONS (HUNTER_BROKER_SOCKET_TIMEOUT); when it fails the caller gets
BrokerUnavailable and leaves the work queued in the database, where the recovery task
(scanning.services.recovery) finds it once the broker is back. No retry here: that task is
the retry, so a caller never waits for a broker that is down.
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app
from kombu.exceptions import ChannelError, OperationalError
from redis.exceptions import RedisError


class BrokerUnavailable(RuntimeError):
    """The broker did not take a task message (stopped, frozen or unreachable)."""


def publish(task: Task, *args: Any) -> None:
    """Send ``task(*args)`` within a few seconds, or raise BrokerUnavailable."""
    try:
        task.apply_async(args, retry=False)
    except (OperationalError, RedisError, OSError) as error:
        raise BrokerUnavailable(f"the task broker is unavailable ({error})") from error


def queued_messages(queue: str) -> int:
    """How many messages wait in a broker queue (not counting those a worker holds)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            channel: Any = connection.default_channel  # a virtual channel: it can count
            declared = channel.queue_declare(queue=queue, passive=True)
    except ChannelError:  # Redis drops an empty queue's list: "no such queue" means none wait
        return 0
    except (OperationalError, RedisError, OSError) as error:
        raise BrokerUnavailable(f"the task broker is unavailable ({error})") from error
    return int(declared.message_count or 0)
