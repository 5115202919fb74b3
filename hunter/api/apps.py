from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API plumbing app; it owns the API key model (label "api")."""

    name = "hunter.api"
    label = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hunter.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
