"""Request bodies are validated by RequestSerializer subclasses, which give each instance
shallow copies of the declared fields (DRF's deep copies re-ran every field's __init__
per request): each instance must still own its bound fields, the declared fields must
stay unbound, and one body's errors must never reach another's."""

import inspect
import re
from datetime import UTC, datetime

from channel_api import serializers as s
from channel_api import views


def _body(**changes) -> dict:
    person = {"id_type": "resident_id", "id_number": "110101195503030021", "name": "张三"}
    return {"holder": dict(person), "member": {**person, "name": "李四"},
            "relationship": "parent", "request_number": "R-1",
            "face_verification_ref": "F-1",
            "face_verified_at": datetime.now(UTC).isoformat(), **changes}


def test_each_instance_binds_its_own_fields_and_nested_fields():
    first, second = s.BindingApplySerializer(data=_body()), s.BindingApplySerializer(data=_body())
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    holder = first.fields["holder"]
    assert all(field.parent is holder for field in holder.fields.values())
    assert holder.fields["name"] is not second.fields["holder"].fields["name"]


def test_the_declared_fields_stay_unbound_after_validation():
    assert s.BindingApplySerializer(data=_body()).is_valid()
    for field in s.BindingApplySerializer._declared_fields.values():
        assert getattr(field, "parent", None) is None
        assert "fields" not in field.__dict__


def test_one_bodys_errors_do_not_reach_the_next():
    bad = s.BindingApplySerializer(data=_body(relationship="cousin", holder={"name": 7}))
    assert not bad.is_valid()
    assert set(bad.errors) == {"relationship", "holder"}
    assert set(bad.errors["holder"]) == {"id_number", "name"}
    good = s.BindingApplySerializer(data=_body())
    assert good.is_valid(), good.errors
    assert good.validated_data["holder"]["name"] == "张三"
    assert good.validated_data["relationship"] == "parent"


def test_every_body_the_views_validate_is_a_request_serializer():
    validated = re.findall(r"self\.valid\(s\.(\w+)\)", inspect.getsource(views))
    assert len(validated) == 7
    for name in validated:
        assert issubclass(getattr(s, name), s.RequestSerializer), name
