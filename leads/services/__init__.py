"""Every write of lead data: one module per entity, functions named <entity>_<action>.

Import from the modules (``leads.services.companies``); this package re-exports nothing so
that modules written by different people never collide here.
"""
