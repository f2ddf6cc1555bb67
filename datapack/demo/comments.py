"""Free-text comments, some holding invented names, prison numbers and phone numbers to be redacted.

Names come from short invented lists; prison numbers follow the real
pattern (A1234BC) but are random; phone numbers are in Ofcom's range kept
for drama (07700 900000 to 900999), so none can reach a real person.
"""

from __future__ import annotations

import numpy as np

from datapack.demo.estate import Facility

FIRST = ("Jamie", "Lee", "Chris", "Sam", "Danny", "Ryan", "Kelly", "Jo", "Marcus", "Tariq", "Connor", "Dean")
SURNAMES = ("Fenwick", "Marlowe", "Tindall", "Pryce", "Garside", "Whitlock", "Brennan", "Okoro", "Kowalski",
            "Rahman", "Hale", "Dacre")
_PLAIN = (
    "More time out of cell please, we are locked up most of the day.",
    "The food is cold by the time it gets to the landing.",
    "Staff are ok but there are not enough of them.",
    "Nothing to add.",
    "Canteen is always late and things go missing.",
    "Education is good but the waiting list is months long.",
    "I have not had a visit for months because the booking line never answers.",
)
_PERSONAL = (
    "Officer {surname} on {where} is always fair with us.",
    "My name is {first} {surname}, prison number {number}. I have asked to see healthcare three times.",
    "Please can someone ring my mum on {phone}, she has not heard from me.",
    "Mr {surname} in reception helped me a lot when I arrived.",
    "I don't feel safe on {where} since {first} {surname} was moved there.",
    "Drugs are everywhere on {where}.",
)
_UNSAFE = (
    "People are cutting up every night on {where} and nobody comes when you press the bell.",
    "I have been on an ACCT for weeks and no one talks to me. My number is {number}.",
    "It is not safe on {where} any more, there are fights every day.",
    "Since the new regime started we are behind our doors all day and people are struggling.",
)
_STAFF = (
    "Staffing is at crisis point on {where}.",
    "Manager {first} {surname} does not listen to concerns raised by the wing staff.",
    "We need more training on mental health.",
    "Good team, but the regime is too restricted because of shortages.",
    "Please contact me on {phone} about the survey, I have more to say.",
    "Too many new staff and not enough experienced officers.",
)


def _fill(template: str, rng: np.random.Generator, f: Facility) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    where = ("A Wing", "B Wing", "C Wing", "Houseblock 2", "Unit 3", "Residential Unit B")[int(rng.integers(0, 6))]
    return template.format(
        first=FIRST[int(rng.integers(len(FIRST)))], surname=SURNAMES[int(rng.integers(len(SURNAMES)))],
        number=f"{letters[int(rng.integers(23))]}{int(rng.integers(1000, 10000))}"
               f"{letters[int(rng.integers(23))]}{letters[int(rng.integers(23))]}",
        phone=f"07700 900{int(rng.integers(0, 1000)):03d}", where=where, place=f.short)


def detainee_comment(rng: np.random.Generator, f: Facility, unsafe: bool) -> str:
    """One comment from a detained person; more about safety where the survey shows a problem."""
    u = rng.random()
    if unsafe and u < 0.45:
        pool = _UNSAFE
    elif u < 0.7:
        pool = _PLAIN
    else:
        pool = _PERSONAL
    return _fill(pool[int(rng.integers(len(pool)))], rng, f)


def staff_comment(rng: np.random.Generator, f: Facility) -> str:
    """One comment from a member of staff."""
    return _fill(_STAFF[int(rng.integers(len(_STAFF)))], rng, f)
