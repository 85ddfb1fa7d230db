"""Password rules beyond Django's own validators (AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError

MIN_PART = 3  # shorter names ("al") occur by chance in good passwords


class UserNameInPasswordValidator:
    """Refuse a password that contains the user name or the local part of the e-mail address, in any
    case ("caseycasey" or "Casey2024!" for casey): Django's similarity check compares whole strings
    and lets a repeated or padded user name through."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        lowered = password.casefold()
        for label, value in (("user name", getattr(user, "username", "") or ""),
                             ("e-mail address", (getattr(user, "email", "") or "").partition("@")[0])):
            if len(value) >= MIN_PART and value.casefold() in lowered:
                raise ValidationError(f"The password contains your {label}; choose one that does not.",
                                      code="password_contains_user_name")

    def get_help_text(self) -> str:
        return "Your password can't contain your user name or e-mail address."
