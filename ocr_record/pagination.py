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
- ``count`` of a search for 1 or 2 characters: trigram indexes need 3, so counting
  reads every row (~600 ms per million). For a search of one such term and no other
  filter, the exact number comes from ``ocr_record_gramcount``, which triggers keep
  per 1- and 2-character substring (migration 0004). ``ShortTermSearchFilter`` marks
  the querysets it applies to.
"""

from django.core.paginator import Paginator
from django.db import DatabaseError, connections
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from rest_framework.filters import SearchFilter
from rest_framework.pagination import PageNumberPagination

# Sorting this many matches in memory costs a few milliseconds; beyond it matches are
# dense enough that walking the ordering's index finds a page quickly.
SORT_MATCHES_UP_TO = 5000

ROW_COUNT_TABLE = "ocr_record_rowcount"
GRAM_COUNT_TABLE = "ocr_record_gramcount"
# ocr_record_gramcount holds the substrings of these lengths.
SHORT_TERM_LENGTHS = (1, 2)
# Set on the Query of a search for one short term: (term, the WHERE it made). Query
# attributes survive cloning (ordering, slicing); the paginator uses the term only when
# the WHERE is still exactly that one, i.e. nothing filtered the queryset since.
SHORT_TERM_MARK = "ocr_record_short_search_term"


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


def short_search_count(queryset: QuerySet) -> int | None:
    """The exact count of a queryset that is one search for a 1- or 2-character term
    and nothing else, from the trigger-maintained gram counts; None otherwise."""
    mark = getattr(queryset.query, SHORT_TERM_MARK, None)
    connection = connections[queryset.db]
    if mark is None or connection.vendor != "postgresql":
        return None
    term, where = mark
    query = queryset.query
    if query.where != where or query.distinct or query.is_sliced or query.combinator:
        return None
    try:
        with connection.cursor() as cursor:
            # upper() on both sides, as the search's UPPER(...) LIKE UPPER(...) does.
            cursor.execute(
                f"SELECT row_count FROM {GRAM_COUNT_TABLE} WHERE gram = upper(%s)",  # noqa: S608
                [term],
            )
            row = cursor.fetchone()
    except DatabaseError:  # pragma: no cover - migration 0004 not applied
        return None
    return row[0] if row else 0


class ShortTermSearchFilter(SearchFilter):
    """DRF's search, marking a search for one 1- or 2-character term over the whole
    table so that RecordPaginator counts it from ocr_record_gramcount."""

    def filter_queryset(self, request, queryset, view):
        filtered = super().filter_queryset(request, queryset, view)
        terms = self.get_search_terms(request)
        if (
            filtered is not queryset
            and len(terms) == 1
            and len(terms[0]) in SHORT_TERM_LENGTHS
            and is_whole_table(queryset)
            and list(self.get_search_fields(view, request) or []) == ["image_md5", "content_text"]
        ):
            setattr(filtered.query, SHORT_TERM_MARK, (terms[0], filtered.query.where.clone()))
        return filtered


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
        if isinstance(self.object_list, QuerySet):
            total = short_search_count(self.object_list)
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
