"""Whether a customer text is English or German: German and English function words, umlauts and ß, counted
over the first few hundred characters (enough for a ticket, and robust on a three-word chat message)."""

import re

_SAMPLE = 240  # characters read: the language of a ticket shows in its first lines
_GERMAN = frozenset(
    "und oder nicht kein keine keinen wir ich sie ist sind das die der den dem des ein eine einen einem bitte mit "
    "für von auf bei nach zum zur unser unsere unseren ihr ihre ihren ihnen sehr danke auch noch schon wie wird "
    "werden wurde haben hat habe kann können möchten möchte sofort leider gibt geht mehr hallo guten tag grüße "
    "gruß freundlichen seit immer jetzt heute morgen wieder warum wann kündigen vertrag rechnung fehler "
    "funktioniert ja nein mein meine uns euch dass weil wenn aber doch nur alle im ab".split())
_ENGLISH = frozenset(
    "and or not no we i you is are the a an of to in on for with please our your my this that it be have has can "
    "could would will do does did from at by thanks thank hi hello dear there what how why when if but just now "
    "today want need cancel account again still since anymore yes".split())
_WORD = re.compile(r"[a-zäöüß]+")
_UMLAUT = re.compile(r"[äöüß]")


def language(text: str) -> str:
    """"de" when the text reads as German, otherwise "en"."""
    sample = text[:_SAMPLE].lower()
    german = 0.5 * len(_UMLAUT.findall(sample))
    english = 0
    for word in _WORD.findall(sample):
        if word in _GERMAN:
            german += 1
        elif word in _ENGLISH:
            english += 1
    return "de" if german > english else "en"
