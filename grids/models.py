"""The city model: administrative areas, unit grids, the category directory and components."""

from __future__ import annotations

from datetime import date

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

# Local extension codes (GB/T 47678.5): a minor code of 080 or above under any major, or any
# code under the majors 21 and 99 that the standard leaves to cities.
LOCAL_CODE_REGEX = r"^((21|99)[0-9]{3}|[0-9]{2}(0[89][0-9]|[1-9][0-9]{2}))$"


class AreaQuerySet(models.QuerySet):
    def districts(self) -> AreaQuerySet:
        return self.filter(level=Area.Level.DISTRICT)

    def streets(self) -> AreaQuerySet:
        return self.filter(level=Area.Level.STREET)

    def communities(self) -> AreaQuerySet:
        return self.filter(level=Area.Level.COMMUNITY)

    def within_code(self, prefix: str) -> AreaQuerySet:
        """The area with this code and every area below it (codes nest as prefixes)."""
        return self.filter(code__startswith=prefix)


class Area(models.Model):
    """A district, street/town or community/village, keyed by its GB/T 2260-based code."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("区县")
        STREET = "street", _("街道/乡镇")
        COMMUNITY = "community", _("社区/村")

    CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}

    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    code = models.CharField(
        _("编码"), max_length=12, unique=True, help_text=_("6, 9 or 12 digits by level.")
    )
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.MultiPolygonField(_("边界"), srid=4326, null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(level="district") & Q(code__regex=r"^[0-9]{6}$"))
                    | (Q(level="street") & Q(code__regex=r"^[0-9]{9}$"))
                    | (Q(level="community") & Q(code__regex=r"^[0-9]{12}$"))
                ),
                name="area_code_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GridQuerySet(models.QuerySet):
    def current(self, *, on: date | None = None) -> GridQuerySet:
        """Grids in force on a date (today when not given)."""
        day = on or timezone.localdate()
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )

    def within_code(self, prefix: str) -> GridQuerySet:
        """Grids of a district, street or community, by that area's code."""
        return self.filter(code__startswith=prefix)


class Grid(models.Model):
    """A unit grid (单元网格) of about 10,000 m², retired and replaced rather than edited."""

    class Grade(models.IntegerChoices):
        FIRST = 1, _("一级")
        SECOND = 2, _("二级")
        THIRD = 3, _("三级")

    code = models.CharField(
        _("网格编码"),
        max_length=15,
        help_text=_("14 digits (CJ/T 213) or 15 (GB/T 47678.3); starts with the community code."),
    )
    community = models.ForeignKey(
        Area, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="grids"
    )
    boundary = models.MultiPolygonField(_("边界"), srid=4326)
    area_m2 = models.FloatField(
        _("面积（平方米）"), help_text=_("Computed on an equal-area projection, not in degrees.")
    )
    grade = models.PositiveSmallIntegerField(
        _("管理等级"), choices=Grade.choices, default=Grade.SECOND
    )
    valid_from = models.DateField(_("启用日期"))
    valid_to = models.DateField(
        _("停用日期"), null=True, blank=True, help_text=_("Empty while the grid is in force.")
    )

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="grid_code_unique_current"
            ),
            models.UniqueConstraint(fields=["code", "valid_from"], name="grid_code_version_unique"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{14,15}$"), name="grid_code_14_or_15_digits"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="grid_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def is_current(self, *, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.valid_from <= day and (self.valid_to is None or self.valid_to > day)


class CategoryQuerySet(models.QuerySet):
    def components(self) -> CategoryQuerySet:
        return self.filter(kind=Category.Kind.COMPONENT)

    def matters(self) -> CategoryQuerySet:
        return self.filter(kind=Category.Kind.MATTER)

    def active(self, *, on: date | None = None) -> CategoryQuerySet:
        """Categories that may be used for new records on a date (today when not given)."""
        day = on or timezone.localdate()
        return self.filter(Q(retired_on__isnull=True) | Q(retired_on__gt=day))


def category_search_keys(name: str) -> str:
    """What the category search matches besides name and code: the name's full pinyin and its
    initials, lower case without tones ("上水井盖" → "shangshuijinggai ssjg")."""
    # Letters and digits in a name pass through as they are; punctuation is dropped.
    syllables = [s.lower() for s in lazy_pinyin(name, errors=_alnum) if s]
    initials = "".join(s[0] for s in syllables)
    letters = [s.lower() for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors=_alnum) if s]
    # FIRST_LETTER agrees with the syllables' first letters except for a few finals-only readings.
    keys = {"".join(syllables), initials, "".join(letters)}
    return " ".join(sorted(k for k in keys if k))


def _alnum(chars: str) -> str:
    return "".join(c for c in chars if c.isalnum())


class Category(models.Model):
    """A component type or matter type of the national directory, or a city's local addition.

    The same five digits may name both a component and a matter type, so (kind, code) is the key.
    """

    class Kind(models.TextChoices):
        COMPONENT = "component", _("部件")
        MATTER = "matter", _("事件")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("编码"), max_length=5, help_text=_("2-digit major + 3-digit minor."))
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    major_code = models.CharField(_("大类编码"), max_length=2)
    major_name = models.CharField(_("大类名称"), max_length=100)
    edition = models.CharField(
        _("标准版本"), max_length=40, help_text=_("e.g. GB/T 47678.5-2026, or 'local'.")
    )
    is_local = models.BooleanField(_("地方扩展"), default=False)
    retired_on = models.DateField(
        _("停用日期"),
        null=True,
        blank=True,
        help_text=_("From this day the code takes no new records; its number is never reused."),
    )
    search_keys = models.CharField(
        _("检索拼音"),
        max_length=400,
        blank=True,
        editable=False,
        help_text=_("Full pinyin and initials of the name, kept by save() and the loaders."),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("部件事件类别")
        verbose_name_plural = _("部件事件类别")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="category_kind_code_unique"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{5}$"), name="category_code_5_digits"
            ),
            models.CheckConstraint(
                condition=Q(is_local=False) | Q(code__regex=LOCAL_CODE_REGEX),
                name="category_local_code_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        keys = category_search_keys(self.name)
        if keys != self.search_keys:
            self.search_keys = keys
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_keys"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def is_active(self, *, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.retired_on is None or self.retired_on > day


class LegacyCategoryCode(models.Model):
    """An explicit mapping of a CJ/T 214-2007 / GB/T 30428.2-2013 four-digit code to a current
    category. It takes precedence over the built-in rule for matters and is the only way a legacy
    component code maps, since the 2026 edition renumbered the component majors."""

    kind = models.CharField(_("类别"), max_length=16, choices=Category.Kind.choices)
    code = models.CharField(
        _("旧版编码"), max_length=4, help_text=_("2-digit major + 2-digit minor.")
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("对应现行类别"),
        on_delete=models.PROTECT,
        related_name="legacy_codes",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("旧版编码对照")
        verbose_name_plural = _("旧版编码对照")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="legacy_code_kind_code_unique"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{4}$"), name="legacy_code_4_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.category.code}"


class ComponentSerial(models.Model):
    """The last serial issued for a (district, class) pair of component identifiers.

    Generating an identifier takes this row's lock, so concurrent writers never issue one twice.
    """

    district_code = models.CharField(_("区县编码"), max_length=6)
    class_code = models.CharField(_("类别编码"), max_length=5)
    last_serial = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("部件序号")
        verbose_name_plural = _("部件序号")
        constraints = [
            models.UniqueConstraint(
                fields=["district_code", "class_code"], name="component_serial_unique"
            ),
            models.CheckConstraint(
                condition=Q(last_serial__lte=999999), name="component_serial_6_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district_code}{self.class_code} {self.last_serial:06d}"


class ComponentQuerySet(models.QuerySet):
    def of_category(self, category: Category) -> ComponentQuerySet:
        return self.filter(category=category)

    def within_code(self, prefix: str) -> ComponentQuerySet:
        """Components of a district, street, community or grid by that code's prefix."""
        return self.filter(grid_code__startswith=prefix)


class Component(models.Model):
    """A registered public asset with a fixed place (GB/T 47678.5 table 2 attributes)."""

    class Status(models.TextChoices):
        INTACT = "intact", _("完好")
        DAMAGED = "damaged", _("破损")
        MISSING = "missing", _("丢失")
        ABANDONED = "abandoned", _("废弃")
        REMOVED = "removed", _("移除")

    class DataSource(models.TextChoices):
        SURVEYED = "surveyed", _("实测")
        MAP = "map", _("地形图")
        BASE_GEODATA = "base_geodata", _("基础地理数据")
        OTHER = "other", _("其他")

    identifier = models.CharField(
        _("标识码"),
        max_length=17,
        unique=True,
        help_text=_("6-digit district + 5-digit class + 6-digit serial (legacy: 16 digits)."),
    )
    category = models.ForeignKey(
        Category, verbose_name=_("部件类型"), on_delete=models.PROTECT, related_name="components"
    )
    name = models.CharField(_("名称"), max_length=100, blank=True)
    supervising_unit_code = models.CharField(_("主管部门代码"), max_length=18, blank=True)
    supervising_unit_name = models.CharField(_("主管部门名称"), max_length=100, blank=True)
    owner_unit_code = models.CharField(_("权属单位代码"), max_length=18, blank=True)
    owner_unit_name = models.CharField(_("权属单位名称"), max_length=100, blank=True)
    maintenance_unit_code = models.CharField(_("养护单位代码"), max_length=18, blank=True)
    maintenance_unit_name = models.CharField(_("养护单位名称"), max_length=100, blank=True)
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("所在网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="components",
    )
    grid_code = models.CharField(_("网格编码"), max_length=15, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.INTACT
    )
    survey_date = models.DateField(_("初始日期"), null=True, blank=True)
    change_date = models.DateField(_("变更日期"), null=True, blank=True)
    data_source = models.CharField(
        _("数据来源"), max_length=16, choices=DataSource.choices, default=DataSource.SURVEYED
    )
    remarks = models.TextField(_("备注"), blank=True)
    street_code = models.CharField(_("街道编码"), max_length=9, blank=True)
    street_name = models.CharField(_("街道名称"), max_length=100, blank=True)
    community_code = models.CharField(_("社区编码"), max_length=12, blank=True)
    community_name = models.CharField(_("社区名称"), max_length=100, blank=True)
    geometry = models.GeometryField(
        _("几何"), srid=4326, help_text=_("A point, or a line or polygon for assets with extent.")
    )

    objects = ComponentQuerySet.as_manager()

    class Meta:
        verbose_name = _("部件")
        verbose_name_plural = _("部件")
        ordering = ["identifier"]
        indexes = [
            models.Index(fields=["category", "grid"], name="component_category_grid"),
            models.Index(fields=["grid_code"], name="component_grid_code"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(identifier__regex=r"^[0-9]{16,17}$"),
                name="component_identifier_16_or_17_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.name}"


class ClusterCell(models.Model):
    """A square Web Mercator cell of a cluster level, as the component clusters count them."""

    level = models.PositiveSmallIntegerField(
        _("层级"), help_text=_("Cells are 2^-level of the Web Mercator world's width wide.")
    )
    cell_x = models.IntegerField(_("列"), help_text=_("floor(x / cell width), x in EPSG:3857."))
    cell_y = models.IntegerField(_("行"), help_text=_("floor(y / cell width), y in EPSG:3857."))

    class Meta:
        abstract = True


class ComponentCluster(ClusterCell):
    """The components whose point on surface lies in one cell: how many, the sums of their
    coordinates and their commonest category. The clusters of the component tiles, precomputed
    at every cell level, so a cluster tile reads the cells under it instead of binning every
    component under it. Derived data, kept in step with grids_component by database triggers
    (migration 0005) on every write path."""

    pk = models.CompositePrimaryKey("level", "cell_x", "cell_y")
    count = models.IntegerField(_("数量"))
    sum_x = models.FloatField(_("x 之和"))
    sum_y = models.FloatField(_("y 之和"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("最多的类型"),
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        help_text=_("The lowest category id among the commonest."),
    )

    class Meta:
        verbose_name = _("部件聚合")
        verbose_name_plural = _("部件聚合")


class ComponentClusterCategory(ClusterCell):
    """How many of a cell's components are of one category: what the cell's commonest category
    is worked out from when components come and go. Kept by the same triggers."""

    pk = models.CompositePrimaryKey("level", "cell_x", "cell_y", "category")
    category = models.ForeignKey(
        Category,
        verbose_name=_("部件类型"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    count = models.IntegerField(_("数量"))

    class Meta:
        verbose_name = _("部件聚合类型")
        verbose_name_plural = _("部件聚合类型")


class TileVersion(models.Model):
    """The version of a tile layer's data: a new random value at every write that changes what
    the layer draws (set by the same triggers), so tiles cached under it are never stale and
    two databases sharing one cache never collide."""

    layer = models.CharField(_("图层"), max_length=32, primary_key=True)
    version = models.UUIDField(_("版本"))

    class Meta:
        verbose_name = _("瓦片数据版本")
        verbose_name_plural = _("瓦片数据版本")

    def __str__(self) -> str:
        return f"{self.layer} {self.version}"


# Importable by path, for the API schema's enum names (settings.SPECTACULAR_SETTINGS).
CategoryKind = Category.Kind
