"""Admin names every model in correct English: singular and plural (no "Opportunitys")."""

import re

from django.apps import apps
from django.contrib import admin

OUR_APPS = ("accounts", "scoring", "interventions", "expansion")


def english_plural(noun: str) -> str:
    """The regular English plural of a (last) word: -y after a consonant -> -ies; -s, -x, -z, -ch, -sh -> -es."""
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def test_every_model_of_ours_has_a_correct_plural():
    wrong = {model._meta.label: (model._meta.verbose_name, model._meta.verbose_name_plural)
             for app in OUR_APPS for model in apps.get_app_config(app).get_models()
             if str(model._meta.verbose_name_plural) != english_plural(str(model._meta.verbose_name))}

    assert wrong == {}


def test_every_model_in_admin_has_a_plural_that_is_not_a_bare_s_on_a_y():
    names = {str(model._meta.verbose_name_plural) for model in admin.site._registry}

    assert "opportunities" in names
    assert [name for name in names if re.search(r"[^aeiou]ys$", name)] == []
