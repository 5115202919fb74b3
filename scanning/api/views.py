"""Ingest, scan and job API views: thin adapters to scanning.services and the selectors.

A scan never runs in the web process: a one-domain scan is a job like any other, handed to
the workers; the single-domain endpoints wait a bounded time for it and answer 202 with the
job when it is not done by then.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hunter.api.domains import domain_param
from hunter.api.exceptions import DomainNotFound, InvalidDomain, PayloadTooLarge
from hunter.api.models import APIKey
from hunter.api.permissions import KeyOnly
from hunter.api.versioning import is_legacy
from leads import selectors as lead_selectors
from leads.api.fields import ScanResultSchema, scan_result_record
from scanning import selectors
from scanning.api import records
from scanning.api.serializers import (
    BulkJobResults,
    BulkJobStatus,
    BulkRescanQuery,
    BulkScanRequest,
    IngestDomainRequest,
    IngestDomainResponse,
    JobStarted,
    JobStatusSchema,
    RescanResult,
    ScanDomainRequest,
    UploadQuery,
    UploadRequest,
    UploadResponse,
    WebhookRequest,
    WebhookResponse,
)
from scanning.ingest.readers import UploadError
from scanning.models import JobKind, ScanJob
from scanning.services import jobs
from scanning.services.ingest import InvalidInput, domain_ingest, upload_ingest, webhook_ingest

JOB_ID = OpenApiParameter("job_id", uuid.UUID, OpenApiParameter.PATH)
DOMAIN = OpenApiParameter("domain", str, OpenApiParameter.PATH)
POLL_SECONDS = 0.2
MISSING_SHOWN = 5


def _creator(request: Request) -> Any:
    return request.user if request.user.is_authenticated else None


def _job(job_id: uuid.UUID) -> ScanJob:
    job = selectors.scan_job_get(public_id=job_id)
    if job is None:
        raise DomainNotFound(f"Job not found: {job_id}")
    return job


def _wait_for(job: ScanJob) -> ScanJob:
    """The job once finished, or as it stands after HUNTER_API_SCAN_WAIT_SECONDS."""
    deadline = time.monotonic() + settings.HUNTER_API_SCAN_WAIT_SECONDS
    job.refresh_from_db()
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        job.refresh_from_db()
    return job


def _ingested_domain(raw: str) -> str:
    domain = domain_param(raw)
    if lead_selectors.company_get(domain=domain) is None:
        raise DomainNotFound(f"Domain not found. Please ingest first: {domain}")
    return domain


def _started(job: ScanJob, message: str, *, status: int = 200) -> Response:
    body = {
        "job_id": str(job.public_id),
        "status": job.status,
        "total": job.total,
        "message": message,
    }
    return Response(body, status=status)


class IngestDomainView(APIView):
    @extend_schema(request=IngestDomainRequest, responses={201: IngestDomainResponse})
    def post(self, request: Request) -> Response:
        body = IngestDomainRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = domain_ingest(**body.validated_data, created_by=_creator(request))
        except InvalidInput as error:
            raise InvalidDomain(error.reason) from error
        message = "Domain ingested" if result.created else "Domain already ingested"
        return Response(
            {"domain": result.domain, "company_id": result.company_id, "message": message},
            status=201,
        )


class IngestUploadView(APIView):
    """A CSV or Excel file of companies: imported now, optionally scanned by a job."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=UploadRequest, parameters=[UploadQuery], responses={202: UploadResponse})
    def post(self, request: Request) -> Response:
        query = UploadQuery(data=request.query_params.dict())  # a missing bool stays missing
        query.is_valid(raise_exception=True)
        body = UploadRequest(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            report = upload_ingest(
                file=upload,
                filename=upload.name or "",
                auto_detect_columns=query.validated_data["auto_detect_columns"],
                created_by=_creator(request),
            )
        except UploadError as error:
            if error.code == "too_large":
                raise PayloadTooLarge(str(error)) from error
            raise serializers.ValidationError({"file": [str(error)]}) from error
        auto_scan = query.validated_data.get("auto_scan", is_legacy(request))
        scan_job = None
        if auto_scan and report.domains:
            scan_job = jobs.scan_job_start(
                domains=list(report.domains), created_by=_creator(request)
            )
        return Response(records.upload_record(report, scan_job), status=202)


class IngestWebhookView(APIView):
    """Integrations push one lead (API key only); contact e-mails enrich it, nothing is scanned."""

    permission_classes = [KeyOnly]

    @extend_schema(request=WebhookRequest, responses={201: WebhookResponse})
    def post(self, request: Request) -> Response:
        body = WebhookRequest(data=request.data)
        body.is_valid(raise_exception=True)
        key = request.auth
        assert isinstance(key, APIKey)  # KeyOnly lets nothing else in
        try:
            # The key's public id is its prefix (its primary key embeds the hash).
            result = webhook_ingest(
                **body.validated_data, api_key_id=key.prefix, api_key_name=key.name
            )
        except InvalidInput as error:
            raise InvalidDomain(error.reason) from error
        return Response(
            {
                "status": "success",
                "domain": result.domain,
                "ingested": True,
                "enriched": result.enriched,
                "message": "Lead ingested" + (" and enriched" if result.enriched else ""),
            },
            status=201,
        )


class ScanDomainView(APIView):
    """Scan one ingested domain: the result when the workers finish in time, else the job."""

    @extend_schema(request=ScanDomainRequest, responses={200: ScanResultSchema, 202: JobStarted})
    def post(self, request: Request) -> Response:
        body = ScanDomainRequest(data=request.data)
        body.is_valid(raise_exception=True)
        domain = _ingested_domain(body.validated_data["domain"])
        job = _wait_for(jobs.scan_job_start(domains=[domain], created_by=_creator(request)))
        if not job.is_finished:
            return _started(job, "Scan queued; follow the job for its result", status=202)
        return Response(
            scan_result_record(lead_selectors.leads_by_domain(domains=[domain])[domain])
        )


class RescanDomainView(APIView):
    """Rescan one domain and report what changed since the previous scan."""

    @extend_schema(
        parameters=[DOMAIN], request=None, responses={200: RescanResult, 202: JobStarted}
    )
    def post(self, request: Request, domain: str) -> Response:
        name = _ingested_domain(domain)
        job = jobs.scan_job_start(domains=[name], kind=JobKind.RESCAN, created_by=_creator(request))
        job = _wait_for(job)
        if not job.is_finished:
            return _started(job, "Rescan queued; follow the job for its result", status=202)
        return Response(records.rescan_record(name, job))


class BulkScanView(APIView):
    @extend_schema(request=BulkScanRequest, responses=JobStarted)
    def post(self, request: Request) -> Response:
        body = BulkScanRequest(data=request.data)
        body.is_valid(raise_exception=True)
        domains, _rejected = jobs.domains_normalize(body.validated_data["domain_list"])
        if not domains:
            raise serializers.ValidationError({"domain_list": ["No valid domains in domain_list"]})
        missing = sorted(set(domains) - set(lead_selectors.leads_by_domain(domains=domains)))
        if missing:
            shown = ", ".join(missing[:MISSING_SHOWN])
            more = (
                f" and {len(missing) - MISSING_SHOWN} more" if len(missing) > MISSING_SHOWN else ""
            )
            raise serializers.ValidationError(
                {"domain_list": [f"Domains not found. Please ingest first: {shown}{more}"]}
            )
        job = jobs.scan_job_start(domains=domains, created_by=_creator(request))
        return _started(job, f"Bulk scan started for {job.total} domains")


class BulkRescanView(APIView):
    @extend_schema(parameters=[BulkRescanQuery], request=None, responses=JobStarted)
    def post(self, request: Request) -> Response:
        query = BulkRescanQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            job = jobs.scan_job_start(
                domains=query.validated_data["domain_list"],
                kind=JobKind.RESCAN,
                created_by=_creator(request),
            )
        except jobs.NoValidDomains as error:
            raise serializers.ValidationError({"domain_list": ["No valid domains"]}) from error
        return _started(job, f"Bulk rescan started for {job.total} domains")


class BulkJobView(APIView):
    @extend_schema(parameters=[JOB_ID], responses=BulkJobStatus)
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        return Response(records.bulk_status_record(_job(job_id)))


class BulkJobResultsView(APIView):
    @extend_schema(parameters=[JOB_ID], responses=BulkJobResults)
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        job = _job(job_id)
        if not job.is_finished:
            raise serializers.ValidationError({"detail": "Job is not completed yet."})
        return Response(records.bulk_results_record(job))


class JobView(APIView):
    @extend_schema(parameters=[JOB_ID], responses=JobStatusSchema)
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        return Response(records.job_record(_job(job_id)))
