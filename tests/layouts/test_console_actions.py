"""The console's inspector actions: contacts in call order with tel: links."""

from __future__ import annotations

from dash import html

from layouts import console_actions
from monitoring.views.common import ContactRow
from tests.layouts.test_console import find, texts


def test_contacts_on_duty_first_with_tel_links() -> None:
    contacts = [
        ContactRow("Duty Two", "duty_officer", "duty officer", "+86 139 0000 0004", True, ()),
        ContactRow(
            "Lead Li", "leader_in_charge", "leader in charge", "+86 139 0000 0002", False, ()
        ),
    ]
    out = console_actions.contacts_list(contacts, "en")
    assert "hz-contact-on-duty" in out[0].className and "hz-contact-on-duty" not in out[1].className
    assert "on duty now" in texts(out[0]) and "on duty now" not in texts(out[1])
    [link] = find(out[0], "hz-contact-phone")
    assert isinstance(link, html.A) and link.href == "tel:+8613900000004"
    assert "当前值班" in texts(console_actions.contacts_list(contacts, "zh")[0])
