"""Page-number paging for the record list, kept fast on a table of millions of rows.

Two things make a plain ``Paginator`` slow on PostgreSQL with a million records, and
both are answered here without changing what a client sees (``count`` stays exact):

- ``count`` of the whole table: ``SELECT count(*)`` reads every index entry (~100 ms
  per million). For an unfiltered list the exact number comes from a counter that
  triggers keep in step with every insert, delete and truncate (migration 0002).
- A page of few matches (e.g. a search for one MD5 fragment): the planner expects
  matches to be spread out, walks the ``created_at`` index to find the first 20 and
  reads the whole table when there is only one. The exact count is known before the
  page is fetched, so a small result is sorted from the rows its filter finds.
"""

from django.core.paginator import Paginator
from django.db import DatabaseError, connections
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Sorting this many matches in memory costs a few milliseconds; beyond it matches are
# dense enough that walking the ordering's index finds a page quickly.
SORT_MATCHES_UP_TO = 5000

ROW_COUNT_TABLE = "ocr_record_rowcount"


def exact_table_count(queryset: QuerySet) -> int | None:
    """The trigger-maintained row count of the queryset's table, or None without one."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT row_count FROM {ROW_COUNT_TABLE} WHERE table_name = %s",  # noqa: S608
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
    except DatabaseError:  # pragma: no cover - migration 0002 not applied
        return None
    return row[0] if row else None


def is_whole_table(queryset: QuerySet) -> bool:
    query = queryset.query
    return not query.where and not query.distinct and not query.is_sliced


def sorted_without_index(queryset: QuerySet) -> QuerySet:
    """The same order, written so that no index matches it: PostgreSQL then fetches
    the matches through the filter's own index and sorts them."""
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    terms = []
    for name in ordering:
        if not isinstance(name, str):
            return queryset
        field = name.removeprefix("-")
        expression = Coalesce(F(field), F(field))
        terms.append(expression.desc() if name.startswith("-") else expression.asc())
    return queryset.order_by(*terms)


class RecordPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet) and is_whole_table(self.object_list):
            total = exact_table_count(self.object_list)
            if total is not None:
                return total
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if (
            isinstance(object_list, QuerySet)
            and self.count <= SORT_MATCHES_UP_TO
            and connections[object_list.db].vendor == "postgresql"
        ):
            object_list = sorted_without_index(object_list)
        return self._get_page(object_list[bottom:top], number, self)


class OcrRecordPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = RecordPaginator
