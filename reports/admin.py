"""Admin of the reports app: score weights and grade bands are the city's to set."""

from django.contrib import admin

from reports.models import GradeBand, ReportExport, ReportSubscription, ScoreScheme, ScoreWeight


class ScoreWeightInline(admin.TabularInline):
    model = ScoreWeight
    extra = 1


@admin.register(ScoreScheme)
class ScoreSchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "target", "sample_measure")
    inlines = [ScoreWeightInline]


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ("grade", "min_score")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "frequency",
        "dimension",
        "format",
        "by_email",
        "by_notice",
        "is_active",
    )
    list_filter = ("frequency", "is_active")
    raw_id_fields = ("user",)


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    list_display = ("pk", "owner", "format", "state", "progress", "created_at", "finished_at")
    list_filter = ("state", "format")
    readonly_fields = ("owner", "format", "params", "state", "progress", "file", "error")
