"""Test support: real loopback servers (DNS, RDAP, WHOIS) and a real Celery worker.

Nothing here is imported by the application; pytest loads the fixture modules through the
root conftest.py.
"""
