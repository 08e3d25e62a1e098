"""Pure session rules: steps, quality, retries, force-capture, exceptions, counts, limits."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sweet17.domain import session as S


def att(step, n, q, excepted=(), error="", problems=None, forced=False, rules=None):
    spec = S.spec(step)
    rules = rules or S.CaptureRules()
    if problems is None:
        problems = () if error else S.judge(spec, q, excepted, rules)
    return S.Attempt(step=S.Step(step), attempt=n, excepted=tuple(excepted), qualities=q, error=error,
                     problems=tuple(problems), forced=forced)


def slap(score, positions=S.LEFT_SLAP):
    return {p: score for p in positions}


def test_sequence_and_sub_ids():
    assert [s.step.value for s in S.STEPS] == ["face", "left_slap", "right_slap", "thumbs", "iris", "signature"]
    assert [(s.modality, s.sub_id) for s in S.STEPS[1:5]] == [("Finger", 1), ("Finger", 2), ("Finger", 3), ("Iris", 3)]
    assert S.expected_count(S.spec("left_slap"), ()) == 4
    assert S.expected_count(S.spec("left_slap"), ("Left LittleFinger",)) == 3
    assert S.expected_count(S.spec("thumbs"), S.THUMBS) == 0
    assert S.expected_count(S.spec("face"), ()) == 1


def test_default_thresholds_follow_mosip_spirit():
    r = S.CaptureRules()
    assert r.threshold("Finger") == 40 and r.threshold("Iris") == 60
    s = S.spec("left_slap")
    assert S.judge(s, slap(40), (), r) == ()
    assert S.judge(s, {**slap(80), "Left RingFinger": 39.9}, (), r) == ("quality",)
    assert S.judge(s, {p: 80 for p in S.LEFT_SLAP[:3]}, (), r) == ("count",)        # a finger missing
    assert S.judge(s, {p: 80 for p in S.LEFT_SLAP[:3]}, ("Left LittleFinger",), r) == ()
    assert S.judge(S.spec("iris"), {"Left": 59, "Right": 90}, (), r) == ("quality",)
    assert S.judge(s, {**slap(80), "Left IndexFinger": None}, (), r) == ("quality",)


def test_nfiq2_floor():
    r = S.rules_from_settings({"finger": 40, "nfiq2_min": 30})
    assert r.nfiq2_min == 30
    assert S.judge(S.spec("thumbs"), slap(90, S.THUMBS), (), r, nfiq2={"Left Thumb": 12, "Right Thumb": 50}) == ("nfiq2",)
    assert S.judge(S.spec("thumbs"), slap(90, S.THUMBS), (), r, nfiq2={"Left Thumb": 31, "Right Thumb": 50}) == ()


def test_rules_from_settings_validates():
    r = S.rules_from_settings({"fingers": 55, "iris": 70}, 2)
    assert r.threshold("Finger") == 55 and r.threshold("Iris") == 70 and r.max_retries == 2
    with pytest.raises(ValueError):
        S.rules_from_settings({"nose": 3})
    with pytest.raises(ValueError):
        S.rules_from_settings({"finger": 130})
    with pytest.raises(ValueError):
        S.rules_from_settings({}, -1)


def test_retries_then_decision_then_force():
    r = S.CaptureRules(max_retries=2)
    s = S.spec("left_slap")
    atts = [att("left_slap", 1, slap(20)), att("left_slap", 2, slap(35))]
    o = S.step_outcome(s, atts, (), r)
    assert o.state == S.StepState.RETRY and o.counted == 2
    atts.append(att("left_slap", 3, slap(30)))
    o = S.step_outcome(s, atts, (), r)
    assert o.state == S.StepState.DECIDE
    assert o.chosen.attempt == 2                      # best lowest score
    assert S.force_capture_problem(o, "jari kering", "op1", "sup1", "supervisor", r) is None
    assert S.force_capture_problem(o, "", "op1", "sup1", "supervisor", r) is not None
    assert S.force_capture_problem(o, "jari kering", "op1", "op2", "operator", r) is not None
    assert S.force_capture_problem(o, "jari kering", "sup1", "sup1", "supervisor", r) is not None   # four eyes
    assert S.force_capture_problem(o, "x" * 5, "sup1", "sup1", "supervisor",
                                   S.CaptureRules(max_retries=2, four_eyes=False)) is None
    forced = [*atts[:1], att("left_slap", 2, slap(35), forced=True), atts[2]]
    assert S.step_outcome(s, forced, (), r).state == S.StepState.FORCED


def test_force_not_allowed_before_retries_used():
    r = S.CaptureRules(max_retries=3)
    o = S.step_outcome(S.spec("thumbs"), [att("thumbs", 1, slap(10, S.THUMBS))], (), r)
    assert o.state == S.StepState.RETRY
    assert S.force_capture_problem(o, "reason", "op1", "sup1", "supervisor", r) is not None


def test_device_errors_do_not_use_retries():
    r = S.CaptureRules(max_retries=1)
    atts = [att("iris", i, {}, error="DeviceDisconnected") for i in (1, 2, 3, 4)]
    o = S.step_outcome(S.spec("iris"), atts, (), r)
    assert o.state == S.StepState.PENDING
    atts.append(att("iris", 5, {"Left": 80, "Right": 80}))
    assert S.step_outcome(S.spec("iris"), atts, (), r).state == S.StepState.ACCEPTED


def test_exceptions_reset_the_request_and_skip_whole_steps():
    r = S.CaptureRules(max_retries=1)
    s = S.spec("left_slap")
    atts = [att("left_slap", 1, slap(10)), att("left_slap", 2, slap(12))]
    assert S.step_outcome(s, atts, (), r).state == S.StepState.DECIDE
    # the little finger is missing: the earlier attempts asked for four, so they no longer count
    o = S.step_outcome(s, atts, ("Left LittleFinger",), r)
    assert o.state == S.StepState.PENDING
    three = {p: 70 for p in S.LEFT_SLAP[:3]}
    atts.append(att("left_slap", 3, three, excepted=("Left LittleFinger",)))
    assert S.step_outcome(s, atts, ("Left LittleFinger",), r).state == S.StepState.ACCEPTED
    assert S.step_outcome(S.spec("thumbs"), [], S.THUMBS, r).state == S.StepState.EXCEPTED
    prog = S.progress([], [("Iris", "Left"), ("Iris", "Right"), ("Signature", "")], r)
    assert prog.outcome("iris").state == S.StepState.EXCEPTED
    assert prog.outcome("signature").state == S.StepState.EXCEPTED
    assert prog.next.spec.step == S.Step.FACE


def test_exception_rules():
    assert S.exception_problem("Face", "", "missing", "x") is not None
    assert S.exception_problem("Finger", "Left Thumb", "missing", "amputasi") is None
    assert S.exception_problem("Finger", "Left Nose", "missing", "amputasi") is not None
    assert S.exception_problem("Finger", "Left Thumb", "gone", "amputasi") is not None
    assert S.exception_problem("Finger", "Left Thumb", "injured", "") is not None
    assert S.exception_problem("Signature", "Signature", "unable", "tidak bisa menulis") is None
    assert S.exception_problem("Signature", "Signature", "missing", "tidak bisa menulis") is not None
    assert S.exception_key("Finger", "Left Thumb") == "Finger:Left Thumb"
    assert S.exception_key("Signature", "") == "Signature"


def test_parse_positions():
    assert S.parse_positions("Finger", "L4") == ("Left LittleFinger",)
    assert S.parse_positions("Finger", "r1, RT") == ("Right IndexFinger", "Right Thumb")
    assert S.parse_positions("Finger", "thumbs") == S.THUMBS
    assert S.parse_positions("Finger", ["Left Thumb"]) == ("Left Thumb",)
    assert S.parse_positions("Iris", "kiri") == ("Left",)
    assert S.parse_positions("Iris", "both") == S.IRISES
    for bad in ("L5", "", "left"):
        with pytest.raises(ValueError):
            S.parse_positions("Finger", bad)


def test_background_rule():
    assert S.background_colour(2009) == "red" and S.background_colour(2008) == "blue"
    assert S.background_problem("red", "blue") and not S.background_problem("red", "red")
    assert not S.background_problem("red", None)


def test_day_counts():
    called = ["a", "b", "c", "d", "e"]
    rows = [("a", "committed", "list"), ("b", "absent", "list"), ("c", "capturing", "list"),
            ("d", "cancelled", "list"), ("w1", "committed", "walk_in"), ("w2", "cancelled", "walk_in")]
    c = S.day_counts(called, rows)
    assert c.to_dict() == {"called": 5, "checked_in": 3, "recorded": 2, "absent": 1, "remaining": 2,
                           "walk_ins": 1, "in_progress": 1}
    # a late arrival after being marked absent counts once, as checked in
    c2 = S.day_counts(called, [("b", "absent", "list"), ("b", "committed", "list")])
    assert c2.absent == 0 and c2.recorded == 1 and c2.remaining == 4


def test_correction_values():
    today = date(2026, 11, 23)
    assert S.correction_value("name", "  siti   nur  ", today) == ("SITI NUR", None)
    assert S.correction_value("name", "S1ti", today)[1] is not None
    assert S.correction_value("birth_date", "2009-02-29", today)[1] is not None   # not a date
    assert S.correction_value("birth_date", "2008-02-28", today) == ("2008-02-28", None)
    assert S.correction_value("birth_date", "2030-01-01", today)[1] is not None
    assert S.correction_value("sex", "p", today) == ("P", None)
    assert S.correction_value("nik", "6311.0612.0308.0001", today) == ("6311061203080001", None)
    assert S.correction_value("nik", "631106", today)[1] is not None
    assert S.correction_value("nisn", "0081234501", today) == ("0081234501", None)
    assert S.correction_value("rombel", "X", today)[1] is not None


def test_walk_in_age_rule():
    day = date(2026, 11, 23)
    assert S.walk_in_problem("2010-11-23", day, 16) is None          # 16 today
    assert S.walk_in_problem("2010-11-24", day, 16) is not None      # 16 tomorrow
    assert S.walk_in_problem("2010-02-29", day, 16) is not None      # not a date
    assert S.walk_in_problem("2008-02-29", date(2024, 2, 28), 16) is not None


def test_idle_and_offline_limits():
    t = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert not S.idle_expired(t, t + timedelta(minutes=9, seconds=59), 10)
    assert S.idle_expired(t, t + timedelta(minutes=10), 10)
    assert not S.idle_expired(t, t + timedelta(days=3), 0)
    lim = S.OfflineLimits(max_days=7, max_awaiting=100)
    assert S.offline_problem(None, 0, t, lim) is None
    assert S.offline_problem(t - timedelta(days=6), 100, t, lim) is None
    msg, params = S.offline_problem(t - timedelta(days=8), 0, t, lim)
    assert params == {"days": 8, "limit": 7} and "sync" in msg
    msg, params = S.offline_problem(None, 101, t, lim)
    assert params == {"count": 101, "limit": 100}


@given(st.lists(st.tuples(st.integers(1, 6), st.floats(0, 100), st.booleans()), max_size=12),
       st.integers(0, 4))
def test_progress_is_monotone_in_good_attempts(seq, max_retries):
    """Whatever attempts were made, adding a good one to the next step never moves it backwards."""
    r = S.CaptureRules(max_retries=max_retries)
    atts = []
    counter: dict[str, int] = {}
    for step_i, score, err in seq:
        step = S.STEPS[step_i - 1]
        counter[step.step] = counter.get(step.step, 0) + 1
        q = {p: score for p in step.positions} if step.positions else {step.modality: score}
        atts.append(att(step.step, counter[step.step], {} if err else q, error="X" if err else ""))
    prog = S.progress(atts, [], r)
    done_before = sum(o.state.done for o in prog.outcomes)
    nxt = prog.next
    if nxt is None or nxt.state == S.StepState.DECIDE:
        return
    step = nxt.spec
    q = {p: 99 for p in step.positions} if step.positions else {step.modality: 99}
    atts.append(att(step.step, counter.get(step.step, 0) + 1, q))
    prog2 = S.progress(atts, [], r)
    assert sum(o.state.done for o in prog2.outcomes) == done_before + 1
