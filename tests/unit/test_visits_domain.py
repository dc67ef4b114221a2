"""The visit rules and the expansion of repeats, on UK wall-clock time."""

from __future__ import annotations

import datetime as dt

from matcher.domain import visits as rules

NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


def test_fortnightly_repeats_until_the_end_date_inclusive():
    series = rules.Series(dt.datetime(2027, 1, 14, 10, 0), 60, "fortnightly",
                          dt.date(2027, 3, 11))
    starts = rules.starts(series)
    assert [s.date() for s in starts] == [dt.date(2027, 1, 14) + dt.timedelta(days=14 * i)
                                         for i in range(5)]


def test_monthly_and_the_clock_change():
    series = rules.Series(dt.datetime(2027, 2, 15, 14, 30), 90, "monthly", dt.date(2027, 5, 1))
    starts = rules.starts(series)
    assert [(s.month, s.hour, s.minute) for s in starts] == [
        (2, 14, 30), (3, 14, 30), (4, 14, 30)]
    assert [s.utcoffset() for s in starts] == [dt.timedelta(0), dt.timedelta(0),
                                               dt.timedelta(hours=1)]


def test_window_keeps_a_visit_under_way_and_drops_the_rest():
    series = rules.Series(dt.datetime(2027, 1, 14, 10, 0), 120, "weekly", dt.date(2027, 2, 28))
    after = dt.datetime(2027, 1, 21, 11, 0, tzinfo=rules.LONDON)  # mid-visit
    before = dt.datetime(2027, 1, 29, tzinfo=rules.LONDON)
    found = rules.expand(series, {}, after=after, before=before)
    assert [o.starts_at.day for o in found] == [21, 28]


def test_statuses_attach_by_key_and_keys_are_utc():
    series = rules.Series(dt.datetime(2027, 6, 3, 10, 0), 60, "weekly", dt.date(2027, 6, 17))
    keys = [o.key for o in rules.expand(series, {})]
    assert keys[0] == "2027-06-03T09:00:00Z"
    found = rules.expand(series, {keys[1]: "cancelled"})
    assert [o.status for o in found] == ["planned", "cancelled", "planned"]
    assert rules.parse_key(keys[0]) == dt.datetime(2027, 6, 3, 9, tzinfo=dt.UTC)


def test_validation_names_each_field():
    ok = rules.Series(dt.datetime(2027, 1, 14, 10, 0), 60, "weekly", dt.date(2027, 6, 1))
    assert rules.validate(ok, "in_person") == {}
    # a start in the past records a visit that took place
    assert rules.validate(rules.Series(dt.datetime(2001, 1, 1, 10, 0), 60), "phone") == {}
    assert "duration_minutes" in rules.validate(rules.Series(ok.starts_at, 5), "phone")
    assert "mode" in rules.validate(ok, "carrier_pigeon")
    # 01:30 on the last Sunday of March 2027 does not exist in the UK
    gap = rules.Series(dt.datetime(2027, 3, 28, 1, 30), 60)
    assert "clocks" in rules.validate(gap, "phone")["starts_at"][0]


FIRST = dt.datetime(2027, 1, 14, 10, 0)


def test_a_series_that_fits_is_not_changed():
    series = rules.Series(FIRST, 60, "weekly", dt.date(2027, 6, 1))
    assert rules.normalise(series) == (series, ())
    one_off = rules.Series(FIRST, 60)
    assert rules.normalise(one_off) == (one_off, ())
    # a year to the day is the longest
    longest = rules.Series(FIRST, 60, "monthly", dt.date(2028, 1, 14))
    assert rules.normalise(longest) == (longest, ())


def test_end_dates_are_normalised_with_a_note_each():
    cases = [
        (rules.Series(FIRST, 60, "weekly"), dt.date(2028, 1, 14), rules.NO_END),
        (rules.Series(FIRST, 60, "monthly", dt.date(2028, 3, 1)), dt.date(2028, 1, 14),
         rules.END_TOO_LATE),
        (rules.Series(FIRST, 60, "fortnightly", dt.date(2026, 12, 1)), FIRST.date(),
         rules.END_BEFORE_START),
        (rules.Series(FIRST, 60, "none", dt.date(2027, 2, 1)), None, rules.ONE_OFF_END),
    ]
    for given, until, reason in cases:
        series, (note,) = rules.normalise(given)
        assert series.repeat_until == until and series.repeat == given.repeat
        assert (note.field, note.reason) == ("repeat_until", reason)
        assert note.message and note.problem
    # an end before the start leaves just the first visit (RFC 5545: DTSTART is one)
    short, _ = rules.normalise(cases[2][0])
    assert [s.date() for s in rules.starts(short)] == [FIRST.date()]
    # a 29 February start runs to 28 February
    leap, _ = rules.normalise(rules.Series(dt.datetime(2028, 2, 29, 10), 60, "weekly"))
    assert leap.repeat_until == dt.date(2029, 2, 28)


def test_only_notes_from_the_stored_series_are_conflicts():
    _, (late,) = rules.normalise(rules.Series(FIRST, 60, "weekly", dt.date(2029, 1, 1)))
    assert rules.conflicts([late], {"repeat_until"}) == {"repeat_until": [late.problem]}
    assert rules.conflicts([late], {"starts_at"}) == {"repeat_until": [late.problem]}
    assert rules.conflicts([late], {"starts_at", "repeat_until", "version"}) == {}
    _, (one_off,) = rules.normalise(rules.Series(FIRST, 60, "none", dt.date(2027, 2, 1)))
    assert "repeat_until" in rules.conflicts([one_off], {"repeat_until"})
    assert rules.conflicts([one_off], {"repeat", "repeat_until"}) == {}
    _, (no_end,) = rules.normalise(rules.Series(FIRST, 60, "weekly"))
    assert rules.conflicts([no_end], {"repeat"}) == {}
