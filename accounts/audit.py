"""The audit log (docs/security.md): who viewed or changed an account, a scoring configuration or a playbook,
and when, with the changed fields' old and new values; who exported which rows, who set whose password,
and every write made in admin (single and bulk deletes, inline rows). Managers read it in admin (Audit
events). Services call these functions; views and admin hooks never write AuditEvent rows themselves."""

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Model, QuerySet

from accounts.models import AuditEvent, User

REDACTED = "(hidden)"


def _user(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _event(*, user: User | None, action: str, obj: Model, changes: dict | None = None) -> AuditEvent:
    return AuditEvent(user=_user(user), action=action, object_type=obj._meta.label, object_id=str(obj.pk),
                      object_repr=str(obj)[:200], changes=changes or {})


def audit_record(*, user: User | None, action: str, obj, changes: dict | None = None) -> AuditEvent:
    """One audit entry: who did what (created, changed, deleted, viewed, activated) to which object."""
    event = _event(user=user, action=action, obj=obj, changes=changes)
    event.save()
    return event


def audit_records(*, user: User | None, action: str, objects: Iterable[Model],
                  changes: Callable[[Model], dict] | None = None) -> int:
    """One entry per object, written at once (a bulk delete or assignment of many rows), with each object's
    `changes` when given. Returns how many."""
    events = [_event(user=user, action=action, obj=obj, changes=changes(obj) if changes else None)
              for obj in objects]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def audit_export(*, user: User | None, model: type[Model], what: str, filters: dict, rows: int) -> AuditEvent:
    """A download or file export: who exported which rows (the filters as given, and how many)."""
    return AuditEvent.objects.create(user=_user(user), action="exported", object_type=model._meta.label,
                                     object_id="", object_repr=f"{what}: {rows} row(s)"[:200],
                                     changes={"filters": filters, "rows": rows})


def audit_password_set(*, user: User | None, target: User) -> AuditEvent:
    """A password set through admin (a user's, by an administrator, or one's own). The password itself
    is never recorded."""
    return audit_record(user=user, action="password set", obj=target)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, QuerySet | list | tuple | set):
        return ", ".join(sorted(str(item) for item in value))
    return str(value)


def form_changes(form) -> dict:
    """{field: [old, new]} of a bound model form's changed fields, as text (passwords and secrets hidden)."""
    changes = {}
    for name in form.changed_data:
        if "password" in name or "secret" in name:
            changes[name] = [REDACTED, REDACTED]
            continue
        changes[name] = [_text(form.initial.get(name)), _text(form.cleaned_data.get(name))]
    return changes


def audit_admin_save(*, user: User | None, obj: Model, form, change: bool) -> AuditEvent | None:
    """An object added or changed in an admin form or changelist row: its changed fields; nothing when
    nothing changed."""
    if change and not form.changed_data:
        return None
    return audit_record(user=user, action="changed" if change else "created", obj=obj, changes=form_changes(form))


@transaction.atomic
def audit_admin_formset(*, user: User | None, formset, save: Callable[[], None]) -> int:
    """Save an admin inline (`save`) and record each row added, changed (old and new values) or deleted
    in it as one entry. Returns how many."""
    # Deleted rows lose their primary key when deleted: their entries are made before the save.
    events = [_event(user=user, action="deleted", obj=form.instance) for form in formset.deleted_forms
              if form.instance.pk is not None]
    save()
    changed = {obj.pk for obj, _ in formset.changed_objects}
    events += [_event(user=user, action="created", obj=obj) for obj in formset.new_objects]
    events += [_event(user=user, action="changed", obj=form.instance, changes=form_changes(form))
               for form in formset.initial_forms if form.instance.pk in changed]
    AuditEvent.objects.bulk_create(events)
    return len(events)


@transaction.atomic
def audit_admin_delete(*, user: User | None, objects: Iterable[Model], delete: Callable[[], None]) -> int:
    """Delete objects in admin (`delete`: one, or a changelist's selection) and record each: all or nothing."""
    count = audit_records(user=user, action="deleted", objects=objects)
    delete()
    return count
