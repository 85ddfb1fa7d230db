"""The audit log (SPEC §9): who viewed or changed an account, a scoring configuration or a playbook,
and when, with the changed fields' old and new values. Managers read it in admin (Audit events)."""

from accounts.models import AuditEvent, User


def audit_record(*, user: User | None, action: str, obj, changes: dict | None = None) -> AuditEvent:
    """One audit entry: who did what (created, changed, deleted, viewed, activated) to which object."""
    return AuditEvent.objects.create(user=user if user is not None and user.is_authenticated else None,
                                     action=action, object_type=obj._meta.label, object_id=str(obj.pk),
                                     object_repr=str(obj)[:200], changes=changes or {})


def form_changes(form) -> dict:
    """{field: [old, new]} of a bound model form's changed fields, as text."""
    return {name: [None if form.initial.get(name) is None else str(form.initial.get(name)),
                   None if form.cleaned_data.get(name) is None else str(form.cleaned_data.get(name))]
            for name in form.changed_data}
