"""Personal data in published text: what a petitioner wrote about
themselves or others (a phone number, an ID card number, an e-mail
address) must not reach the newspaper. Each is masked where it appears,
keeping enough to tell two of them apart and nothing that identifies:

- mobile numbers keep the first three and last four digits: 138****5678
  (with or without +86 and separators);
- landlines keep the area code and the last four digits: 0791-****1234;
- ID card numbers (18 digits, or 15 for old cards) keep the first six
  (the place of issue) and the last four: 360102********123X;
- e-mail addresses keep the first character and the domain: z***@example.com.

Digit runs are matched whole (never inside a longer number), so an
acceptance number such as X2JX202104150001 or an amount is left alone.
"""

import re

# Full-width digits and separators, as typed on Chinese keyboards, are
# folded before matching so that "１３８１２３４５６７８" is found too.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－（）＠．＋", "0123456789-()@.+")

_PATTERN = re.compile(
    r"(?P<id_card>(?<![0-9A-Za-z])[1-9]\d{5}(?:(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx]|\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3})(?![0-9A-Za-z]))"
    r"|(?P<mobile>(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9]))"
    r"|(?P<landline>(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3}[ -])[ ]?\d{3,4}[ -]?\d{4}(?![0-9]))"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
_DIGITS = re.compile(r"\d")
# Every pattern needs a digit or an @: text without one is returned as is.
_CANDIDATE = re.compile(r"[0-9０-９@＠]")


def _mask_mobile(found: str) -> str:
    digits = "".join(_DIGITS.findall(found))[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_landline(found: str) -> str:
    area = re.match(r"\(?(0\d{2,3})", found).group(1)
    digits = "".join(_DIGITS.findall(found))[len(area):]
    return f"{area}-{'*' * (len(digits) - 4)}{digits[-4:]}"


def _mask_id_card(found: str) -> str:
    return found[:6] + "*" * (len(found) - 10) + found[-4:]


def _mask_email(found: str) -> str:
    local, domain = found.split("@", 1)
    return f"{local[0]}***@{domain}"


_MASKS = {
    "id_card": _mask_id_card,
    "mobile": _mask_mobile,
    "landline": _mask_landline,
    "email": _mask_email,
}


def mask_personal_data(text: str) -> str:
    """``text`` with every phone number, ID card number and e-mail address
    masked; anything else unchanged (full-width characters included)."""
    if not text or not _CANDIDATE.search(text):
        return text
    # Folding maps one character to one, so positions in ``folded`` are
    # positions in ``text``.
    folded = text.translate(_FULL_WIDTH)
    pieces, last = [], 0
    for match in _PATTERN.finditer(folded):
        pieces.append(text[last : match.start()])
        pieces.append(_MASKS[match.lastgroup](match.group(0)))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)
