import pytest

from tests import factories


@pytest.fixture
def operator(db):
    return factories.ledger_operator()


@pytest.fixture
def post(operator):
    """settlement_post with test defaults; override any keyword."""
    from settlements.services import settlement_post

    counter = iter(range(1, 10_000))

    def _post(beneficiary, amount, **kwargs):
        params = {
            "actor": operator,
            "beneficiary": beneficiary,
            "institution_name": "北京协和医院",
            "institution_code": "H11010100001",
            "category": "outpatient",
            "amount": amount if isinstance(amount, str | float) else factories.yuan(amount),
            "reference": f"REF-{next(counter):05d}",
            "reason": "定点机构结算",
        }
        params.update(kwargs)
        return settlement_post(**params)

    return _post
