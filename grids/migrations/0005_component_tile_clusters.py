"""Precomputed clusters of the component tiles, and the version of the tiles' data.

grids_componentcluster holds, for each square Web Mercator cell at every level from 0 (the
world) to 19 (76 m), how many components have their point on surface in it, the sums of their
coordinates and their commonest category; grids_componentclustercategory the counts per
category that the commonest comes from. A cluster tile reads the 16 × 16 cells under it instead
of binning every component under it on each request.

Statement-level triggers with transition tables keep both in step on every write path (the
ORM, the COPY import's INSERT … SELECT, the admin, raw SQL): one set-based pass per write
statement, so a bulk import bins its rows once, level by level, instead of firing a row trigger
a million times. The same triggers give grids_tileversion a new random value whenever anything
the component tiles draw changes; the tile cache is keyed by it.

On a large table: grids_component gets no column and is not rewritten. CREATE TRIGGER and the
fill hold SHARE ROW EXCLUSIVE on grids_component until the migration commits, so component
writes wait for the fill while every read goes on; lock_timeout keeps the migration from
queueing behind a long transaction (and the readers from queueing behind it).
"""

# SQL here is composed only from module constants (levels, the world width); nothing comes from
# input.
# ruff: noqa: S608

import django.db.models.deletion
from django.db import migrations, models

FINEST_LEVEL = 19  # grids.tiles.CLUSTER_LEVELS: cells of 76 m, the clusters of zoom 15
WEB_MERCATOR_WIDTH = "40075016.685578488"  # grids.tiles.WEB_MERCATOR_WIDTH, the same double


def _delta_statement() -> str:
    """The statement adding the rows of a query "(sign, category_id, geometry)" to the clusters
    (sign -1 takes them away), as the text of a format() with one %s.

    The finest level is binned from the points; each coarser level sums the one below it, since
    a cell of level n is four cells of level n + 1: floor(x / 2w) = floor(x / w) >> 1 exactly,
    w being the width over a power of two, as the tiles compute it. Cells go in key order, so
    concurrent writers lock them in the same order. It returns the cells it touched, for
    grids_component_clusters_settle."""
    finest = f"""
level{FINEST_LEVEL} AS (
    SELECT {FINEST_LEVEL} AS level, floor(x / w)::integer AS cell_x,
           floor(y / w)::integer AS cell_y, category_id, sum(sign)::integer AS count,
           sum(sign * x) AS sum_x, sum(sign * y) AS sum_y
      FROM (SELECT sign, category_id, ST_X(p) AS x, ST_Y(p) AS y,
                   '{WEB_MERCATOR_WIDTH}'::float8 / {2**FINEST_LEVEL} AS w
              FROM (SELECT sign, category_id, ST_Transform(ST_PointOnSurface(geometry), 3857) AS p
                      FROM changes) AS moved) AS points
     GROUP BY 2, 3, 4)"""
    coarser = [
        f"""
level{n} AS (
    SELECT {n} AS level, cell_x >> 1 AS cell_x, cell_y >> 1 AS cell_y, category_id,
           sum(count)::integer AS count, sum(sum_x) AS sum_x, sum(sum_y) AS sum_y
      FROM level{n + 1} GROUP BY 2, 3, 4)"""
        for n in range(FINEST_LEVEL - 1, -1, -1)
    ]
    levels = "\n     UNION ALL ".join(f"SELECT * FROM level{n}" for n in range(FINEST_LEVEL + 1))
    return f"""
WITH changes (sign, category_id, geometry) AS (%s),{",".join([finest, *coarser])},
deltas AS (
    SELECT * FROM ({levels}) AS d
     WHERE count <> 0 OR sum_x <> 0 OR sum_y <> 0),
counted AS (
    INSERT INTO grids_componentclustercategory AS k (level, cell_x, cell_y, category_id, count)
    SELECT level, cell_x, cell_y, category_id, count FROM deltas
     WHERE count <> 0
     ORDER BY level, cell_x, cell_y, category_id
    ON CONFLICT (level, cell_x, cell_y, category_id) DO UPDATE SET count = k.count + EXCLUDED.count
    RETURNING level, cell_x, cell_y),
summed AS (
    INSERT INTO grids_componentcluster AS c (level, cell_x, cell_y, count, sum_x, sum_y)
    SELECT level, cell_x, cell_y, sum(count), sum(sum_x), sum(sum_y) FROM deltas
     GROUP BY level, cell_x, cell_y
     ORDER BY level, cell_x, cell_y
    ON CONFLICT (level, cell_x, cell_y) DO UPDATE
       SET count = c.count + EXCLUDED.count, sum_x = c.sum_x + EXCLUDED.sum_x,
           sum_y = c.sum_y + EXCLUDED.sum_y
    RETURNING level, cell_x, cell_y)
SELECT array_agg(level), array_agg(cell_x), array_agg(cell_y)
  FROM (SELECT * FROM counted UNION SELECT * FROM summed) AS touched
"""


BUMP_VERSION = """
    INSERT INTO grids_tileversion (layer, version) VALUES ('components', gen_random_uuid())
        ON CONFLICT (layer) DO UPDATE SET version = EXCLUDED.version;"""

FORWARD = f"""
SET LOCAL lock_timeout = '10s';

-- The statement's text, shared by the trigger and the rebuild, which EXECUTE it: only the
-- trigger function itself can see the transition tables.
CREATE FUNCTION grids_component_clusters_sql(changes text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT format($sql${_delta_statement()}$sql$, changes)
$fn$;

-- After counts changed: drop emptied cells and counts, and work out the commonest category of
-- the touched cells again (the lowest id among equally common ones, as mode() picks).
CREATE FUNCTION grids_component_clusters_settle(levels integer[], xs integer[], ys integer[])
RETURNS void LANGUAGE sql AS $fn$
DELETE FROM grids_componentclustercategory k
 USING unnest(levels, xs, ys) AS t (level, cell_x, cell_y)
 WHERE k.level = t.level AND k.cell_x = t.cell_x AND k.cell_y = t.cell_y AND k.count = 0;
DELETE FROM grids_componentcluster c
 USING unnest(levels, xs, ys) AS t (level, cell_x, cell_y)
 WHERE c.level = t.level AND c.cell_x = t.cell_x AND c.cell_y = t.cell_y AND c.count = 0;
UPDATE grids_componentcluster c SET category_id = best.category_id
  FROM (SELECT DISTINCT ON (k.level, k.cell_x, k.cell_y) k.level, k.cell_x, k.cell_y,
               k.category_id
          FROM unnest(levels, xs, ys) AS t (level, cell_x, cell_y)
          JOIN grids_componentclustercategory k
            ON k.level = t.level AND k.cell_x = t.cell_x AND k.cell_y = t.cell_y
         ORDER BY k.level, k.cell_x, k.cell_y, k.count DESC, k.category_id) AS best
 WHERE c.level = best.level AND c.cell_x = best.cell_x AND c.cell_y = best.cell_y
   AND c.category_id IS DISTINCT FROM best.category_id;
$fn$;

-- PostGIS prices its functions high enough that JIT would compile even a one-row write's
-- statement, for longer than the statement takes.
CREATE FUNCTION grids_component_tiles_changed() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $fn$
DECLARE
    changes text;
    moved boolean;
    redrawn boolean;
    levels integer[];
    xs integer[];
    ys integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN
            RETURN NULL;
        END IF;
        changes := 'SELECT 1, category_id, geometry FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN
            RETURN NULL;
        END IF;
        changes := 'SELECT -1, category_id, geometry FROM old_rows';
    ELSIF TG_OP = 'UPDATE' THEN
        -- What the tiles show: the place, the category, the identifier and the status; only a
        -- new place or category moves components between cells. Re-placing components in new
        -- grids, or editing their units, changes none of it. EXECUTEd to be planned for this
        -- statement's row count: a plan cached for one row nests loops over thousands.
        EXECUTE 'SELECT coalesce(bool_or((o.geometry, o.category_id)
                                         IS DISTINCT FROM (n.geometry, n.category_id)), false),
                        coalesce(bool_or((o.identifier, o.status)
                                         IS DISTINCT FROM (n.identifier, n.status)), false)
                   FROM old_rows o JOIN new_rows n ON n.id = o.id'
           INTO moved, redrawn;
        IF NOT (moved OR redrawn) THEN
            RETURN NULL;
        END IF;
        IF moved THEN
            changes := 'SELECT s.sign, s.category_id, s.geometry
                          FROM old_rows o JOIN new_rows n ON n.id = o.id
                         CROSS JOIN LATERAL (VALUES (-1, o.category_id, o.geometry),
                                                    (1, n.category_id, n.geometry))
                               AS s (sign, category_id, geometry)
                         WHERE (o.geometry, o.category_id)
                               IS DISTINCT FROM (n.geometry, n.category_id)';
        END IF;
    END IF;
    -- The version row first, then cells in key order: concurrent writers queue on the same
    -- locks in the same order instead of deadlocking.{BUMP_VERSION}
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM grids_componentclustercategory;
        DELETE FROM grids_componentcluster;
        RETURN NULL;
    END IF;
    IF changes IS NOT NULL THEN
        EXECUTE grids_component_clusters_sql(changes) INTO levels, xs, ys;
        IF levels IS NOT NULL THEN
            PERFORM grids_component_clusters_settle(levels, xs, ys);
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER grids_component_tiles_insert AFTER INSERT ON grids_component
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_component_tiles_changed();
CREATE TRIGGER grids_component_tiles_update AFTER UPDATE ON grids_component
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_component_tiles_changed();
CREATE TRIGGER grids_component_tiles_delete AFTER DELETE ON grids_component
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_component_tiles_changed();
CREATE TRIGGER grids_component_tiles_truncate AFTER TRUNCATE ON grids_component
    FOR EACH STATEMENT EXECUTE FUNCTION grids_component_tiles_changed();

-- Component tiles carry their category's code and name.
CREATE FUNCTION grids_category_tiles_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN{BUMP_VERSION}
    RETURN NULL;
END
$fn$;

CREATE TRIGGER grids_category_tiles AFTER UPDATE OF code, name ON grids_category
    FOR EACH STATEMENT EXECUTE FUNCTION grids_category_tiles_changed();

-- Count everything again: the fill below, and the repair should the clusters ever be in doubt
-- (SELECT grids_component_clusters_rebuild()).
CREATE FUNCTION grids_component_clusters_rebuild() RETURNS void LANGUAGE plpgsql
SET jit = off AS $fn$
DECLARE
    levels integer[];
    xs integer[];
    ys integer[];
BEGIN
    -- Writers wait, readers go on; then the version row and the cells, as in the trigger.
    LOCK TABLE grids_component IN SHARE MODE;{BUMP_VERSION}
    DELETE FROM grids_componentclustercategory;
    DELETE FROM grids_componentcluster;
    EXECUTE grids_component_clusters_sql('SELECT 1, category_id, geometry FROM grids_component')
       INTO levels, xs, ys;
    IF levels IS NOT NULL THEN
        PERFORM grids_component_clusters_settle(levels, xs, ys);
    END IF;
END
$fn$;

SELECT grids_component_clusters_rebuild();
ANALYZE grids_componentcluster;
ANALYZE grids_componentclustercategory;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS grids_category_tiles ON grids_category;
DROP TRIGGER IF EXISTS grids_component_tiles_truncate ON grids_component;
DROP TRIGGER IF EXISTS grids_component_tiles_delete ON grids_component;
DROP TRIGGER IF EXISTS grids_component_tiles_update ON grids_component;
DROP TRIGGER IF EXISTS grids_component_tiles_insert ON grids_component;
DROP FUNCTION IF EXISTS grids_category_tiles_changed();
DROP FUNCTION IF EXISTS grids_component_tiles_changed();
DROP FUNCTION IF EXISTS grids_component_clusters_rebuild();
DROP FUNCTION IF EXISTS grids_component_clusters_settle(integer[], integer[], integer[]);
DROP FUNCTION IF EXISTS grids_component_clusters_sql(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0004_category_search_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="TileVersion",
            fields=[
                (
                    "layer",
                    models.CharField(
                        max_length=32, primary_key=True, serialize=False, verbose_name="图层"
                    ),
                ),
                ("version", models.UUIDField(verbose_name="版本")),
            ],
            options={
                "verbose_name": "瓦片数据版本",
                "verbose_name_plural": "瓦片数据版本",
            },
        ),
        migrations.CreateModel(
            name="ComponentCluster",
            fields=[
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        help_text="Cells are 2^-level of the Web Mercator world's width wide.",
                        verbose_name="层级",
                    ),
                ),
                (
                    "cell_x",
                    models.IntegerField(
                        help_text="floor(x / cell width), x in EPSG:3857.", verbose_name="列"
                    ),
                ),
                (
                    "cell_y",
                    models.IntegerField(
                        help_text="floor(y / cell width), y in EPSG:3857.", verbose_name="行"
                    ),
                ),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "level",
                        "cell_x",
                        "cell_y",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("count", models.IntegerField(verbose_name="数量")),
                ("sum_x", models.FloatField(verbose_name="x 之和")),
                ("sum_y", models.FloatField(verbose_name="y 之和")),
                (
                    "category",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        help_text="The lowest category id among the commonest.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grids.category",
                        verbose_name="最多的类型",
                    ),
                ),
            ],
            options={
                "verbose_name": "部件聚合",
                "verbose_name_plural": "部件聚合",
            },
        ),
        migrations.CreateModel(
            name="ComponentClusterCategory",
            fields=[
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        help_text="Cells are 2^-level of the Web Mercator world's width wide.",
                        verbose_name="层级",
                    ),
                ),
                (
                    "cell_x",
                    models.IntegerField(
                        help_text="floor(x / cell width), x in EPSG:3857.", verbose_name="列"
                    ),
                ),
                (
                    "cell_y",
                    models.IntegerField(
                        help_text="floor(y / cell width), y in EPSG:3857.", verbose_name="行"
                    ),
                ),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "level",
                        "cell_x",
                        "cell_y",
                        "category",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("count", models.IntegerField(verbose_name="数量")),
                (
                    "category",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grids.category",
                        verbose_name="部件类型",
                    ),
                ),
            ],
            options={
                "verbose_name": "部件聚合类型",
                "verbose_name_plural": "部件聚合类型",
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
