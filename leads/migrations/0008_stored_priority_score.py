"""Store the 1-7 priority on LeadScore so the lead list sorts through an index.

Existing rows are filled with the engine's own priority function over each distinct
(segment, score) pair (a few hundred UPDATEs, however many leads), before the indexes exist.
"""

from typing import Any

from django.db import migrations, models


def fill_priority_scores(apps: Any, schema_editor: Any) -> None:
    """Set ``priority_score`` of every scored row from its segment and score."""
    from scanning.engine.scoring import calculate_priority_score, load_rules

    rules = load_rules()
    lead_score = apps.get_model("leads", "LeadScore")
    scored = lead_score.objects.filter(score__isnull=False)
    pairs = scored.values_list("segment", "score").distinct().order_by()
    for segment, score in list(pairs):
        priority = calculate_priority_score(segment, score, rules)
        rows = scored.filter(score=score)
        rows = rows.filter(segment__isnull=True) if segment is None else rows.filter(segment=segment)
        rows.update(priority_score=priority)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0007_posture_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadscore",
            name="priority_score",
            field=models.SmallIntegerField(
                blank=True,
                help_text="1-7 sales priority (1 = call first); NULL unscored",
                null=True,
            ),
        ),
        migrations.RunPython(fill_priority_scores, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="leadscore",
            index=models.Index(
                condition=models.Q(("score__isnull", False)),
                fields=["priority_score", "-score", "company"],
                name="leadscore_priority_order_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="leadscore",
            index=models.Index(
                condition=models.Q(("score__isnull", False)),
                fields=["segment", "priority_score", "-score", "company"],
                name="leadscore_seg_priority_idx",
            ),
        ),
    ]
