"""Scan jobs, the chunks they are split into, and their per-domain outcomes.

State lives here, in the database, not only in Redis: pages, admin and API read these rows.
Counters are updated with F() expressions by the services, so concurrent chunks never lose an
increment. The timestamps below let the periodic recovery task (scanning.services.recovery)
find work whose message or process was lost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    SCAN = "scan", _("Scan")
    RESCAN = "rescan", _("Rescan")
    IMPORT = "import", _("Import")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed, will retry")
    SET_ASIDE = "set_aside", _("Set aside")


class OutcomeStatus(models.TextChoices):
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed")
    SET_ASIDE = "set_aside", _("Set aside")


class ScanJob(models.Model):
    """One bulk scan, rescan or import request and its progress counters."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=JobKind, default=JobKind.SCAN)
    status = models.CharField(max_length=20, choices=JobStatus, default=JobStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    chunk_size = models.PositiveSmallIntegerField(default=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scan_jobs",
    )
    options = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole job failed, if it did")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs_in_process = models.BooleanField(
        default=False,
        help_text="Run by the process that started it (an import, a scan without workers)",
    )
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task last went to the broker; empty = not yet"
    )
    dispatch_error = models.TextField(
        blank=True, help_text="Why its task could not be sent (the broker was unavailable)"
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of progress (a batch or a chunk stored)"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        # Jobs in one state, newest first (the job list's filter, the stuck-job sweeps).
        indexes = [models.Index(fields=["status", "-created_at"], name="job_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    @property
    def progress_percent(self) -> int:
        """Share of domains processed, 0-100; a finished job is 100 even when it was empty."""
        if self.status in (JobStatus.COMPLETED, JobStatus.FAILED) and not self.total:
            return 100
        if not self.total:
            return 0
        # Clamped: a redelivered chunk may count a domain twice before it is noticed.
        return min(100, self.processed * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        """True once the job can no longer change (completed or failed)."""
        return self.status in (JobStatus.COMPLETED, JobStatus.FAILED)


class ScanChunk(models.Model):
    """One slice of a job's domains, processed (and retried) as a unit in one transaction.

    Unique (job, number). ``attempts`` numbers every run that started (it keys the outcome
    log); ``errors`` counts the runs that raised and ``lost_workers`` the runs whose worker died
    before reporting. They have separate bounds (HUNTER_SCAN_CHUNK_MAX_ATTEMPTS and the higher
    HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS), so a crash elsewhere does not spend the chunk's error
    budget, yet a chunk that really kills its worker is still set aside in the end.
    """

    job = models.ForeignKey(ScanJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField(help_text="1-based position within the job")
    domains = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=ChunkStatus, default=ChunkStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started")
    errors = models.PositiveSmallIntegerField(default=0, help_text="Runs that failed")
    lost_workers = models.PositiveSmallIntegerField(
        default=0, help_text="Runs whose worker died before reporting"
    )
    last_error = models.TextField(blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task last went to the broker"
    )
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When its last run began")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="chunk_number_once_per_job")
        ]
        indexes = [models.Index(fields=["job", "status"], name="chunk_job_status_idx")]

    def __str__(self) -> str:
        return f"chunk {self.number} of {self.job_id}"


class ScanOutcome(models.Model):
    """What happened to one domain in one attempt of one chunk of a job (append-only log).

    Unique (job, chunk_number, domain, attempt): an attempt is numbered by the chunk before it
    starts, so a broker redelivering a message for an attempt that already logged its outcomes
    can only collide (insert with ignore_conflicts), never duplicate. A later attempt of the same
    chunk gets its own rows, which keeps the failure history. chunk_number is part of the key
    because a job's domain list may repeat a domain in two chunks.
    """

    job = models.ForeignKey(ScanJob, on_delete=models.CASCADE, related_name="outcomes")
    chunk_number = models.PositiveIntegerField()
    domain = models.CharField(max_length=255)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=OutcomeStatus)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Summary shown in job results")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job_id", "chunk_number", "domain", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "chunk_number", "domain", "attempt"],
                name="outcome_once_per_attempt",
            )
        ]
        indexes = [models.Index(fields=["job", "status"], name="outcome_job_status_idx")]

    def __str__(self) -> str:
        return f"{self.domain}: {self.status}"
