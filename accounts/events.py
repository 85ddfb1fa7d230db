"""What the customer-data layer announces to the layers above it, without importing them (they connect
receivers: scoring reads the texts)."""

from django.dispatch import Signal

# An import succeeded and is committed: new texts may wait to be read.
import_committed = Signal()
# A ticket or touchpoint was saved by hand (admin, or logged on a page or the API); keyword argument `item`: the
# saved row.
text_saved_by_hand = Signal()
# Accounts changed CSM (accounts.assignment), inside the transaction that changed them; keyword argument
# `moves`: {account id: (the old CSM's id or None, the new CSM's id)}. Interventions hands their open tasks on.
accounts_reassigned = Signal()
# An account was marked churned in HealthCS (accounts.services.account_mark_churned), sent once the marking is
# committed; keyword arguments `account` (the account, now churned) and `event` (its ChurnEvent). Outgoing
# webhooks' "account churned" event is announced from here.
account_churned = Signal()
