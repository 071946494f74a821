from families.models.batch_jobs import BatchJob, BatchJobStatus, BatchSource
from families.models.bindings import Binding
from families.models.calendar import CalendarOverride
from families.models.copay import CoPayAuthorization
from families.models.counter import ApplicationSequence, CounterApplication
from families.models.dashboard import PrecheckRefusal
from families.models.persons import Person
from families.models.policy import RegionPolicy
from families.models.proofs import KinshipProof, ProofScan

__all__ = [
    "ApplicationSequence",
    "BatchJob",
    "BatchJobStatus",
    "BatchSource",
    "Binding",
    "CalendarOverride",
    "CoPayAuthorization",
    "CounterApplication",
    "KinshipProof",
    "Person",
    "PrecheckRefusal",
    "ProofScan",
    "RegionPolicy",
]
