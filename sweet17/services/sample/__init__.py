"""The sample Balangan drive: a synthetic, realistic drive to develop, test and demonstrate sweet17.

::

    from sweet17.services.sample import generate_balangan, SampleDrive
    sample: SampleDrive = generate_balangan(Path("drives/balangan-2027"), seed=17, students=6500,
                                            start=date(2027, 1, 11))
    sample.truth                      # one TruthStudent per roster row (the ground truth)
    sample.eligible_truth(date(2027, 1, 11))   # {school code: students to record}

See ``generator`` for the layout written and ``docs/sample.md`` for the rates and anomaly codes.
"""

from sweet17.services.sample.generator import (
    ANOMALIES,
    SampleDrive,
    SamplePlan,
    SampleSchool,
    TruthStudent,
    default_start,
    generate_balangan,
    plan_balangan,
)

__all__ = ["ANOMALIES", "SampleDrive", "SamplePlan", "SampleSchool", "TruthStudent", "default_start",
           "generate_balangan", "plan_balangan"]
