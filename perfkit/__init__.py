"""perfkit: a council's quarterly delivery-plan data in, its performance report out."""

from perfkit.assess import Quarter, assess_quarter
from perfkit.errors import DataError, ParamsError, PerfkitError, Problem, RenderError
from perfkit.load import Dataset, load_dataset
from perfkit.model import Frequency, Issue, Polarity, Profile, Rag, Status, Travel
from perfkit.narrative import change_paragraph, overall_paragraph, priority_paragraph
from perfkit.rollup import Rollup, compare, roll_up
from perfkit.scheme import Scheme, SchemeError, load_scheme
from perfkit.targets import Check, check_many, check_target, parse_target

__version__ = "0.1.0"

__all__ = [
    "Check", "DataError", "Dataset", "Frequency", "Issue", "ParamsError", "PerfkitError",
    "Polarity", "Problem", "Profile", "Quarter", "Rag", "RenderError", "Rollup", "Scheme",
    "SchemeError", "Status",
    "Travel", "assess_quarter", "change_paragraph", "check_many", "check_target", "compare",
    "load_dataset", "load_scheme", "overall_paragraph", "parse_target", "priority_paragraph",
    "roll_up",
]
