"""A facility dictionary read by Arrow (ids as written) gives what Python's own reading gives:
the same ids, remap, regions and hashes, whatever the ids (spaces of every kind at either end,
blanks, ids the facility table has or not)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given
from hypothesis import strategies as st

from carbon import kernel

# Python's spaces, Arrow-invisible look-alikes (zero-width space, no-break joiner) and text
LETTERS = [" ", "\t", "\x1c", "\x85", "\xa0", "\u2007", "\u3000", "\u200b", "\u2060", "A", "b",
           "7", "厂", "-"]


def reference(raw: list[str], table: list[str], regions: list[str]):
    """What the dictionary should be: ids stripped one by one in Python, looked up in a dict."""
    ids, remap = kernel._facility_dictionary(np.array(raw, dtype=object))
    position = {facility: i for i, facility in enumerate(table)}
    region = [regions[position[f]] if f in position else "" for f in ids]
    return ids.tolist(), None if remap is None else remap.tolist(), region


@given(st.lists(st.text(LETTERS, max_size=4), unique=True, max_size=12),
       st.lists(st.text(LETTERS[9:], min_size=1, max_size=3), unique=True, max_size=8),
       st.sampled_from(["str", "object"]))
@example(["A", " A", "b"], ["A", "b"], "str")  # two ids, one once stripped
@example(["A\u3000", "厂"], ["A", "厂"], "object")  # an ideographic space to strip
@example(["A", ""], ["A"], "str")  # a blank id
@example(["\u200bA"], ["A"], "str")  # a zero-width space is not a space: the id stays
def test_a_dictionary_read_by_arrow_is_the_one_python_reads(raw, table, dtype):
    regions = [f"CN-{i % 3}" for i in range(len(table))]
    facilities = pd.DataFrame({"region": regions}, index=pd.Index(table, dtype=dtype))
    made = kernel.FacilityRegions(facilities).dictionary(pd.Index(raw, dtype=dtype))
    ids, remap, region_codes, hashes = made
    names = kernel.FacilityRegions(facilities).names
    expected_ids, expected_remap, expected_regions = reference(raw, table, regions)
    assert ids.tolist() == expected_ids
    assert (None if remap is None else remap.tolist()) == expected_remap
    assert names[region_codes].tolist() == expected_regions
    assert hashes.tolist() == kernel._text_hashes(np.array(expected_ids, dtype=object)).tolist()


def test_arrows_space_is_what_str_strip_takes():
    """The class of Arrow's regular expressions that finds ids to strip is ``str.isspace``,
    code point by code point."""
    points = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    leading = pc.match_substring_regex(pa.array([chr(c) + "a" for c in points]),
                                       "^" + kernel._SPACE)
    assert np.asarray(leading).tolist() == [chr(c).isspace() for c in points]
